"""How values are spelled in the store: times as text, evidence and copies as JSON.

Stored datetimes are ISO 8601 in UTC with microseconds: lexically sortable, so
"latest" is an ORDER BY on text in any engine, and exact, so a round trip loses
nothing.  (``serialize.to_jsonable`` drops microseconds, which is right for
reports only.)
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import orjson

from linkaudit.model import ArchiveCopy, CheckResult, Hop, Verdict, as_utc


def load_json(text: str) -> Any:
    """``json.loads`` of what the store wrote, by orjson where it can: a warm run
    decodes every reused result's evidence and every cached extraction (7,040 and
    2,000 texts on the benchmark's repository: 38 and 22 ms with ``json``, 8 and
    12 ms with orjson).  The store writes ASCII JSON that may escape a lone
    surrogate (text read from odd input), which orjson refuses; ``json`` reads
    those, and still raises ValueError on anything that is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


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
            **({"internal": True} if result.internal else {}),
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
    data: dict[str, Any] = load_json(evidence)
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
        internal=bool(data.get("internal", False)),
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
