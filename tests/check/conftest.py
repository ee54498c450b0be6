"""Fixtures for the checking tests: a fake clock and the link zoo, run once per module."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from linkaudit.check import check_urls_sync
from linkaudit.check.limiter import ScaledClock
from linkaudit.model import CheckResult
from linkaudit.testing.clock import VirtualClock
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
