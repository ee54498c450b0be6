"""The health page describes the site, not the latest run.

A quick ``check`` of one file, a ``--changed-since`` run over three and an empty
run (a hook with nothing to do) after forty full audits: the site is still the
150 documents of the full audits, each as the newest run that saw it left it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkaudit.health import build_health, get_health_formatter
from linkaudit.health.compute import run_kind
from linkaudit.health.model import HealthReport, RunKind
from linkaudit.history import LinkStatus
from linkaudit.model import CheckResult, Verdict
from linkaudit.store import Store
from tests.history.helpers import article, citation
from tests.showcase import CHECK, FULL, FULL_RUNS, Showcase, build_showcase


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Showcase]:
    built = build_showcase(tmp_path_factory.mktemp("site") / "cache.sqlite")
    try:
        yield built
    finally:
        built.close()


@pytest.fixture(scope="module")
def health(showcase: Showcase) -> HealthReport:
    return build_health(showcase.store, store_name="cache.sqlite")


def test_partial_and_empty_runs_do_not_replace_the_site(
    health: HealthReport, showcase: Showcase
) -> None:
    assert health.scope.documents == 150
    assert len(health.documents) == 150
    assert health.citations == sum(len(c) for c in showcase.citations.values())
    assert health.run_id == showcase.run_ids["empty"]  # the latest run, yet not "the site"
    assert [p.run_id for p in health.scope.updates] == [
        showcase.run_ids["check"],
        showcase.run_ids["changed"],
    ]
    assert health.scope.full_runs[-1].run_id == showcase.run_ids[f"full-{FULL_RUNS - 1}"]
    text = health.scope.text()
    assert text.startswith("150 documents, as the full audits of the last 30 days saw them")
    assert f"#{showcase.run_ids['check']} (check)" in text
    assert f"#{showcase.run_ids['changed']} (--changed-since)" in text


def test_the_trend_plots_full_audits_and_no_empty_run(
    health: HealthReport, showcase: Showcase
) -> None:
    plotted = [p.run_id for p in health.runs]
    assert plotted == [showcase.run_ids[f"full-{i}"] for i in range(FULL_RUNS)]
    assert all(p.citations > 1000 for p in health.runs)


def test_changes_compare_the_latest_full_audits(health: HealthReport, showcase: Showcase) -> None:
    assert health.diff.run_id == showcase.run_ids[f"full-{FULL_RUNS - 1}"]
    assert health.diff.previous_id == showcase.run_ids[f"full-{FULL_RUNS - 2}"]
    assert not health.diff.empty


def test_the_json_says_what_it_covers(health: HealthReport, showcase: Showcase) -> None:
    data = json.loads(get_health_formatter("json").render(health))
    assert data["scope"]["documents"] == 150
    assert data["scope"]["updates"] == [
        {"id": showcase.run_ids["check"], "kind": "check"},
        {"id": showcase.run_ids["changed"], "kind": "changed"},
    ]
    assert {run["kind"] for run in data["runs"]} == {"full"}


def _record(
    store: Store, settings: dict[str, object], docs: dict[str, list[tuple[str, Verdict]]]
) -> int:
    """One run over ``docs`` (origin -> its links and their verdicts)."""
    history = store.history
    run_id = history.begin_run(["site/"], settings)
    documents = [article(origin, [], None, origin) for origin in docs]
    cites = [
        citation(origin, key, n + 1)
        for origin, links in docs.items()
        for n, (key, _) in enumerate(links)
    ]
    history.record_citations(run_id, cites, documents)
    now = store.now()
    results = {
        key: CheckResult(key, key, verdict, verdict.value, "", checked_at=now)
        for links in docs.values()
        for key, verdict in links
    }
    store.results.record(run_id, results.values())
    history.finish_run(run_id)
    return run_id


def test_a_check_updates_its_document_and_the_rest_stays(tmp_path: Path) -> None:
    clock = [datetime(2026, 5, 1, 9, tzinfo=UTC)]
    store = Store.open(tmp_path / "cache.sqlite", now=lambda: clock[0])
    try:
        a, b = "https://a.example/x", "https://b.example/y"
        fixed = "https://a.example/new"
        for _day in range(3):
            clock[0] += timedelta(days=1)
            _record(store, FULL, {"one.html": [(a, Verdict.BROKEN)], "two.html": [(b, Verdict.OK)]})
        clock[0] += timedelta(hours=1)
        check = _record(store, CHECK, {"one.html": [(fixed, Verdict.OK)]})  # the editor fixed it
        clock[0] += timedelta(hours=1)
        _record(store, {**FULL, "changed_since": "main"}, {})  # nothing changed: an empty run
        health = build_health(store)
    finally:
        store.close()
    assert [d.origin for d in health.documents] == ["one.html", "two.html"]
    assert health.citations == 2
    assert health.states[LinkStatus.ALIVE.value] == 2  # one.html now cites the fixed link
    assert health.states[LinkStatus.CONFIRMED_DEAD.value] == 0  # a is no longer cited
    assert [p.run_id for p in health.scope.updates] == [check]
    assert len(health.runs) == 3  # the full audits; not the check, not the empty run


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        ({"command": "audit"}, RunKind.FULL),
        ({}, RunKind.FULL),  # recorded before runs said their command
        ({"command": "check"}, RunKind.CHECK),
        ({"command": "fix"}, RunKind.CHECK),
        ({"command": "audit", "changed_since": "origin/main"}, RunKind.CHANGED),
    ],
)
def test_run_kinds(settings: dict[str, object], kind: RunKind) -> None:
    from linkaudit.store import RunRecord

    run = RunRecord(1, datetime(2026, 1, 1, tzinfo=UTC), None, (), settings)
    assert run_kind(run) is kind
