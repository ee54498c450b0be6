"""The embedded store: one SQLite file holding the cache and the run history.

Built for CI, where runs overlap and get killed:

- WAL journal, a busy timeout and short ``BEGIN IMMEDIATE`` transactions, so two
  runs sharing a cache queue for the write lock instead of failing, and readers
  never block writers.  A process killed mid-write leaves a WAL whose torn tail
  SQLite discards on the next open: the last committed state survives.
- A file that is not a usable database (garbage, truncated, someone else's) is
  renamed aside (``cache.sqlite.corrupt-<timestamp>``) with a warning and a fresh
  cache is started.  A cache is an optimisation; losing it must never stop an
  audit, and keeping the file lets someone look at what went wrong.
- Schema upgrades copy the file to ``cache.sqlite.bak-v<N>`` first, then apply
  :data:`~linkaudit.store.migrations.MIGRATIONS` in one transaction.

Opening (diagnose, set aside, migrate) happens under an advisory file lock, so two
runs starting at once cannot both decide to move the file or both migrate it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from linkaudit.archive.base import ArchiveLookup
from linkaudit.model import ArchiveCopy, CheckResult, Citation, Document
from linkaudit.serialize import to_jsonable
from linkaudit.store.base import (
    CachePolicy,
    StoreError,
    as_utc,
    copy_from_json,
    copy_json,
    day_text,
    dump_time,
    evidence_json,
    load_time,
    result_from_row,
)
from linkaudit.store.extracts import SQLiteExtractCache
from linkaudit.store.migrations import LATEST, MIGRATIONS

try:  # advisory locking is a nicety; without fcntl (Windows) opening is still safe enough
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

DEFAULT_PATH = Path(".linkaudit") / "cache.sqlite"
SQLITE_HEADER = b"SQLite format 3\x00"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


_INSERT_RESULT = (
    "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
    " run_id, from_cache) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_REPORT = (
    "INSERT OR REPLACE INTO document_reports "
    "(run_id, document, sha256, report, created_at) VALUES (?, ?, ?, ?, ?)"
)
#: A document's reports from other runs, dropped when its newest is written.
_DELETE_OLDER_REPORTS = "DELETE FROM document_reports WHERE document = ? AND run_id <> ?"
#: Document reports written per transaction, in characters of JSON.
_REPORT_BATCH_CHARS = 4_000_000
#: Keys named in one query: far below SQLite's oldest variable limit (999).
_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class RunRecord:
    """One audit run as stored: when, over what, with which (masked) settings."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    sources: tuple[str, ...]
    settings: dict[str, Any]


def document_key(origin: str) -> str:
    """How a document is known across commands: files by absolute path, so
    ``audit ./a.html`` and ``fix a.html`` find each other; URLs and stdin as given."""
    if "://" in origin:
        return origin
    try:
        key = _plain_file_key(origin)
    except (OSError, ValueError):
        key = None
    if key is not None:
        return key
    path = Path(origin)
    try:
        if path.is_file():
            return str(path.resolve())
    except OSError:
        pass
    return origin


#: Real paths of the directories documents were found in, by directory as written
#: (made absolute), with the identity (device, inode) that directory had then.
#: A run over 2,000 files of one tree would otherwise resolve the same few
#: directories, component by component, 2,000 times.
_REAL_DIRS: dict[str, tuple[tuple[int, int], str]] = {}
_REAL_DIRS_MAX = 4096


def _plain_file_key(origin: str) -> str | None:
    """``str(Path(origin).resolve())`` for a regular file that is not itself a
    symlink (the usual document), else None (the general way decides).

    Such a file resolves to its directory's real path plus its name.  The
    directory's real path is remembered and reused while the directory path still
    leads to the same directory (same device and inode), so a symlink moved to
    another directory is noticed.
    """
    if os.sep != "/":  # the spelling rules and joins below are POSIX's
        return None
    # pathlib's spelling, as resolve() reads it: no empty or "." parts (a path
    # that has none is spelled as given, and checking that is cheaper)
    clean = (
        origin not in ("", ".")
        and "//" not in origin
        and "/./" not in origin
        and not origin.startswith("./")
        and not origin.endswith(("/", "/."))
    )
    path = origin if clean else os.fspath(Path(origin))
    if path.startswith("//") or not stat.S_ISREG(os.lstat(path).st_mode):
        return None
    head, slash, name = path.rpartition("/")
    if not slash:
        head = os.getcwd()
    elif not head:
        head = "/"
    elif head[0] != "/":
        head = os.path.join(os.getcwd(), head)
    info = os.stat(head)
    identity = (info.st_dev, info.st_ino)
    known = _REAL_DIRS.get(head)
    if known is None or known[0] != identity:
        if len(_REAL_DIRS) >= _REAL_DIRS_MAX:
            _REAL_DIRS.clear()
        known = _REAL_DIRS[head] = (identity, os.path.realpath(head))
    real = known[1]
    return f"/{name}" if real == "/" else f"{real}/{name}"


