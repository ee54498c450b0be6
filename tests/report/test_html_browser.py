"""The HTML report in real headless Chromium (Debian's, never a Playwright download).

What a static check cannot prove: the page's script runs under its own strict CSP
without console errors, the filters, search, sort and expanders work, and a hostile
article executes nothing even when every link and control is clicked.

Skips when no Chromium is installed (``scripts/ensure-chromium`` installs it), except
under ``CI=true``, where a missing browser fails so CI cannot pass silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkaudit.model import Report
from linkaudit.report.html import HtmlFormatter
from tests.browser_util import RecordingPage, launch_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as launched:
        yield launched


class Page(RecordingPage):
    """The report opened offline, with the row queries the tests need."""

    def __init__(self, browser: Any, html: str, tmp_path: Path) -> None:
        super().__init__(browser, html, tmp_path, name="report.html")

    def visible(self) -> int:
        count: int = self.page.locator("tbody.finding:not([hidden])").count()
        return count

    def order(self, attribute: str) -> list[str]:
        values: list[str] = self.page.eval_on_selector_all(
            "tbody.finding:not([hidden])", f"rows => rows.map(r => r.getAttribute('{attribute}'))"
        )
        return values


@pytest.fixture
def report_page(browser: Any, report: Report, tmp_path: Path) -> Iterator[Page]:
    page = Page(browser, HtmlFormatter().render(report), tmp_path)
    yield page
    page.context.close()


def test_loads_without_errors_and_shows_problems_by_default(report_page: Page) -> None:
    assert report_page.visible() == 11
    assert report_page.page.locator("#shown").inner_text() == "11"
    assert report_page.errors == []


def test_verdict_chips_filter(report_page: Page) -> None:
    page = report_page.page
    page.click("button.chip[data-verdict='broken']")
    assert report_page.visible() == 9
    assert "broken" not in report_page.order("data-verdict")
    page.click("button.chip[data-verdict='ok']")
    assert report_page.visible() == 12
    page.click("button.preset[data-preset='all']")
    assert report_page.visible() == 15
    page.click("button.preset[data-preset='problems']")
    assert report_page.visible() == 11
    assert report_page.errors == []


def test_search_filters(report_page: Page) -> None:
    page = report_page.page
    page.fill("#search", "GLACIER")
    assert report_page.visible() == 1
    assert report_page.order("data-verdict") == ["broken"]
    page.fill("#search", "zzz-nothing")
    assert report_page.visible() == 0
    assert page.locator("#no-match").is_visible()
    page.fill("#search", "")
    assert report_page.visible() == 11
    assert report_page.errors == []


def test_sorting_changes_order(report_page: Page) -> None:
    page = report_page.page
    before = report_page.order("data-klocation")
    page.click("th[data-sort='location'] button")
    ascending = report_page.order("data-klocation")
    assert ascending == sorted(before)
    assert ascending != before
    page.click("th[data-sort='location'] button")
    assert report_page.order("data-klocation") == sorted(before, reverse=True)
    assert page.get_attribute("th[data-sort='location']", "aria-sort") == "descending"
    page.click("th[data-sort='url'] button")
    urls = report_page.order("data-kurl")
    assert urls == sorted(urls)
    assert urls != before
    page.click("th[data-sort='todo'] button")
    todos = report_page.order("data-ktodo")
    assert todos == sorted(todos)
    assert "check by hand in a browser" in todos
    assert report_page.errors == []


def test_rows_expand_and_print_shows_details(report_page: Page) -> None:
    page = report_page.page
    row = page.locator("tbody[data-verdict='broken']").first
    details = row.locator("tr.more")
    assert not details.is_visible()
    row.locator("button.toggle").click()
    assert details.is_visible()
    assert "17 days before citation" in details.inner_text()
    page.emulate_media(media="print")
    assert page.locator("tbody[data-verdict='stale'] tr.more").is_visible()
    assert not page.locator("#search").is_visible()
    assert report_page.errors == []


def test_hostile_report_executes_nothing(
    browser: Any, hostile_report: Report, tmp_path: Path
) -> None:
    hostile = Page(browser, HtmlFormatter().render(hostile_report), tmp_path)
    page = hostile.page
    try:
        page.click("button.preset[data-preset='all']")
        page.click("#expand-all")
        assert hostile.visible() == len(hostile_report.findings)
        # No script URL became a link; the ones shown as text are there.
        assert page.locator("a[href]").count() > 0
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        assert page.locator(".url-plain", has_text="javascript:window.__pwned=1").count() > 0
        # Click every link (routing aborts the requests), hover and click every cell.
        for link in page.locator("a[href]").all():
            link.click(modifiers=["Control"])
        for cell in page.locator("td").all()[:40]:
            cell.hover()
        for button in page.locator("button").all():
            button.click()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("img, iframe, object, embed").count() == 0
        assert page.locator("script").count() == 1
        assert hostile.errors == []
    finally:
        hostile.context.close()
