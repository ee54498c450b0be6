"""Fixtures for the archive tests: a running stand-in and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkaudit.archive import RateLimiter
from linkaudit.testing.archive import ArchiveStandIn


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def limiter(self, per_minute: float = 30.0, burst: int = 5) -> RateLimiter:
        return RateLimiter(per_minute, burst, clock=self, sleep=self.sleep)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stand_in() -> Iterator[ArchiveStandIn]:
    with ArchiveStandIn() as server:
        yield server
