"""Both HTML pages in real Chromium, on a wide screen (1,400 px) and a phone (400 px).

What a reader sees: no horizontal scrolling on a phone, each finding as a card
with what to do, URLs with room to read, the health page's summary and first
chart in the first screenful at full width with text of a readable size, axis
labels that neither overlap nor get cut off.  Every page is also saved as a
screenshot (``test-artifacts/``, or ``$LINKAUDIT_TEST_ARTIFACTS``).

The audit page is the demo's (every verdict, against the loopback zoo); the
health page is a big site's history (``tests/showcase.py``): 150 articles, 40
full audits, then a check, a ``--changed-since`` run and an empty run.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from linkaudit.health import build_health
from linkaudit.health.html import HealthHtmlFormatter
from linkaudit.model import Outage, OutageKind, Report
from linkaudit.report.html import HtmlFormatter
from tests.browser_util import RecordingPage, artifact, launch_chromium
from tests.showcase import build_showcase

pytestmark = pytest.mark.browser

WIDTHS = {1400: 900, 400: 850}  # viewport width -> height (a laptop, a phone)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def audit_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    from linkaudit.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    # a thread of its own: Playwright may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(run_demo, out, formats=("html",), echo=lambda _line: None).result(
            timeout=120
        )
    assert not result.mismatches
    return result.paths[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def health_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    showcase = build_showcase(tmp_path_factory.mktemp("showcase") / "cache.sqlite")
    try:
        return HealthHtmlFormatter().render(build_health(showcase.store, store_name="cache.sqlite"))
    finally:
        showcase.close()


def _open(browser: Any, html: str, tmp_path: Path, name: str, width: int) -> RecordingPage:
    page = RecordingPage(browser, html, tmp_path, f"{name}.html", (width, WIDTHS[width]))
    page.page.screenshot(path=str(artifact(f"{name}-{width}.png")))
    page.page.screenshot(path=str(artifact(f"{name}-{width}-full.png")), full_page=True)
    return page


def _overflow(page: Any) -> int:
    """How far the page is wider than the screen (0: no horizontal scrolling)."""
    scroll: int = page.evaluate("document.documentElement.scrollWidth")
    return scroll - page.viewport_size["width"]


# --------------------------------------------------------------------------- both pages


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", ["audit", "health"])
def test_no_horizontal_scrolling_and_no_errors(
    browser: Any, audit_html: str, health_html: str, tmp_path: Path, name: str, width: int
) -> None:
    html = audit_html if name == "audit" else health_html
    page = _open(browser, html, tmp_path, name, width)
    try:
        assert _overflow(page.page) == 0
        # opened up, everything still fits: every fold of the health page, every
        # finding's evidence on the audit page
        page.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.page.evaluate("document.querySelectorAll('tr.more').forEach(r => r.hidden = false)")
        assert _overflow(page.page) == 0
        assert page.errors == []
    finally:
        page.close()


# --------------------------------------------------------------------------- audit page


def _cell_box(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_the_audit_table_gives_urls_room_on_a_wide_screen(
    browser: Any, audit_html: str, tmp_path: Path
) -> None:
    page = RecordingPage(browser, audit_html, tmp_path, "audit.html", (1400, 900))
    try:
        url = _cell_box(page.page, "tbody[data-verdict='broken'] td.c-url")
        assert url["width"] >= 300  # was ~120 px: a URL broken every 15 characters
        link = _cell_box(page.page, "tbody[data-verdict='broken'] td.c-url a")
        assert link["height"] < 25  # "http://errors.zoo.test:NNNNN/missing" on one line
        todo = page.page.locator("tbody[data-verdict='blocked'] td.c-todo").first.inner_text()
        assert todo.startswith("check by hand in a browser")
        assert "no capture" not in todo
    finally:
        page.close()


def test_each_finding_is_a_card_on_a_phone(browser: Any, audit_html: str, tmp_path: Path) -> None:
    page = RecordingPage(browser, audit_html, tmp_path, "audit.html", (400, 850))
    try:
        card = page.page.locator("tbody.finding[data-verdict='broken']").first
        assert card.evaluate("el => getComputedStyle(el).display") == "block"
        box = card.bounding_box()
        assert box is not None
        assert box["width"] > 340  # the whole screen, not a column
        text = card.inner_text()
        for part in ("BROKEN", "agency's original report", "http://errors.zoo.test:", "http_404"):
            assert part in text, part
        labels = card.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels == ['"URL"', '"Reason"', '"What to do"']  # each part says what it is
        assert "use the archived copy" in text
        assert "captured 2023-04-02" in text
        assert page.page.locator("thead").first.is_hidden()
        assert page.errors == []
    finally:
        page.close()


def test_an_outage_is_a_banner_in_the_first_screenful(
    browser: Any, report: Report, tmp_path: Path
) -> None:
    outage = Outage(OutageKind.ARCHIVES, "No archive could be reached (CDX: ConnectError).")
    html = HtmlFormatter().render(replace(report, outages=(outage,)))
    for width in WIDTHS:
        page = _open(browser, html, tmp_path, "audit-archives-down", width)
        try:
            banner = page.page.locator("section.banner")
            assert banner.is_visible()
            box = banner.bounding_box()
            assert box is not None
            assert box["y"] + box["height"] < WIDTHS[width]
            assert _overflow(page.page) == 0
        finally:
            page.close()


# --------------------------------------------------------------------------- health page


def _visible_charts(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart')]
          .filter(svg => svg.getBoundingClientRect().width > 0)
          .map(svg => {
            const box = svg.getBoundingClientRect();
            const scale = box.width / svg.viewBox.baseVal.width;
            const sizes = [...svg.querySelectorAll('text')]
              .map(t => Number(t.getAttribute('font-size')) * scale);
            const labels = [...svg.querySelectorAll('text.x-label')]
              .map(t => t.getBoundingClientRect())
              .map(r => ({left: r.left, right: r.right}));
            return {id: svg.dataset.chart, top: box.top, bottom: box.bottom,
                    left: box.left, right: box.right, width: box.width,
                    smallest: Math.min(...sizes), labels: labels};
          })"""
    )
    return found


