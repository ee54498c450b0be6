"""Politeness rules of the limiter, on a fake clock."""

from __future__ import annotations

import asyncio

from linkaudit.check import Limiter

from .conftest import FakeClock


async def test_per_host_and_global_concurrency() -> None:
    limiter = Limiter(concurrency=3, per_host=2)
    running: dict[str, int] = {"a": 0, "b": 0}
    peak = {"a": 0, "b": 0, "all": 0}

    async def request(host: str) -> None:
        async with limiter.slot(host):
            running[host] += 1
            peak[host] = max(peak[host], running[host])
            peak["all"] = max(peak["all"], sum(running.values()))
            await asyncio.sleep(0.005)
            running[host] -= 1

    await asyncio.gather(*(request(h) for h in "ab" * 6))
    assert peak["a"] == 2
    assert peak["b"] == 2
    assert peak["all"] == 3


async def test_interval_between_request_starts(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, host_interval=2.0, clock=clock)
    starts: list[float] = []

    async def request() -> None:
        async with limiter.slot("h:80"):
            starts.append(clock.monotonic())

    await asyncio.gather(*(request() for _ in range(3)))
    assert starts == [0.0, 2.0, 4.0]


async def test_penalty_pauses_and_then_relaxes(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    limiter.penalize("h:80", 5.0)
    async with limiter.slot("h:80"):
        assert clock.monotonic() >= 5.0
    async with limiter.slot("other:80"):
        pass
    assert clock.monotonic() < 6.0  # other hosts are not slowed down
    for _ in range(20):
        limiter.relax("h:80")
    before = clock.monotonic()
    async with limiter.slot("h:80"):
        pass
    async with limiter.slot("h:80"):
        pass
    assert clock.monotonic() - before < 0.2
