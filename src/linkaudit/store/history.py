"""The run history: runs, the documents and citations each run saw, what it learned
about archived copies, and the readers the history's users share.

Every reader answers one question and is what production uses: the next run
(which URLs are failing), the audit's "changes since the last run" and the health
report.  The rules that turn a history into standing (failing, confirmed dead)
are pure and live in :mod:`linkaudit.history`; recording a whole audit and
comparing runs is :mod:`linkaudit.recording`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from linkaudit.history import FAILING, ArchiveMark, Observation, counts_as
from linkaudit.model import CheckResult, Citation, Document, Verdict
from linkaudit.serialize import to_jsonable
from linkaudit.store.base import (
    CitationRow,
    Clock,
    Database,
    DatabaseError,
    DocumentRow,
    KnownCopy,
    RunRecord,
    StoreError,
    chunks,
    marks,
)
from linkaudit.store.codec import copy_from_json, day_text, dump_time, load_time, result_from_row
from linkaudit.store.results import REPEATED, RESULT_VALUES
from linkaudit.urls import defragment, normalize


def match_key(url: str) -> str:
    """One spelling for matching citations to archive lookups: normalised, no fragment.

    Lookups are stored by the defragmented URL as resolved; citations by their
    normalised key.  Both go through this so they meet.
    """
    return defragment(normalize(url))[0]


#: Every verdict by its stored text; a text not in here was written by a newer
#: linkaudit and is not ours to interpret.
_VERDICTS: Mapping[str, Verdict] = {v.value: v for v in Verdict}

#: Beyond this many keys, reading a history whole beats looking each key up.
_MANY_KEYS = 1000

#: A placeholder time for classifying an observation (:func:`counts_as` ignores it).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _verdict(text: str | None) -> Verdict | None:
    return None if text is None else _VERDICTS.get(text)


def citation_row(c: Citation) -> tuple[Any, ...]:
    """A citation as the history stores it (``citations`` row, after its document)."""
    return (
        c.key,
        c.url_as_written,
        c.kind.value,
        c.location.line,
        c.location.column,
        c.text,
        c.verdict.value if c.verdict else None,
        c.reason,
    )


def rows_digest(rows: Sequence[tuple[Any, ...]]) -> str:
    return hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()


def citations_digest(citations: Iterable[Citation]) -> str:
    """What ``documents.citations_digest`` says of one document's citations."""
    return rows_digest([citation_row(c) for c in citations])