@pytest.mark.parametrize("width", list(WIDTHS))
def test_health_charts_first_full_width_and_readable(
    browser: Any, health_html: str, tmp_path: Path, width: int
) -> None:
    page = RecordingPage(browser, health_html, tmp_path, "health.html", (width, WIDTHS[width]))
    try:
        charts = _visible_charts(page.page)
        suffix = "" if width > 700 else "-narrow"
        assert [c["id"] for c in charts] == [
            f"verdicts-over-runs{suffix}",
            f"rot-by-year{suffix}",
            f"top-hosts{suffix}",
        ]
        first = charts[0]
        assert first["top"] < WIDTHS[width]  # in the first screenful
        if width > 700:
            assert first["bottom"] < WIDTHS[width]  # all of it, with the summary above
        content: float = page.page.evaluate(
            "document.querySelector('#trends').getBoundingClientRect().width"
        )
        for chart in charts:
            assert chart["width"] >= 0.95 * content  # full width, not half of it
            assert chart["smallest"] >= 10.5, chart["id"]  # no text smaller than 10.5 px
            labels = chart["labels"]
            for before, after in pairwise(labels):
                assert before["right"] <= after["left"], chart["id"]  # no overlap
            for label in labels:
                assert chart["left"] <= label["left"]  # none cut off
                assert label["right"] <= chart["right"]
        # the summary comes first, the long lists after the charts
        summary = _cell_box(page.page, "#summary")
        assert summary["y"] < first["top"]
        assert _cell_box(page.page, "#changes")["y"] > charts[-1]["bottom"]
        assert page.errors == []
    finally:
        page.close()


def test_health_lists_are_folded_by_document_with_counts(
    browser: Any, health_html: str, tmp_path: Path
) -> None:
    page = RecordingPage(browser, health_html, tmp_path, "health.html", (400, 850))
    try:
        p = page.page
        group = p.locator("#documents details.document").first
        summary = group.locator("summary").inner_text()
        assert "dead" in summary
        assert "of 12 citations" in summary or "of 13 citations" in summary
        rows = group.locator("table.findings tr")
        assert not rows.first.is_visible()  # folded
        group.locator("summary").click()
        first_row = group.locator("tbody tr").first
        assert first_row.is_visible()
        assert first_row.evaluate("el => getComputedStyle(el).display") == "block"  # a card
        assert _overflow(p) == 0
        assert p.locator("#changes h3").first.inner_text().startswith("Newly confirmed dead:")
        more = p.locator("#documents > details.more > summary")
        assert more.inner_text().startswith("and ")  # the long tail behind one more fold
        p.click("nav.toc a[href='#documents']")
        assert p.evaluate("location.hash") == "#documents"
        assert page.errors == []
    finally:
        page.close()


def test_the_page_prints_with_the_wide_charts(
    browser: Any, health_html: str, tmp_path: Path
) -> None:
    page = RecordingPage(browser, health_html, tmp_path, "health.html", (400, 850))
    try:
        page.page.emulate_media(media="print")
        assert page.page.locator("svg[data-chart='verdicts-over-runs']").is_visible()
        assert page.page.locator("svg[data-chart='verdicts-over-runs-narrow']").is_hidden()
    finally:
        page.close()
