"""The store's interface: what the pipeline asks of a store, and what an engine gives it.

Two layers, so a second engine (PostgreSQL, for many workers) adds one module:

- The **protocols the stages depend on** (:class:`ResultCache`,
  :class:`BatchResultCache`, :class:`ArchiveCache`, :class:`ExtractCache`), declared
  here once.  The check engine, the archive stage and extraction import them from
  here and know nothing else about storage; :class:`~linkaudit.store.store.Store`
  implements each with one of its parts.
- The **engine** (:class:`Database`): one connection, its transactions and its
  dialect.  The parts (``results``, ``archives``, ``extracts``, ``history``,
  ``reports``) are plain SQL over it, written in the subset SQLite and PostgreSQL
  share with ``?`` placeholders, which an engine translates if its driver wants
  another style.

The reuse policy lives here too because it is a rule about verdicts, not about
storage; the row types are the vocabulary of the history readers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from linkaudit.errors import LinkauditError
from linkaudit.model import (
    NO_SELECTORS,
    ArchiveLookup,
    BodySelectors,
    CheckResult,
    Citation,
    Document,
    Scope,
    Verdict,
    as_utc,
)
from linkaudit.reasons import Reason

#: Where "now" comes from: one per store, injected by tests and the demo.
Clock = Callable[[], datetime]


class StoreError(LinkauditError):
    """The store cannot be used at all (e.g. written by a newer linkaudit)."""

    exit_code = 2


class DatabaseError(StoreError):
    """One statement or transaction failed; its text is the driver's own message.

    Engines raise only this, so the parts decide per question whether a failure
    is a warning (a cache read) or fatal (recording the history) without knowing
    which driver is underneath.
    """


# --------------------------------------------------------------------------- protocols


class ResultCache(Protocol):
    """What the check engine needs: a result for a normalised URL, or None."""

    def get(self, key: str) -> CheckResult | None: ...

    def put(self, result: CheckResult) -> None: ...


@runtime_checkable
class BatchResultCache(ResultCache, Protocol):
    """A cache that takes results in batches: one transaction for many, not each."""

    def put_many(self, results: Sequence[CheckResult]) -> None: ...


class ArchiveCache(Protocol):
    """Archive lookups kept between runs (or within one: ``MemoryArchiveCache``).

    Keyed by URL and the target *day*: two citations of the same URL dated the same
    day want the same capture, and a finer key would defeat the cache.
    """

    def get(self, url: str, target_day: date) -> ArchiveLookup | None: ...

    def put(self, url: str, target_day: date, lookup: ArchiveLookup) -> None: ...


class ExtractCache(Protocol):
    """Citations of documents already extracted.

    ``get`` answers None for anything it cannot vouch for; ``put`` may buffer
    until ``flush``, which extraction calls once at the end of a batch.  ``bodies``
    are the run's per-site body selectors: extraction depends on them.
    """

    def get(
        self, document: Document, scope: Scope, *, bodies: BodySelectors = NO_SELECTORS
    ) -> list[Citation] | None: ...

    def get_many(
        self,
        documents: Sequence[Document],
        scope: Scope,
        *,
        bodies: BodySelectors = NO_SELECTORS,
    ) -> list[list[Citation] | None]:
        """``get`` of each document, in order (a store answers them in few queries)."""
        ...

    def put(
        self,
        document: Document,
        scope: Scope,
        citations: Sequence[Citation],
        *,
        bodies: BodySelectors = NO_SELECTORS,
    ) -> None: ...

    def flush(self) -> None: ...


# --------------------------------------------------------------------------- the engine


class Cursor(Protocol):
    """What a statement inside a transaction answers."""

    @property
    def rowcount(self) -> int: ...


class Transaction(Protocol):
    """Statements run inside :meth:`Database.transaction`."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def insert_id(self, sql: str, params: Sequence[Any]) -> int:
        """Run an ``INSERT`` into a table with an integer ``id`` and return the id."""
        ...


