"""History queries over the store's tables: runs, results per URL per run, citations
per document per run, archive copies per run, and the two calls the CLI needs
(:func:`record_audit` after an audit, :func:`diff_latest` for its reports).

Plain SQL over a DB-API connection, so a PostgreSQL store can reuse every query:
placeholders are written ``?`` and translated for ``%s`` drivers, upserts use
``ON CONFLICT`` (both databases), timestamps are compared as the store's sortable
ISO text (TIMESTAMPTZ on a server), and the one SQLite-only statement
(``BEGIN IMMEDIATE``) is isolated in :meth:`HistoryDB._begin`.

Reads use their own connection to the store's file rather than the store's
private one: WAL lets a reader run beside writers, and the cache code stays the
only owner of its connection.  The store must have been opened (and so migrated)
first, which :meth:`HistoryDB.of` guarantees.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from linkaudit.archive.save import SaveOutcome
from linkaudit.history import (
    FAILING,
    ArchiveMark,
    ConfirmPolicy,
    LinkStatus,
    Observation,
    RunDiff,
    counts_as,
    diff_states,
    link_states,
    newly_archived,
)
from linkaudit.model import ArchiveCopy, CheckResult, Finding, Verdict
from linkaudit.store.base import (
    ResultCache,
    StoreError,
    as_utc,
    copy_from_json,
    day_text,
    dump_time,
    load_time,
)
from linkaudit.store.sqlite import CachedResults, RunRecord, SQLiteStore
from linkaudit.urls import defragment, normalize

if TYPE_CHECKING:  # the pipeline may come to import this module: no cycle at run time
    from linkaudit.pipeline import AuditRun


class Cursor(Protocol):
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The slice of DB-API both ``sqlite3`` and ``psycopg`` (3) connections offer."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def close(self) -> None: ...


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
class ResultRow:
    """A URL's result in one run (one per key: a fresh check beats a reused one)."""

    key: str
    url: str
    verdict: Verdict
    reason: str
    detail: str
    reused: bool


@dataclass(frozen=True)
class KnownCopy:
    """An archived capture of a URL, from any run's lookups or saves."""

    match_key: str
    archive: str
    archive_url: str
    captured_at: datetime


def match_key(url: str) -> str:
    """One spelling for matching citations to archive lookups: normalised, no fragment.

    Lookups are stored by the defragmented URL as resolved; citations by their
    normalised key.  Both go through this so they meet.
    """
    return defragment(normalize(url))[0]


#: Every verdict by its stored text; a text not in here was written by a newer
#: linkaudit and is not ours to interpret.
_VERDICTS: Mapping[str, Verdict] = {v.value: v for v in Verdict}

#: Placeholders per ``IN (...)`` list: far below every driver's limit (SQLite's
#: oldest is 999), and big enough that a run's URLs take a handful of queries.
_CHUNK = 500
#: Beyond this many keys, reading a history whole beats looking each key up.
_MANY_KEYS = 1000


