"""The embedded engine: one SQLite file, one connection, short transactions.

Built for CI, where runs overlap and get killed:

- WAL journal, a busy timeout and short ``BEGIN IMMEDIATE`` transactions, so two
  runs sharing a store queue for the write lock instead of failing, and readers
  never block writers.  A process killed mid-write leaves a WAL whose torn tail
  SQLite discards on the next open: the last committed state survives.
- A file that is not a usable database (garbage, truncated, someone else's) is
  renamed aside (``cache.sqlite.corrupt-<timestamp>``) with a warning and a fresh
  store is started.  A cache is an optimisation; losing it must never stop an
  audit, and keeping the file lets someone look at what went wrong.
- Schema upgrades copy the file to ``cache.sqlite.bak-v<N>`` first, then apply
  :data:`~linkaudit.store.migrations.MIGRATIONS` in one transaction.

Opening (diagnose, set aside, migrate) happens under an advisory file lock, so two
runs starting at once cannot both decide to move the file or both migrate it.  A
healthy file is opened exactly once: the connection that diagnoses it is the one
the run keeps.

The diagnosis reads the whole file (``PRAGMA quick_check``), so it grows with the
history: 0.1 s for 90 MB from the page cache, seconds from a cold disk.  A store
closed cleanly with nothing left in its WAL gets a stamp beside it
(``cache.sqlite.checked``: device, inode, size and modification time in
nanoseconds); a file found exactly as stamped, with no WAL, has not been written
since it was last known healthy and skips the check.  Anything else (a crash's
WAL, another writer, a truncation, a restored copy) is checked in full.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from linkaudit.model import as_utc
from linkaudit.store.base import Clock, DatabaseError, StoreError
from linkaudit.store.location import DEFAULT_PATH as DEFAULT_PATH  # its home until issue 17
from linkaudit.store.migrations import LATEST, MIGRATIONS

try:  # advisory locking is a nicety; without fcntl (Windows) opening is still safe enough
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

SQLITE_HEADER = b"SQLite format 3\x00"


class _Transaction:
    """A write transaction's statements on the store's connection."""

    __slots__ = ("_conn",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def insert_id(self, sql: str, params: Sequence[Any]) -> int:
        row_id = self._conn.execute(sql, params).lastrowid
        assert row_id is not None
        return row_id


class SQLiteDatabase:
    """The store's one connection to its file (:class:`~linkaudit.store.base.Database`).

    Safe to share between threads: every call holds the connection's lock for one
    statement or one transaction.  Transactions are ``BEGIN IMMEDIATE``: they take
    the write lock up front, so a concurrent writer waits (busy timeout) instead
    of failing when it would upgrade a read lock.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        *,
        warnings: list[str],
        notes: list[str],
    ) -> None:
        self._conn = connection
        self.path = path
        self.name = str(path)
        self.warnings = warnings
        self.notes = notes
        self._lock = threading.RLock()
        self._closed = False

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                rows: list[tuple[Any, ...]] = self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc
        return rows

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        try:
            with self._lock:
                row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc
        return row

    def write(self, *steps: tuple[str, Sequence[Sequence[Any]]]) -> None:
        """One transaction over ``steps`` (spelt out rather than through
        :meth:`transaction`: this runs once per batch of a run's results and
        reports, and the context manager was a good part of its cost)."""
        try:
            with self._lock:
                db = self._conn
                db.execute("BEGIN IMMEDIATE")
                try:
                    for statement, rows in steps:
                        if len(rows) == 1:
                            db.execute(statement, rows[0])
                        elif rows:
                            db.executemany(statement, rows)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise DatabaseError(str(exc)) from exc
            try:
                yield _Transaction(self._conn)
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise DatabaseError(str(exc)) from exc
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise DatabaseError(str(exc)) from exc

    def schema_version(self) -> int:
        row = self.query_one("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._conn.close()
                _record_at_rest(self.path)


def open_sqlite(path: Path, *, clock: Clock, busy_timeout: float = 30.0) -> SQLiteDatabase:
    """Open (creating directories and the file as needed) and upgrade the store.

    Never fails because of what is in the file, only because of what is around
    it, as :class:`StoreError`: an unwritable directory, another process holding
    the file locked past ``busy_timeout`` seconds, or a schema newer than this
    code (upgrading linkaudit is the fix, not discarding data).
    """
    warnings: list[str] = []
    notes: list[str] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path.parent}: cannot create the cache directory: {exc}") from exc
    with _open_lock(path):
        try:
            connection = _open_healthy(path, busy_timeout, clock, warnings)
            _prepare(connection, path, busy_timeout, clock(), warnings, notes)
        except StoreError:
            raise
        except sqlite3.DatabaseError as exc:
            _raise_if_busy(path, exc)
            # Damage the quick check did not see, or a migration this file
            # cannot take, surfaced while preparing: same remedy, once (an
            # upgrade's backup is already beside it).
            aside = _set_aside(path, clock())
            warnings.append(
                f"{path}: damaged ({exc}); moved it aside to {aside.name} and started a fresh cache"
            )
            try:
                connection = _connect(path, busy_timeout)
                _prepare(connection, path, busy_timeout, clock(), warnings, notes)
            except sqlite3.DatabaseError as again:
                raise StoreError(f"{path}: cannot create a cache: {again}") from again
    return SQLiteDatabase(connection, path, warnings=warnings, notes=notes)


