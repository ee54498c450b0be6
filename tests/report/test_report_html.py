"""The HTML report, statically: self-contained, escaped, hash-pinned CSP."""

from __future__ import annotations

import base64
import hashlib
import re

import lxml.html

from linkaudit.model import Report
from linkaudit.report.html import CSP, HtmlFormatter, link


def doc(text: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(text)


def test_self_contained(report: Report) -> None:
    text = HtmlFormatter().render(report)
    tree = doc(text)
    assert not tree.xpath("//link | //img | //iframe | //object | //embed | //script[@src]")
    assert "@import" not in text
    assert "url(" not in text
    assert len(tree.xpath("//style")) == 1
    assert len(tree.xpath("//script")) == 1


def test_csp_pins_the_inline_style_and_script(report: Report) -> None:
    tree = doc(HtmlFormatter().render(report))
    meta = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert meta == [CSP]
    assert "default-src 'none'" in CSP
    assert "unsafe" not in CSP
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = tree.xpath(f"//{tag}")[0].text
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in CSP


def test_content(report: Report) -> None:
    text = HtmlFormatter().render(report)
    tree = doc(text)
    header = tree.xpath("//header")[0].text_content()
    assert "Sea levels are rising faster than expected" in header
    assert "cited 2023-04-18 (json-ld)" in header
    chips = {
        b.get("data-verdict"): b.get("aria-pressed")
        for b in tree.xpath("//button[@class]")
        if "chip" in b.get("class", "")
    }
    assert chips["broken"] == "true"
    assert chips["ok"] == "false"
    assert chips["skipped"] == "false"
    bodies = tree.xpath("//table[@id='findings']/tbody")
    assert len(bodies) == 15  # ok/skipped are there, filtered out by default
    assert bodies[0].get("data-verdict") == "lost"
    broken = tree.xpath("//tbody[@data-verdict='broken']")[0]
    assert "captured 2023-04-01, 17 days before citation" in broken.text_content()
    assert broken.xpath(".//ol[@class='chain']/li")
    # ARIA wiring of the expandable rows
    for button in tree.xpath("//button[contains(@class,'toggle')]"):
        assert tree.xpath(f"//tr[@id='{button.get('aria-controls')}']")


def test_hostile_content_is_inert(hostile_report: Report) -> None:
    text = HtmlFormatter().render(hostile_report)
    tree = doc(text)
    assert len(tree.xpath("//script")) == 1  # only ours
    assert not tree.xpath("//img | //*[@onerror] | //*[@onmouseover]")
    hrefs = tree.xpath("//a/@href")
    assert hrefs, "the safe links should still be links"
    assert all(re.match(r"https?://", h) for h in hrefs)
    assert "window.__pwned" not in tree.xpath("//script")[0].text
    assert "<script>window" not in text


def test_link_helper() -> None:
    assert link("javascript:alert(1)").startswith('<span class="url-plain"')
    assert link("java\tscript:alert(1)").startswith("<span")
    assert link(" https://x.example").startswith("<span")
    assert link('https://x.example/"onmouseover=1').startswith("<span")
    assert link("https://x.example/?a=1&b=2") == (
        '<a href="https://x.example/?a=1&amp;b=2" rel="noopener noreferrer nofollow" '
        'target="_blank">https://x.example/?a=1&amp;b=2</a>'
    )
