"""The health page of the small simulated history in headless Chromium: charts
drawn, strict CSP honoured, nothing loaded from anywhere, no console errors.
(The big site at two widths: ``tests/report/test_pages_two_widths.py``.)"""

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
    for name in ("verdicts-over-runs", "rot-by-year", "top-hosts"):
        chart = page.locator(f"svg[data-chart='{name}']")
        box = chart.bounding_box()
        assert box is not None, name
        assert box["width"] > 600, name
        assert box["height"] > 80, name
        bars = chart.locator("rect.bar")
        assert bars.count() > 0, name
        bar_box = bars.first.bounding_box()
        assert bar_box is not None, name
        assert bar_box["height"] > 0, name
        assert bar_box["width"] > 0, name
        assert page.locator(f"svg[data-chart='{name}-narrow']").is_hidden()
    # Five runs, one column each, labelled by day; the year chart has one per year.
    verdicts = page.locator("svg[data-chart='verdicts-over-runs']")
    legend = verdicts.locator("g.legend text").all_text_contents()
    assert legend[:2] == ["lost", "broken"]  # worst on top, as stacked
    assert verdicts.locator("text.x-label").all_text_contents() == [
        "2 Mar",
        "3 Mar",
        "5 Mar",
        "6 Mar",
        "7 Mar",
    ]
    assert page.locator("svg[data-chart='rot-by-year'] text", has_text="2019").count() == 1
    # The stylesheet applied (hash-pinned under the CSP): the cards are a grid.
    display = page.eval_on_selector(".cards", "el => getComputedStyle(el).display")
    assert display == "grid"
    assert health_page.errors == []


def test_documents_fold_and_open(health_page: RecordingPage) -> None:
    page = health_page.page
    first = page.locator("#doc-0")
    assert first.locator("summary strong").inner_text() == "Rivers of 2019"
    assert not first.locator("tbody tr").first.is_visible()
    first.locator("summary").click()
    assert first.locator("tbody tr").count() == 3
    assert first.locator("tbody tr").first.is_visible()
    # The hostile title is text, and nothing ran.
    assert page.locator("summary strong", has_text="<script>alert(1)</script>").count() == 1
    assert page.locator("script").count() == 0
    page.emulate_media(media="print")
    assert page.locator("svg.chart").first.is_visible()
    assert health_page.errors == []
