"""A token bucket for archive requests, with a pause that a 429 can impose.

Archive servers ban clients, not requests: the CDX server blocks an address that
keeps asking past its limit or ignores ``Retry-After``.  So every request to one
archive waits on one shared bucket, and a 429 pauses the whole bucket, not just the
request that got it.  The clock and sleep are injectable so tests can assert the
waiting without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from linkaudit import httputil

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """At most ``per_minute`` acquisitions a minute on average, ``burst`` at once."""

    def __init__(
        self,
        per_minute: float,
        burst: int = 1,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = float(max(1, burst))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting, for reports and tests
        self.acquired = 0

    def pause(self, seconds: float) -> None:
        """Let nothing through for ``seconds`` from now (a 429's Retry-After)."""
        until = self._clock() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)
        # Resume with one request, then the normal rate: a probe, not a burst.
        self._tokens = 1.0
        self._updated = max(self._updated, until)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._wait(self._paused_until - now)
                    continue
                if now > self._updated:
                    self._tokens = min(
                        self.capacity, self._tokens + (now - self._updated) * self.rate
                    )
                    self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.acquired += 1
                    return
                await self._wait((1.0 - self._tokens) / self.rate)

    async def _wait(self, seconds: float) -> None:
        self.waited += seconds
        await self._sleep(seconds)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), else None.

    The archive clients keep no clock of their own, so ``now`` defaults to the wall
    clock; the parsing itself is :func:`linkaudit.httputil.retry_after_seconds`, the
    one the checker uses too, so both read a header the same way.
    """
    return httputil.retry_after_seconds(value, now=now if now is not None else datetime.now(UTC))