class Database(Protocol):
    """One engine's connection: the only thing the store's parts talk to.

    Every method raises :class:`DatabaseError` (never a driver's own exception).
    ``name`` identifies the store in messages (a path, or a DSN with its password
    masked).  ``warnings`` and ``notes`` collect what the caller should print: a
    failing cache write, a damaged file set aside, a schema upgrade.
    """

    name: str
    warnings: list[str]
    notes: list[str]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of one read, fetched whole."""
        ...

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def write(self, *steps: tuple[str, Sequence[Sequence[Any]]]) -> None:
        """One short write transaction: each ``(statement, rows)`` run for each row."""
        ...

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction for statements that depend on earlier ones' answers."""
        ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...


def warn_once(db: Database, action: str, exc: Exception) -> None:
    """Record that a cache ``action`` failed, once per message: a cache that cannot be
    read or written slows a run down but must never stop it."""
    message = f"{db.name}: cache {action} failed: {exc}"
    if message not in db.warnings:
        db.warnings.append(message)


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """Slices of ``items`` for ``IN (...)`` lists: far below every driver's limit
    (SQLite's oldest is 999 variables), and few queries for a run's URLs."""
    return (items[i : i + size] for i in range(0, len(items), size))


def marks(count: int) -> str:
    """``?, ?, ?`` for ``count`` parameters."""
    return ", ".join("?" * count)


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class CachePolicy:
    """How long stored answers are worth trusting.

    ``max_age`` bounds definitive results; ``max_age_ok`` bounds ``ok`` and
    ``moved``, which change rarely and are the bulk of a warm run.  Transient
    results are never reused whatever their age: a timeout or a 429 says nothing
    about the next run.  Archive lookups that found a copy stay true (captures are
    not deleted) so they live long; "none found" may change as soon as someone
    saves the page, so it lives a day.  A zero age disables reuse.
    """

    max_age: timedelta = timedelta(days=1)
    max_age_ok: timedelta = timedelta(days=7)
    archive_found_age: timedelta = timedelta(days=30)
    archive_none_age: timedelta = timedelta(days=1)

    def age_limit(self, result: CheckResult) -> timedelta | None:
        """How long ``result`` may be reused; None for never."""
        if is_transient(result):
            return None
        if result.verdict in (Verdict.OK, Verdict.MOVED):
            return self.max_age_ok
        return self.max_age

    def reusable(self, result: CheckResult, now: datetime) -> bool:
        limit = self.age_limit(result)
        if limit is None or result.checked_at is None or limit <= timedelta(0):
            return False
        age = as_utc(now) - as_utc(result.checked_at)
        # A result from the future means the clock moved: trust nothing.
        return timedelta(0) <= age < limit

    def age_limit_values(self, verdict: Verdict, reason: str) -> timedelta | None:
        """:meth:`age_limit` of a stored row's verdict and reason, without decoding it."""
        return self.age_limit(CheckResult("", "", verdict, reason, ""))


def is_transient(result: CheckResult) -> bool:
    """Whether a result only describes this moment (never reused, never "death"):
    its reason says so (:attr:`Reason.transient`); a reason this version does not
    know is transient when its verdict is ``unreachable``."""
    reason = Reason.of(result.reason)
    if reason is None:
        return result.verdict is Verdict.UNREACHABLE
    return reason.transient


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class RunRecord:
    """One audit run as stored: when, over what, with which (masked) settings."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    sources: tuple[str, ...]
    settings: dict[str, Any]


@dataclass(frozen=True)
class DocumentRow:
    """A document as a run saw it; ``cited_at`` None means no date was known."""

    run_id: int
    origin: str
    title: str | None
    canonical_url: str | None
    cited_at: datetime | None


@dataclass(frozen=True)
class CitationRow:
    """One citation of one run; ``verdict`` is set only when no check was needed
    (``skipped``, ``invalid``, ``lost``)."""

    run_id: int
    document: str
    key: str | None
    url: str | None
    kind: str
    line: int
    column: int
    anchor_text: str
    verdict: Verdict | None
    reason: str


@dataclass(frozen=True)
class KnownCopy:
    """An archived capture of a URL, from any run's lookups or saves."""

    match_key: str
    archive: str
    archive_url: str
    captured_at: datetime
