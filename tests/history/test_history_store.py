"""History queries and the v3 migration (archive copies per run), fed directly.

These tests are about storage, not checking, so results go into the store as
``CheckResult`` values; the pipeline test drives the checker for real.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkaudit.history import ArchiveMark, LinkStatus, link_state
from linkaudit.model import ArchiveCopy, ArchiveLookup, Document, DocumentKind, Verdict
from linkaudit.recording import archive_marks_of, diff_latest
from linkaudit.store import SCHEMA_VERSION, Store
from linkaudit.store.history import match_key
from linkaudit.store.migrations import MIGRATIONS
from tests.history.helpers import Clock, citation, result

URL = "https://example.org/report"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / ".linkaudit" / "cache.sqlite"


@pytest.fixture
def store(db_path: Path, clock: Clock) -> Iterator[Store]:
    with Store.open(db_path, now=clock) as opened:
        yield opened


def record(store: Store, clock: Clock, verdicts: dict[str, Verdict], doc: str = "a.md") -> int:
    """One run citing each URL once, with the given verdicts."""
    run_id = store.history.begin_run([doc], {"scope": "article"})
    document = Document("", DocumentKind.MARKDOWN, doc, cited_at=datetime(2020, 6, 1, tzinfo=UTC))
    cites = [citation(doc, url, line) for line, url in enumerate(verdicts, 1)]
    store.history.record_citations(run_id, cites, [document])
    store.results.record(run_id, [result(u, v, clock()) for u, v in verdicts.items()])
    store.history.finish_run(run_id)
    return run_id


def test_reused_results_are_recorded_but_do_not_count(store: Store, clock: Clock) -> None:
    record(store, clock, {URL: Verdict.BROKEN})
    for _ in range(3):
        clock.advance(days=1)
        run_id = store.history.begin_run(["a.md"], {})
        reused = result(URL, Verdict.BROKEN, clock() - timedelta(hours=1), from_cache=True)
        store.results.record(run_id, [reused])
        store.history.finish_run(run_id)
    db = store.history
    history = db.observations()[URL]
    assert [o.reused for o in history] == [False, True, True, True]
    state = link_state(history)
    assert (state.status, state.failures) == (LinkStatus.FAILING, 1)


def test_one_result_per_run_and_fresh_wins(store: Store, clock: Clock) -> None:
    run_id = store.history.begin_run(["a.md"], {})
    store.results.record(
        run_id,
        [
            result(URL, Verdict.OK, clock(), from_cache=True),
            result(URL, Verdict.BROKEN, clock() + timedelta(seconds=1)),
        ],
    )
    store.history.finish_run(run_id)
    db = store.history
    assert db.run_results(run_id)[URL].verdict is Verdict.BROKEN
    assert [o.verdict for o in db.observations()[URL]] == [Verdict.BROKEN]


def test_interrupted_run_is_not_the_latest(store: Store, clock: Clock) -> None:
    first = record(store, clock, {URL: Verdict.OK})
    clock.advance(days=1)
    store.history.begin_run(["a.md"], {})  # killed before finishing
    db = store.history
    latest = db.latest_run()
    assert latest is not None
    assert latest.id == first


def test_newly_archived_between_runs(store: Store, clock: Clock) -> None:
    other = "https://example.org/other"
    record(store, clock, {URL: Verdict.BROKEN, other: Verdict.BROKEN})
    db = store.history
    first = db.latest_run()
    assert first is not None
    db.record_archives(first.id, [(URL, date(2020, 6, 1), ArchiveMark(True), "no capture")])
    clock.advance(days=1)
    second = record(store, clock, {URL: Verdict.BROKEN, other: Verdict.BROKEN})
    copy_url = "https://web.archive.org/web/20200601000000/https://example.org/report"
    old_copy = "https://web.archive.org/web/20100101000000/https://example.org/other"
    db = store.history
    db.record_archives(
        second,
        [
            (URL, "2020-06-01", ArchiveMark(True, copy_url, clock() - timedelta(days=5)), ""),
            # Found now, never looked for before, captured long ago: not news.
            (other, "2020-06-01", ArchiveMark(True, old_copy, datetime(2010, 1, 1)), ""),
            # A second write of "none" never hides a found copy.
            (URL, "2020-06-01", ArchiveMark(True), "no capture"),
        ],
    )
    marks = db.archive_marks(second)
    assert marks[URL].archive_url == copy_url
    assert sorted(db.known_copies()) == sorted({match_key(URL), match_key(other)})
    diff = diff_latest(store)
    assert [c.key for c in diff.newly_archived] == [URL]
    assert diff.newly_archived[0].archive_url == copy_url
    assert "1 citation newly archived" in diff.text()


def test_known_copies_include_cached_lookups(store: Store) -> None:
    copy = ArchiveCopy(
        "wayback",
        "https://web.archive.org/web/2019/https://example.org/Report#x",
        "https://example.org/Report",
        datetime(2019, 1, 1, tzinfo=UTC),
        10.0,
        True,
        200,
    )
    store.archives.put(
        "https://EXAMPLE.org/report", date(2019, 1, 10), ArchiveLookup(copy, "nearest")
    )
    store.archives.put(
        "https://example.org/none", date(2019, 1, 10), ArchiveLookup(None, "no capture")
    )
    db = store.history
    known = db.known_copies()
    assert list(known) == [match_key("https://example.org/report#frag")]
    assert known[match_key(URL)][0].captured_at == datetime(2019, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- migration


def _old_database(path: Path, version: int) -> None:
    """A store as an older linkaudit left it, with a run in it when v2 had runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path)
    try:
        for statements in MIGRATIONS[:version]:
            for statement in statements:
                raw.execute(statement)
        raw.execute(
            "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at"
            + (", run_id" if version >= 2 else "")
            + ") VALUES (?, ?, 'broken', 'http_404', 'gone', '{}', ?"
            + (", 1" if version >= 2 else "")
            + ")",
            (URL, URL, "2026-01-05T09:00:00.000000+00:00"),
        )
        if version >= 2:
            raw.execute(
                "INSERT INTO runs (id, started_at, finished_at, sources, settings) VALUES"
                " (1, '2026-01-05T09:00:00.000000+00:00', '2026-01-05T09:01:00.000000+00:00',"
                " '[\"a.md\"]', '{}')"
            )
            raw.execute(
                "INSERT INTO citations (run_id, document, key, url, kind, line, col,"
                " anchor_text) VALUES (1, 'a.md', ?, ?, 'link', 3, 1, 'the report')",
                (URL, URL),
            )
        raw.execute(f"PRAGMA user_version = {version}")
        raw.commit()
    finally:
        raw.close()


