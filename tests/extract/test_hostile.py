"""Hostile and odd input: results or nothing, never a crash or a hang."""

from __future__ import annotations

import pytest

from linkaudit.extract import extract
from linkaudit.model import Document, DocumentKind, Scope, Verdict

from .conftest import html_doc


def test_5000_deep_nesting_keeps_links_on_both_sides() -> None:
    text = (
        "<p><a href='https://before.example/'>before</a></p>"
        + "<div><span>" * 2500
        + "<a href='https://deep.example/'>deep</a>"
        + "</span></div>" * 2500
        + "<p><a href='https://after.example/'>after</a></p>"
    )
    cites = extract(html_doc(text), scope=Scope.PAGE)
    assert [c.url for c in cites] == [
        "https://before.example/",
        "https://deep.example/",
        "https://after.example/",
    ]
    assert cites[1].location.offset == text.index("https://deep.example/")


def test_deep_nesting_in_article_scope_does_not_crash() -> None:
    text = (
        "<article>"
        + "<div>" * 5000
        + "<p>text <a href='https://d.example/'>d</a></p>"
        + "</div>" * 5000
    )
    cites = extract(html_doc(text))
    assert [c.url for c in cites] == ["https://d.example/"]


def test_ten_thousand_links() -> None:
    text = "<p>" + "".join(
        f"<a href='https://h{i % 50}.example/p/{i}'>link {i}</a> " for i in range(10_000)
    )
    cites = extract(html_doc(text, whole_page=False))
    assert len(cites) == 10_000
    assert cites[9_999].url == "https://h49.example/p/9999"
    assert cites[9_999].text == "link 9999"
    assert cites[9_999].location.offset == text.index("https://h49.example/p/9999")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n ",
        "\x00\x00\x00",
        "<a href='https://nul.example/\x00x'>n\x00ul</a>",
        "<p>lone surrogate \ud800 <a href='https://s.example/\udfff'>s</a></p>",
        "<p>\x01\x02\x1b[31m <a href='https://ctl.example/'>ctl</a></p>",
        "<<<<>>>></a></a></a><a <a <a href=",
        '<a href="unterminated' + "x" * 10_000,
        "<!-- unterminated comment <a href='https://hidden.example/'>h</a>",
        "<script><a href='https://in-script.example/'>s</a>",
        "\ufeff<p>BOM <a href='https://bom.example/'>b</a></p>",
        "<?xml version='1.0' encoding='latin-1'?><p><a href='https://x.example/'>x</a></p>",
        "<a href='http://[::1'>v6</a><a href='http://h:99999/'>p</a><a href='%%%'>pct</a>",
        "<svg><a xlink:href='https://svg.example/'>s</a></svg><math><mi>x</mi></math>",
    ],
)
def test_odd_input_never_crashes(text: str) -> None:
    for kind in (DocumentKind.HTML, DocumentKind.WORDPRESS, DocumentKind.MARKDOWN):
        doc = Document(text=text, kind=kind, origin="odd", base_url="https://b.example/")
        for scope in Scope:
            cites = extract(doc, scope=scope)
            for c in cites:
                assert c.location.line >= 1
                assert c.location.column >= 1
                if c.location.offset is not None:
                    assert 0 <= c.location.offset <= len(text)


def test_nul_and_surrogates_still_yield_links() -> None:
    text = "<p>a\x00b <a href='https://ok.example/'>o\ud800k</a></p>"
    cites = extract(html_doc(text, whole_page=False))
    assert [c.url for c in cites] == ["https://ok.example/"]
    assert cites[0].location.offset == text.index("https://ok.example/")


def test_invalid_urls_are_reported_not_raised() -> None:
    text = "<p><a href='http://[::1'>v6</a> <a href='http://h:99999/'>port</a></p>"
    cites = extract(html_doc(text, whole_page=False))
    assert [(c.verdict, c.reason) for c in cites] == [(Verdict.INVALID, "invalid_url")] * 2


def test_huge_markdown_nesting() -> None:
    text = ">" * 5000 + " [x](https://q.example/)\n" + "- " * 3000 + "[y](https://l.example/)\n"
    doc = Document(text=text, kind=DocumentKind.MARKDOWN, origin="deep.md")
    cites = extract(doc)
    urls = [c.url for c in cites if c.url is not None]
    assert urls  # the links survive the nesting ...
    assert all(url.startswith("https://") for url in urls)  # ... as written


def test_links_past_the_parsers_nesting_limit_are_found_where_they_are() -> None:
    """markdown-it stops reading 20 containers deep; cmark and GitHub do not, so
    neither may we: the links inside, and after, are citations at their places."""
    text = (
        "intro\n\n"
        + ">" * 300
        + " [x](https://q.example/)\n"
        + "- " * 300
        + "[y](https://l.example/)\n\nafter [z](https://z.example/)\n\n[r]: https://r.example/\n"
    )
    cites = extract(Document(text=text, kind=DocumentKind.MARKDOWN, origin="deep.md"))
    assert [(c.url, c.location.line, c.location.column, c.text) for c in cites] == [
        ("https://q.example/", 3, 306, "x"),
        ("https://l.example/", 4, 605, "y"),
        ("https://z.example/", 6, 11, "z"),
    ]
