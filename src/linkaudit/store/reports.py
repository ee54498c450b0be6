"""Each audited document's JSON report, kept so ``linkaudit fix`` can repair from
the audit instead of checking again; and :func:`document_key`, how a document is
known across commands.

Only the newest report of a document is kept: ``fix`` reads no other, and a site
audited weekly would otherwise add a full copy of every page's report to the
store each week (25 MB a run for the 2,000-file benchmark corpus).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from linkaudit.model import as_utc
from linkaudit.store.base import Clock, Database, DatabaseError, StoreError, chunks
from linkaudit.store.codec import dump_time, load_time

_UPSERT_REPORT = (
    "INSERT INTO document_reports (run_id, document, sha256, report, created_at, digest,"
    " basis) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, document) DO UPDATE SET"
    " sha256 = excluded.sha256, report = excluded.report, created_at = excluded.created_at,"
    " digest = excluded.digest, basis = excluded.basis"
)
#: A document's reports from other runs, dropped when its newest is written.
_DELETE_OLDER_REPORTS = "DELETE FROM document_reports WHERE document = ? AND run_id <> ?"
#: The last run that found what a document's stored report says, and when: a
#: small row of its own, because SQLite rewrites a whole row on UPDATE, report
#: text and all (renewing the reports' own run and time rewrote 25 MB a run).
_SEEN = (
    "INSERT INTO document_reports_seen (document, run_id, seen_at) VALUES (?, ?, ?)"
    " ON CONFLICT (document) DO UPDATE SET run_id = excluded.run_id, seen_at = excluded.seen_at"
)
#: Document reports written per transaction, in characters of JSON ...
_REPORT_BATCH_CHARS = 4_000_000
#: ... or in documents, whichever comes first (each one's stored digest is asked
#: for in one query per batch).
_REPORT_BATCH_ROWS = 500
#: What a report not made yet counts for in ``_REPORT_BATCH_CHARS``.
_UNMADE_CHARS = 8_000


@dataclass(frozen=True)
class DocumentReport:
    """One document's report of a run, as :meth:`DocumentReports.record` keeps it.

    ``report`` is the JSON text, or how to make it: a warm run's reports mostly say
    what the stored ones say, and making, writing and replacing 25 MB of them that
    no one reads cost a 2,000-file warm run a third of a second.  ``digest``
    (of everything the report says except when it was made) tells whether the
    stored one says the same; None: always written.
    """

    document: str  # its document_key
    sha256: str | None  # of the bytes audited
    report: str | Callable[[], str]
    digest: str | None = None
    #: What its findings rest on (``linkaudit.reuse.Basis`` as JSON); None: not reusable.
    basis: str | None = None


class DocumentReports:
    """The newest JSON report per document (by :func:`document_key`)."""

    def __init__(self, db: Database, now: Clock) -> None:
        self._db = db
        self._now = now

    def record(self, run_id: int, reports: Iterable[DocumentReport]) -> None:
        """Keep each document's report of a run: one transaction per few megabytes
        instead of one per document.  A document whose stored report has the same
        digest keeps it, seen again by this run (fresh for :meth:`latest` from now);
        the others are written.  ``reports`` is read, and reports are made, between
        transactions, never while holding the write lock, and at most one batch is
        held in memory."""
        batch: list[DocumentReport] = []
        size = 0
        for report in reports:
            batch.append(report)
            size += len(report.report) if isinstance(report.report, str) else _UNMADE_CHARS
            if size >= _REPORT_BATCH_CHARS or len(batch) >= _REPORT_BATCH_ROWS:
                self._write(run_id, batch)
                batch, size = [], 0
        if batch:
            self._write(run_id, batch)

    def _write(self, run_id: int, batch: Sequence[DocumentReport]) -> None:
        now = dump_time(self._now())
        stored = self._digests([r.document for r in batch if r.digest is not None])
        seen = [(r.document, run_id, now) for r in batch]
        rows: list[tuple[Any, ...]] = []
        for r in batch:
            if r.digest is not None and stored.get(r.document) == r.digest:
                continue  # the stored one says it: kept, and seen again below
            text = r.report if isinstance(r.report, str) else r.report()
            rows.append((run_id, r.document, r.sha256, text, now, r.digest, r.basis))
        older = [(row[1], run_id) for row in rows]
        try:
            self._db.write((_UPSERT_REPORT, rows), (_DELETE_OLDER_REPORTS, older), (_SEEN, seen))
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot update the history: {exc}") from exc

    def _digests(self, documents: list[str]) -> dict[str, str]:
        """The stored reports' digests of these documents (those that have one)."""
        if not documents:
            return {}
        marks = ", ".join("?" * len(documents))
        try:
            rows = self._db.query(
                "SELECT document, digest FROM document_reports"
                f" WHERE digest IS NOT NULL AND document IN ({marks})",
                documents,
            )
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot read the stored reports: {exc}") from exc
        return {str(document): str(digest) for document, digest in rows}

    def stored(self, documents: Sequence[str]) -> dict[str, tuple[str | None, str, str]]:
        """Of these documents (by :func:`document_key`), those whose newest report has
        a basis: its sha256, text and basis (``linkaudit.reuse``).  Empty when the
        store cannot be read: nothing is reused, nothing fails."""
        out: dict[str, tuple[str | None, str, str]] = {}
        try:
            for chunk in chunks(sorted(documents)):
                values = ", ".join(["(?)"] * len(chunk))
                for document, sha256, report, basis in self._db.query(
                    f"WITH d (document) AS (VALUES {values})"
                    " SELECT r.document, r.sha256, r.report, r.basis FROM d"
                    " JOIN document_reports AS r ON r.document = d.document"
                    " WHERE r.basis IS NOT NULL",
                    chunk,
                ):
                    out[str(document)] = (
                        None if sha256 is None else str(sha256),
                        str(report),
                        str(basis),
                    )
        except DatabaseError:
            return {}
        return out

    def latest(self, document: str, max_age: timedelta) -> tuple[str, str | None] | None:
        """The newest JSON report of ``document`` that a run younger than ``max_age``
        found true, with the sha256 of the bytes it audited; None when there is
        none that fresh."""
        try:
            row = self._db.query_one(
                "SELECT r.report, r.sha256, COALESCE(s.seen_at, r.created_at)"
                " FROM document_reports AS r"
                " LEFT JOIN document_reports_seen AS s ON s.document = r.document"
                " WHERE r.document = ? ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1",
                (document,),
            )
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot read the stored reports: {exc}") from exc
        if row is None:
            return None
        created = load_time(row[2])  # when a run last found what it says
        if created is None or as_utc(self._now()) - created > max_age:
            return None
        return str(row[0]), (str(row[1]) if row[1] is not None else None)


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
