"""Several runs over days of the real pipeline against a loopback site whose links
die, flap, hide behind a bot wall and recover; the store's history must tell a
confirmed death from a bad day."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from linkaudit.history import LinkStatus, link_states
from linkaudit.recording import diff_latest
from linkaudit.store import CitationRow
from tests.history.scenario import DEAD_HOST_URL, MID, NEW, OLD, Scenario


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    with Scenario(tmp_path / ".linkaudit" / "cache.sqlite") as built:
        yield built


def statuses(scenario: Scenario) -> dict[str, LinkStatus]:
    """Each path's (and the dead host's) standing now."""
    db = scenario.store.history
    states = link_states(db.observations())
    names = {scenario.key(p): p for p in ("/steady", "/dies", "/flaps", "/recovers", "/walled")}
    names[DEAD_HOST_URL] = "nxdomain"
    return {names[k]: s.status for k, s in states.items() if k in names}


def changed(diff_list: tuple[object, ...], scenario: Scenario) -> list[str]:
    out = []
    for change in diff_list:
        key = change.key  # type: ignore[attr-defined]
        out.append("nxdomain" if key == DEAD_HOST_URL else key.rsplit("/", 1)[1])
    return sorted(out)


def test_deaths_are_confirmed_only_after_three_runs_over_three_days(scenario: Scenario) -> None:
    # Day 1: everything but /steady fails once: failing, nothing confirmed.
    diff = scenario.run_day(1)
    assert diff.previous_id is None
    assert statuses(scenario) == {
        "/steady": LinkStatus.ALIVE,
        "/dies": LinkStatus.FAILING,
        "/flaps": LinkStatus.FAILING,
        "/recovers": LinkStatus.FAILING,
        "/walled": LinkStatus.FAILING,
        "nxdomain": LinkStatus.FAILING,
    }

    # Day 2: /flaps answers again; /walled is behind a 403 (neither death nor life).
    diff = scenario.run_day(2)
    assert changed(diff.recovered, scenario) == ["flaps"]
    assert diff.newly_failing == diff.newly_confirmed_dead == ()
    now = statuses(scenario)
    assert now["/dies"] is LinkStatus.FAILING
    assert now["/walled"] is LinkStatus.FAILING
    assert now["/flaps"] is LinkStatus.ALIVE

    # Day 4: three failed runs over three days: /dies and the NXDOMAIN host are
    # confirmed dead; /walled has only two real failures; /recovers is back.
    diff = scenario.run_day(4)
    assert changed(diff.newly_confirmed_dead, scenario) == ["dies", "nxdomain"]
    assert changed(diff.newly_failing, scenario) == ["flaps"]
    assert changed(diff.recovered, scenario) == ["recovers"]
    now = statuses(scenario)
    assert now["/walled"] is LinkStatus.FAILING
    assert now["/recovers"] is LinkStatus.ALIVE
    db = scenario.store.history
    dies = link_states(db.observations([scenario.key("/dies")]))[scenario.key("/dies")]
    assert dies.since == scenario.clock.now.replace(day=2)  # failing since day 1 (2 March)
    assert dies.failures == 3

    # Day 5: the third real failure of /walled, four days after its first.
    diff = scenario.run_day(5)
    assert changed(diff.newly_confirmed_dead, scenario) == ["walled"]
    assert changed(diff.recovered, scenario) == ["flaps"]

    # Day 6: /flaps fails again, and is still only failing.
    diff = scenario.run_day(6)
    assert changed(diff.newly_failing, scenario) == ["flaps"]
    assert diff.newly_confirmed_dead == ()
    final = statuses(scenario)
    assert final == {
        "/steady": LinkStatus.ALIVE,
        "/dies": LinkStatus.CONFIRMED_DEAD,
        "/flaps": LinkStatus.FAILING,
        "/recovers": LinkStatus.ALIVE,
        "/walled": LinkStatus.CONFIRMED_DEAD,
        "nxdomain": LinkStatus.CONFIRMED_DEAD,
    }
    assert "1 link newly failing" in diff.text()


def test_history_queries_see_every_run(scenario: Scenario) -> None:
    for day in (1, 2, 4):
        scenario.run_day(day)
    db = scenario.store.history
    runs = db.runs()
    assert [r.id for r in runs] == [scenario.run_ids[d] for d in (1, 2, 4)]
    assert all(r.finished_at is not None for r in runs)
    latest = db.latest_run()
    assert latest is not None
    assert latest.id == scenario.run_ids[4]
    assert db.previous_run(latest) == runs[1]
    # Citations per document per run, lost links included.
    by_doc: dict[str, list[CitationRow]] = {}
    for row in db.citations(latest.id):
        by_doc.setdefault(row.document, []).append(row)
    assert sorted(by_doc) == [OLD, MID, NEW]
    assert [c.verdict.value if c.verdict else None for c in by_doc[OLD]][-1] == "lost"
    assert len(by_doc[MID]) == 3
    # Results per URL per run, timed by the run.
    history = db.observations([scenario.key("/walled")])[scenario.key("/walled")]
    assert [o.verdict.value for o in history] == ["broken", "blocked", "broken"]
    assert [o.run_id for o in history] == [r.id for r in runs]
    assert [o.at for o in history] == [r.started_at for r in runs]
    results = db.run_results(runs[1].id)
    assert results[scenario.key("/walled")].reason == "forbidden"
    # Documents keep their citation dates.
    docs = {d.origin: d for d in db.documents(latest.id)}
    cited_at = docs[OLD].cited_at
    assert cited_at is not None
    assert cited_at.year == 2019
    # Nothing was looked up in archives (archive=None), so nothing is recorded.
    assert db.archive_marks(latest.id) == {}


def test_diff_latest_on_an_empty_store(scenario: Scenario) -> None:
    diff = diff_latest(scenario.store)
    assert diff.run_id is None
    assert diff.text() == "No runs recorded yet."


def test_failing_links_are_rechecked_not_reused(tmp_path: Path) -> None:
    """With the store as the run's cache, a 404 younger than --max-age would be
    reused (and a reused result is no new observation); RecheckFailing makes the
    next run check failing URLs for real while still reusing the rest."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from linkaudit.check import CheckOptions
    from linkaudit.pipeline import AuditOptions, Services, audit_documents
    from linkaudit.recording import RecheckFailing, failing_keys, record_audit
    from linkaudit.store import CachePolicy, ResultCache

    with Scenario(tmp_path / "cache.sqlite") as sc:
        sc.site.set("/dies", "dead")
        docs = sc.documents()[:1]
        options = AuditOptions(archive=None, check=CheckOptions(max_retries=0))

        def run(cache: ResultCache) -> None:
            services = Services(resolver=sc.resolver, cache=cache, clock=sc.clock)
            audit = asyncio.run(audit_documents(docs, options, services))
            record_audit(sc.store, audit, sources=["posts/"])

        # The engine stamps results with the real time; start the run clock there so
        # the cache's age rules see the same time line (nothing sleeps).
        sc.clock.now = datetime.now(UTC)
        # Two days' reuse for broken results: the runs below span up to 25 hours of
        # the run clock (to the next midnight, then an hour), and a check stamped
        # with the real time must stay reusable whatever the time of day (with the
        # default day, this test failed when run in the first hour after midnight).
        sc.store.results.policy = CachePolicy(max_age=timedelta(days=2))
        stats = sc.site.site.stats
        run(sc.store.results)
        dies, steady = stats.count("/dies"), stats.count("/steady")
        # just past the next midnight: a new calendar day, yet within the cache's
        # one-day age for broken results
        start = sc.clock()
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        step = (midnight - start) + timedelta(minutes=1)
        sc.clock.advance(seconds=step.total_seconds())
        db = sc.store.history
        failing = failing_keys(db)
        assert sc.key("/dies") in failing
        assert sc.key("/steady") not in failing
        # the same calendar day as the 404: a re-check would add no new day, so reuse
        later = sc.clock()
        stored = sc.store.results.get(sc.key("/dies"))
        assert stored is not None
        assert stored.checked_at is not None
        sc.clock.now = stored.checked_at  # the moment of the 404: the same calendar day
        same_day = RecheckFailing(sc.store.results, failing)
        assert same_day.get(sc.key("/dies")) is not None
        sc.clock.now = later
        run(RecheckFailing(sc.store.results, failing))
        assert stats.count("/dies") > dies  # a new day: checked again, for real
        assert stats.count("/steady") == steady  # reused as usual
        # Without the wrapper the cache answers, and the run adds no observation.
        dies = stats.count("/dies")
        sc.clock.advance(hours=1)
        run(sc.store.results)
        assert stats.count("/dies") == dies
        db = sc.store.history
        history = db.observations([sc.key("/dies")])[sc.key("/dies")]
        assert [o.reused for o in history] == [False, False, True]
        assert history[1].at - history[0].at == step
        assert link_states({"k": history})["k"].failures == 2
