"""A virtual clock for the engine (``linkaudit.check.limiter.Clock``): no real time passes.

Tests and benchmarks of pacing measure gaps, pauses and who waited for whom in
virtual seconds, exactly and at once, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import heapq
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Time that moves only when the engine sleeps, so backoff is asserted, not waited.

    Each sleep adds to one counter: right for one URL at a time."""

    def __init__(self, start: datetime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) -> None:
        self.start = start
        self.t = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)


class VirtualClock(FakeClock):
    """Time that moves only when every task is asleep, to the earliest wake-up.

    ``FakeClock`` adds each sleep to one counter; concurrent sleeps must overlap
    instead, as on a real clock.  A driver task
    lets everything runnable run (many loop turns, no real I/O happens under a
    ``MockTransport``), then jumps to the earliest sleeper's wake-up time.
    """

    #: Loop turns given to runnable tasks before time jumps.
    TURNS = 50

    def __init__(self, start: datetime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) -> None:
        super().__init__(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._driver: asyncio.Task[None] | None = None

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.t + seconds, self._seq, future))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(self.TURNS):
                await asyncio.sleep(0)
            if not self._sleepers:
                return
            self.t = max(self.t, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self.t:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
