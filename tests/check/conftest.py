"""Fixtures for the checking tests: a fake clock and the link zoo, run once per module."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from linkaudit.check import check_urls_sync
from linkaudit.check.limiter import ScaledClock
from linkaudit.model import CheckResult
from linkaudit.testing.zoo import Zoo


class FakeClock:
    """Time that moves only when the engine sleeps, so backoff is asserted, not waited."""

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

    ``FakeClock`` adds each sleep to one counter, which is right for one URL at a
    time; concurrent sleeps must overlap instead, as on a real clock.  A driver task
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


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class ZooRun:
    zoo: Zoo
    results: dict[str, CheckResult]
    wall: float
    clock: ScaledClock


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    with Zoo() as built:
        yield built


@pytest.fixture(scope="module")
def zoo_run(zoo: Zoo) -> ZooRun:
    """Every zoo case checked in one concurrent run, as a real audit would."""
    zoo.server.reset_stats()
    clock = zoo.clock()
    started = time.monotonic()
    results = check_urls_sync(zoo.keys(), zoo.options(), resolver=zoo.resolver, clock=clock)
    return ZooRun(zoo, results, time.monotonic() - started, clock)