def _open_healthy(
    path: Path, busy_timeout: float, clock: Clock, warnings: list[str]
) -> sqlite3.Connection:
    """A connection to ``path`` once it is known to hold our store (or nothing):
    the file is diagnosed through the connection that is then kept, and only a
    file that fails is set aside and replaced by a fresh one."""
    problem = _diagnose_file(path)
    connection: sqlite3.Connection | None = None
    if problem is None:
        known_healthy = _as_recorded(path)
        try:
            connection = _connect(path, busy_timeout)
        except sqlite3.Error as exc:
            problem = f"cannot be opened ({exc})"
        else:
            try:
                problem = _diagnose(connection, path, read_all=not known_healthy)
            except BaseException:
                connection.close()
                raise
    if problem is None:
        assert connection is not None
        return connection
    if connection is not None:
        connection.close()
    aside = _set_aside(path, clock())
    warnings.append(f"{path}: {problem}; moved it aside to {aside.name} and started a fresh cache")
    return _connect(path, busy_timeout)


# --------------------------------------------------------------------------- opening


@contextlib.contextmanager
def _open_lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - closed below, after unlocking
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot create the lock file: {exc}") from exc
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _diagnose_file(path: Path) -> str | None:
    """What the bytes alone say is wrong with the file (nothing, when absent or empty:
    SQLite treats an empty file as a new database)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return "not a SQLite database"
    return None


def _at_rest(path: Path) -> str | None:
    """What identifies the file's bytes while nothing writes it: device, inode,
    size and modification time; None while a WAL is beside it (not at rest) or it
    cannot be read."""
    if path.with_name(path.name + "-wal").exists():
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return f"v1 {stat.st_dev} {stat.st_ino} {stat.st_size} {stat.st_mtime_ns}\n"


def _checked_path(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def _record_at_rest(path: Path) -> None:
    """After a clean close: the file is healthy as it now is (it passed the check
    when opened, and SQLite wrote it since); a stamp says so.  Without a stamp the
    next open checks in full, so failing to write one costs time, never safety."""
    identity = _at_rest(path)
    stamp = _checked_path(path)
    with contextlib.suppress(OSError):
        if identity is None:
            stamp.unlink(missing_ok=True)
            return
        temporary = stamp.with_name(f"{stamp.name}.{os.getpid()}")
        temporary.write_text(identity, encoding="ascii")
        os.replace(temporary, stamp)


def _as_recorded(path: Path) -> bool:
    """Whether the file is exactly as it was at the last clean close."""
    identity = _at_rest(path)
    if identity is None:
        return False
    try:
        return _checked_path(path).read_text(encoding="ascii") == identity
    except (OSError, UnicodeDecodeError):
        return False


def _diagnose(connection: sqlite3.Connection, path: Path, *, read_all: bool = True) -> str | None:
    """Why the open file cannot serve as our store, or None if it can.

    Reads only, before any pragma writes to the file: someone else's database is
    set aside as it was.  A schema newer than ours is not a defect: it raises
    :class:`StoreError`.  ``read_all`` False (a file as stamped at a clean close)
    skips reading every page, not the schema's checks.
    """
    try:
        if read_all:
            rows = connection.execute("PRAGMA quick_check").fetchall()
            if [r[0] for r in rows] != ["ok"]:
                return f"damaged ({rows[0][0]})"
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        _raise_if_busy(path, exc)
        return f"damaged ({exc})"
    if version == 0 and tables:
        return "not a linkaudit cache (unversioned tables)"
    if version > LATEST:
        raise StoreError(
            f"{path}: written by a newer linkaudit (schema v{version}, this one knows "
            f"v{LATEST}); upgrade linkaudit or use another --cache"
        )
    return None


def _raise_if_busy(path: Path, exc: sqlite3.DatabaseError) -> None:
    """Busy past the timeout is contention, not damage: never move a healthy file
    aside for it; say so instead."""
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        raise StoreError(f"{path}: the cache stayed locked by another process: {exc}") from exc


def _stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _unused(candidate: Path) -> Path:
    if not candidate.exists():
        return candidate
    for n in range(1, 1000):
        other = candidate.with_name(f"{candidate.name}-{n}")
        if not other.exists():
            return other
    raise StoreError(f"{candidate}: too many files set aside")


def _set_aside(path: Path, moment: datetime) -> Path:
    """Rename the file (and its WAL/shm, which belong to it) out of the way."""
    target = _unused(path.with_name(f"{path.name}.corrupt-{_stamp(moment)}"))
    try:
        _checked_path(path).unlink(missing_ok=True)
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as exc:
        raise StoreError(f"{path}: unusable, and it cannot be moved aside: {exc}") from exc
    return target


def _prepare(
    connection: sqlite3.Connection,
    path: Path,
    busy_timeout: float,
    moment: datetime,
    warnings: list[str],
    notes: list[str],
) -> None:
    """Journal, durability and schema for a connection to a healthy (or new) file."""
    try:
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            warnings.append(
                f"{path}: WAL journaling unavailable here (mode {mode}); "
                "concurrent runs may wait for each other"
            )
        # NORMAL in WAL mode: a crashed process never corrupts the database; only a
        # power loss may drop the last commits, which a cache can afford.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, path, moment, notes)
    except BaseException:
        connection.close()
        raise


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE/COMMIT ourselves, so every
    # transaction is explicit and short.
    connection = sqlite3.connect(
        str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return connection


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _backup(connection: sqlite3.Connection, path: Path, version: int, moment: datetime) -> Path:
    """A standalone copy of the database as it is, before any migration touches it.
    An earlier backup of the same version is kept, never overwritten."""
    target = path.with_name(f"{path.name}.bak-v{version}")
    if target.exists():
        target = _unused(path.with_name(f"{path.name}.bak-v{version}-{_stamp(moment)}"))
    partial = target.with_name(target.name + ".partial")
    destination = sqlite3.connect(str(partial))
    try:
        connection.backup(destination)
        destination.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        destination.close()
    os.replace(partial, target)
    return target


def _migrate(
    connection: sqlite3.Connection, path: Path, moment: datetime, notes: list[str]
) -> None:
    version = _user_version(connection)
    if version > LATEST:  # appeared between diagnosis and now: still not ours to touch
        raise StoreError(f"{path}: schema v{version} is newer than this linkaudit (v{LATEST})")
    if version == LATEST:
        return
    backup = _backup(connection, path, version, moment) if version > 0 else None
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(connection)
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {LATEST}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    if backup is not None:
        notes.append(
            f"{path}: upgraded the cache schema from v{version} to v{LATEST}; "
            f"the previous file is kept as {backup.name}"
        )
