"""Politeness rules of the limiter, on a fake clock."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from linkaudit.check import Limiter
from linkaudit.check import limiter as limiter_module
from linkaudit.check.options import HostSettings
from linkaudit.testing.clock import VirtualClock

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


async def test_a_host_refusing_everything_pauses_and_then_relaxes(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    assert not limiter.penalize("h:80", 5.0)  # one refusal says nothing about the host yet
    assert limiter.penalize("h:80", 5.0)  # two of two: it limits, and asks us to stop
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


async def test_a_refusal_among_many_answers_slows_nothing(clock: FakeClock) -> None:
    """Servers that refuse a small share of requests at random, whatever the rate."""
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    for round_ in range(5):
        for _ in range(19):
            async with limiter.slot("h:80"):
                pass
            limiter.relax("h:80")
        assert not limiter.penalize("h:80", 1.0), round_
    async with limiter.slot("h:80"):
        pass
    assert clock.monotonic() == 0.0  # never waited: only the refused URLs wait


@pytest.mark.parametrize(("apart", "slowed"), [(False, False), (True, True)])
async def test_two_refusals_in_flight_together_after_many_answers_are_chance(
    apart: bool, slowed: bool
) -> None:
    """Two requests sent together, both refused once the host has answered a dozen
    times: as likely a random refusal twice as a limit, so nothing is slowed.  The
    same two refusals, the second sent after the first came back, are a limit."""
    clock = VirtualClock()
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    for _ in range(12):
        async with limiter.slot("h:80"):
            await clock.sleep(0.04)
        limiter.relax("h:80")

    async def refused(after: float) -> bool:
        """Sent ``after`` seconds from now, refused 0.04 s later."""
        await clock.sleep(after)
        async with limiter.slot("h:80"):
            await clock.sleep(0.04)
        return limiter.penalize("h:80", 1.0)

    first, second = await asyncio.gather(refused(0.01), refused(0.1 if apart else 0.02))
    assert not first  # one refusal: its URL waits, the host is not slowed
    assert second is slowed


async def test_a_limiting_host_is_spaced_at_the_rate_it_let_through(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    for n in range(20):  # asked 20 times a second; only every fifth was answered
        async with limiter.slot("h:80"):
            pass
        if n % 5 == 4:
            limiter.relax("h:80")
        await clock.sleep(0.05)
    limiter.penalize("h:80", 1.0)
    assert limiter.penalize("h:80", 1.0)  # twice in a row: a rate limit, not a stop
    starts = []
    for _ in range(3):
        async with limiter.slot("h:80"):
            starts.append(clock.monotonic())
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(starts)]
    assert gaps == [0.25, 0.25]  # the last second over the 4 answers it allowed
    assert starts[0] < 2.0  # not held for the whole pause (it refused twice of 6, not most)


async def test_a_paced_host_is_stopped_by_its_refusals_since_the_last_stop(
    clock: FakeClock,
) -> None:
    """A flood's refusals do not stop a host already paced at the limit it showed.

    Flooded, a host showed its rate and was stopped for the pause; paced at that
    rate, it answered three times and refused once.  Half of its last answers are
    refusals (the flood's), but of those asked since the stop one in four: it goes
    on at its spacing instead of being stopped for a second again (a token bucket
    stopped so once a cycle let three answers through every two seconds)."""
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    for n in range(20):  # asked 20 times a second; only every fifth was answered
        async with limiter.slot("h:80"):
            pass
        if n % 5 == 4:
            limiter.relax("h:80")
        await clock.sleep(0.05)
    for _ in range(6):  # the flood: refused six times, half of its ten answers
        limiter.penalize("h:80", 1.0)
    async with limiter.slot("h:80"):
        resumed = clock.monotonic()
    assert resumed >= 2.0  # stopped for the pause
    limiter.relax("h:80")
    for _ in range(2):
        async with limiter.slot("h:80"):
            pass
        limiter.relax("h:80")
    async with limiter.slot("h:80"):
        pass
    refused = clock.monotonic()
    assert limiter.penalize("h:80", 1.0)  # past its rate again: spaced, not stopped
    async with limiter.slot("h:80"):
        assert clock.monotonic() - refused < 0.5


async def test_refusals_at_the_pace_allowed_halve_it_and_no_more(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    for _ in range(8):  # asked 4 times a second, every request answered
        async with limiter.slot("h:80"):
            pass
        limiter.relax("h:80")
        await clock.sleep(0.25)
    limiter.penalize("h:80", 1.0)
    assert limiter.penalize("h:80", 1.0)
    starts = []
    for _ in range(3):
        async with limiter.slot("h:80"):
            starts.append(clock.monotonic())
    assert [b - a for a, b in itertools.pairwise(starts)] == [0.5, 0.5]


async def test_the_spacing_is_forgotten_when_refusals_stop(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=10, per_host=10, clock=clock)
    limiter.penalize("h:80", 8.0)
    limiter.penalize("h:80", 8.0)  # no answers yet: spacing doubles from 0.05
    for _ in range(6):
        limiter.penalize("h:80", 8.0)
    async with limiter.slot("h:80"):
        pass
    first = clock.monotonic()
    await clock.sleep(60.0)  # a minute with no refusal (and no answers either)
    async with limiter.slot("h:80"):
        pass
    async with limiter.slot("h:80"):
        pass
    assert clock.monotonic() - first - 60.0 < 0.2  # spacing halved six times over


class _Requests:
    """Requests that hold their slot until released by name, recording who got one when."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter
        self.granted: list[str] = []
        self.done: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def _hold(self, host: str, name: str) -> None:
        async with self.limiter.slot(host):
            self.granted.append(name)
            await self.done[name].wait()

    async def start(self, host: str, *names: str) -> None:
        for name in names:
            self.done[name] = asyncio.Event()
            self.tasks[name] = asyncio.create_task(self._hold(host, name))
        for _ in range(5):
            await asyncio.sleep(0)

    async def finish(self, name: str) -> None:
        self.done[name].set()
        await self.tasks[name]
        for _ in range(5):
            await asyncio.sleep(0)


async def test_a_freed_slot_goes_to_the_host_slow_to_answer(clock: FakeClock) -> None:
    requests = _Requests(Limiter(concurrency=2, per_host=4, clock=clock))
    await requests.start("slow:80", "s1")
    clock.t = 0.05
    await requests.start("quick:80", "q1")
    await requests.start("quick:80", "q2", "q3")
    await requests.start("slow:80", "s2")  # arrives last...
    clock.t = 0.1
    await requests.finish("q1")  # quick answered in 0.05 s; slow has been out 0.1 s
    assert requests.granted == ["s1", "q1", "s2"]  # ...but goes first
    for name in ("s1", "s2"):
        await requests.finish(name)
    assert requests.granted == ["s1", "q1", "s2", "q2", "q3"]
    for name in ("q2", "q3"):
        await requests.finish(name)


async def test_a_host_not_yet_asked_goes_before_a_busy_one(clock: FakeClock) -> None:
    requests = _Requests(Limiter(concurrency=1, per_host=4, clock=clock))
    await requests.start("a:80", "a1", "a2", "a3")
    await requests.start("b:80", "b1")
    await requests.finish("a1")
    assert requests.granted == ["a1", "b1"]
    for name in ("b1", "a2", "a3"):
        await requests.finish(name)
    assert requests.granted == ["a1", "b1", "a2", "a3"]


async def test_a_cancelled_waiter_gives_its_turn_to_the_next(clock: FakeClock) -> None:
    limiter = Limiter(concurrency=1, per_host=4, clock=clock)
    requests = _Requests(limiter)
    await requests.start("a:80", "a1", "a2", "a3")
    requests.tasks["a2"].cancel()
    await requests.finish("a1")
    assert requests.granted == ["a1", "a3"]
    await requests.finish("a3")
    # Every slot came back: two more requests run one after the other at once.
    await requests.start("b:80", "b1")
    await requests.finish("b1")
    await requests.start("c:80", "c1")
    assert requests.granted[-2:] == ["b1", "c1"]
    await requests.finish("c1")


@pytest.mark.parametrize("ahead", [True, False])
async def test_a_paced_host_keeps_its_pace_through_a_crowd(
    monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """A host spaced 0.5 s apart, with 10 requests, among 200 requests of 20 other
    hosts for 2 slots, each answered in 0.1 s (10 s of work): its turns go first, so
    it ends on its own pace (4.5 s) instead of the crowd's.  Without the backlog
    its requests wait behind the crowd, which shows the test can tell."""
    if not ahead:
        acquire = limiter_module._Gate.acquire

        async def plain(self: limiter_module._Gate, key: str, backlog: float = 0.0) -> float:
            return await acquire(self, key)

        monkeypatch.setattr(limiter_module._Gate, "acquire", plain)
    clock = VirtualClock()
    paced = {"paced.example": HostSettings(interval=0.5)}
    limiter = Limiter(concurrency=2, per_host=4, clock=clock, hosts=paced)
    starts: list[float] = []

    async def ask(host: str) -> None:
        async with limiter.slot(host):
            if host.startswith("paced"):
                starts.append(clock.monotonic())
            await clock.sleep(0.1)
        limiter.relax(host)

    crowd = [ask(f"q{n}.example:80") for n in range(20) for _ in range(10)]
    await asyncio.gather(*[ask("paced.example:80") for _ in range(10)], *crowd)
    span = starts[-1] - starts[0]
    if ahead:
        assert span == pytest.approx(4.5, abs=0.15)
    else:
        assert span > 6.0
