"""The cache: round trips, the reuse policy, archive lookups and run history."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import T0, Clock, full_result, make_result, recorded_rows, stored_results

from linkaudit.model import (
    ArchiveCopy,
    ArchiveLookup,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Verdict,
)
from linkaudit.store import SCHEMA_VERSION, CachePolicy, ResultCache, Store, is_transient
from linkaudit.store.base import ArchiveCache
from linkaudit.store.codec import load_json


def test_open_creates_directories_and_uses_wal(db_path: Path, clock: Clock) -> None:
    assert not db_path.parent.exists()
    with Store.open(db_path, now=clock) as store:
        assert db_path.is_file()
        assert store.db.query_one("PRAGMA journal_mode") == ("wal",)
        assert store.schema_version == SCHEMA_VERSION
        assert store.warnings == []
        assert store.notes == []  # a fresh file is not an "upgrade"
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"results", "archive_lookups", "runs", "citations", "documents"} <= tables
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"results_key", "results_run", "citations_key", "citations_run_document"} <= indexes
        plan = " ".join(
            str(r[3])
            for r in raw.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM results WHERE key = ?"
                " ORDER BY checked_at DESC, id DESC LIMIT 1",
                ("x",),
            )
        )
        assert "results_key" in plan
    finally:
        raw.close()


def test_store_satisfies_the_protocols(store: Store) -> None:
    cache: ResultCache = store.results
    archive: ArchiveCache = store.archives
    assert cache.get("https://nothing.example/") is None
    assert archive.get("https://nothing.example/", date(2020, 1, 1)) is None


def test_round_trip_keeps_every_field(store: Store) -> None:
    original = full_result()
    store.results.put(original)
    got = store.results.get(original.key)
    assert got == dataclasses.replace(original, from_cache=True)
    assert got is not None
    assert got.checked_at == T0
    assert got.checked_at.tzinfo is not None
    assert got.chain[0].method == "HEAD"
    assert got.retry_after == T0 + timedelta(seconds=90, microseconds=5)


def test_evidence_the_fast_decoder_refuses_still_round_trips(store: Store) -> None:
    """orjson reads the evidence of a warm run's reused results; a lone surrogate
    (escaped in the stored ASCII JSON) is beyond it and must still come back."""
    odd = dataclasses.replace(
        full_result(), final_url="https://x.example/\ud800", notes=("\udfff",)
    )
    store.results.put(odd)
    assert store.results.get(odd.key) == dataclasses.replace(odd, from_cache=True)
    with pytest.raises(ValueError, match="property name"):
        load_json("{not json")


def test_round_trip_survives_reopen(db_path: Path, clock: Clock) -> None:
    with Store.open(db_path, now=clock) as store:
        store.results.put(full_result())
    with Store.open(db_path, now=clock) as store:
        assert store.results.get(full_result().key) == dataclasses.replace(
            full_result(), from_cache=True
        )


def test_naive_and_other_timezones_are_utc(store: Store) -> None:
    from datetime import timezone

    plus2 = timezone(timedelta(hours=2))
    store.results.put(make_result("k1", checked_at=T0.astimezone(plus2)))
    store.results.put(make_result("k2", checked_at=T0.replace(tzinfo=None)))
    for key in ("k1", "k2"):
        got = store.results.get(key)
        assert got is not None
        assert got.checked_at == T0
        assert got.checked_at.tzinfo == UTC


def test_missing_checked_at_uses_the_clock(store: Store, clock: Clock) -> None:
    store.results.put(make_result("k", checked_at=None))
    got = store.results.get("k")
    assert got is not None
    assert got.checked_at == clock.now


def test_latest_result_wins(store: Store, clock: Clock) -> None:
    store.results.put(make_result("k", Verdict.BROKEN, "http_404", checked_at=T0))
    clock.advance(hours=1)
    store.results.put(make_result("k", Verdict.OK, "http_200", checked_at=clock.now))
    got = store.results.get("k")
    assert got is not None
    assert got.verdict is Verdict.OK
    # Without history, the cache keeps one row per URL.
    assert len(stored_results(store, "k")) == 1


def test_putting_a_cached_result_back_is_a_no_op(store: Store) -> None:
    store.results.put(make_result("k"))
    cached = store.results.get("k")
    assert cached is not None
    store.results.put(cached)
    store.results.put_many([cached])
    assert len(stored_results(store, "k")) == 1


@pytest.mark.parametrize(
    ("verdict", "reason", "fresh_for"),
    [
        (Verdict.OK, "http_200", timedelta(days=7)),
        (Verdict.MOVED, "permanent_redirect", timedelta(days=7)),
        (Verdict.BROKEN, "http_404", timedelta(days=1)),
        (Verdict.STALE, "soft_404", timedelta(days=1)),
        (Verdict.BLOCKED, "bot_challenge", timedelta(days=1)),
        (Verdict.INSECURE, "tls_expired", timedelta(days=1)),
        (Verdict.FRAGMENT_MISSING, "fragment_missing", timedelta(days=1)),
    ],
)
def test_definitive_results_reused_within_their_age(
    store: Store, clock: Clock, verdict: Verdict, reason: str, fresh_for: timedelta
) -> None:
    store.results.put(make_result("k", verdict, reason, checked_at=clock.now))
    assert store.results.get("k") is not None
    clock.now = T0 + fresh_for - timedelta(seconds=1)
    got = store.results.get("k")
    assert got is not None
    assert got.from_cache
    assert got.verdict is verdict
    clock.now = T0 + fresh_for
    assert store.results.get("k") is None


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (Verdict.UNREACHABLE, "timeout"),
        (Verdict.UNREACHABLE, "dns_temporary"),
        (Verdict.BLOCKED, "rate_limited"),
    ],
)
def test_transient_results_never_reused(
    store: Store, clock: Clock, verdict: Verdict, reason: str
) -> None:
    result = make_result("k", verdict, reason, checked_at=clock.now)
    assert is_transient(result)
    store.results.put(result)
    assert store.results.get("k") is None
    # Stored all the same: history wants to know.
    assert [r.verdict for _, r in stored_results(store, "k")] == [verdict]


def test_transient_latest_hides_older_definitive(store: Store, clock: Clock) -> None:
    run = store.history.begin_run(["a.html"], {})
    store.results.record(run, [make_result("k", Verdict.OK, "http_200", checked_at=T0)])
    clock.advance(minutes=5)
    store.results.put(make_result("k", Verdict.UNREACHABLE, "timeout", checked_at=clock.now))
    assert store.results.get("k") is None


def test_result_from_the_future_is_not_trusted(store: Store, clock: Clock) -> None:
    store.results.put(make_result("k", Verdict.OK, "http_200", checked_at=T0 + timedelta(hours=1)))
    assert store.results.get("k") is None


def test_custom_policy_and_zero_age(db_path: Path, clock: Clock) -> None:
    policy = CachePolicy(max_age=timedelta(hours=2), max_age_ok=timedelta(0))
    with Store.open(db_path, now=clock, policy=policy) as store:
        store.results.put(make_result("ok", Verdict.OK, "http_200"))
        store.results.put(make_result("gone", Verdict.BROKEN, "http_410"))
        assert store.results.get("ok") is None  # zero age: never reuse
        clock.advance(hours=1, minutes=59)
        assert store.results.get("gone") is not None
        clock.advance(minutes=1)
        assert store.results.get("gone") is None


def test_unknown_verdict_from_newer_version_is_a_miss(store: Store, db_path: Path) -> None:
    store.results.put(make_result("k"))
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE results SET verdict = 'zombie'")
    raw.commit()
    raw.close()
    assert store.results.get("k") is None


# --------------------------------------------------------------------------- archive


def a_copy() -> ArchiveCopy:
    return ArchiveCopy(
        archive="wayback",
        url="https://web.archive.org/web/20200101000000/https://example.org/a",
        original_url="https://example.org/a",
        captured_at=datetime(2020, 1, 1, tzinfo=UTC),
        distance_days=3.5,
        before=True,
        status=200,
    )


def test_archive_lookup_round_trip_and_ages(store: Store, clock: Clock) -> None:
    store.archives.put(
        "https://example.org/a", "2020-01-04", ArchiveLookup(a_copy(), "wayback capture")
    )
    store.archives.put("https://example.org/b", date(2020, 1, 4), ArchiveLookup(None, "no capture"))
    assert store.archives.get("https://example.org/a", date(2020, 1, 4)) == ArchiveLookup(
        a_copy(), "wayback capture"
    )
    assert store.archives.get("https://example.org/b", "2020-01-04") == ArchiveLookup(
        None, "no capture"
    )
    assert store.archives.get("https://example.org/a", "2020-01-05") is None  # other day
    clock.advance(days=1)
    assert store.archives.get("https://example.org/b", "2020-01-04") is None  # none: 1 day
    assert store.archives.get("https://example.org/a", "2020-01-04") is not None
    clock.advance(days=29)
    assert store.archives.get("https://example.org/a", "2020-01-04") is None  # found: 30 days


def test_archive_put_replaces(store: Store, clock: Clock) -> None:
    store.archives.put("u", "2020-01-04", ArchiveLookup(None, "no capture"))
    clock.advance(hours=2)
    store.archives.put("u", "2020-01-04", ArchiveLookup(a_copy(), "found later"))
    assert store.archives.get("u", "2020-01-04") == ArchiveLookup(a_copy(), "found later")


def test_archive_cache_adapter(store: Store) -> None:
    cache = store.archives
    day = date(2020, 1, 4)
    cache.put("u", day, ArchiveLookup(a_copy(), "note", tried=("cdx", "timegate")))
    cache.put("t", day, ArchiveLookup(None, "429 from CDX", transient=True))
    assert cache.get("u", day) == ArchiveLookup(a_copy(), "note", tried=("cdx", "timegate"))
    assert cache.get("t", day) is None  # errors are not cached


# --------------------------------------------------------------------------- history


def citation(doc: str, key: str | None, line: int, text: str) -> Citation:
    return Citation(
        document=doc,
        kind=CitationKind.LINK if key else CitationKind.LOST,
        url_as_written=key,
        url=key,
        key=key,
        text=text,
        context=f"... {text} ...",
        location=Location(line, 3),
        element="a",
        attribute="href",
        verdict=None if key else Verdict.LOST,
        reason="" if key else "href_stripped",
    )


def test_run_history(store: Store, clock: Clock, db_path: Path) -> None:
    settings = {"fail_on": ["broken"], "hosts": {"a.org": {"headers": {"T": "***"}}}}
    run = store.history.begin_run(["posts/", "https://site.example/feed"], settings)
    fresh = make_result("https://a.org/x", Verdict.BROKEN, "http_404", checked_at=clock.now)
    store.results.put(fresh)  # the engine caches as it goes...
    earlier = make_result("https://b.org/y", Verdict.OK, "http_200", checked_at=T0)
    reused = dataclasses.replace(earlier, from_cache=True)
    unput = make_result("https://c.org/z", Verdict.STALE, "soft_404", checked_at=clock.now)
    store.results.record(run, [fresh, reused, unput])  # ...the run records at the end
    docs = [
        Document(
            text="",
            kind=DocumentKind.HTML,
            origin="posts/a.html",
            title="A",
            cited_at=datetime(2019, 5, 1, tzinfo=UTC),
        )
    ]
    store.history.record_citations(
        run,
        [
            citation("posts/a.html", "https://a.org/x", 10, "the study"),
            citation("posts/a.html", None, 12, "floated the idea"),
        ],
        docs,
    )
    clock.advance(minutes=3)
    store.history.finish_run(run)

    (record,) = store.history.runs()
    assert record.id == run
    assert record.started_at == T0
    assert record.finished_at == T0 + timedelta(minutes=3)
    assert record.sources == ("posts/", "https://site.example/feed")
    assert record.settings == settings
    got = recorded_rows(store, run)
    assert [(r.key, r.verdict, r.from_cache) for r in got] == [
        ("https://a.org/x", Verdict.BROKEN, False),  # claimed, not duplicated
        ("https://b.org/y", Verdict.OK, True),
        ("https://c.org/z", Verdict.STALE, False),
    ]
    assert len(stored_results(store, "https://a.org/x")) == 1
    assert [(c.document, c.key, c.line, c.anchor_text) for c in store.history.citations(run)] == [
        ("posts/a.html", "https://a.org/x", 10, "the study"),
        ("posts/a.html", None, 12, "floated the idea"),
    ]
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT origin, title, cited_at FROM documents").fetchall() == [
            ("posts/a.html", "A", "2019-05-01T00:00:00.000000+00:00")
        ]
        assert raw.execute(
            "SELECT verdict, reason FROM citations WHERE key IS NULL"
        ).fetchone() == (
            "lost",
            "href_stripped",
        )
    finally:
        raw.close()


def test_history_survives_cache_supersession(store: Store, clock: Clock) -> None:
    """Results a run recorded are history: later cache puts never delete them."""
    for verdict in (Verdict.BROKEN, Verdict.BROKEN, Verdict.OK):
        run = store.history.begin_run(["a"], {})
        result = make_result("k", verdict, "x", checked_at=clock.now)
        store.results.put(result)
        store.results.record(run, [result])
        store.history.finish_run(run)
        clock.advance(days=1)
    store.results.put(make_result("k", Verdict.BROKEN, "x", checked_at=clock.now))
    history = stored_results(store, "k")
    assert [(run_id, r.verdict) for run_id, r in history] == [
        (1, Verdict.BROKEN),
        (2, Verdict.BROKEN),
        (3, Verdict.OK),
        (None, Verdict.BROKEN),
    ]


def test_interrupted_run_has_no_finish(store: Store) -> None:
    store.history.begin_run(["a"], {})
    assert store.history.runs()[0].finished_at is None


def test_settings_json_round_trips_odd_values(store: Store) -> None:
    run = store.history.begin_run(["a"], {"path": Path("/x"), "when": T0, "verdict": Verdict.OK})
    assert store.history.runs()[0].settings == {
        "path": "/x",
        "when": "2026-03-01T12:00:00Z",
        "verdict": "ok",
    }
    assert json.dumps(store.history.runs()[0].settings)
    assert run == 1


def test_busy_timeout_is_set(store: Store) -> None:
    assert store.db.query_one("PRAGMA busy_timeout") == (30_000,)


def test_threads_share_one_store(store: Store, clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(n: int) -> int:
        for i in range(50):
            store.results.put(make_result(f"t{n}-{i}", checked_at=clock.now))
            assert store.results.get(f"t{n}-{i}") is not None
        return n

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sorted(pool.map(work, range(4))) == [0, 1, 2, 3]
    assert store.warnings == []
