"""The store's bulk paths answer and write exactly what the one-at-a-time paths do:
``snapshot`` versus ``get``, reused results recorded from their stored
rows, batched document reports, and the remembered directories of ``document_key``."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import T0, Clock, full_result, make_result, recorded_rows

import linkaudit.store.reports as store_reports
from linkaudit.model import CheckResult, Verdict
from linkaudit.recording import RecheckFailing
from linkaudit.store import Store, document_key
from linkaudit.store.reports import DocumentReport

ROWS = (
    "SELECT key, url, verdict, reason, detail, evidence, checked_at, run_id, from_cache"
    " FROM results ORDER BY id"
)


def rows(db_path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as raw:
        return raw.execute(ROWS).fetchall()


def fill(store: Store, clock: Clock) -> list[str]:
    """Keys in every state ``get`` distinguishes; returns them plus one never stored."""
    store.results.put(full_result())  # moved, a full chain: reusable for a week
    store.results.put(
        make_result("https://a.example/ok", Verdict.OK, "http_200", checked_at=clock.now)
    )
    store.results.put(
        make_result("https://a.example/old", checked_at=clock.now - timedelta(days=2))
    )
    store.results.put(
        make_result("https://a.example/future", checked_at=clock.now + timedelta(hours=1))
    )
    # a transient latest result hides an older definitive one
    run = store.history.begin_run(["x"], {})
    store.results.record(
        run, [make_result("https://a.example/hidden", checked_at=clock.now - timedelta(hours=2))]
    )
    store.results.put(
        make_result(
            "https://a.example/hidden",
            Verdict.UNREACHABLE,
            "timeout",
            checked_at=clock.now - timedelta(hours=1),
        )
    )
    # a newer definitive result beats an older one; ties go to the later row
    for reason in ("first", "second"):
        run = store.history.begin_run(["x"], {})
        store.results.record(
            run, [make_result("https://a.example/twice", reason=reason, checked_at=clock.now)]
        )
    with sqlite3.connect(store.name) as raw:  # a verdict from a newer linkaudit
        raw.execute(
            "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at)"
            " VALUES ('https://a.example/zombie', 'u', 'zombie', '', '', '{}', ?)",
            (clock.now.isoformat(),),
        )
    return [
        full_result().key,
        "https://a.example/ok",
        "https://a.example/old",
        "https://a.example/future",
        "https://a.example/hidden",
        "https://a.example/twice",
        "https://a.example/zombie",
        "https://a.example/never",
    ]


def test_snapshots_answer_as_get(store: Store, clock: Clock) -> None:
    keys = fill(store, clock)
    expected = {key: store.results.get(key) for key in keys}
    assert expected[full_result().key] == dataclasses.replace(full_result(), from_cache=True)
    assert expected["https://a.example/twice"] is not None
    assert expected["https://a.example/twice"].reason == "second"
    assert [k for k, v in expected.items() if v is None] == [
        "https://a.example/old",
        "https://a.example/future",
        "https://a.example/hidden",
        "https://a.example/zombie",
        "https://a.example/never",
    ]
    for snapshot in (store.results.snapshot(), store.results.snapshot(keys)):
        assert snapshot is not None
        assert {key: snapshot.get(key) for key in keys} == expected
    empty = store.results.snapshot([])
    assert empty is not None
    assert len(empty) == 0


def test_a_snapshot_of_named_keys_reads_them_in_chunks(store: Store, clock: Clock) -> None:
    """More keys than one query takes (500): every chunk is read."""
    keys = [f"https://bulk.example/{i:04d}" for i in range(1203)]
    store.results.put_many(
        make_result(k, Verdict.OK, "http_200", checked_at=clock.now) for k in keys
    )
    snapshot = store.results.snapshot([*keys, "https://bulk.example/missing"])
    assert snapshot is not None
    assert len(snapshot) == len(keys)
    assert "https://bulk.example/missing" not in snapshot
    for key in keys:
        got = snapshot.get(key)
        assert got is not None
        assert got.from_cache
        assert got.key == key


def test_snapshot_is_policy_checked_when_asked(store: Store, clock: Clock) -> None:
    store.results.put(make_result("https://a.example/x", checked_at=clock.now))
    snapshot = store.results.snapshot()
    assert snapshot is not None
    assert "https://a.example/x" in snapshot
    assert len(snapshot) == 1
    clock.advance(days=2)  # past max_age: the snapshot says what get says now
    assert snapshot.get("https://a.example/x") is None
    assert store.results.get("https://a.example/x") is None


def test_recheck_failing_reads_one_snapshot_and_sees_its_own_puts(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = fill(store, clock)
    expected = {key: store.results.get(key) for key in keys}
    cache = RecheckFailing(store.results, [])
    calls: list[str] = []
    real_get = store.results.get

    def counting_get(key: str) -> CheckResult | None:
        calls.append(key)
        return real_get(key)

    monkeypatch.setattr(store.results, "get", counting_get)
    assert {key: cache.get(key) for key in keys} == expected
    assert calls == []  # all from the snapshot
    fresh = make_result("https://a.example/old", Verdict.OK, "http_200", checked_at=clock.now)
    cache.put(fresh)
    assert cache.get("https://a.example/old") == dataclasses.replace(fresh, from_cache=True)
    assert calls == ["https://a.example/old"]


def test_recheck_failing_still_refuses_yesterdays_failures(store: Store, clock: Clock) -> None:
    store.results.put(make_result("https://a.example/dying", checked_at=clock.now))
    clock.advance(hours=23)  # the next day, still within max_age
    cache = RecheckFailing(store.results, ["https://a.example/dying"])
    assert store.results.get("https://a.example/dying") is not None
    assert cache.get("https://a.example/dying") is None


def test_reused_results_are_recorded_from_their_stored_rows(
    store: Store, clock: Clock, db_path: Path
) -> None:
    """Handed-out results are copied from their rows; anything else (a result the
    caller changed, one never handed out, fresh ones) is encoded as before; the
    order given is the order recorded."""
    store.results.put(full_result())
    store.results.put(make_result("https://a.example/changed", Verdict.BLOCKED, checked_at=T0))
    store.results.put(make_result("https://a.example/claimed", checked_at=clock.now))
    served = store.results.get(full_result().key)
    changed = store.results.get("https://a.example/changed")
    assert served is not None
    assert changed is not None
    accepted = dataclasses.replace(changed, verdict=Verdict.OK, reason="accepted_status")
    never_served = make_result("https://a.example/elsewhere", checked_at=T0, from_cache=True)
    run = store.history.begin_run(["x"], {})
    store.results.record(
        run,
        [
            make_result("https://a.example/unput", checked_at=clock.now),
            dataclasses.replace(served, from_cache=True),
            accepted,
            make_result("https://a.example/claimed", checked_at=clock.now),
            never_served,
        ],
    )
    got = recorded_rows(store, run)
    assert [(r.key, r.verdict, r.from_cache) for r in got] == [
        ("https://a.example/claimed", Verdict.BROKEN, False),  # claimed: its put's row
        ("https://a.example/unput", Verdict.BROKEN, False),
        (full_result().key, Verdict.MOVED, True),
        ("https://a.example/changed", Verdict.OK, True),
        ("https://a.example/elsewhere", Verdict.BROKEN, True),
    ]
    assert got[2] == dataclasses.replace(full_result(), from_cache=True)
    assert got[3] == accepted
    assert got[4] == never_served
    table = rows(db_path)
    source = next(r for r in table if r[0] == full_result().key and r[7] is None)
    copy = next(r for r in table if r[0] == full_result().key and r[7] == run)
    assert copy[:7] == source[:7]
    assert copy[8] == 1


def test_a_superseded_row_still_records_its_reuse(store: Store, clock: Clock) -> None:
    """A bare put may delete the row a result was read from before the run records
    it: the reuse is recorded all the same."""
    store.results.put(make_result("https://a.example/x", checked_at=T0))
    served = store.results.get("https://a.example/x")
    assert served is not None
    store.results.put(
        make_result("https://a.example/x", Verdict.OK, "http_200", checked_at=clock.now)
    )
    run = store.history.begin_run(["x"], {})
    store.results.record(run, [served])
    assert recorded_rows(store, run) == [served]


def test_batched_reports_equal_single_ones(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = [
        (f"/docs/{i}.html", f"sha{i}" if i % 3 else None, "x" * (100 + i)) for i in range(25)
    ]

    def table(store: Store) -> list[tuple[object, ...]]:
        with sqlite3.connect(store.name) as raw:
            return raw.execute(
                "SELECT run_id, document, sha256, report, created_at FROM document_reports"
                " ORDER BY run_id, document"
            ).fetchall()

    with Store.open(tmp_path / "one.sqlite", now=clock) as one:
        run = one.history.begin_run(["x"], {})
        for document, sha, text in reports:
            one.reports.record(run, [DocumentReport(document, sha, text)])
        singles = table(one)
    monkeypatch.setattr(store_reports, "_REPORT_BATCH_CHARS", 1000)  # several transactions
    with Store.open(tmp_path / "many.sqlite", now=clock) as many:
        run = many.history.begin_run(["x"], {})
        other = sqlite3.connect(many.name, timeout=0.1, isolation_level=None)

        def produce() -> Iterator[DocumentReport]:
            for report in reports:
                # never asked for while the store holds the write lock
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                yield DocumentReport(*report)

        try:
            many.reports.record(run, produce())
        finally:
            other.close()
        assert table(many) == singles
        assert many.reports.latest("/docs/7.html", timedelta(days=1)) == (
            "x" * 107,
            "sha7",
        )


def test_only_the_newest_report_of_each_document_is_kept(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_reports, "_REPORT_BATCH_CHARS", 50)  # several transactions
    with Store.open(tmp_path / "weekly.sqlite", now=clock) as store:
        for week in range(4):
            run = store.history.begin_run(["site"], {})
            audited = [f"/docs/{i}.html" for i in range(6) if week < 2 or i % 2 == 0]
            store.reports.record(
                run,
                (DocumentReport(doc, f"sha-{week}", f"week {week} of {doc}") for doc in audited),
            )
            clock.advance(days=7)
        with sqlite3.connect(store.name) as raw:
            rows = raw.execute(
                "SELECT document, report FROM document_reports ORDER BY document"
            ).fetchall()
        assert rows == [
            (f"/docs/{i}.html", f"week {3 if i % 2 == 0 else 1} of /docs/{i}.html")
            for i in range(6)
        ]  # one row per document: the newest, even when it was not audited last time
        assert store.reports.latest("/docs/1.html", timedelta(days=30)) == (
            "week 1 of /docs/1.html",
            "sha-1",
        )


# --------------------------------------------------------------------------- document_key


def resolved(origin: str) -> str:
    """document_key as it was: the general way, for every path."""
    path = Path(origin)
    try:
        if "://" not in origin and path.is_file():
            return str(path.resolve())
    except OSError:
        pass
    return origin


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for folder in ("real/a", "real/b", "other"):
        (tmp_path / folder).mkdir(parents=True)
    for name in ("real/a/one.html", "real/b/one.html", "other/one.html", "top.md"):
        (tmp_path / name).write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real" / "a")
    (tmp_path / "real" / "a" / "alias.html").symlink_to(tmp_path / "other" / "one.html")
    (tmp_path / "real" / "a" / "dangling.html").symlink_to(tmp_path / "missing.html")
    monkeypatch.chdir(tmp_path / "real")
    monkeypatch.setattr(store_reports, "_REAL_DIRS", {})
    return tmp_path


def test_document_key_matches_path_resolution(tree: Path) -> None:
    origins = [
        str(tree / "real/a/one.html"),
        str(tree / "link/one.html"),
        str(tree / "link/../b/one.html"),  # .. after a symlink: from its target
        "a/one.html",
        "./a/one.html",
        "a//one.html",
        "a/./one.html",
        "a/one.html/",
        "../link/one.html",
        "../top.md",
        "a/alias.html",  # the file itself is a symlink
        "a/dangling.html",
        "a/missing.html",
        "a",
        ".",
        "",
        "-",
        str(tree / "top.md"),
        "https://example.org/a/one.html",
        "nul\x00byte.html",
    ]
    for _ in range(2):  # the second time from remembered directories
        assert [document_key(o) for o in origins] == [resolved(o) for o in origins]
    assert document_key("../link/one.html") == str(tree / "real/a/one.html")


def test_document_key_notices_a_moved_directory_link(tree: Path) -> None:
    origin = str(tree / "link/one.html")
    assert document_key(origin) == str(tree / "real/a/one.html")
    (tree / "link").unlink()
    (tree / "link").symlink_to(tree / "real" / "b")
    assert document_key(origin) == str(tree / "real/b/one.html") == resolved(origin)


def test_document_key_follows_the_working_directory(tree: Path) -> None:
    assert document_key("a/one.html") == str(tree / "real/a/one.html")
    os.chdir(tree / "real" / "b")
    assert document_key("one.html") == str(tree / "real/b/one.html")
    os.chdir(tree)
    assert document_key("link/one.html") == str(tree / "real/a/one.html")
