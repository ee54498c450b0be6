"""Check results: the cache the engine reads before it asks the network, and each
run's claim on the results it reported.

One table, ``results``, serves both: a fresh result is stored (:meth:`ResultStore.put`)
the moment it is known, so a killed run keeps what it learned, and the run then
claims it (:meth:`ResultStore.record`); a result reused from the cache is recorded
again with ``from_cache`` set, so the history can tell a new observation from a
repeated one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from linkaudit.model import CheckResult
from linkaudit.store.base import (
    CachePolicy,
    Clock,
    Database,
    DatabaseError,
    StoreError,
    chunks,
    warn_once,
)
from linkaudit.store.codec import dump_time, evidence_json, result_from_row

_INSERT_RESULT = (
    "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
    " run_id, from_cache) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A reused result that repeats a claimed row: its detail and evidence are that row's.
_INSERT_REUSE = (
    "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
    " run_id, from_cache, same_as) VALUES (?, ?, ?, ?, '', '', ?, ?, 1, ?)"
)
#: A result row's values with a reused row's detail and evidence read from the row it
#: repeats; ``r`` the row, ``s`` the one it names.  The first value is the id a reuse
#: of this row names: the original's, so a chain of warm runs never nests.
RESULT_VALUES = (
    "COALESCE(r.same_as, r.id), r.key, r.url, r.verdict, r.reason,"
    " COALESCE(s.detail, r.detail), COALESCE(s.evidence, r.evidence), r.checked_at"
)
REPEATED = "LEFT JOIN results AS s ON s.id = r.same_as"
#: Earlier results for a key that no run has claimed: superseded by a newer put, so a
#: cache used without history stays one row per URL.
_DELETE_UNCLAIMED = "DELETE FROM results WHERE key = ? AND run_id IS NULL"
_CLAIM = (
    "UPDATE results SET run_id = ? WHERE id = (SELECT id FROM results"
    " WHERE key = ? AND checked_at = ? AND run_id IS NULL ORDER BY id DESC LIMIT 1)"
)
_COLUMNS = f"SELECT {RESULT_VALUES}, r.run_id"
#: The latest row of each key in ``k``: the one :meth:`ResultStore.get` answers from.
_LATEST = (
    " JOIN results AS r ON r.id = (SELECT x.id FROM results AS x WHERE x.key = k.key"
    f" ORDER BY x.checked_at DESC, x.id DESC LIMIT 1) {REPEATED}"
)


class CachedResults:
    """Stored results read in one go (:meth:`ResultStore.snapshot`): each key's
    latest row, decoded (and judged by the reuse policy) only when asked for."""

    def __init__(self, results: ResultStore, rows: dict[str, tuple[Any, ...]]) -> None:
        self._results = results
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def get(self, key: str) -> CheckResult | None:
        """What :meth:`ResultStore.get` answers, as of the snapshot."""
        row = self._rows.get(key)
        return None if row is None else self._results._reuse(row)


class ResultStore:
    """The check engine's :class:`~linkaudit.store.base.BatchResultCache`, and the
    record of which results each run reported."""

    def __init__(self, db: Database, policy: CachePolicy, now: Clock) -> None:
        self._db = db
        self.policy = policy
        self.now = now
        #: Per key, the stored values (``key`` to ``checked_at``), the result
        #: :meth:`get` last handed out and the id of the claimed row it repeats (None:
        #: unclaimed), so recording its reuse need not re-encode or repeat it.
        self._served_rows: dict[str, tuple[tuple[Any, ...], CheckResult, int | None]] = {}

    # ------------------------------------------------------------------ reading

    def get(self, key: str) -> CheckResult | None:
        """The latest result for ``key`` if the policy allows reusing it, marked
        ``from_cache``.  A transient latest result hides older definitive ones: the
        last thing seen is what the next run must re-check."""
        try:
            row = self._db.query_one(
                f"SELECT {RESULT_VALUES}, r.run_id FROM results AS r {REPEATED}"
                " WHERE r.key = ? ORDER BY r.checked_at DESC, r.id DESC LIMIT 1",
                (key,),
            )
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return None
        return None if row is None else self._reuse(row)

    def snapshot(self, keys: Iterable[str] | None = None) -> CachedResults | None:
        """What :meth:`get` would answer for each of ``keys`` (default: every key
        stored), read in one query (named keys: a few hundred per query) instead
        of one query per key.  Later writes are not in it.  None, with a warning,
        when the store cannot be read."""
        queries: list[tuple[str, Sequence[str]]]
        if keys is None:
            queries = [(f"{_COLUMNS} FROM (SELECT DISTINCT key FROM results) AS k{_LATEST}", ())]
        else:
            queries = [
                (
                    f"WITH k (key) AS (VALUES {', '.join(['(?)'] * len(chunk))})"
                    f" {_COLUMNS} FROM k{_LATEST}",
                    chunk,
                )
                for chunk in chunks(sorted(set(keys)))
            ]
        rows: dict[str, tuple[Any, ...]] = {}
        try:
            for sql, params in queries:
                for row in self._db.query(sql, params):
                    rows[row[1]] = row
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return None
        return CachedResults(self, rows)

    def latest_rows(self, keys: Iterable[str]) -> dict[str, tuple[Any, ...]] | None:
        """Each key's latest row, as :meth:`get` would read it, without its detail and
        evidence: (the id a reuse names, key, url, verdict, reason, checked_at, run
        id).  What ``linkaudit.reuse`` judges and :meth:`record_rows` records.  None,
        with a warning, when the store cannot be read."""
        rows: dict[str, tuple[Any, ...]] = {}
        try:
            for chunk in chunks(sorted(set(keys))):
                values = ", ".join(["(?)"] * len(chunk))
                for row in self._db.query(
                    f"WITH k (key) AS (VALUES {values})"
                    " SELECT COALESCE(r.same_as, r.id), r.key, r.url, r.verdict, r.reason,"
                    " r.checked_at, r.run_id FROM k JOIN results AS r ON r.id ="
                    " (SELECT x.id FROM results AS x WHERE x.key = k.key"
                    " ORDER BY x.checked_at DESC, x.id DESC LIMIT 1)",
                    chunk,
                ):
                    rows[str(row[1])] = tuple(row)
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return None
        return rows

    def _reuse(self, row: Sequence[Any]) -> CheckResult | None:
        """A stored row (the id a reuse names first, its run's id last) as :meth:`get`
        answers it: decoded, marked ``from_cache``, None when unreadable or the policy
        refuses to reuse it.

        Remembers the row it handed out, so :meth:`record` can record the reuse
        by reference (a claimed row) or from the stored values, instead of encoding
        the result again.
        """
        stored = tuple(row[1:-1])
        try:
            result = result_from_row(*stored, from_cache=True)
        except (ValueError, KeyError, TypeError):  # e.g. a verdict from a newer version
            return None
        if not self.policy.reusable(result, self.now()):
            return None
        # only a claimed row can be named: an unclaimed one is deleted when a newer
        # result for its key is put (``_DELETE_UNCLAIMED``)
        named = int(row[0]) if row[-1] is not None else None
        self._served_rows[result.key] = (stored, result, named)
        return result

    # ------------------------------------------------------------------ writing

    def put(self, result: CheckResult) -> None:
        """Store a fresh result; results read from the cache are already stored.

        Supersedes earlier results for the key that no run has recorded, so a
        cache used without history stays one row per URL.
        """
        self.put_many((result,))

    def put_many(self, results: Iterable[CheckResult]) -> None:
        """:meth:`put` for a batch, in one transaction."""
        # The last result of a key wins, as if each had been put in turn.
        fresh = list({r.key: r for r in results if not r.from_cache}.values())
        if not fresh:
            return
        try:
            self._db.write(
                (_DELETE_UNCLAIMED, [(r.key,) for r in fresh]),
                (_INSERT_RESULT, [self._row(r, None) for r in fresh]),
            )
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)

    def forget(self, keys: Iterable[str], since: datetime) -> None:
        """Drop the results stored for ``keys`` since ``since`` that no run claimed:
        what a run learned when its network was down is not knowledge (a resolver
        answering NXDOMAIN for everything must not leave "broken" in the cache)."""
        rows = [(key, dump_time(since)) for key in dict.fromkeys(keys)]
        try:
            self._db.write(
                (
                    "DELETE FROM results WHERE key = ? AND run_id IS NULL AND checked_at >= ?",
                    rows,
                )
            )
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)

    def record(self, run_id: int, results: Iterable[CheckResult]) -> None:
        """Tie each result to the run: a fresh result already :meth:`put` is claimed
        (not duplicated); a reused one is recorded with ``from_cache`` so history can
        tell a new observation from a repeated one.

        A reused result exactly as :meth:`get` handed it out (a warm run's bulk) is
        written by reference to the claimed row it repeats (``same_as``: its detail
        and evidence are not stored again), or from the stored row it was read from
        when that row is unclaimed; never encoded again.  New rows are written in
        one batch each, in the order given.
        """
        served = self._served_rows
        try:
            with self._db.transaction() as db:
                rows: list[tuple[Any, ...]] = []
                repeats: list[tuple[Any, ...]] = []
                for result in results:
                    if not result.from_cache:
                        checked = dump_time(result.checked_at or self.now())
                        if db.execute(_CLAIM, (run_id, result.key, checked)).rowcount:
                            continue
                    else:
                        source = served.get(result.key)
                        if source is not None and source[1] == result:
                            stored, named = source[0], source[2]
                            if named is None:
                                rows.append((*stored, run_id, 1))
                            else:
                                key, url, verdict, reason = stored[:4]
                                checked = stored[6]
                                repeats.append((key, url, verdict, reason, checked, run_id, named))
                            continue
                    rows.append(self._row(result, run_id))
                db.executemany(_INSERT_RESULT, rows)
                db.executemany(_INSERT_REUSE, repeats)
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot record results: {exc}") from exc

    def record_rows(
        self, run_id: int, rows: Iterable[tuple[Any, ...]], skip: Collection[str] = ()
    ) -> None:
        """Record this run's reuse of recorded rows as :meth:`latest_rows` read them,
        each by reference to the row it repeats: whole documents a warm run reused
        (``linkaudit.reuse``), never decoded.  Keys in ``skip`` were recorded already."""
        repeats = [
            (key, url, verdict, reason, checked, run_id, int(named))
            for named, key, url, verdict, reason, checked, _run in rows
            if key not in skip
        ]
        try:
            self._db.write((_INSERT_REUSE, repeats))
        except DatabaseError as exc:
            raise StoreError(f"{self._db.name}: cannot record results: {exc}") from exc

    def _row(self, result: CheckResult, run_id: int | None) -> tuple[Any, ...]:
        return result_values(result, result.checked_at or self.now(), run_id)


def result_values(
    result: CheckResult, checked_at: datetime | None, run_id: int | None
) -> tuple[Any, ...]:
    """The values of an ``INSERT INTO results`` (:data:`_INSERT_RESULT`'s columns):
    one row shape for every engine and for the work queue's completions."""
    return (
        result.key,
        result.url,
        result.verdict.value,
        result.reason,
        result.detail,
        evidence_json(result),
        dump_time(checked_at),
        run_id,
        int(result.from_cache),
    )
