"""The store's interface, reuse policy and JSON codec, independent of SQLite.

The check engine and the archive stage depend only on the small protocols here, so
a shared server database (PostgreSQL, for teams) can be added later without
touching them; :mod:`linkaudit.store.sqlite` is the embedded default.  The reuse
policy lives here too because it is a rule about verdicts, not about storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from linkaudit.errors import LinkauditError
from linkaudit.model import ArchiveCopy, CheckResult, Citation, Document, Hop, Verdict

#: ``blocked`` reasons that mean "ask again later", not "this host refuses robots".
TRANSIENT_BLOCKED_REASONS: frozenset[str] = frozenset({"rate_limited"})


class StoreError(LinkauditError):
    """The store cannot be used at all (e.g. written by a newer linkaudit)."""

    exit_code = 2


class ResultCache(Protocol):
    """What the check engine needs: a result for a normalised URL, or None."""

    def get(self, key: str) -> CheckResult | None: ...

    def put(self, result: CheckResult) -> None: ...


class RunHistory(Protocol):
    """What a run records so issue 7's health reports can read it back."""

    def begin_run(self, sources: Iterable[str], settings: Mapping[str, Any]) -> int: ...

    def finish_run(self, run_id: int) -> None: ...

    def record_citations(
        self, run_id: int, citations: Iterable[Citation], documents: Iterable[Document] = ()
    ) -> None: ...

    def record_results(self, run_id: int, results: Iterable[CheckResult]) -> None: ...


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


def is_transient(result: CheckResult) -> bool:
    """Whether a result only describes this moment (never reused, never "death")."""
    return result.verdict is Verdict.UNREACHABLE or (
        result.verdict is Verdict.BLOCKED and result.reason in TRANSIENT_BLOCKED_REASONS
    )


# --------------------------------------------------------------------------- codec
# Stored datetimes are ISO 8601 in UTC with microseconds: lexically sortable, so
# "latest" is an ORDER BY on text, and exact, so a round trip loses nothing.
# (serialize.to_jsonable drops microseconds, which is right for reports only.)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, the convention across the model."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def dump_time(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat(timespec="microseconds")


def load_time(text: str | None) -> datetime | None:
    return None if text is None else as_utc(datetime.fromisoformat(text))


def day_text(target_day: date | str) -> str:
    """Archive lookups are keyed by the target *day* (``YYYY-MM-DD``)."""
    if isinstance(target_day, datetime):
        return as_utc(target_day).date().isoformat()
    if isinstance(target_day, date):
        return target_day.isoformat()
    return date.fromisoformat(target_day).isoformat()


def evidence_json(result: CheckResult) -> str:
    """Everything of a result that is not its own column."""
    return json.dumps(
        {
            "chain": [
                {
                    "url": hop.url,
                    "status": hop.status,
                    "method": hop.method,
                    "location": hop.location,
                    "note": hop.note,
                }
                for hop in result.chain
            ],
            "final_url": result.final_url,
            "status": result.status,
            "attempts": result.attempts,
            "elapsed": result.elapsed,
            "notes": list(result.notes),
            "retry_after": dump_time(result.retry_after),
        },
        separators=(",", ":"),
    )


def result_from_row(
    key: str,
    url: str,
    verdict: str,
    reason: str,
    detail: str,
    evidence: str,
    checked_at: str,
    *,
    from_cache: bool,
) -> CheckResult:
    data: dict[str, Any] = json.loads(evidence)
    return CheckResult(
        key=key,
        url=url,
        verdict=Verdict(verdict),
        reason=reason,
        detail=detail,
        chain=tuple(
            Hop(
                url=h["url"],
                status=h.get("status"),
                method=h.get("method", "GET"),
                location=h.get("location"),
                note=h.get("note", ""),
            )
            for h in data.get("chain", [])
        ),
        final_url=data.get("final_url"),
        status=data.get("status"),
        attempts=int(data.get("attempts", 0)),
        elapsed=float(data.get("elapsed", 0.0)),
        checked_at=load_time(checked_at),
        retry_after=load_time(data.get("retry_after")),
        notes=tuple(data.get("notes", [])),
        from_cache=from_cache,
    )


def copy_json(copy: ArchiveCopy | None) -> str | None:
    if copy is None:
        return None
    return json.dumps(
        {
            "archive": copy.archive,
            "url": copy.url,
            "original_url": copy.original_url,
            "captured_at": dump_time(copy.captured_at),
            "distance_days": copy.distance_days,
            "before": copy.before,
            "status": copy.status,
        },
        separators=(",", ":"),
    )


def copy_from_json(text: str | None) -> ArchiveCopy | None:
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    captured = load_time(data["captured_at"])
    assert captured is not None
    return ArchiveCopy(
        archive=data["archive"],
        url=data["url"],
        original_url=data["original_url"],
        captured_at=captured,
        distance_days=float(data["distance_days"]),
        before=bool(data["before"]),
        status=data.get("status"),
    )
