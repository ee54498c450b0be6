"""``linkaudit health`` over the simulated history: numbers, formats, files, command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from linkaudit.health import (
    HealthReport,
    build_health,
    get_health_formatter,
    health_document,
    write_health,
)
from linkaudit.health.cli import health_command
from linkaudit.health.html import CSP, HealthHtmlFormatter
from linkaudit.health.json_format import SCHEMA
from linkaudit.health.markdown import HealthMarkdownFormatter
from linkaudit.history import ConfirmPolicy, LinkStatus
from linkaudit.report.base import ReportExistsError
from linkaudit.store import CachePolicy, Store
from tests.history.scenario import DEAD_HOST_URL, MID, NEW, OLD, Scenario, full_history

GENERATED = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    scenario = full_history(tmp_path_factory.mktemp("health") / "cache.sqlite")
    try:
        yield scenario
    finally:
        scenario.close()


@pytest.fixture(scope="module")
def health(history: Scenario) -> HealthReport:
    # the same database, seen from a store whose clock reads GENERATED
    at_generated = Store(history.store.db, now=lambda: GENERATED, policy=CachePolicy())
    return build_health(at_generated, store_name="cache.sqlite")


def test_standing_of_distinct_urls(health: HealthReport) -> None:
    assert health.states == {"alive": 2, "failing": 1, "confirmed_dead": 3, "unknown": 0}
    assert health.total_runs == 5
    assert health.citations == 9  # 8 links and one lost link
    assert health.warnings == ()


def test_worst_documents_first_with_their_findings(health: HealthReport, history: Scenario) -> None:
    assert [d.origin for d in health.documents] == [OLD, NEW, MID]
    old = health.documents[0]
    assert (old.confirmed_dead, old.lost, old.failing, old.citations) == (2, 1, 0, 4)
    assert [f.url for f in old.findings] == [history.url("/dies"), DEAD_HOST_URL, None]
    assert [f.status for f in old.findings][:2] == [LinkStatus.CONFIRMED_DEAD] * 2
    assert old.findings[2].lost
    mid = health.documents[2]
    assert [f.url for f in mid.findings] == [history.url("/flaps")]
    assert mid.findings[0].since == history.clock.now  # failing again since today's run


def test_rot_by_year_cited(health: HealthReport) -> None:
    years = {y.year: y for y in health.rot_by_year}
    assert list(years) == ["2019", "2022", "2025"]
    assert (years["2019"].citations, years["2019"].confirmed_dead, years["2019"].lost) == (4, 2, 1)
    assert years["2019"].rot_share == pytest.approx(0.75)
    assert (years["2022"].failing, years["2022"].alive, years["2022"].rotten) == (1, 2, 0)
    assert (years["2025"].confirmed_dead, years["2025"].alive) == (1, 1)


def test_top_hosts_by_dead_links(health: HealthReport) -> None:
    assert [(h.host, h.confirmed_dead, h.failing) for h in health.top_hosts] == [
        ("news.history.test", 2, 1),
        ("gone.history.invalid", 1, 0),
    ]


def test_archive_coverage_and_save_candidates(health: HealthReport, history: Scenario) -> None:
    cov = health.coverage
    assert (cov.considered, cov.near, cov.far, cov.none) == (8, 2, 1, 5)
    assert cov.share == pytest.approx(0.25)
    assert cov.near_days == 365
    assert sorted(c.document for c in cov.candidates) == sorted([OLD, MID, NEW])
    assert {c.url for c in cov.candidates} == {history.url("/steady")}


def test_changes_of_the_latest_run(health: HealthReport, history: Scenario) -> None:
    diff = health.diff
    assert [c.url for c in diff.newly_failing] == [history.url("/flaps")]
    assert [c.url for c in diff.newly_archived] == [history.url("/walled")]
    assert diff.newly_confirmed_dead == diff.recovered == ()


def test_stricter_policy_confirms_less(history: Scenario) -> None:
    strict = build_health(history.store, policy=ConfirmPolicy(runs=5, days=5))
    assert strict.states["confirmed_dead"] == 2  # /walled failed in only 4 runs
    assert strict.policy.runs == 5


def test_empty_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite") as store:
        empty = build_health(store)
    assert empty.run_id is None
    assert "no runs recorded" in empty.warnings[0]
    for name in ("html", "markdown", "json"):
        assert get_health_formatter(name).render(empty)


# --------------------------------------------------------------------------- formats


def test_json_is_versioned_and_matches_its_schema(health: HealthReport) -> None:
    document = json.loads(get_health_formatter("json").render(health))
    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator(SCHEMA).validate(document)
    assert document == json.loads(json.dumps(health_document(health)))
    assert document["schema_version"] == "1.1"
    assert document["kind"] == "linkaudit-health"
    assert document["policy"] == {"confirm_runs": 3, "confirm_days": 3}
    assert document["states"]["confirmed_dead"] == 3
    assert document["coverage"]["share"] == 0.25
    assert document["documents"][0]["origin"] == OLD
    assert document["changes"]["newly_failing"][0]["after"] == "failing"
    assert len(document["runs"]) == 5


def test_html_is_self_contained_with_three_charts(health: HealthReport) -> None:
    page = HealthHtmlFormatter().render(health)
    assert page.count("<svg ") == 6  # each chart drawn wide and narrow
    for chart in ("verdicts-over-runs", "rot-by-year", "top-hosts"):
        assert f'data-chart="{chart}"' in page
        assert f'data-chart="{chart}-narrow"' in page
    assert CSP in page.replace("&#x27;", "'")
    assert "<script" not in page
    assert "http-equiv" in page
    assert "src=" not in page  # nothing to load
    assert "Coasts &lt;script&gt;alert(1)&lt;/script&gt; &amp; tides" in page
    for section in ("summary", "trends", "changes", "coverage", "documents"):
        assert f'<a href="#{section}">' in page
        assert f'id="{section}"' in page
    assert 'id="doc-0"' in page
    assert "candidates for <code>--save</code>" in page
    # summary and charts come before the long lists
    assert page.index('id="trends"') < page.index('id="changes"') < page.index('id="documents"')
    assert "3 documents, as the full audits of the last 30 days saw them" in page


def test_markdown_has_every_section(health: HealthReport) -> None:
    text = HealthMarkdownFormatter().render(health)
    for heading in (
        "# Link health",
        "## Changes in the latest full audit",
        "## Verdicts over runs",
        "## Rot by the year sources were cited",
        "## Top hosts by dead links",
        "## Archive coverage",
        "## Worst documents first",
    ):
        assert f"\n{heading}\n" in f"\n{text}"
    assert "Coasts &lt;script&gt;alert\\(1\\)&lt;/script&gt; &amp; tides" in text
    assert "| 2019 | 4 | 2 | 1 | 0 | 1 | 75% |" in text


def test_write_health_never_overwrites_without_force(health: HealthReport, tmp_path: Path) -> None:
    written = write_health(health, ["html", "md", "json"], tmp_path / "out")
    assert [p.name for p in written] == [
        "health-20260308T120000Z.html",
        "health-20260308T120000Z.md",
        "health-20260308T120000Z.json",
    ]
    before = written[0].read_text()
    with pytest.raises(ReportExistsError, match="--force"):
        write_health(health, ["json", "html"], tmp_path / "out")
    assert written[0].read_text() == before
    assert write_health(health, ["html"], tmp_path / "out", force=True) == written[:1]


# --------------------------------------------------------------------------- command


def test_health_command_writes_reports(history: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        health_command,
        ["--cache", str(history.db_path), "--output-dir", str(out), "--format", "json,html"],
    )
    assert result.exit_code == 0, result.output
    assert "1 link newly failing" in result.output
    files = sorted(p.name for p in out.iterdir())
    assert [name[-5:] for name in files] == [".html", ".json", ".html", ".json"]
    assert files[2:] == ["health-latest.html", "health-latest.json"]
    data = json.loads(next(out.glob("*.json")).read_text())
    assert data["store"] == str(history.db_path)


def test_health_command_errors(tmp_path: Path, history: Scenario) -> None:
    runner = CliRunner()
    missing = runner.invoke(health_command, ["--cache", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2
    assert "no history here" in missing.output
    bad = runner.invoke(health_command, ["--cache", str(history.db_path), "--confirm-runs", "0"])
    assert bad.exit_code == 2


def test_long_lists_are_capped_in_pages_but_not_in_json(health: HealthReport) -> None:
    [(url, items)] = health.coverage.candidate_urls()
    assert url.endswith("/steady")
    assert len(items) == 3
    page = HealthHtmlFormatter(max_rows=1).render(health)
    assert "and 2 more documents: the JSON report lists them all" in page
    assert page.count('<details class="group document"') == 1
    text = HealthMarkdownFormatter(max_rows=1).render(health)
    assert "and 2 more documents" in text
    assert len(health_document(health)["documents"]) == 3
