"""Helpers for the store tests (a unique module name: every test dir has a conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkaudit.model import CheckResult, Hop, Verdict
from linkaudit.store import Store
from linkaudit.store.codec import result_from_row

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


class Clock:
    """A wall clock that moves only when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_result(
    key: str = "https://example.org/a",
    verdict: Verdict = Verdict.BROKEN,
    reason: str = "http_404",
    *,
    checked_at: datetime | None = T0,
    **extra: object,
) -> CheckResult:
    return CheckResult(
        key=key,
        url=key,
        verdict=verdict,
        reason=reason,
        detail=f"{verdict.value} because {reason}",
        checked_at=checked_at,
        **extra,  # type: ignore[arg-type]
    )


def full_result() -> CheckResult:
    """A result with every field set, to prove a round trip loses nothing."""
    return CheckResult(
        key="https://example.org/old",
        url="https://Example.org/old?utm=1",
        verdict=Verdict.MOVED,
        reason="permanent_redirect",
        detail="Permanently redirected to https://example.org/new.",
        chain=(
            Hop("https://example.org/old", 301, "HEAD", "/new", "permanent"),
            Hop("https://example.org/new", 200, "GET", None, ""),
        ),
        final_url="https://example.org/new",
        status=200,
        attempts=2,
        elapsed=0.4375,
        checked_at=T0,
        retry_after=T0 + timedelta(seconds=90, microseconds=5),
        notes=("retried after reset", "ünïcode note"),
        from_cache=False,
    )


def stored_results(store: Store, key: str) -> list[tuple[int | None, CheckResult]]:
    """Every row the store holds for a URL, oldest first, with its run (None: no run
    claimed it).  Read straight from the table: no reader of the store needs every
    row (the cache wants the latest, the history one per run), but a test of how
    rows are superseded and claimed does."""
    rows = store.db.query(
        "SELECT key, url, verdict, reason, detail, evidence, checked_at, from_cache, run_id"
        " FROM results WHERE key = ? ORDER BY checked_at, id",
        (key,),
    )
    return [(row[8], result_from_row(*row[:7], from_cache=bool(row[7]))) for row in rows]


def recorded_rows(store: Store, run_id: int) -> list[CheckResult]:
    """Every row a run recorded, in the order written (duplicates included)."""
    rows = store.db.query(
        "SELECT key, url, verdict, reason, detail, evidence, checked_at, from_cache"
        " FROM results WHERE run_id = ? ORDER BY id",
        (run_id,),
    )
    return [result_from_row(*row[:7], from_cache=bool(row[7])) for row in rows]
