"""The store: one connection, owned here, and the parts that share it.

A run opens its store once.  Each question the pipeline asks goes to one part:
``results`` (the check cache and each run's claim on its results), ``archives``
(archive lookups), ``extracts`` (citations of unchanged files), ``history`` (runs,
documents, citations, archive marks, and every reader of them) and ``reports``
(each document's last JSON report, for ``fix``) and ``drift`` (content-drift
baselines and comparisons).  The parts are engine-neutral SQL
over :class:`~linkaudit.store.base.Database`; the engine (SQLite by default) owns
the connection, its transactions and the file.  Time comes from the store's one
clock, so a test or the demo moves every part's "now" at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from linkaudit.store.archives import ArchiveLookups
from linkaudit.store.base import CachePolicy, Clock, Database
from linkaudit.store.drift import DriftStore
from linkaudit.store.extracts import ExtractStore
from linkaudit.store.history import RunHistory
from linkaudit.store.location import DEFAULT_PATH, as_location
from linkaudit.store.reports import DocumentReports
from linkaudit.store.results import ResultStore
from linkaudit.store.sqlite import open_sqlite


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """Cache and history over one database connection; see the module docstring.

    ``warnings`` collects one-line problems the caller should print (a corrupt file
    set aside, a failing cache write); ``notes`` says what was done that a user
    may want to know (a schema upgrade and where its backup is).
    """

    def __init__(self, db: Database, *, now: Clock = _utcnow, policy: CachePolicy) -> None:
        self.db = db
        self.now = now
        self.policy = policy
        self.results = ResultStore(db, policy, now)
        self.archives = ArchiveLookups(db, policy, now)
        self.extracts = ExtractStore(db, now)
        self.history = RunHistory(db, now)
        self.reports = DocumentReports(db, now)
        self.drift = DriftStore(db, now)

    @classmethod
    def open(
        cls,
        path: Path | str = DEFAULT_PATH,
        *,
        now: Clock | None = None,
        policy: CachePolicy | None = None,
        busy_timeout: float = 30.0,
    ) -> Store:
        """Open (creating and upgrading as needed) the store at ``path``: a SQLite
        file, or a PostgreSQL database when ``path`` is a ``postgresql://`` DSN
        (:mod:`linkaudit.store.location`).

        A SQLite store never fails because of what is in the file, only because of
        what is around it, as :class:`~linkaudit.store.base.StoreError` (see
        :func:`~linkaudit.store.sqlite.open_sqlite`); a server store fails the
        same way when it cannot be reached (see
        :func:`~linkaudit.store.postgres.open_postgres`).
        """
        clock = now or _utcnow
        where = as_location(path)
        db: Database
        if isinstance(where, str):
            from linkaudit.store.postgres import open_postgres  # psycopg only when asked for

            db = open_postgres(where, connect_timeout=busy_timeout)
        else:
            db = open_sqlite(where, clock=clock, busy_timeout=busy_timeout)
        return cls(db, now=clock, policy=policy or CachePolicy())

    @property
    def name(self) -> str:
        """The store in messages: its path (or, for a server, its masked address)."""
        return self.db.name

    @property
    def warnings(self) -> list[str]:
        return self.db.warnings

    @property
    def notes(self) -> list[str]:
        return self.db.notes

    @property
    def schema_version(self) -> int:
        return self.db.schema_version()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
