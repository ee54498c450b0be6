"""What content drift keeps between runs (``--drift``).

Four tables, keyed by one URL and engine-neutral SQL (``?`` placeholders,
``ON CONFLICT``), so a server store can run the same statements:

- ``drift_baselines``: the first observation of each page judged ``ok``, as the
  bytes of a ``linkaudit.check.drift.Fingerprint`` (the store knows no stage, so
  it keeps bytes and the drift stage reads them).  Never replaced: it is the baseline
  of every later run, with no archive request.
- ``drift_captures``: fingerprints of archived captures, by memento URL.  A
  capture never changes, so it is kept forever and fetched once.
- ``drift_checks``: the last comparison per URL with the live page's validators
  (``ETag``, ``Last-Modified``): when a warm run's check comes from the result
  cache, or the page answers with the same validators, the stored comparison is
  the answer and nothing is fetched or compared again.

- ``run_drift``: each run's comparisons (level, similarity), for the health page's
  drift over time and its most-changed sources.

Fingerprints are stored as base64 text (portable: no BLOB/BYTEA difference).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from linkaudit.store.base import Clock, Database, DatabaseError, warn_once
from linkaudit.store.codec import dump_time, load_time


@dataclass(frozen=True)
class DriftRow:
    """One URL's comparison in one run: its level, the finding's reason, similarity."""

    key: str
    level: str
    reason: str
    similarity: float
    baseline_url: str | None = None


@dataclass(frozen=True)
class StoredCheck:
    """The last drift comparison of a URL: the validators it was made under and
    the outcome (a JSON-ready mapping, see ``linkaudit.check.drift_stage``)."""

    checked_at: datetime
    validators: tuple[str, str]
    outcome: dict[str, object]


def _pack(fingerprint: bytes) -> str:
    return base64.b64encode(fingerprint).decode("ascii")


def _unpack(text: object) -> bytes | None:
    try:
        return base64.b64decode(str(text).encode("ascii"), validate=True)
    except ValueError:
        return None


class DriftStore:
    """Baselines, captures and last comparisons (see the module docstring)."""

    def __init__(self, db: Database, now: Clock) -> None:
        self._db = db
        self._now = now

    def baseline(self, url: str) -> tuple[bytes, datetime] | None:
        """The first observation of ``url`` and when it was made, if any."""
        row = self._one("SELECT fingerprint, observed_at FROM drift_baselines WHERE url = ?", url)
        if row is None:
            return None
        found, when = _unpack(row[0]), load_time(str(row[1]))
        return None if found is None or when is None else (found, when)

    def keep_baseline(self, url: str, fingerprint: bytes) -> None:
        """Keep ``fingerprint`` as ``url``'s first observation unless one is kept already."""
        self._write(
            "INSERT INTO drift_baselines (url, observed_at, fingerprint) VALUES (?, ?, ?)"
            " ON CONFLICT (url) DO NOTHING",
            (url, dump_time(self._now()), _pack(fingerprint)),
        )

    def capture(self, memento: str) -> bytes | None:
        """The fingerprint of an archived capture fetched before."""
        row = self._one("SELECT fingerprint FROM drift_captures WHERE memento = ?", memento)
        return None if row is None else _unpack(row[0])

    def keep_capture(self, memento: str, fingerprint: bytes) -> None:
        self._write(
            "INSERT INTO drift_captures (memento, fetched_at, fingerprint) VALUES (?, ?, ?)"
            " ON CONFLICT (memento) DO NOTHING",
            (memento, dump_time(self._now()), _pack(fingerprint)),
        )

    def last_check(self, url: str) -> StoredCheck | None:
        row = self._one(
            "SELECT checked_at, validators, outcome FROM drift_checks WHERE url = ?", url
        )
        if row is None:
            return None
        try:
            when = load_time(str(row[0]))
            etag, modified = json.loads(str(row[1]))
            outcome = json.loads(str(row[2]))
        except (ValueError, TypeError):
            return None
        if when is None or not isinstance(outcome, dict):
            return None
        return StoredCheck(when, (str(etag), str(modified)), outcome)

    def keep_check(self, url: str, validators: tuple[str, str], outcome: dict[str, object]) -> None:
        self._write(
            "INSERT INTO drift_checks (url, checked_at, validators, outcome) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at,"
            " validators = excluded.validators, outcome = excluded.outcome",
            (url, dump_time(self._now()), json.dumps(list(validators)), json.dumps(outcome)),
        )

    def record_run(self, run_id: int, rows: Sequence[DriftRow]) -> None:
        """Keep one run's comparisons (one row per URL)."""
        if not rows:
            return
        self._write_many(
            "INSERT INTO run_drift (run_id, key, level, reason, similarity, baseline_url)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING",
            [(run_id, r.key, r.level, r.reason, r.similarity, r.baseline_url) for r in rows],
        )

    def run_counts(self, since_run: int = 0) -> dict[int, dict[str, int]]:
        """Per run (id >= ``since_run``): compared URLs by level (``drifted``, ...)."""
        out: dict[int, dict[str, int]] = {}
        try:
            found = self._db.query(
                "SELECT run_id, level, COUNT(*) FROM run_drift WHERE run_id >= ?"
                " GROUP BY run_id, level",
                (since_run,),
            )
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return out
        for run_id, level, count in found:
            out.setdefault(int(run_id), {})[str(level)] = int(count)
        return out

    def most_changed(self, run_id: int, limit: int = 20) -> list[DriftRow]:
        """The run's changed or drifted URLs, least similar first."""
        try:
            found = self._db.query(
                "SELECT key, level, reason, similarity, baseline_url FROM run_drift"
                " WHERE run_id = ? AND level IN ('changed', 'drifted')"
                " ORDER BY similarity, key LIMIT ?",
                (run_id, limit),
            )
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return []
        return [
            DriftRow(str(k), str(lv), str(r), float(s), None if b is None else str(b))
            for k, lv, r, s, b in found
        ]

    def _write_many(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        try:
            self._db.write((sql, rows))
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)

    def _one(self, sql: str, *params: object) -> tuple[object, ...] | None:
        try:
            return self._db.query_one(sql, params)
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return None

    def _write(self, sql: str, row: tuple[object, ...]) -> None:
        try:
            self._db.write((sql, [row]))
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)
