"""The narrowed history reads (only the URLs that can matter) agree with the full
ones: ``observations(keys)``, ``cited(run, keys)``, ``decisive_keys``,
``ever_failed``, and ``diff_runs`` with and without histories handed in."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import linkaudit.store.history as store_history
from linkaudit.history import ArchiveMark, ConfirmPolicy, LinkStatus, link_states
from linkaudit.model import Document, DocumentKind, Verdict
from linkaudit.recording import diff_runs, failing_keys
from linkaudit.store import Store
from tests.history.helpers import Clock, citation, result

DIES = "https://example.org/dies"
FLAPS = "https://example.org/flaps"
STEADY = "https://example.org/steady"
WALLED = "https://example.org/walled"
SAVED = "https://example.org/saved"
CACHED = "https://example.org/cached"  # broken, but every run after the first reuses it


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    with Store.open(tmp_path / "cache.sqlite", now=clock) as opened:
        yield opened


DAYS: dict[str, tuple[Verdict, ...]] = {
    DIES: (Verdict.OK, Verdict.BROKEN, Verdict.BROKEN, Verdict.BROKEN, Verdict.BROKEN),
    FLAPS: (Verdict.BROKEN, Verdict.OK, Verdict.STALE, Verdict.OK, Verdict.BROKEN),
    STEADY: (Verdict.OK,) * 5,
    WALLED: (Verdict.BROKEN, Verdict.BLOCKED, Verdict.BLOCKED, Verdict.OK, Verdict.UNREACHABLE),
    SAVED: (Verdict.BROKEN,) * 5,
    CACHED: (Verdict.BROKEN,) * 5,
}


def five_days(store: Store, clock: Clock) -> list[int]:
    runs: list[int] = []
    for day in range(5):
        clock.day(day + 1)
        run = store.history.begin_run(["site"], {})
        docs = ["a.html", "b.html"]
        cites = [
            citation(docs[(line + day) % 2], key, line) for line, key in enumerate(DAYS, 1)
        ] + [citation("a.html", DIES, 40, "again")]
        documents = [
            Document("", DocumentKind.HTML, d, cited_at=datetime(2020, 1, 1, tzinfo=UTC))
            for d in docs
        ]
        store.history.record_citations(run, cites, documents)
        store.results.record(
            run,
            [
                result(key, verdicts[day], clock(), from_cache=key == CACHED and day > 0)
                for key, verdicts in DAYS.items()
            ],
        )
        db = store.history
        found = day == 4
        db.record_archives(
            run,
            [
                (
                    SAVED,
                    date(2020, 1, 1),
                    ArchiveMark(
                        True,
                        "https://web.archive.org/web/2/saved" if found else None,
                        clock() if found else None,
                        "wayback" if found else None,
                    ),
                    "",
                )
            ],
        )
        store.history.finish_run(run)
        runs.append(run)
    return runs


@pytest.fixture(params=[1000, 1], ids=["looked-up", "read-whole"])
def many_keys(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of reading named keys: by lookups, and (past the limit) whole."""
    monkeypatch.setattr(store_history, "_MANY_KEYS", request.param)


@pytest.mark.usefixtures("many_keys")
def test_observations_of_keys_are_those_of_everything(store: Store, clock: Clock) -> None:
    five_days(store, clock)
    db = store.history
    everything = db.observations()
    for keys in ([], [DIES], [FLAPS, STEADY, "https://nowhere.example/"], list(DAYS)):
        narrowed = db.observations(keys)
        assert narrowed == {k: v for k, v in everything.items() if k in keys}
        assert list(narrowed) == [k for k in everything if k in keys]


@pytest.mark.usefixtures("many_keys")
def test_cited_of_keys_is_that_of_everything(store: Store, clock: Clock) -> None:
    runs = five_days(store, clock)
    db = store.history
    everything = db.cited(runs[-1])
    assert everything[DIES] == (DIES, ("a.html", "b.html"))
    for keys in ([], [DIES], [DIES, WALLED, "https://nowhere.example/"]):
        assert db.cited(runs[-1], keys) == {k: v for k, v in everything.items() if k in keys}