class RunHistory:
    """Runs and what they saw, over the store's connection."""

    def __init__(self, db: Database, now: Clock) -> None:
        self._db = db
        self._now = now

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._db.query(sql, tuple(params))
        except DatabaseError as exc:
            raise StoreError(f"cannot read the history: {exc}") from exc

    def _write(self, *steps: tuple[str, Sequence[Sequence[Any]]]) -> None:
        try:
            self._db.write(*steps)
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot update the history: {exc}") from exc

    # ------------------------------------------------------------------ recording

    def begin_run(self, sources: Iterable[str], settings: Mapping[str, Any]) -> int:
        """Record a run's start; ``settings`` should already be masked: the history is
        as readable as any report."""
        try:
            with self._db.transaction() as db:
                return db.insert_id(
                    "INSERT INTO runs (started_at, sources, settings) VALUES (?, ?, ?)",
                    (
                        dump_time(self._now()),
                        json.dumps(list(sources)),
                        json.dumps(to_jsonable(settings), default=str),
                    ),
                )
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot record the run: {exc}") from exc

    def finish_run(self, run_id: int) -> None:
        """Mark a run complete; a run without ``finished_at`` was interrupted."""
        self._write(
            ("UPDATE runs SET finished_at = ? WHERE id = ?", [(dump_time(self._now()), run_id)])
        )

    def record_citations(
        self,
        run_id: int,
        citations: Iterable[Citation],
        documents: Iterable[Document] = (),
        known: Mapping[str, str] | None = None,
        fallback: Callable[[str], Iterable[Citation]] = lambda origin: (),
    ) -> None:
        """Which documents cite which URLs in this run (lost citations included:
        they have no key but count against their document).

        A document whose citations are, field for field, those the last earlier run
        stored for it borrows that run's rows (``documents.citations_run``) instead
        of storing them again: a warm run of an unchanged repository writes one row
        per document, not one per citation.  Readers see no difference
        (``run_citations``).

        ``known``: documents not in ``citations`` whose citations' digest
        (:func:`citations_digest`) is all the caller has, by origin: they borrow
        the last run's rows when those match, else ``fallback`` gives them.
        """
        known = known or {}
        docs = list(documents)
        by_document: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for c in citations:
            by_document[c.document].append(citation_row(c))
        listed = {d.origin for d in docs}
        digests = {
            origin: rows_digest(rows) for origin, rows in by_document.items() if origin in listed
        }
        # documents whose citations are known by digest only (reused whole, not decoded)
        digests.update({o: d for o, d in known.items() if o in listed and o not in by_document})
        borrowed = self._same_citations(run_id, digests)
        for origin in known:
            if origin in digests and origin not in borrowed and origin not in by_document:
                rows = [citation_row(c) for c in fallback(origin)]
                by_document[origin] = rows
                digests[origin] = rows_digest(rows)
        doc_rows = [
            (
                run_id,
                d.origin,
                d.title,
                d.canonical_url,
                dump_time(d.cited_at),
                borrowed.get(d.origin),
                digests.get(d.origin),
            )
            for d in docs
        ]
        cite_rows = [
            (run_id, origin, *row)
            for origin, rows in by_document.items()
            if origin not in borrowed
            for row in rows
        ]
        try:
            self._db.write(
                (
                    "INSERT INTO documents (run_id, origin, title, canonical_url, cited_at,"
                    " citations_run, citations_digest) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (run_id, origin) DO NOTHING",
                    doc_rows,
                ),
                (
                    "INSERT INTO citations (run_id, document, key, url, kind, line, col,"
                    " anchor_text, verdict, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    cite_rows,
                ),
            )
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot record citations: {exc}") from exc

    def _same_citations(self, run_id: int, digests: Mapping[str, str]) -> dict[str, int]:
        """Of the documents in ``digests``, those whose last earlier run stored the
        same citations: the run that holds those rows, by document."""
        out: dict[str, int] = {}
        for chunk in chunks(sorted(digests)):
            # from the names, not the table: one index seek per document, however
            # long the history (``WHERE origin IN`` visited every run's row)
            values = ", ".join(["(?)"] * len(chunk))
            for origin, holder, digest in self._query(
                f"WITH o (origin) AS (VALUES {values})"
                " SELECT d.origin, COALESCE(d.citations_run, d.run_id), d.citations_digest"
                " FROM o JOIN documents d ON d.origin = o.origin AND d.run_id ="
                " (SELECT MAX(e.run_id) FROM documents e WHERE e.origin = o.origin"
                " AND e.run_id < ?)",
                (*chunk, run_id),
            ):
                if digest is not None and digest == digests[origin]:
                    out[origin] = int(holder)
        return out

    # ------------------------------------------------------------------ runs

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first (by start time, then id)."""
        out: list[RunRecord] = []
        for run_id, started, finished, sources, settings in self._query(
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

    def run_results(self, run_id: int) -> dict[str, CheckResult]:
        """Each URL's result in one run (by key); a fresh check wins over a reused one.
        Rows this linkaudit cannot read (a verdict from a newer version) are left out."""
        out: dict[str, CheckResult] = {}
        for row in self._query(
            f"SELECT {RESULT_VALUES}, r.from_cache FROM results AS r {REPEATED}"
            " WHERE r.run_id = ? ORDER BY r.key, r.from_cache, r.id DESC",
            (run_id,),
        ):
            if row[1] in out:
                continue
            try:
                out[row[1]] = result_from_row(*row[1:8], from_cache=bool(row[8]))
            except (ValueError, KeyError, TypeError):
                continue
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
            rows = self._query(select + order)
        else:
            # Sorted chunks, each sorted by key: the rows arrive in the same order
            # as from one query over everything.
            rows = []
            for chunk in chunks(sorted(wanted)):
                rows += self._query(
                    f"{select} WHERE results.key IN ({marks(len(chunk))}){order}", chunk
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
        for key, verdict in self._query(
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
            for (key,) in self._query(
                "SELECT key FROM results WHERE run_id IS NOT NULL AND from_cache = 0"
                f" AND verdict IN ({marks(len(FAILING))})",
                sorted(v.value for v in FAILING),
            )
        }

    def verdict_counts(self, since_run: int | None = None) -> dict[int, dict[str, int]]:
        """Per run (those with id >= ``since_run``): citations by verdict, where a
        checked citation takes its URL's result in that run (a fresh check over a
        reused one) and an unchecked one its own verdict.  One aggregate query: a
        long history must not mean one query per run."""
        out: dict[int, dict[str, int]] = defaultdict(dict)
        for run_id, verdict, count in self._query(
            "SELECT c.run_id, COALESCE(c.verdict, (SELECT r.verdict FROM results r"
            " WHERE r.run_id = c.run_id AND r.key = c.key"
            " ORDER BY r.from_cache, r.id DESC LIMIT 1)) AS v, COUNT(*)"
            " FROM run_citations c WHERE c.run_id >= ? GROUP BY c.run_id, v",
            (since_run or 0,),
        ):
            if verdict is not None and _verdict(verdict) is not None:
                out[int(run_id)][verdict] = int(count)
        return dict(out)

    # ------------------------------------------------------------------ citations

    def documents(self, run_id: int) -> list[DocumentRow]:
        return [
            DocumentRow(run_id, origin, title, canonical, load_time(cited))
            for origin, title, canonical, cited in self._query(
                "SELECT origin, title, canonical_url, cited_at FROM documents"
                " WHERE run_id = ? ORDER BY origin",
                (run_id,),
            )
        ]

    def citations(self, run_id: int, document: str | None = None) -> list[CitationRow]:
        """A run's citations in document order (one document's, if named)."""
        sql = (
            "SELECT document, key, url, kind, line, col, anchor_text, verdict, reason"
            " FROM run_citations WHERE run_id = ?"
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
            for doc, key, url, kind, line, col, text, verdict, reason in self._query(sql, params)
        ]

    def cited(
        self, run_id: int, keys: Iterable[str] | None = None
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Each URL key cited in a run (or just those of ``keys`` it cites):
        ``(url as written, citing documents)``.

        Checked citations only (an unchecked one carries a verdict we know), in
        :meth:`citations`' order: the first spelling wins, documents in order.
        """
        select = "SELECT key, url, document, verdict FROM run_citations WHERE run_id = ?"
        order = " ORDER BY document, line, col, id"
        wanted = None if keys is None else set(keys)
        rows: list[Any]
        if wanted is None or len(wanted) > _MANY_KEYS:
            rows = self._query(f"{select} AND key IS NOT NULL{order}", (run_id,))
        else:  # a key's citations all come in one chunk, in order
            rows = []
            for chunk in chunks(sorted(wanted)):
                rows += self._query(
                    f"{select} AND key IN ({marks(len(chunk))}){order}", (run_id, *chunk)
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
        self, run_id: int, learned: Iterable[tuple[str, date | str, ArchiveMark, str]]
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
            for key, day, mark, note in learned
        ]
        if not rows:
            return
        sql = (
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
            self._db.write((sql, rows))
        except DatabaseError as exc:
            raise StoreError(f"cannot record archive copies: {exc}") from exc

    def archive_marks(self, run_id: int) -> dict[str, ArchiveMark]:
        """Per URL key: whether the run looked for a copy and what it found."""
        out: dict[str, ArchiveMark] = {}
        for key, looked, archive, archive_url, captured in self._query(
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

        for url, copy_text in self._query(
            "SELECT url, copy FROM archive_lookups WHERE copy IS NOT NULL ORDER BY url, target_day"
        ):
            try:
                copy = copy_from_json(copy_text)
            except (ValueError, KeyError, TypeError):
                continue
            if copy is not None:
                add(KnownCopy(match_key(url), copy.archive, copy.url, copy.captured_at))
        for key, archive, archive_url, captured in self._query(
            "SELECT key, archive, archive_url, captured_at FROM run_archives"
            " WHERE archive_url IS NOT NULL ORDER BY key, run_id"
        ):
            at = load_time(captured)
            if at is not None:
                add(KnownCopy(match_key(key), archive or "", archive_url, at))
        return dict(out)
