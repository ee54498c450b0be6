"""The health page in real headless Chromium: charts drawn, strict CSP honoured,
nothing loaded from anywhere, no console errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linkaudit.health import build_health
from linkaudit.health.html import HealthHtmlFormatter
from tests.browser_util import RecordingPage, launch_chromium
from tests.history.scenario import Scenario, full_history

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def page_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    scenario: Scenario = full_history(tmp_path_factory.mktemp("browser") / "cache.sqlite")
    try:
        return HealthHtmlFormatter().render(build_health(scenario.store, store_name="cache.sqlite"))
    finally:
        scenario.close()


@pytest.fixture
def health_page(browser: Any, page_html: str, tmp_path: Path) -> Iterator[RecordingPage]:
    page = RecordingPage(browser, page_html, tmp_path, "health.html")
    yield page
    page.close()


def test_charts_render_without_errors(health_page: RecordingPage) -> None:
    page = health_page.page
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    for name in ("verdicts-over-runs", "rot-by-year", "top-hosts"):
        chart = page.locator(f"svg[data-chart='{name}']")
        box = chart.bounding_box()
        assert box is not None, name
        assert box["width"] > 200, name
        assert box["height"] > 80, name
        bars = chart.locator("rect.bar")
        assert bars.count() > 0, name
        bar_box = bars.first.bounding_box()
        assert bar_box is not None, name
        assert bar_box["height"] > 0, name
        assert bar_box["width"] > 0, name
    # Five runs, one column each; the year chart has one column per year.
    assert page.locator("svg[data-chart='verdicts-over-runs'] text", has_text="#5").count() == 1
    assert page.locator("svg[data-chart='rot-by-year'] text", has_text="2019").count() == 1
    # The stylesheet applied (hash-pinned under the CSP): cards are laid out in a row.
    display = page.eval_on_selector(".cards", "el => getComputedStyle(el).display")
    assert display == "flex"
    assert health_page.errors == []


def test_worst_documents_link_to_their_findings(health_page: RecordingPage) -> None:
    page = health_page.page
    page.click("#worst a[href='#doc-0']")
    assert page.evaluate("location.hash") == "#doc-0"
    assert page.locator("#doc-0 h3").inner_text() == "Rivers of 2019"
    assert page.locator("#doc-0 tbody tr").count() == 3
    # The hostile title is text, and nothing ran.
    assert page.locator("h3", has_text="<script>alert(1)</script>").count() == 1
    assert page.locator("script").count() == 0
    page.emulate_media(media="print")
    assert page.locator("svg.chart").first.is_visible()
    assert health_page.errors == []