def test_decisive_keys_are_the_fresh_non_neutral_checks(store: Store, clock: Clock) -> None:
    runs = five_days(store, clock)
    db = store.history
    assert db.decisive_keys(runs[0]) == set(DAYS)
    assert db.decisive_keys(runs[1]) == {DIES, FLAPS, STEADY, SAVED}  # WALLED blocked
    assert db.decisive_keys(runs[4]) == {DIES, FLAPS, STEADY, SAVED}  # WALLED unreachable
    # a fresh row beats a reused one of the same run; a verdict we do not
    # know is skipped as the observation is
    run = store.history.begin_run(["x"], {})
    store.results.record(run, [result(CACHED, Verdict.OK, clock(), from_cache=True)])
    store.results.record(run, [result(STEADY, Verdict.BLOCKED, clock())])
    with sqlite3.connect(store.name) as raw:
        raw.execute(
            "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
            " run_id, from_cache) VALUES (?, ?, 'zombie', '', '', '{}', ?, ?, 0)",
            (STEADY, STEADY, clock().isoformat(), run),
        )
    assert db.decisive_keys(run) == set()
    store.results.record(run, [result(CACHED, Verdict.BROKEN, clock())])
    assert db.decisive_keys(run) == {CACHED}


def test_ever_failed_bounds_failing_keys(store: Store, clock: Clock) -> None:
    five_days(store, clock)
    db = store.history
    assert db.ever_failed() == {DIES, FLAPS, WALLED, SAVED, CACHED}
    for policy in (ConfirmPolicy(), ConfirmPolicy(runs=10, days=10), ConfirmPolicy(1, 0)):
        everything = link_states(db.observations(), policy)
        expected = {k for k, s in everything.items() if s.status is LinkStatus.FAILING}
        assert failing_keys(db, policy) == expected
    assert failing_keys(db, ConfirmPolicy(runs=10, days=10)) == {DIES, FLAPS, SAVED, CACHED}


def test_diff_runs_reads_only_what_can_change_and_says_the_same(store: Store, clock: Clock) -> None:
    runs = five_days(store, clock)
    db = store.history
    history = db.observations()
    records = {r.id: r for r in db.runs()}
    texts = []
    for policy in (ConfirmPolicy(), ConfirmPolicy(2, 1), ConfirmPolicy(1, 0)):
        for run_id in runs:
            narrowed = diff_runs(db, records[run_id], policy)
            assert narrowed == diff_runs(db, records[run_id], policy, history)
            texts.append(narrowed.text())
    last = diff_runs(db, records[runs[-1]])
    assert [c.key for c in last.newly_failing] == [FLAPS]
    assert [c.key for c in last.newly_archived] == [SAVED]
    assert last.newly_archived[0].documents == ("b.html",)
    assert "newly confirmed dead" in texts[3]  # DIES on day 4, default policy
    assert "recovered" in " ".join(texts)


def test_a_warm_run_reads_no_history(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    five_days(store, clock)
    clock.advance(hours=1)
    run = store.history.begin_run(["site"], {})
    store.history.record_citations(run, [citation("a.html", key) for key in DAYS])
    store.results.record(
        run,
        [
            result(key, v[-1], clock() - timedelta(hours=1), from_cache=True)
            for key, v in DAYS.items()
        ],
    )
    store.history.finish_run(run)
    seen: list[str] = []
    db = store.history
    real = db._query

    def spy(sql: str, params: object = ()) -> list[object]:
        seen.append(sql)
        return real(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "_query", spy)
    diff = diff_runs(db)
    assert diff.run_id == run
    assert diff.empty
    assert not any("JOIN runs" in sql or "FROM citations" in sql for sql in seen)