@pytest.mark.parametrize("version", [1, 2])
def test_upgrade_from_an_older_schema_keeps_history_and_a_backup(
    db_path: Path, clock: Clock, version: int
) -> None:
    assert SCHEMA_VERSION >= 3
    _old_database(db_path, version)
    with Store.open(db_path, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert any(f"bak-v{version}" in note for note in store.notes)
        db = store.history
        runs = db.runs()
        if version >= 2:
            assert [r.id for r in runs] == [1]
            history = db.observations()[URL]
            assert [(o.verdict, o.run_id) for o in history] == [(Verdict.BROKEN, 1)]
            assert db.citations(1)[0].anchor_text == "the report"
        else:
            assert runs == []  # v1 had no runs; its cached result is still there
        assert store.db.query(
            "SELECT reason FROM results WHERE key = ? ORDER BY checked_at, id", (URL,)
        )[0] == ("http_404",)
        # The new table works on the upgraded file.
        run_id = store.history.begin_run(["a.md"], {})
        db.record_archives(run_id, [(URL, "2026-01-05", ArchiveMark(True), "no capture")])
        assert db.archive_marks(run_id) == {URL: ArchiveMark(True)}
    backup = db_path.with_name(f"cache.sqlite.bak-v{version}")
    kept = sqlite3.connect(backup)
    try:
        assert kept.execute("PRAGMA user_version").fetchone()[0] == version
        tables = {r[0] for r in kept.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "run_archives" not in tables
    finally:
        kept.close()


def test_archive_marks_of_findings_and_saves() -> None:
    from linkaudit.archive.save import SaveOutcome, SaveStatus
    from linkaudit.model import Finding

    captured = datetime(2020, 5, 30, tzinfo=UTC)
    copy = ArchiveCopy("wayback", "https://web.archive.org/web/1/x", URL, captured, 2.0, True)
    found = Finding(citation("a.md", URL), Verdict.BROKEN, "http_404", "", archive=copy)
    none = Finding(
        citation("a.md", "https://example.org/b", 2),
        Verdict.BROKEN,
        "http_404",
        "",
        archive_note="no capture in any archive asked",
    )
    live = Finding(citation("a.md", "https://example.org/live#part", 3), Verdict.OK, "ok", "")
    saved_at = datetime(2026, 3, 2, tzinfo=UTC)
    saves = [
        SaveOutcome(
            "https://example.org/live",
            SaveStatus.SAVED,
            "https://web.archive.org/2/y",
            "",
            saved_at,
        ),
        SaveOutcome("https://example.org/other", SaveStatus.FAILED, None, "refused"),
    ]
    marks = archive_marks_of([found, none, live], {"a.md": date(2020, 6, 1)}, saves)
    by_key = {key: (day, mark, note) for key, day, mark, note in marks}
    assert by_key[URL][1] == ArchiveMark(True, copy.url, captured, "wayback")
    assert by_key["https://example.org/b"][1] == ArchiveMark(True)
    assert by_key["https://example.org/live#part"] == (
        date(2020, 6, 1),
        ArchiveMark(True, "https://web.archive.org/2/y", saved_at, "wayback"),
        "saved",
    )
    assert len(marks) == 3  # the live link was not looked up; only its save counts


def test_documents_without_a_date_are_their_own_year(store: Store, clock: Clock) -> None:
    from linkaudit.health import build_health

    run_id = store.history.begin_run(["a.md"], {})
    store.history.record_citations(
        run_id,
        [citation("a.md", URL)],
        [Document("", DocumentKind.MARKDOWN, "a.md")],
    )
    store.results.record(run_id, [result(URL, Verdict.OK, clock())])
    store.history.finish_run(run_id)
    copy = ArchiveCopy("wayback", "https://web.archive.org/web/3/x", URL, clock(), 0.0, True)
    store.archives.put(URL, clock().date(), ArchiveLookup(copy, "nearest"))
    health = build_health(store)
    assert [y.year for y in health.rot_by_year] == ["unknown"]
    # With no citation date, coverage aims at the run's own day.
    assert (health.coverage.considered, health.coverage.near) == (1, 1)
    assert health.documents[0].cited_at is None
