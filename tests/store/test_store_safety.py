"""The store under stress: concurrent runs, killed runs, damaged files, old schemas."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import T0, Clock, make_result, recorded_rows, stored_results

from linkaudit.model import ArchiveLookup, Verdict
from linkaudit.store import SCHEMA_VERSION, Store, StoreError

# Children run the real package from this checkout, whatever the cwd.
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from linkaudit.model import CheckResult, Verdict
    from linkaudit.store import Store

    path, tag, other, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    sys.stdin.readline()  # start together
    with Store.open(path) as store:
        run = store.history.begin_run([tag], {"writer": tag})
        for i in range(count):
            result = CheckResult(
                key=f"https://{tag}.example/{i}", url=f"https://{tag}.example/{i}",
                verdict=Verdict.BROKEN, reason="http_404", detail="x" * 200,
                checked_at=datetime.now(UTC),
            )
            store.results.put(result)
            store.results.record(run, [result])
            store.results.get(f"https://{other}.example/{i}")
        store.history.finish_run(run)
        assert not store.warnings, store.warnings
    print("done", flush=True)
    """
)


def test_two_processes_write_at_once(db_path: Path) -> None:
    count = 150
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), tag, other, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for tag, other in (("alpha", "beta"), ("beta", "alpha"))
    ]
    for child in children:  # both open the (not yet existing) file at the same moment
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    clock = Clock(datetime.now(UTC))
    with Store.open(db_path, now=clock) as store:
        assert store.warnings == []
        runs = store.history.runs()
        assert sorted(r.sources[0] for r in runs) == ["alpha", "beta"]
        assert all(r.finished_at is not None for r in runs)
        for run in runs:
            assert len(recorded_rows(store, run.id)) == count  # claimed, not duplicated
        for tag in ("alpha", "beta"):
            for i in (0, count // 2, count - 1):
                got = store.results.get(f"https://{tag}.example/{i}")
                assert got is not None
                assert got.verdict is Verdict.BROKEN


KILLED = textwrap.dedent(
    """
    import itertools, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from linkaudit.model import ArchiveLookup, CheckResult, Verdict
    from linkaudit.store import Store

    store = Store.open(Path(sys.argv[1]))
    run = store.history.begin_run(["loop"], {})
    for batch in itertools.count():
        results = [
            CheckResult(
                key=f"https://k.example/{batch}/{i}", url=f"https://k.example/{batch}/{i}",
                verdict=Verdict.OK, reason="http_200", detail="y" * 2000,
                checked_at=datetime.now(UTC),
            )
            for i in range(50)
        ]
        store.results.put_many(results)
        store.results.record(run, results)
        store.archives.put(
            f"https://k.example/{batch}", "2020-01-01", ArchiveLookup(None, "no capture")
        )
        if batch == 20:
            print("ready", flush=True)
    """
)


@pytest.mark.parametrize("extra_batches", [0, 7])
def test_killed_writer_leaves_a_usable_store(db_path: Path, extra_batches: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    # Let it get some way into further writes (a read per batch, no sleeping).
    for _ in range(extra_batches):
        with sqlite3.connect(db_path, timeout=30) as probe:
            probe.execute("SELECT count(*) FROM results").fetchone()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    clock = Clock(datetime.now(UTC))
    with Store.open(db_path, now=clock) as store:
        assert store.warnings == []  # not corrupt, nothing set aside
        assert not list(db_path.parent.glob("*.corrupt-*"))
        first = store.results.get("https://k.example/0/0")
        assert first is not None
        assert first.verdict is Verdict.OK
        (run,) = store.history.runs()
        assert run.finished_at is None  # the interrupted run says so
        assert len(recorded_rows(store, run.id)) >= 21 * 50
        # And it takes writes again.
        store.results.put(make_result("https://after.example/", checked_at=clock.now))
        assert store.results.get("https://after.example/") is not None
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --------------------------------------------------------------------------- damaged files


def open_fresh(db_path: Path, clock: Clock) -> Store:
    store = Store.open(db_path, now=clock)
    store.results.put(make_result("k", checked_at=clock.now))
    assert store.results.get("k") is not None  # a working fresh cache
    return store


def set_aside_files(db_path: Path) -> list[Path]:
    """The set-aside databases (their WAL and shm companions travel with them)."""
    return sorted(
        p
        for p in db_path.parent.glob(db_path.name + ".corrupt-*")
        if not p.name.endswith(("-wal", "-shm"))
    )


def test_garbage_file_is_set_aside(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database\x00\xff" * 100
    db_path.write_bytes(garbage)
    with open_fresh(db_path, clock) as store:
        (warning,) = store.warnings
        assert "not a SQLite database" in warning
        assert "cache.sqlite.corrupt-20260301T120000Z" in warning
        assert "started a fresh cache" in warning
    (aside,) = set_aside_files(db_path)
    assert aside.name == "cache.sqlite.corrupt-20260301T120000Z"
    assert aside.read_bytes() == garbage  # kept, not deleted


def test_sqlite_header_with_garbage_body(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    with open_fresh(db_path, clock) as store:
        (warning,) = store.warnings
        assert "moved it aside" in warning
    assert len(set_aside_files(db_path)) == 1


def test_truncated_database_is_set_aside(db_path: Path, clock: Clock) -> None:
    with Store.open(db_path, now=clock) as store:
        store.results.put_many(
            make_result(f"https://t.example/{i}", checked_at=clock.now, notes=("z" * 300,))
            for i in range(600)
        )
    raw = sqlite3.connect(db_path)  # fold the WAL in so the file holds the data
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    size = db_path.stat().st_size
    assert size > 100_000
    with open(db_path, "r+b") as handle:
        handle.truncate(size // 2)
    with open_fresh(db_path, clock) as store:
        (warning,) = store.warnings
        assert "damaged" in warning
        assert store.results.get("https://t.example/1") is None  # fresh: the old rows are aside
    (aside,) = set_aside_files(db_path)
    assert aside.stat().st_size == size // 2


def test_only_a_file_as_it_was_closed_skips_the_full_check(
    db_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full check reads every page, so it grows with the history; a file found
    exactly as a clean close left it skips it, anything else is read in full."""
    import linkaudit.store.sqlite as engine

    full_checks: list[bool] = []
    diagnose = engine._diagnose

    def spy(connection: sqlite3.Connection, path: Path, *, read_all: bool = True) -> str | None:
        full_checks.append(read_all)
        return diagnose(connection, path, read_all=read_all)

    monkeypatch.setattr(engine, "_diagnose", spy)
    stamp = db_path.with_name(db_path.name + ".checked")

    def reopen() -> bool:
        with Store.open(db_path, now=clock) as store:
            assert store.warnings == []
            store.results.put(make_result(f"https://s.example/{len(full_checks)}"))
        return full_checks[-1]

    assert reopen() is True  # a new file
    assert stamp.exists()
    assert reopen() is False  # as the last close left it
    # another program wrote it since (the file's time and size move)
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE notes (x)")
    raw.commit()
    raw.close()
    assert reopen() is True
    # a writer still has it open (its WAL is beside it): read in full, no stamp left
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO notes VALUES (1)")
    raw.commit()
    assert reopen() is True
    assert not stamp.exists()
    raw.close()
    assert reopen() is True  # the other writer's close left no stamp
    assert reopen() is False
    # a copy put in its place (a restored cache) has another identity
    copy = db_path.with_name("copy.sqlite")
    copy.write_bytes(db_path.read_bytes())
    os.replace(copy, db_path)
    assert reopen() is True
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT count(*) FROM results").fetchone() == (7,)  # nothing set aside
    raw.close()


def test_someone_elses_database_is_set_aside(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE results (whatever TEXT)")
        raw.execute("INSERT INTO results VALUES ('precious')")
    raw.close()
    with open_fresh(db_path, clock) as store:
        assert "not a linkaudit cache" in store.warnings[0]
    (aside,) = set_aside_files(db_path)
    with sqlite3.connect(aside) as kept:
        assert kept.execute("SELECT whatever FROM results").fetchall() == [("precious",)]
    kept.close()


def test_repeated_corruption_never_overwrites_an_earlier_aside(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    for n in range(3):  # same clock reading each time: names must still be unique
        db_path.write_bytes(b"junk %d" % n * 50)
        Store.open(db_path, now=clock).close()
    names = [p.name for p in set_aside_files(db_path)]
    assert names == [
        "cache.sqlite.corrupt-20260301T120000Z",
        "cache.sqlite.corrupt-20260301T120000Z-1",
        "cache.sqlite.corrupt-20260301T120000Z-2",
    ]
    contents = sorted(p.read_bytes()[:6] for p in set_aside_files(db_path))
    assert contents == [b"junk 0", b"junk 1", b"junk 2"]


def test_stale_wal_moves_with_the_damaged_file(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"garbage" * 100)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"old wal")
    with open_fresh(db_path, clock):
        pass
    (aside,) = set_aside_files(db_path)
    assert aside.with_name(aside.name + "-wal").read_bytes() == b"old wal"


def test_empty_file_is_a_new_cache_not_corruption(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    with open_fresh(db_path, clock) as store:
        assert store.warnings == []
    assert set_aside_files(db_path) == []


def test_newer_schema_is_refused_and_left_alone(db_path: Path, clock: Clock) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE results (x)")
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    raw.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match=r"newer linkaudit .*upgrade linkaudit"):
        Store.open(db_path, now=clock)
    assert db_path.read_bytes() == before
    assert set_aside_files(db_path) == []


# --------------------------------------------------------------------------- migrations

V1_SCHEMA = """
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    evidence TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
CREATE INDEX results_key ON results (key, checked_at);
CREATE TABLE archive_lookups (
    url TEXT NOT NULL,
    target_day TEXT NOT NULL,
    copy TEXT,
    note TEXT NOT NULL,
    looked_up_at TEXT NOT NULL,
    PRIMARY KEY (url, target_day)
);
PRAGMA user_version = 1;
"""


def make_v1(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(db_path)
    raw.executescript(V1_SCHEMA)
    raw.execute(
        "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            "https://old.example/",
            "https://old.example/",
            "broken",
            "http_404",
            "Not found.",
            '{"chain":[{"url":"https://old.example/","status":404}],"status":404,'
            '"attempts":1,"elapsed":0.25,"notes":[]}',
            "2026-03-01T11:00:00.000000+00:00",
        ),
    )
    raw.execute(
        "INSERT INTO archive_lookups VALUES (?, ?, NULL, ?, ?)",
        ("https://old.example/", "2019-05-01", "no capture", "2026-03-01T11:30:00.000000+00:00"),
    )
    raw.commit()
    raw.close()


def test_upgrade_from_v1_keeps_data_and_a_backup(db_path: Path, clock: Clock) -> None:
    make_v1(db_path)
    with Store.open(db_path, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.warnings == []
        (note,) = store.notes
        assert f"from v1 to v{SCHEMA_VERSION}" in note
        assert "cache.sqlite.bak-v1" in note
        old = store.results.get("https://old.example/")  # an hour old, within a day
        assert old is not None
        assert old.verdict is Verdict.BROKEN
        assert old.chain[0].status == 404
        assert old.checked_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
        assert store.archives.get("https://old.example/", "2019-05-01") == ArchiveLookup(
            None, "no capture"
        )
        assert stored_results(store, "https://old.example/")[0][0] is None  # no run before history
        run = store.history.begin_run(["x"], {})  # the new tables work
        store.results.record(run, [make_result("n", checked_at=clock.now)])
    backup = db_path.with_name("cache.sqlite.bak-v1")
    assert backup.is_file()
    with sqlite3.connect(backup) as kept:
        assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
        assert kept.execute("SELECT key FROM results").fetchall() == [("https://old.example/",)]
        tables = {r[0] for r in kept.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "runs" not in tables
    kept.close()
    assert not list(db_path.parent.glob("*.partial"))
    # Opening again upgrades nothing and backs nothing up.
    with Store.open(db_path, now=clock) as store:
        assert store.notes == []
    assert sorted(p.name for p in db_path.parent.glob("cache.sqlite.bak-*")) == [
        "cache.sqlite.bak-v1"
    ]


def test_existing_backup_is_never_overwritten(db_path: Path, clock: Clock) -> None:
    make_v1(db_path)
    earlier = db_path.with_name("cache.sqlite.bak-v1")
    earlier.write_bytes(b"an earlier backup")
    Store.open(db_path, now=clock).close()
    assert earlier.read_bytes() == b"an earlier backup"
    assert db_path.with_name("cache.sqlite.bak-v1-20260301T120000Z").is_file()


def test_two_processes_upgrade_once(db_path: Path) -> None:
    make_v1(db_path)
    code = (
        "import sys; from pathlib import Path; from linkaudit.store import Store;"
        "sys.stdin.readline(); s = Store.open(Path(sys.argv[1])); print(len(s.notes)); s.close()"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    notes = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        notes.append(int(out))
    assert sorted(notes) == [0, 1]  # exactly one of them upgraded
    assert [p.name for p in db_path.parent.glob("cache.sqlite.bak-*")] == ["cache.sqlite.bak-v1"]
    with Store.open(db_path, now=Clock(T0 + timedelta(minutes=1))) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_migration_this_file_cannot_take_is_set_aside(db_path: Path, clock: Clock) -> None:
    make_v1(db_path)
    with sqlite3.connect(db_path) as raw:
        raw.execute("CREATE TABLE runs (oops TEXT)")  # collides with migration 2
    raw.close()
    with open_fresh(db_path, clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        (warning,) = store.warnings
        assert "table runs already exists" in warning
    assert len(set_aside_files(db_path)) == 1
    assert db_path.with_name("cache.sqlite.bak-v1").is_file()


def test_locked_file_is_an_error_not_corruption(db_path: Path, clock: Clock) -> None:
    make_v1(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO archive_lookups VALUES ('u', 'd', NULL, 'n', 't')")
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            Store.open(db_path, now=clock, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert set_aside_files(db_path) == []
    with Store.open(db_path, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
