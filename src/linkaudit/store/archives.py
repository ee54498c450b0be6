"""Archive lookups kept between runs: the archive stage's
:class:`~linkaudit.store.base.ArchiveCache`.

Keyed by URL and target day.  A found copy stays true (captures are not deleted)
so it lives long; "none found" may change as soon as someone saves the page, so
it lives a day (:class:`~linkaudit.store.base.CachePolicy`).  An outcome caused by
errors (``transient``) is never kept: an archive failing today says nothing
about tomorrow.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from linkaudit.model import ArchiveLookup, as_utc
from linkaudit.store.base import CachePolicy, Clock, Database, DatabaseError, warn_once
from linkaudit.store.codec import copy_from_json, copy_json, day_text, dump_time, load_time

_UPSERT = (
    "INSERT INTO archive_lookups (url, target_day, copy, note, looked_up_at, tried)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url, target_day) DO UPDATE SET"
    " copy = excluded.copy, note = excluded.note,"
    " looked_up_at = excluded.looked_up_at, tried = excluded.tried"
)


class ArchiveLookups:
    """Stored lookups by ``(url, target day)``, judged by the policy's ages."""

    def __init__(self, db: Database, policy: CachePolicy, now: Clock) -> None:
        self._db = db
        self.policy = policy
        self._now = now

    def get(self, url: str, target_day: date | str) -> ArchiveLookup | None:
        """A stored lookup still within its age, else None."""
        try:
            row = self._db.query_one(
                "SELECT copy, note, looked_up_at, tried FROM archive_lookups"
                " WHERE url = ? AND target_day = ?",
                (url, day_text(target_day)),
            )
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
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
        age = as_utc(self._now()) - looked_up_at
        if not timedelta(0) <= age < limit:
            return None
        return ArchiveLookup(copy=copy, note=row[1], tried=tried)

    def put(self, url: str, target_day: date | str, lookup: ArchiveLookup) -> None:
        """Keep ``lookup`` (replacing any earlier one for the same URL and day)
        unless it was caused by errors."""
        if lookup.transient:
            return
        row = (
            url,
            day_text(target_day),
            copy_json(lookup.copy),
            lookup.note,
            dump_time(self._now()),
            json.dumps(list(lookup.tried)),
        )
        try:
            self._db.write((_UPSERT, [row]))
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)