#: A placeholder time for classifying an observation (:func:`counts_as` ignores it).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _verdict(text: str | None) -> Verdict | None:
    return None if text is None else _VERDICTS.get(text)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    return (items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK))


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class HistoryDB:
    """Read (and archive-mark) the run history through a DB-API connection."""

    def __init__(self, connection: Connection, *, paramstyle: str = "qmark") -> None:
        self._conn = connection
        self._paramstyle = paramstyle

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path | str, *, busy_timeout: float = 30.0) -> HistoryDB:
        """A second connection to an existing, already migrated SQLite store."""
        try:
            connection = sqlite3.connect(
                str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot read the history: {exc}") from exc
        return cls(connection)

    @classmethod
    def of(cls, store: SQLiteStore) -> HistoryDB:
        """History over an open store (opening it migrated the file)."""
        return cls.open(store.path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _sql(self, sql: str) -> str:
        return sql if self._paramstyle == "qmark" else sql.replace("?", "%s")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            rows: list[Any] = self._conn.execute(self._sql(sql), tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the history: {exc}") from exc
        return rows

    def _begin(self) -> None:
        # IMMEDIATE takes SQLite's write lock up front (see SQLiteStore._write); a
        # server database's plain BEGIN is enough.
        self._conn.execute(
            "BEGIN IMMEDIATE" if isinstance(self._conn, sqlite3.Connection) else "BEGIN"
        )

    # ------------------------------------------------------------------ runs

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first (by start time, then id)."""
        out: list[RunRecord] = []
        for run_id, started, finished, sources, settings in self._rows(
            "SELECT id, started_at, finished_at, sources, settings FROM runs"
            " ORDER BY started_at, id"
        ):
            started_at = load_time(started)
            assert started_at is not None
            out.append(
                RunRecord(
                    int(run_id),
                    started_at,
                    load_time(finished),
                    tuple(json.loads(sources)),
                    json.loads(settings),
                )
            )
        return out

    def latest_run(self) -> RunRecord | None:
        """The newest finished run; an interrupted run only when none finished
        (its partial results would otherwise pass for the site's state)."""
        runs = self.runs()
        finished = [r for r in runs if r.finished_at is not None]
        pool = finished or runs
        return pool[-1] if pool else None

    def previous_run(self, run: RunRecord) -> RunRecord | None:
        """The newest finished run that started before ``run``."""
        earlier = [
            r
            for r in self.runs()
            if r.finished_at is not None and (r.started_at, r.id) < (run.started_at, run.id)
        ]
        return earlier[-1] if earlier else None

    # ------------------------------------------------------------------ results

    def run_results(self, run_id: int) -> dict[str, ResultRow]:
        """Each URL's result in one run; a fresh check wins over a reused one."""
        out: dict[str, ResultRow] = {}
        for key, url, verdict, reason, detail, reused in self._rows(
            "SELECT key, url, verdict, reason, detail, from_cache FROM results"
            " WHERE run_id = ? ORDER BY key, from_cache, id DESC",
            (run_id,),
        ):
            parsed = _verdict(verdict)
            if key in out or parsed is None:
                continue
            out[key] = ResultRow(key, url, parsed, reason, detail, bool(reused))
        return out

    def observations(self, keys: Iterable[str] | None = None) -> dict[str, list[Observation]]:
        """Every URL's history (or just ``keys``'), one observation per run, oldest
        first, timed by the run's start.

        A few named keys are looked up by the key index, a few hundred per query,
        so a long history of other URLs costs nothing; for many, one pass over
        everything is cheaper.
        """
        select = (
            "SELECT results.key, results.verdict, results.reason, results.from_cache,"
            " results.run_id, runs.started_at FROM results"
            " JOIN runs ON runs.id = results.run_id"
        )
        order = (
            " ORDER BY results.key, runs.started_at, runs.id, results.from_cache, results.id DESC"
        )
        wanted = None if keys is None else set(keys)
        if wanted is None or len(wanted) > _MANY_KEYS:
            rows = self._rows(select + order)
        else:
            # Sorted chunks, each sorted by key: the rows arrive in the same order
            # as from one query over everything.
            rows = []
            for chunk in _chunks(sorted(wanted)):
                rows += self._rows(
                    f"{select} WHERE results.key IN ({_marks(len(chunk))}){order}", chunk
                )
        out: dict[str, list[Observation]] = defaultdict(list)
        seen: set[tuple[str, int]] = set()
        times: dict[str, datetime | None] = {}  # one per run, not one per row
        for key, verdict, reason, reused, run_id, started in rows:
            if wanted is not None and key not in wanted:
                continue
            parsed = _VERDICTS.get(verdict)
            if started in times:
                at = times[started]
            else:
                at = times[started] = load_time(started)
            if parsed is None or at is None or (key, run_id) in seen:
                continue
            seen.add((key, run_id))
            out[key].append(Observation(at, parsed, reason, int(run_id), bool(reused)))
        return dict(out)

    def decisive_keys(self, run_id: int) -> set[str]:
        """The keys whose observation in ``run_id`` counts (:func:`counts_as`: a
        fresh check, not neutral): only these can change standing in that run.

        The observation of a key in a run is its first row in :meth:`observations`'
        order (fresh before reused, newest first) with a verdict we know; reused
        rows are neutral, so the fresh rows decide.
        """
        out: set[str] = set()
        decided: set[str] = set()
        for key, verdict in self._rows(
            "SELECT key, verdict FROM results WHERE run_id = ? AND from_cache = 0"
            " ORDER BY key, id DESC",
            (run_id,),
        ):
            parsed = _VERDICTS.get(verdict)
            if parsed is None or key in decided:
                continue
            decided.add(key)
            if counts_as(Observation(_EPOCH, parsed)) != "neutral":
                out.add(key)
        return out

    def ever_failed(self) -> set[str]:
        """Every key with a fresh failing result in any run: the only URLs that can
        be failing or confirmed dead (a superset; :func:`link_states` decides)."""
        return {
            key
            for (key,) in self._rows(
                "SELECT key FROM results WHERE run_id IS NOT NULL AND from_cache = 0"
                f" AND verdict IN ({_marks(len(FAILING))})",
                sorted(v.value for v in FAILING),
            )
        }

    def verdict_counts(self, since_run: int | None = None) -> dict[int, dict[str, int]]:
        """Per run (those with id >= ``since_run``): citations by verdict, where a
        checked citation takes its URL's result in that run (a fresh check over a
        reused one) and an unchecked one its own verdict.  One aggregate query: a
        long history must not mean one query per run."""
        out: dict[int, dict[str, int]] = defaultdict(dict)
        for run_id, verdict, count in self._rows(
            "SELECT c.run_id, COALESCE(c.verdict, (SELECT r.verdict FROM results r"
            " WHERE r.run_id = c.run_id AND r.key = c.key"
            " ORDER BY r.from_cache, r.id DESC LIMIT 1)) AS v, COUNT(*)"
            " FROM citations c WHERE c.run_id >= ? GROUP BY c.run_id, v",
            (since_run or 0,),
        ):
            if verdict is not None and _verdict(verdict) is not None:
                out[int(run_id)][verdict] = int(count)
        return dict(out)

    # ------------------------------------------------------------------ citations

    def documents(self, run_id: int) -> list[DocumentRow]:
        return [
            DocumentRow(run_id, origin, title, canonical, load_time(cited))
            for origin, title, canonical, cited in self._rows(
                "SELECT origin, title, canonical_url, cited_at FROM documents"
                " WHERE run_id = ? ORDER BY origin",
                (run_id,),
            )
        ]

    def citations(self, run_id: int, document: str | None = None) -> list[CitationRow]:
        """A run's citations in document order (one document's, if named)."""
        sql = (
            "SELECT document, key, url, kind, line, col, anchor_text, verdict, reason"
            " FROM citations WHERE run_id = ?"
        )
        params: list[Any] = [run_id]
        if document is not None:
            sql += " AND document = ?"
            params.append(document)
        sql += " ORDER BY document, line, col, id"
        return [
            CitationRow(
                run_id, doc, key, url, kind, int(line), int(col), text, _verdict(verdict), reason
            )
            for doc, key, url, kind, line, col, text, verdict, reason in self._rows(sql, params)
        ]

    def citations_by_document(self, run_id: int) -> dict[str, list[CitationRow]]:
        out: dict[str, list[CitationRow]] = defaultdict(list)
        for row in self.citations(run_id):
            out[row.document].append(row)
        return dict(out)

    def cited(
        self, run_id: int, keys: Iterable[str] | None = None
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Each URL key cited in a run (or just those of ``keys`` it cites):
        ``(url as written, citing documents)``.

        Checked citations only (an unchecked one carries a verdict we know), in
        :meth:`citations`' order: the first spelling wins, documents in order.
        """
        select = "SELECT key, url, document, verdict FROM citations WHERE run_id = ?"
        order = " ORDER BY document, line, col, id"
        wanted = None if keys is None else set(keys)
        rows: list[Any]
        if wanted is None or len(wanted) > _MANY_KEYS:
            rows = self._rows(f"{select} AND key IS NOT NULL{order}", (run_id,))
        else:  # a key's citations all come in one chunk, in order
            rows = []
            for chunk in _chunks(sorted(wanted)):
                rows += self._rows(
                    f"{select} AND key IN ({_marks(len(chunk))}){order}", (run_id, *chunk)
                )
        urls: dict[str, str] = {}
        docs: dict[str, dict[str, None]] = {}
        for key, url, document, verdict in rows:
            if (verdict is not None and verdict in _VERDICTS) or (
                wanted is not None and key not in wanted
            ):
                continue
            if key in urls:
                docs[key][document] = None
            else:
                urls[key] = url or key
                docs[key] = {document: None}
        return {k: (urls[k], tuple(docs[k])) for k in urls}

    # ------------------------------------------------------------------ archives

    def record_archives(
        self, run_id: int, marks: Iterable[tuple[str, date | str, ArchiveMark, str]]
    ) -> None:
        """What a run learned about archived copies: ``(key, target day, mark, note)``.

        A found copy is never replaced by "none" for the same key and day (two
        citations of one URL, one looked up, one not).
        """
        rows = [
            (
                run_id,
                key,
                day_text(day),
                int(mark.looked_up),
                mark.archive,
                mark.archive_url,
                dump_time(mark.captured_at),
                note,
            )
            for key, day, mark, note in marks
        ]
        if not rows:
            return
        sql = self._sql(
            "INSERT INTO run_archives (run_id, key, target_day, looked_up, archive, archive_url,"
            " captured_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, key, target_day) DO UPDATE SET"
            " looked_up = CASE WHEN excluded.looked_up > run_archives.looked_up"
            " THEN excluded.looked_up ELSE run_archives.looked_up END,"
            " archive = COALESCE(run_archives.archive, excluded.archive),"
            " archive_url = COALESCE(run_archives.archive_url, excluded.archive_url),"
            " captured_at = COALESCE(run_archives.captured_at, excluded.captured_at),"
            " note = CASE WHEN run_archives.note = '' THEN excluded.note"
            " ELSE run_archives.note END"
        )
        try:
            self._begin()
            try:
                for row in rows:
                    self._conn.execute(sql, row)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record archive copies: {exc}") from exc

    def archive_marks(self, run_id: int) -> dict[str, ArchiveMark]:
        """Per URL key: whether the run looked for a copy and what it found."""
        out: dict[str, ArchiveMark] = {}
        for key, looked, archive, archive_url, captured in self._rows(
            "SELECT key, looked_up, archive, archive_url, captured_at FROM run_archives"
            " WHERE run_id = ? ORDER BY key, target_day",
            (run_id,),
        ):
            mark = ArchiveMark(bool(looked), archive_url, load_time(captured), archive)
            prior = out.get(key)
            if prior is None or (mark.found and not prior.found):
                out[key] = mark
        return out

    def known_copies(self) -> dict[str, list[KnownCopy]]:
        """Every capture the store knows of, by :func:`match_key`: from cached
        archive lookups and from what runs found or saved."""
        out: dict[str, list[KnownCopy]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()

        def add(copy: KnownCopy) -> None:
            if (copy.match_key, copy.archive_url) not in seen:
                seen.add((copy.match_key, copy.archive_url))
                out[copy.match_key].append(copy)

        for url, copy_text in self._rows(
            "SELECT url, copy FROM archive_lookups WHERE copy IS NOT NULL ORDER BY url, target_day"
        ):
            try:
                copy = copy_from_json(copy_text)
            except (ValueError, KeyError, TypeError):
                continue
            if copy is not None:
                add(KnownCopy(match_key(url), copy.archive, copy.url, copy.captured_at))
        for key, archive, archive_url, captured in self._rows(
            "SELECT key, archive, archive_url, captured_at FROM run_archives"
            " WHERE archive_url IS NOT NULL ORDER BY key, run_id"
        ):
            at = load_time(captured)
            if at is not None:
                add(KnownCopy(match_key(key), archive or "", archive_url, at))
        return dict(out)


# --------------------------------------------------------------------------- recording


def _effective_cited_at(
    settings: Mapping[str, object], cited_at: datetime | None
) -> datetime | None:
    """The date archive lookups aimed at: ``--cited-at`` overrides the document's."""
    forced = settings.get("cited_at")
    if isinstance(forced, str) and forced:
        try:
            return as_utc(datetime.fromisoformat(forced))
        except ValueError:
            return cited_at
    return cited_at


def archive_marks_of(
    findings: Sequence[Finding],
    target_days: Mapping[str, date],
    saves: Iterable[SaveOutcome] = (),
) -> list[tuple[str, date, ArchiveMark, str]]:
    """What each citation's archive stage found (and what ``--save`` created).

    A finding was looked up when it carries a copy or a note (the archive stage
    writes a note whenever it looked and found nothing); ``ok`` links are usually
    not looked up at all and get no row.
    """
    out: list[tuple[str, date, ArchiveMark, str]] = []
    cited: list[tuple[str, date]] = []  # what a save may apply to, in finding order
    for finding in findings:
        cit = finding.citation
        if cit.key is None or cit.verdict is not None:
            continue
        day = target_days.get(cit.document)
        if day is None:
            continue
        cited.append((cit.key, day))
        copy: ArchiveCopy | None = finding.archive
        if copy is None and not finding.archive_note:
            continue  # not looked up: no row (absence says so)
        mark = ArchiveMark(
            True,
            copy.url if copy else None,
            copy.captured_at if copy else None,
            copy.archive if copy else None,
        )
        out.append((cit.key, day, mark, finding.archive_note))
    saved = [save for save in saves if save.archive_url]
    if not saved:
        return out
    # match_key normalises: once per distinct URL, not once per citation
    matches: dict[str, str] = {}
    by_match: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for key, day in cited:
        if key not in matches:
            matches[key] = match_key(key)
        by_match[matches[key]].append((key, day))
    for save in saved:
        mark = ArchiveMark(True, save.archive_url, save.captured_at, "wayback")
        for key, day in by_match.get(match_key(save.url), []):
            out.append((key, day, mark, "saved"))
    return out


def record_audit(
    store: SQLiteStore,
    run: AuditRun,
    *,
    sources: Sequence[str],
    settings: Mapping[str, Any] | None = None,
) -> int:
    """Record a finished audit as one run (``--save`` outcomes count as captures).

    Documents are stored with the citation date archive lookups aimed at (the
    ``--cited-at`` override when given), which is what coverage is measured
    against.  Returns the run id.
    """
    report = run.report
    run_settings: Mapping[str, Any] = settings if settings is not None else report.settings
    run_id = store.begin_run(sources, run_settings)
    documents = []
    for doc in report.documents:
        cited_at = _effective_cited_at(report.settings, doc.cited_at)
        documents.append(doc if cited_at is doc.cited_at else replace(doc, cited_at=cited_at))
    findings: Sequence[Finding] = report.findings
    store.record_citations(run_id, [f.citation for f in findings], documents)
    results: dict[str, CheckResult] = {}
    for finding in findings:
        result = finding.result
        if result is not None and (result.key not in results or not result.from_cache):
            results[result.key] = result
    store.record_results(run_id, results.values())
    started = as_utc(report.started_at)
    days = {
        doc.origin: as_utc(doc.cited_at).date() if doc.cited_at else started.date()
        for doc in documents
    }
    with HistoryDB.of(store) as db:
        db.record_archives(run_id, archive_marks_of(findings, days, run.saves))
    store.finish_run(run_id)
    return run_id


# --------------------------------------------------------------------------- diff


def diff_runs(
    db: HistoryDB,
    run: RunRecord | None = None,
    policy: ConfirmPolicy | None = None,
    histories: Mapping[str, Sequence[Observation]] | None = None,
) -> RunDiff:
    """What changed between ``run`` (default: the latest finished) and the run before.

    ``histories`` (from :meth:`HistoryDB.observations`, covering at least the URLs
    cited in ``run``) saves loading them twice when the caller has them.
    """
    policy = policy or ConfirmPolicy()
    run = run or db.latest_run()
    if run is None:
        return RunDiff(policy=policy)
    previous = db.previous_run(run)
    if previous is None:
        return RunDiff(run.id, run.started_at, policy=policy)
    # Only a URL whose observation in this run counts (a fresh, non-neutral check)
    # can change standing: without one, its state before and after the run is the
    # same.  Only a URL with a copy found this run can be newly archived.  On a
    # warm run that is almost none, so only their citations and histories are read.
    latest_marks = db.archive_marks(run.id)
    found = {key for key, mark in latest_marks.items() if mark.found}
    loaded: Mapping[str, Sequence[Observation]]
    if histories is None:
        decisive = db.decisive_keys(run.id)
        cited = db.cited(run.id, decisive | found)
        loaded = db.observations(key for key in decisive if key in cited)
    else:
        cited = db.cited(run.id)
        loaded = histories
    cutoff = (run.started_at, run.id)
    upto: dict[str, list[Observation]] = {}
    for key in cited:
        history = [o for o in loaded.get(key, ()) if (o.at, o.run_id or 0) <= cutoff]
        if any(o.run_id == run.id and counts_as(o) != "neutral" for o in history):
            upto[key] = history
    failing, confirmed, recovered = diff_states(
        {key: cited[key] for key in upto}, upto, run.started_at, policy, run_id=run.id
    )
    archived = newly_archived(
        {key: cited[key] for key in found if key in cited},
        latest_marks,
        db.archive_marks(previous.id) if found else {},
        db.cited(previous.id, found) if found else {},
        previous.started_at,
    )
    return RunDiff(
        run.id,
        run.started_at,
        previous.id,
        previous.started_at,
        tuple(failing),
        tuple(confirmed),
        tuple(recovered),
        tuple(archived),
        policy,
    )


def diff_latest(store: SQLiteStore | HistoryDB, policy: ConfirmPolicy | None = None) -> RunDiff:
    """The latest run's changes, for the audit's reports (``diff.text()`` is one paragraph)."""
    if isinstance(store, HistoryDB):
        return diff_runs(store, policy=policy)
    with HistoryDB.of(store) as db:
        return diff_runs(db, policy=policy)


# --------------------------------------------------------------------------- rechecks


def failing_keys(db: HistoryDB, policy: ConfirmPolicy | None = None) -> frozenset[str]:
    """URLs whose current streak is failing but not yet confirmed dead.

    Only URLs that ever failed a fresh check can be failing, so only their
    histories are read.
    """
    return frozenset(
        key
        for key, state in link_states(db.observations(db.ever_failed()), policy).items()
        if state.status is LinkStatus.FAILING
    )


class RecheckFailing:
    """A result cache that re-checks URLs on the way to confirmation once a day.

    A reused result is not a new observation, so a failing URL whose 404 the
    cache keeps serving (daily runs a few minutes short of ``--max-age``) would
    take twice as long to confirm, or recover.  Confirmation counts runs spanning
    calendar days, so only a result from an *earlier day* is refused: a failing
    URL is checked for real on the first run of each day, while repeated runs on
    the same day (CI on every push) still reuse it and send nothing.
    Usage: ``Services(cache=RecheckFailing(store, failing_keys(db)))``.
    """

    def __init__(
        self,
        cache: ResultCache,
        keys: Collection[str],
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.cache = cache
        self.keys = frozenset(keys)
        self.now = now or (lambda: datetime.now(UTC))
        self._snapshot: CachedResults | None = None
        self._snapshot_taken = False
        self._put: set[str] = set()  # keys written since the snapshot

    def get(self, key: str) -> CheckResult | None:
        # From a SQLite store, every key's latest result is read in one query on
        # the first call (the engine asks for all of a run's URLs at once, before
        # it checks any); a key put since is asked for again.
        if not self._snapshot_taken:
            self._snapshot_taken = True
            if isinstance(self.cache, SQLiteStore):
                self._snapshot = self.cache.snapshot()  # None if it cannot be read
        if self._snapshot is None or key in self._put:
            result = self.cache.get(key)
        else:
            result = self._snapshot.get(key)
        if result is None or key not in self.keys:
            return result
        checked = result.checked_at
        if checked is None or as_utc(checked).date() < as_utc(self.now()).date():
            return None
        return result

    def put(self, result: CheckResult) -> None:
        self._put.add(result.key)
        self.cache.put(result)

    def put_many(self, results: Sequence[CheckResult]) -> None:
        self._put.update(r.key for r in results)
        if isinstance(self.cache, SQLiteStore):
            self.cache.put_many(results)
        else:
            for result in results:
                self.cache.put(result)