class CachedResults:
    """Stored results read in one go (:meth:`SQLiteStore.snapshot`): each key's
    latest row, decoded (and judged by the reuse policy) only when asked for."""

    def __init__(self, store: SQLiteStore, rows: dict[str, tuple[Any, ...]]) -> None:
        self._store = store
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def get(self, key: str) -> CheckResult | None:
        """What :meth:`SQLiteStore.get` answers, as of the snapshot."""
        row = self._rows.get(key)
        return None if row is None else self._store._reuse(row)


class SQLiteStore:
    """Cache (:class:`~linkaudit.store.base.ResultCache`) and run history in one file.

    Use :meth:`open`.  ``warnings`` collects one-line problems the caller should
    print (a corrupt file set aside, a failing write); ``notes`` says what was done
    that a user may want to know (a schema upgrade and where its backup is).
    Safe to share between threads; each call is its own short transaction.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        *,
        now: Clock,
        policy: CachePolicy,
        warnings: list[str],
        notes: list[str],
    ) -> None:
        self._conn = connection
        self.path = path
        self.now = now
        self.policy = policy
        self.warnings = warnings
        self.notes = notes
        self._lock = threading.RLock()
        self._closed = False
        #: Per key, the stored values (``key`` to ``checked_at``) and the result
        #: :meth:`get` last handed out, so recording its reuse need not re-encode it.
        self._served_rows: dict[str, tuple[tuple[Any, ...], CheckResult]] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: Path = DEFAULT_PATH,
        *,
        now: Clock | None = None,
        policy: CachePolicy | None = None,
        busy_timeout: float = 30.0,
    ) -> SQLiteStore:
        """Open (creating directories and the file as needed) and upgrade the store.

        Never fails because of what is in the file, only because of what is around
        it, as :class:`StoreError`: an unwritable directory, another process holding
        the file locked past ``busy_timeout`` seconds, or a schema newer than this
        code (upgrading linkaudit is the fix, not discarding data).
        """
        clock = now or _utcnow
        warnings: list[str] = []
        notes: list[str] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot create the cache directory: {exc}") from exc
        with _open_lock(path):
            problem = _diagnose(path, busy_timeout)
            if problem is not None:
                aside = _set_aside(path, clock())
                warnings.append(
                    f"{path}: {problem}; moved it aside to {aside.name} and started a fresh cache"
                )
            try:
                connection = _prepare(path, busy_timeout, clock(), warnings, notes)
            except StoreError:
                raise
            except sqlite3.DatabaseError as exc:
                _raise_if_busy(path, exc)
                # Damage the quick check did not see, or a migration this file
                # cannot take, surfaced while preparing: same remedy, once (an
                # upgrade's backup is already beside it).
                aside = _set_aside(path, clock())
                warnings.append(
                    f"{path}: damaged ({exc}); moved it aside to {aside.name} "
                    "and started a fresh cache"
                )
                try:
                    connection = _prepare(path, busy_timeout, clock(), warnings, notes)
                except sqlite3.DatabaseError as again:
                    raise StoreError(f"{path}: cannot create a cache: {again}") from again
        return cls(
            connection,
            path,
            now=clock,
            policy=policy or CachePolicy(),
            warnings=warnings,
            notes=notes,
        )

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; IMMEDIATE takes the write lock up front so a
        concurrent writer waits (busy timeout) instead of failing on upgrade."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _warn(self, action: str, exc: Exception) -> None:
        message = f"{self.path}: cache {action} failed: {exc}"
        if message not in self.warnings:
            self.warnings.append(message)

    # ------------------------------------------------------------------ check cache

    def get(self, key: str) -> CheckResult | None:
        """The latest result for ``key`` if the policy allows reusing it, marked
        ``from_cache``.  A transient latest result hides older definitive ones: the
        last thing seen is what the next run must re-check."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT id, key, url, verdict, reason, detail, evidence, checked_at"
                    " FROM results WHERE key = ? ORDER BY checked_at DESC, id DESC LIMIT 1",
                    (key,),
                ).fetchone()
        except sqlite3.Error as exc:
            self._warn("read", exc)
            return None
        return None if row is None else self._reuse(row)

    def snapshot(self, keys: Iterable[str] | None = None) -> CachedResults | None:
        """What :meth:`get` would answer for each of ``keys`` (default: every key
        stored), read in one query (named keys: a few hundred per query) instead
        of one query per key.  Later writes are not in it.  None, with a warning,
        when the store cannot be read."""
        latest = (
            " JOIN results AS r ON r.id = (SELECT x.id FROM results AS x WHERE x.key = k.key"
            " ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)"
        )
        columns = (
            "SELECT r.id, r.key, r.url, r.verdict, r.reason, r.detail, r.evidence, r.checked_at"
        )
        queries: list[tuple[str, Sequence[str]]]
        if keys is None:
            queries = [(f"{columns} FROM (SELECT DISTINCT key FROM results) AS k{latest}", ())]
        else:
            wanted = sorted(set(keys))
            queries = [
                (
                    f"WITH k (key) AS (VALUES {', '.join(['(?)'] * len(chunk))})"
                    f" {columns} FROM k{latest}",
                    chunk,
                )
                for chunk in (
                    wanted[i : i + _KEYS_PER_QUERY] for i in range(0, len(wanted), _KEYS_PER_QUERY)
                )
            ]
        rows: dict[str, tuple[Any, ...]] = {}
        try:
            with self._lock:
                for sql, params in queries:
                    for row in self._conn.execute(sql, params):
                        rows[row[1]] = row
        except sqlite3.Error as exc:
            self._warn("read", exc)
            return None
        return CachedResults(self, rows)

    def get_many(self, keys: Iterable[str]) -> dict[str, CheckResult]:
        """:meth:`get` for many keys at once: ``{key: result}`` for each key it
        would answer, in the order given."""
        wanted = list(dict.fromkeys(keys))
        snapshot = self.snapshot(wanted)
        if snapshot is None:
            return {}
        out: dict[str, CheckResult] = {}
        for key in wanted:
            result = snapshot.get(key)
            if result is not None:
                out[key] = result
        return out

    def _reuse(self, row: Sequence[Any]) -> CheckResult | None:
        """A stored row (its id first) as :meth:`get` answers it: decoded, marked
        ``from_cache``, None when unreadable or the policy refuses to reuse it.

        Remembers the row it handed out, so :meth:`record_results` can record the
        reuse from the stored values instead of encoding the result again.
        """
        stored = tuple(row[1:])
        try:
            result = result_from_row(*stored, from_cache=True)
        except (ValueError, KeyError, TypeError):  # e.g. a verdict from a newer version
            return None
        if not self.policy.reusable(result, self.now()):
            return None
        self._served_rows[result.key] = (stored, result)
        return result

    def put(self, result: CheckResult) -> None:
        """Store a fresh result; results read from the cache are already stored.

        Supersedes earlier results for the key that no run has recorded, so a
        cache used without history stays one row per URL.
        """
        if result.from_cache:
            return
        try:
            with self._write() as db:
                db.execute("DELETE FROM results WHERE key = ? AND run_id IS NULL", (result.key,))
                self._insert_result(db, result, None)
        except sqlite3.Error as exc:
            self._warn("write", exc)

    def put_many(self, results: Iterable[CheckResult]) -> None:
        """:meth:`put` for a batch, in one transaction."""
        fresh = [r for r in results if not r.from_cache]
        if not fresh:
            return
        try:
            with self._write() as db:
                for result in fresh:
                    db.execute(
                        "DELETE FROM results WHERE key = ? AND run_id IS NULL", (result.key,)
                    )
                    self._insert_result(db, result, None)
        except sqlite3.Error as exc:
            self._warn("write", exc)

    def _insert_result(
        self, db: sqlite3.Connection, result: CheckResult, run_id: int | None
    ) -> None:
        db.execute(_INSERT_RESULT, self._result_row(result, run_id))

    def _result_row(self, result: CheckResult, run_id: int | None) -> tuple[Any, ...]:
        """The values of :data:`_INSERT_RESULT` for one result."""
        return (
            result.key,
            result.url,
            result.verdict.value,
            result.reason,
            result.detail,
            evidence_json(result),
            dump_time(result.checked_at or self.now()),
            run_id,
            int(result.from_cache),
        )

    # ------------------------------------------------------------------ archive cache

    def get_archive(
        self, url: str, target_day: date | str
    ) -> tuple[ArchiveCopy | None, str] | None:
        """A cached lookup ``(copy or None, note)`` still within its age, else None."""
        lookup = self._get_lookup(url, target_day)
        return None if lookup is None else (lookup.copy, lookup.note)

    def put_archive(
        self,
        url: str,
        target_day: date | str,
        copy: ArchiveCopy | None,
        note: str,
        tried: Iterable[str] = (),
    ) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO archive_lookups (url, target_day, copy, note, looked_up_at, tried)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url, target_day) DO UPDATE SET"
                    " copy = excluded.copy, note = excluded.note,"
                    " looked_up_at = excluded.looked_up_at, tried = excluded.tried",
                    (
                        url,
                        day_text(target_day),
                        copy_json(copy),
                        note,
                        dump_time(self.now()),
                        json.dumps(list(tried)),
                    ),
                )
        except sqlite3.Error as exc:
            self._warn("write", exc)

    def _get_lookup(self, url: str, target_day: date | str) -> ArchiveLookup | None:
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT copy, note, looked_up_at, tried FROM archive_lookups"
                    " WHERE url = ? AND target_day = ?",
                    (url, day_text(target_day)),
                ).fetchone()
        except sqlite3.Error as exc:
            self._warn("read", exc)
            return None
        if row is None:
            return None
        try:
            copy = copy_from_json(row[0])
            looked_up_at = load_time(row[2])
            tried = tuple(json.loads(row[3]))
        except (ValueError, KeyError, TypeError):
            return None
        assert looked_up_at is not None
        limit = self.policy.archive_found_age if copy else self.policy.archive_none_age
        age = as_utc(self.now()) - looked_up_at
        if not timedelta(0) <= age < limit:
            return None
        return ArchiveLookup(copy=copy, note=row[1], tried=tried)

    def archive_cache(self) -> SQLiteArchiveCache:
        """This store as the archive stage's ``ArchiveCache``."""
        return SQLiteArchiveCache(self)

    def extract_cache(self) -> SQLiteExtractCache:
        """This store as the pipeline's ``ExtractCache`` (citations of unchanged files)."""
        return SQLiteExtractCache(self)

    # ------------------------------------------------------------------ history

    def begin_run(self, sources: Iterable[str], settings: Mapping[str, Any]) -> int:
        """Record a run's start; ``settings`` should already be masked
        (``Config.to_dict()``): the history is as readable as any report."""
        try:
            with self._write() as db:
                cursor = db.execute(
                    "INSERT INTO runs (started_at, sources, settings) VALUES (?, ?, ?)",
                    (
                        dump_time(self.now()),
                        json.dumps(list(sources)),
                        json.dumps(to_jsonable(settings), default=str),
                    ),
                )
                run_id = cursor.lastrowid
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record the run: {exc}") from exc
        assert run_id is not None
        return run_id

    def finish_run(self, run_id: int) -> None:
        """Mark a run complete; a run without ``finished_at`` was interrupted."""
        self._history_write(
            "UPDATE runs SET finished_at = ? WHERE id = ?", [(dump_time(self.now()), run_id)]
        )

    def record_results(self, run_id: int, results: Iterable[CheckResult]) -> None:
        """Tie each result to the run: a fresh result already :meth:`put` is claimed
        (not duplicated); a reused one is recorded with ``from_cache`` so history can
        tell a new observation from a repeated one.

        A reused result exactly as :meth:`get` handed it out (a warm run's bulk) is
        written from the stored row it was read from rather than encoded again.
        New rows are written in one batch, in the order given.
        """
        served = self._served_rows
        try:
            with self._write() as db:
                rows: list[tuple[Any, ...]] = []
                for result in results:
                    if not result.from_cache:
                        claimed = db.execute(
                            "UPDATE results SET run_id = ? WHERE id = (SELECT id FROM results"
                            " WHERE key = ? AND checked_at = ? AND run_id IS NULL"
                            " ORDER BY id DESC LIMIT 1)",
                            (run_id, result.key, dump_time(result.checked_at or self.now())),
                        )
                        if claimed.rowcount:
                            continue
                    else:
                        source = served.get(result.key)
                        if source is not None and source[1] == result:
                            rows.append((*source[0], run_id, 1))
                            continue
                    rows.append(self._result_row(result, run_id))
                db.executemany(_INSERT_RESULT, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record results: {exc}") from exc

    def record_citations(
        self, run_id: int, citations: Iterable[Citation], documents: Iterable[Document] = ()
    ) -> None:
        """Which documents cite which URLs in this run (lost citations included:
        they have no key but count against their document)."""
        doc_rows = [
            (run_id, d.origin, d.title, d.canonical_url, dump_time(d.cited_at)) for d in documents
        ]
        cite_rows = [
            (
                run_id,
                c.document,
                c.key,
                c.url_as_written,
                c.kind.value,
                c.location.line,
                c.location.column,
                c.text,
                c.verdict.value if c.verdict else None,
                c.reason,
            )
            for c in citations
        ]
        try:
            with self._write() as db:
                db.executemany(
                    "INSERT INTO documents (run_id, origin, title, canonical_url, cited_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, origin) DO NOTHING",
                    doc_rows,
                )
                db.executemany(
                    "INSERT INTO citations (run_id, document, key, url, kind, line, col,"
                    " anchor_text, verdict, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    cite_rows,
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record citations: {exc}") from exc

    def _history_write(
        self, sql: str, rows: list[tuple[Any, ...]], *also: tuple[str, list[tuple[Any, ...]]]
    ) -> None:
        """One transaction, as :meth:`_write` (spelt out: this runs once per
        document of a run, and the context manager was a good part of its cost);
        ``also``: more statements and their rows, in the same transaction."""
        try:
            with self._lock:
                db = self._conn
                db.execute("BEGIN IMMEDIATE")
                try:
                    for statement, values in ((sql, rows), *also):
                        if len(values) == 1:
                            db.execute(statement, values[0])
                        else:
                            db.executemany(statement, values)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot update the history: {exc}") from exc

    def record_document_report(
        self, run_id: int, document: str, sha256: str | None, report_json: str
    ) -> None:
        """Keep the JSON report of one document of a run (what ``fix`` repairs from)."""
        self.record_document_reports(run_id, [(document, sha256, report_json)])

    def record_document_reports(
        self, run_id: int, reports: Iterable[tuple[str, str | None, str]]
    ) -> None:
        """:meth:`record_document_report` for many ``(document, sha256, report)``:
        one transaction per few megabytes instead of one per document.  ``reports``
        is read between transactions, never while holding the write lock, and at
        most one batch is held in memory.

        Only the newest report of a document is kept: ``fix`` reads no other, and a
        site audited weekly would otherwise add a full copy of every page's report
        to the store each week (25 MB a run for the 2,000-file benchmark corpus)."""
        batch: list[tuple[Any, ...]] = []
        size = 0

        def write() -> None:
            older = [(document, run_id) for _, document, *_ in batch]
            self._history_write(_INSERT_REPORT, batch, (_DELETE_OLDER_REPORTS, older))

        for document, sha256, report_json in reports:
            batch.append((run_id, document, sha256, report_json, dump_time(self.now())))
            size += len(report_json)
            if size >= _REPORT_BATCH_CHARS:
                write()
                batch, size = [], 0
        if batch:
            write()

    def latest_document_report(
        self, document: str, max_age: timedelta
    ) -> tuple[str, str | None] | None:
        """The newest JSON report of ``document`` younger than ``max_age``, with the
        sha256 of the bytes it audited; None when there is none that fresh."""
        with self._lock:
            row = self._conn.execute(
                "SELECT report, sha256, created_at FROM document_reports "
                "WHERE document = ? ORDER BY created_at DESC, run_id DESC LIMIT 1",
                (document,),
            ).fetchone()
        if row is None:
            return None
        created = load_time(row[2])
        if created is None or as_utc(self.now()) - created > max_age:
            return None
        return str(row[0]), (str(row[1]) if row[1] is not None else None)

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, started_at, finished_at, sources, settings FROM runs ORDER BY id"
            ).fetchall()
        out: list[RunRecord] = []
        for run_id, started, finished, sources, settings in rows:
            started_at = load_time(started)
            assert started_at is not None
            out.append(
                RunRecord(
                    run_id,
                    started_at,
                    load_time(finished),
                    tuple(json.loads(sources)),
                    json.loads(settings),
                )
            )
        return out

    def run_results(self, run_id: int) -> list[CheckResult]:
        """The results a run reported, in the order recorded."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, url, verdict, reason, detail, evidence, checked_at, from_cache"
                " FROM results WHERE run_id = ? ORDER BY id",
                (run_id,),
            ).fetchall()
        return [result_from_row(*row[:7], from_cache=bool(row[7])) for row in rows]

    def history(self, key: str) -> list[tuple[int | None, CheckResult]]:
        """Every stored result for a URL, oldest first, with its run (None: no run)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, url, verdict, reason, detail, evidence, checked_at, from_cache,"
                " run_id FROM results WHERE key = ? ORDER BY checked_at, id",
                (key,),
            ).fetchall()
        return [(row[8], result_from_row(*row[:7], from_cache=bool(row[7]))) for row in rows]

    def citations(self, run_id: int) -> list[tuple[str, str | None, int, str]]:
        """``(document, key, line, anchor text)`` per citation of a run."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT document, key, line, anchor_text FROM citations WHERE run_id = ?"
                " ORDER BY id",
                (run_id,),
            ).fetchall()
        return [(r[0], r[1], int(r[2]), r[3]) for r in rows]


class SQLiteArchiveCache:
    """Adapts the store to :class:`linkaudit.archive.base.ArchiveCache`."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def get(self, url: str, target_day: date) -> ArchiveLookup | None:
        return self.store._get_lookup(url, target_day)

    def put(self, url: str, target_day: date, lookup: ArchiveLookup) -> None:
        if lookup.transient:  # an error today says nothing about tomorrow
            return
        self.store.put_archive(url, target_day, lookup.copy, lookup.note, lookup.tried)


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


def _diagnose(path: Path, busy_timeout: float) -> str | None:
    """Why the file cannot serve as our store, or None if it can (or is absent).

    A schema newer than ours is not a defect: it raises :class:`StoreError`.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None  # SQLite treats an empty file as a new database
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return "not a SQLite database"
    try:
        probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=busy_timeout)
    except sqlite3.Error as exc:
        return f"cannot be opened ({exc})"
    try:
        rows = probe.execute("PRAGMA quick_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            return f"damaged ({rows[0][0]})"
        version = int(probe.execute("PRAGMA user_version").fetchone()[0])
        tables = probe.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        _raise_if_busy(path, exc)
        return f"damaged ({exc})"
    finally:
        probe.close()
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
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as exc:
        raise StoreError(f"{path}: unusable, and it cannot be moved aside: {exc}") from exc
    return target


def _prepare(
    path: Path, busy_timeout: float, moment: datetime, warnings: list[str], notes: list[str]
) -> sqlite3.Connection:
    connection = _connect(path, busy_timeout)
    try:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            warnings.append(
                f"{path}: WAL journaling unavailable here (mode {mode}); "
                "concurrent runs may wait for each other"
            )
        _migrate(connection, path, moment, notes)
    except BaseException:
        connection.close()
        raise
    return connection


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE/COMMIT ourselves, so every
    # transaction is explicit and short.
    connection = sqlite3.connect(
        str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    connection.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a crashed process never corrupts the database; only a
    # power loss may drop the last commits, which a cache can afford.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
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
