"""Politeness: how many requests may run, per run and per host, and how often.

A run may hold ``concurrency`` requests in flight, at most ``per_host`` of them to
one ``host:port``, with request starts to one host spaced by ``host_interval``.
When more requests are ready than the run may hold, they are served in arrival
order with slow hosts given a head start (``_Gate``): the slowest host decides
when a run ends, so its requests should not queue behind a crowd of quick ones.
Per-host settings (``CheckOptions.hosts``, looked up by host name) replace
``per_host`` and ``host_interval`` for the hosts they name.
After a 429 or 503 the refused URL waits what the server asked (the engine
does that, without holding a slot).  The host as a whole is slowed only when its
refusals say it limits its rate: two in a row, as an empty token bucket gives,
not one refusal among many answers, which some servers give a small fraction of
requests whatever the rate.  A host refusing most of its last answers is stopped
for the pause (once paced at a limit it showed, most of those since its last
stop).  A limiting host is then spaced at the rate it let through
(multiplicative decrease), and the spacing relaxes a tenth per normal answer and
halves every ``FORGET_AFTER`` seconds without a refusal (the rate
estimate forgets), so a host is never left at a crawl by refusals long past.
What tells a limit from chance is the pace: a token bucket refuses only what is
asked faster than it refills, chance refuses at any pace, so each refusal is
judged by the pace its request was asked at against the paces the host answered
(``Limiter.penalize``), and a rate counted while we paced the host ourselves is
not taken for the host's.  A slow token bucket flooded with requests is stopped
again and again, each stop ending alike (one answer after the pause, then a
refusal); a run of such stops (``LOOP``) holds it to what it let through over them.

Time is injected (``Clock``) so backoff and pacing are testable without waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from linkaudit.check.options import CheckOptions, HostSettings, host_settings

if TYPE_CHECKING:
    from linkaudit.check.hostgate import HostGate  # sharded runs only (multiprocessing)


class Clock(Protocol):
    """Time as the engine sees it: a monotonic counter, the wall clock, and sleeping."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class ScaledClock(SystemClock):
    """Real time, but every deliberate wait is shrunk by ``factor``.

    The link zoo uses it so a ``Retry-After: 1`` costs milliseconds while the
    engine still believes it waited a second.  ``monotonic`` runs ``1/factor``
    times faster than real time, so pacing computed from it agrees with the
    shrunk sleeps.
    """

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.slept: list[float] = []
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) / self.factor

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(max(seconds, 0.0) * self.factor)


#: Answers remembered per host to judge its refusals (normal answers and refusals).
OUTCOMES = 20
#: A host refusing twice in a row limits its rate: an empty token bucket refuses
#: every request until it refills, while refusals given at random to a small share
#: of requests seldom come in a row.  Otherwise refusals are the refused URLs' own.
#: A host refusing at least this share of its last ``OUTCOMES`` answers is asked to
#: stop: its pause is kept whole (from its second refusal on, when those are most of
#: what it answered); with three such refusals or more, a refusal is also read as the
#: host's limit, never judged as chance (``stop`` in ``Limiter.penalize``).  A host
#: paced at a limit it showed (not a loop of stops, ``LOOP``) counts the share over
#: the answers since its last stop began: a flood's dozen refusals kept half of its
#: last answers refused, and each later refusal at its pace stopped it again, a 2/s
#: bucket read at 3/s from its depth letting 3 answers through every 2 s
#: (``benchmarks/pacing.py``'s "trickle then at once" rows, crowded: 1.37 -> 1.28
#: times the bound, median of seeds 0-11).
STOP_SHARE = 0.5
#: Answers after which two refusals in a row count only if the second was asked
#: after the first came back.
RUN_EARLY = 12
#: Seconds without a refusal after which a host's extra spacing is halved.
FORGET_AFTER = 10.0
#: Its rate is the host's, not our pace, when it was asked this many times the
#: answers it gave in the time (at least twice in all).
SHOWN = 1.5
#: ... and at least this many requests in all: two requests in flight together,
#: both refused by a host refusing some URLs at random, "showed" a rate of one
#: answer per pause and held the host to it for the rest of a run (a content run's
#: slowest host, at 2.4 times its bound; ``benchmarks/pacing.py``'s trickle rows).
SHOWN_MIN = 4
#: A host asked more than this many times slower than our spacing for it allowed
#: was not asked at a pace we set: its URLs came slowly, or a crowded run's global
#: slots spaced them.  Doubling that pace after two refusals (multiplicative
#: decrease) says nothing about the host, and it left hosts refusing a few URLs at
#: random spaced by a second and more once they had the slots to themselves (the
#: end of a content run: 6 s of its tail).  Such a guess starts no slower than half
#: the refused URL's pause; a host that refuses again at it is doubled from there
#: (it is then our pace), and a rate it shows is kept whatever it is.
PRESSED = 1.5
#: Stops in a row after which a host is held to the rate it let through over them,
#: each stop met again as a token bucket that one pause refills by one meets it: the
#: first request after the pause let through, the next refused.  Flooded, a bucket
#: of one a second loops so for ever (a stop, one answer, a refusal: 43 refusals for
#: 40 URLs), while a host refusing a fifth of its URLs at random gave that pattern
#: three times in a row at most over 84 seeds (``benchmarks/pacing.py``: seed 239,
#: seven of its first fifteen URLs refused; more often twice).  A stop whose
#: first request after the pause is refused too neither counts nor breaks the run
#: (a bucket whose ``Retry-After`` understates its rate: one pause refills half a
#: token).
LOOP = 4
#: A host held to a rate it showed so is probed for a faster one this much per
#: answer (not ``0.98``: the rate a stop shows is its rate, and a bucket of one
#: token refuses the first request asked faster), and its spacing is forgotten
#: (``FORGET_AFTER``) only after this many spacings without a refusal: 10 s are five
#: answers of a bucket of one per 2 s, and each halving met it five times (ten
#: spacings, with the probing, halved a level already probed down to 0.9 of itself).
LOOP_STEP = 0.99
LOOP_FORGET = 20
#: How often a request waiting for a host that other processes of the run hold
#: to its limit looks again (``HostGate``; rare: only redirects cross processes).
SHARED_POLL = 0.005
#: A refusal asked at a pace at which this share of the answers came is by chance.
CHANCE_SHARE = 0.25
#: This many refusals by chance (and three in four of those judged) and a host
#: found limiting is not held to it any more.  Only refusals asked at a pace the
#: host has answered at since it showed its limit are judged (``Limiter.penalize``),
#: so two say it: four of all refusals held a host refusing a fifth of its URLs at
#: random, its limit misread from a stop, at two a second for 90 s (its bound 3.4 s).
CHANCE_JUDGED = 2


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    interval: float  # the configured gap between request starts
    limit: int = 1  # requests in flight at once (the semaphore's size)
    next_start: float = 0.0
    penalty: float = 0.0  # extra interval added by adaptive backoff
    answered: deque[float] = field(default_factory=lambda: deque(maxlen=64))  # normal answers
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=OUTCOMES))  # refused?
    fresh: int = 0  # outcomes since its last stop began (``STOP_SHARE``)
    refused_at: float = 0.0  # when the penalty was last raised
    last_refusal: float = -1.0  # when its last refusal came back
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=8))  # request starts
    asked: deque[float] = field(default_factory=lambda: deque(maxlen=256))  # request starts
    busy: int = 0  # requests in flight
    wanting: int = 0  # requests waiting for a slot or in flight
    first_start: float | None = None  # when it was first asked
    resumed: float = 0.0  # when its last stop (``STOP_SHARE``) ended
    loop: int = 0  # stops in a row, each met again after one answer (``LOOP``)
    loop_since: float = 0.0  # when the first of them began
    looped: bool = False  # the limit it is held to was read from such stops
    # its refusals showed a rate well below the pace it was asked at: a real limit
    limits: bool = False
    level: float = 0.0  # the spacing its refusals last showed as its limit
    # (extra spacing a request was asked at, refused?) since it was found limiting
    paced: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=64))
    # its refusals since it was found limiting, each: was it by chance?
    judged: deque[bool] = field(default_factory=lambda: deque(maxlen=16))


#: The host and extra spacing the current task's last request was asked at (``slot``).
_ASKED: contextvars.ContextVar[tuple[str, float, float] | None] = contextvars.ContextVar(
    "linkaudit_asked", default=None
)


class _Queue:
    """One host's requests waiting for a global slot, and what its answers took."""

    __slots__ = ("backlog", "latency", "started", "version", "waiters")

    def __init__(self) -> None:
        self.waiters: deque[tuple[asyncio.Future[float], float]] = deque()  # (waiter, arrived)
        self.started: list[float] = []  # when each request holding a slot got it
        self.latency: float | None = None  # moving average of its answers' times
        self.backlog = 0.0  # a paced host's requests still to come, at its pace (seconds)
        self.version = 0  # bumped whenever the host's place in line may change


class _Gate:
    """The run's global request slots: first come, first served, slow hosts given a head start.

    A plain semaphore serves waiters in arrival order, so a slow host's requests
    (and its soft-404 probe) wait behind every quick request that arrived before
    them, and the run ends that much later than the slow host alone would make
    it.  Here each waiting request counts as having arrived earlier by how long
    its host takes to answer: the average of its answers so far, or, while its
    first answer is still out, how long that has been out.  A host not yet asked
    anything goes first (its latency is unknown, and asking it is how we learn).

    The head start is bounded by the host's own latency, so nobody starves: a
    quick host's request passes a slow host's once it has waited longer than the
    slow host takes to answer.  (Ordering by latency alone, longest first, left a
    rate-limited host's quick 429s at the back for most of a 5,000-URL run and
    its bucket then set the run's end.)

    A request of a host that is paced (its configured interval, or a rate limit
    it showed) goes first, the host with the longest backlog at its pace first:
    its pace, not the crowd, then decides when the run ends, and every moment its
    turn waits for a slot is added to the end.  (On a 2,000-file run the
    rate-limited host's requests waited 3 to 5 s each for a slot behind 350 others
    while the run's first 10 s were crowded, and it ended the run.)  It cannot
    crowd anyone out: its pace lets through one request per interval.  Within a
    host, arrival order.  Each
    choice is O(log hosts): three heaps (new hosts; hosts awaiting a first answer,
    whose head start grows with the clock; hosts with answers), stale entries
    skipped.
    """

    def __init__(self, slots: int, clock: Clock) -> None:
        self._free = max(slots, 1)
        self._clock = clock
        self._queues: dict[str, _Queue] = {}
        self._new: list[tuple[float, int, str]] = []  # (arrived, version, host)
        self._pending: list[tuple[float, int, str]] = []  # (arrived + oldest start, ...)
        self._known: list[tuple[float, int, str]] = []  # (arrived - latency, ...)
        self._due: list[tuple[float, int, str]] = []  # paced hosts: (arrived - backlog, ...)
        self._waiting = 0

    def _rank(self, key: str, queue: _Queue) -> None:
        """(Re)place ``key`` in line by its first waiter; its older entries become stale."""
        queue.version += 1
        if not queue.waiters:
            return
        arrived = queue.waiters[0][1]
        if queue.backlog > 0:
            heapq.heappush(self._due, (arrived - queue.backlog, queue.version, key))
        elif queue.latency is not None:
            heapq.heappush(self._known, (arrived - queue.latency, queue.version, key))
        elif queue.started:
            # counts as arrived at ``arrived - (now - oldest)``: ``now`` is subtracted later
            heapq.heappush(self._pending, (arrived + min(queue.started), queue.version, key))
        else:
            heapq.heappush(self._new, (arrived, queue.version, key))

    def _top(self, heap: list[tuple[float, int, str]]) -> tuple[float, int, str] | None:
        while heap:
            entry = heap[0]
            if entry[1] == self._queues[entry[2]].version:
                return entry
            heapq.heappop(heap)
        return None

    def _next(self) -> str | None:
        for heap in (self._due, self._new):
            entry = self._top(heap)
            if entry is not None:
                heapq.heappop(heap)
                return entry[2]
        pending, known = self._top(self._pending), self._top(self._known)
        if pending is not None and (
            known is None or pending[0] - self._clock.monotonic() <= known[0]
        ):
            heapq.heappop(self._pending)
            return pending[2]
        if known is not None:
            heapq.heappop(self._known)
            return known[2]
        return None

    async def acquire(self, key: str, backlog: float = 0.0) -> float:
        """Wait for a slot; the returned start time goes back to ``release``.
        ``backlog``: how long the host's waiting requests take at its pace."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue()
        queue.backlog = backlog
        if self._free > 0 and not self._waiting:
            return self._take(queue)
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        entry = (waiter, self._clock.monotonic())
        queue.waiters.append(entry)
        self._waiting += 1
        if len(queue.waiters) == 1:
            self._rank(key, queue)
        self._grant()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(key, waiter.result())  # granted, but cancelled before it ran
            elif entry in queue.waiters:
                queue.waiters.remove(entry)
                self._waiting -= 1
                self._rank(key, queue)
            raise

    def release(self, key: str, started: float) -> None:
        queue = self._queues[key]
        queue.started.remove(started)
        took = self._clock.monotonic() - started
        queue.latency = took if queue.latency is None else 0.7 * queue.latency + 0.3 * took
        self._free += 1
        self._rank(key, queue)
        self._grant()

    def _take(self, queue: _Queue) -> float:
        self._free -= 1
        started = self._clock.monotonic()
        queue.started.append(started)
        return started

    def _grant(self) -> None:
        while self._free > 0:
            key = self._next()
            if key is None:
                return
            queue = self._queues[key]
            while queue.waiters:
                waiter, _ = queue.waiters.popleft()
                self._waiting -= 1
                if not waiter.done():
                    waiter.set_result(self._take(queue))
                    break
            self._rank(key, queue)


class Limiter:
    """Global and per-host concurrency, per-host pacing and adaptive backoff."""

    max_penalty = 30.0

    def __init__(
        self,
        concurrency: int,
        per_host: int,
        host_interval: float = 0.0,
        clock: Clock | None = None,
        *,
        hosts: Mapping[str, HostSettings] | None = None,
        shared: HostGate | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._global = _Gate(concurrency, self._clock)
        self._shared = shared  # the run's other checking processes count here too
        self._per_host = max(per_host, 1)
        self._interval = max(host_interval, 0.0)
        self._overrides = CheckOptions(hosts=hosts or {})
        self._hosts: dict[str, _Host] = {}

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            per_host, interval = self._per_host, self._interval
            settings = host_settings(self._overrides, _host_name(key))
            if settings is not None:
                if settings.concurrency is not None:
                    per_host = max(settings.concurrency, 1)
                if settings.interval is not None:
                    interval = max(settings.interval, 0.0)
            host = self._hosts[key] = _Host(asyncio.Semaphore(per_host), interval, per_host)
        return host

    @asynccontextmanager
    async def slot(self, host_key: str) -> AsyncIterator[None]:
        """Hold one request slot for ``host_key`` (``host:port``).

        The host slot is taken before the global one so that requests queued
        behind a slow host never sit on global slots other hosts could use.
        """
        host = self._host(host_key)
        host.wanting += 1
        try:
            async with host.semaphore:
                await self._pace(host)
                shared = self._shared
                if shared is not None:
                    while not shared.take(host_key, host.limit):  # another process's redirects
                        await self._clock.sleep(SHARED_POLL)
                try:
                    pace = host.interval + host.penalty  # one request starts per pace
                    started = await self._global.acquire(host_key, pace * host.wanting)
                    _ASKED.set((host_key, host.penalty, self._clock.monotonic()))
                    host.busy += 1
                    try:
                        yield
                    finally:
                        host.busy -= 1
                        self._global.release(host_key, started)
                finally:
                    if shared is not None:
                        shared.give_back(host_key)
        finally:
            host.wanting -= 1

    async def _pace(self, host: _Host) -> None:
        self._forget(host)
        interval = host.interval + host.penalty
        while True:
            if host.looped:
                # read again when the request goes: a request that began to wait
                # before the stop that showed the host's rate goes at that rate
                # (``_loop``).  Only for such a host: read again for every host, the
                # waits of hosts refusing at random moved, their worst cases both
                # ways (``benchmarks/pacing.py``, seeds 400-447)
                self._forget(host)
                interval = host.interval + host.penalty
            now = self._clock.monotonic()
            if now >= host.next_start:
                host.next_start = now + interval
                host.starts.append(now)
                host.asked.append(now)
                if host.first_start is None:
                    host.first_start = now
                return
            await self._clock.sleep(host.next_start - now)

    def penalize(self, host_key: str, pause: float) -> bool:
        """A 429/503 from this host; whether it was read as the host limiting its rate.

        One refusal among many answers is not: some servers refuse a small share of
        requests at random, whatever the rate, and slowing the host for each of them
        left hosts at a crawl (a median 7.6 s gap after a refusal on a corpus with 5 %
        of such answers).  The refused URL waits its ``Retry-After`` either way.

        A host limits its rate when it refuses twice in a row (an empty token bucket
        refuses whatever comes until it refills), or again while still spaced for a
        limit it showed.  It is then spaced by the time it was asked (at most
        ``pause``) over the answers it let through meanwhile: the rate it allows.
        Spacing by each refusal's pause alone met a token bucket 12 times for 40
        URLs; this meets it 9 times and a sporadic host not at all.  The spacing is
        at least double the pace it was asked at (multiplicative decrease), so a host
        whose answers say it allows more than asked is slowed by half, not to a
        crawl; one that let through clearly less has shown a real limit and is probed
        for a faster pace more slowly.  A host refusing most requests
        (``STOP_SHARE``; once paced at a limit it showed, most of those asked since
        its last stop) gets no new request before ``pause``.

        The rate it let through is evidence only when it was asked clearly more
        (``SHOWN``): counted while we were pacing it ourselves, it is our own pace
        less its refusals, and spacing by it again after each refusal slowed a host
        refusing a fifth of requests at random by a quarter per refusal, and doubled
        the spacing whenever our pace left no answer in the pause: 139 times its
        bound for 200 URLs.  Unshown, the spacing goes back to the limit last shown
        (``level``), no slower.

        A limit is told from chance by the pace each refusal was asked at (``slot``
        notes it): a token bucket refuses only requests asked faster than it refills,
        chance refuses at any pace.  A refusal asked at a pace at which the host, since
        it was found limiting, answered a good share of its requests (``_by_chance``)
        changes nothing but the refused URL's wait; when most of its refusals are
        such (``CHANCE_JUDGED``), the host is no longer held to a limit, and its
        spacing relaxes as any other host's.  Only refusals at a pace the host has
        answered at since are judged: one asked faster than every answer since says
        nothing either way, since the spacing relaxes a little per answer and every
        refusal, a bucket's or chance's, then comes at the fastest pace yet; counted
        as a limit, they kept a host refusing a fifth of its URLs at random, its
        limit misread from the answers around a stop, from ever being judged chance
        (three in four), at 28 times its bound.  When a host shows a slower limit,
        the answers it gave before (from a bucket's depth) no longer judge.
        """
        host = self._host(host_key)
        now = self._clock.monotonic()
        host.outcomes.append(True)
        host.fresh += 1
        refusals = sum(host.outcomes)
        share = refusals / len(host.outcomes)
        if host.limits and not host.looped:
            # paced at a limit it showed: a stop is a share of what was asked since
            # the last one, not of a flood's refusals before it (``STOP_SHARE``)
            lately = list(host.outcomes)[-min(host.fresh, len(host.outcomes)) :]
            share = sum(lately) / len(lately)
        # refused twice in a row.  Once the host has answered a few times, the second
        # must have been asked after the first came back: two requests in flight
        # together, both refused among many answers, are as likely chance as a limit
        # (a token bucket's first burst still counts: it refuses what came at once).
        sent = _sent_at(host_key)
        run = (
            len(host.outcomes) >= 2
            and host.outcomes[-2]
            and (len(host.outcomes) <= RUN_EARLY or sent is None or sent >= host.last_refusal)
        )
        host.last_refusal = now
        # a host still spaced for a limit it showed, refusing again, is past that rate again
        known = host.limits and host.penalty > 0
        stop = refusals >= 3 and share >= STOP_SHARE
        asked_at = _asked(host_key)
        if asked_at is not None:
            chance = known and not stop and _by_chance(host.paced, asked_at)
            host.paced.append((asked_at, True))
            if known and not stop and _answered_at(host.paced, asked_at):
                host.judged.append(chance)
            if chance:
                by_chance = sum(host.judged)
                if by_chance >= CHANCE_JUDGED and by_chance >= 0.75 * len(host.judged):
                    # its refusals are not its rate: relax as usual
                    host.limits = host.looped = False
                return False
        if not (run or known or stop):
            return False
        # answers over the time it was asked, not over a pause longer than that, nor
        # over a stop we imposed: the few answers around a second of silence once
        # "showed" a rate of two a second and held a host refusing a fifth of its
        # URLs at random to it (12-15 times its bound, ``benchmarks/pacing.py``)
        since = host.first_start
        if since is not None and since < host.resumed <= now:
            since = host.resumed
        # (no time at all yet: the pause is all there is to go by)
        window = pause if since is None or now <= since else min(pause, now - since)
        recent = sum(1 for at in host.answered if now - at <= window)
        # at least half the pace it was asked at (multiplicative decrease): a host
        # whose answers say it allows more is not slowed to a crawl on their word.  A
        # host that showed its limit is spaced by the rate it let through alone.
        gap = _pace_gap(host.starts)
        if gap > PRESSED * (host.interval + host.penalty):
            gap = min(gap, pause / 4)  # a pace we did not set: see ``PRESSED``
        halved = 0.01 if host.limits else max(2 * gap, 0.01)
        # requests asked in the window and answered or refused by now
        asked = sum(1 for at in host.asked if now - at <= window) - host.busy
        # it let through clearly less than it was asked: the rate is the host's, not ours
        shown = asked >= max(SHOWN * recent, SHOWN_MIN)
        if recent and window > 0 and (shown or host.limits):
            learned = window / recent - host.interval
            if not host.limits and learned > 2 * halved:
                # it let through clearly less than it was asked: a rate limit, not chance
                host.limits = True
                host.paced.clear()
                host.judged.clear()
            if not shown:
                learned = min(learned, host.level)  # our pace, not its limit: back to that
            host.penalty = min(max(learned, host.penalty, halved), self.max_penalty)
        elif not recent and shown:
            host.penalty = min(max(host.penalty * 2, halved), self.max_penalty)
        else:
            host.penalty = min(max(host.penalty, halved), self.max_penalty)
        if host.looped and not shown:
            # a host held to the rate its stops showed goes back to it, whatever the
            # window held: one pause holds one answer of a host of one a second, a
            # pace and not a rate, and at 0.5/s often none
            host.penalty = max(host.penalty, host.level)
        if shown:
            if host.limits and host.penalty > host.level * 1.001:
                # a slower limit shown: what it answered before came from its burst
                # (a bucket's depth), not at the rate it allows, and judges nothing
                host.paced.clear()
            host.level = host.penalty
        if share >= STOP_SHARE:
            self._loop(host, now, sent)
        else:
            host.loop = 0  # a refusal among answers: no stop, the run of stops is over
        host.refused_at = now
        pause_until = now + max(pause, 0.0) if share >= STOP_SHARE else now + host.penalty
        if share >= STOP_SHARE:
            host.resumed = max(host.resumed, pause_until)
            host.fresh = 0
        host.next_start = max(host.next_start, pause_until)
        return True

    def _loop(self, host: _Host, now: float, sent: float | None) -> None:
        """A refusal that stops the host (``STOP_SHARE``): does it continue a run of
        stops a token bucket gives (``LOOP``), and if so, hold the host to its rate.

        Each stop of a slow token bucket asked faster than it refills ends alike: the
        pause refills it by a token, the first request after it is let through and
        the next, asked a moment later, refused, and the host is stopped again.  The
        rate it allows is then what it let through from the first of those stops to
        now, pauses included (a window since the last stop alone held one answer and
        read a rate of one per latency); the waiters of the stop go at that spacing.
        Its own rate or a little slower (the stops' ends are in it), it is probed
        from there for a faster one (``LOOP_STEP``).  A run needs the request refused
        to have been asked after the stop before ended: one in flight across a stop
        says nothing of what followed it.
        """
        resumed = host.resumed
        if 0 < resumed <= now and sent is not None and sent >= resumed:
            since = sum(1 for at in host.answered if at >= resumed)
            if since == 1 and host.loop:
                host.loop += 1
            elif since > 1 or not host.loop:
                host.loop, host.loop_since = 1, now  # it let more through: a new start
            # none let through: the pause was short of a token (or chance); no count
        elif not host.loop:
            host.loop, host.loop_since = 1, now
        if host.loop < LOOP:
            return
        answers = sum(1 for at in host.answered if host.loop_since < at <= now)
        learned = (now - host.loop_since) / max(answers, 1) - host.interval
        if learned > host.penalty:
            host.penalty = min(learned, self.max_penalty)
            if not host.limits or host.penalty > host.level * 1.001:
                host.paced.clear()  # what it answered faster came from its depth
                host.judged.clear()
            host.limits = host.looped = True
            host.level = host.penalty

    def admits(self, host_key: str, within: float = 30.0) -> bool:
        """Whether the host answered normally in the last ``within`` seconds: a rate
        limiter lets requests through at its rate, a wall refuses them all."""
        host = self._hosts.get(host_key)
        if host is None or not host.answered:
            return False
        return self._clock.monotonic() - host.answered[-1] <= within

    def _forget(self, host: _Host) -> None:
        """Halve the extra spacing for every ``FORGET_AFTER`` seconds without a refusal:
        a slow host answers rarely, and relaxing per answer alone would keep it slow."""
        if not host.penalty:
            return
        quiet = self._clock.monotonic() - host.refused_at
        after = FORGET_AFTER
        if host.looped:  # ``LOOP_FORGET``
            after = max(after, LOOP_FORGET * (host.interval + host.level))
        if quiet >= after:
            host.penalty *= 0.5 ** (quiet // after)
            host.refused_at += after * (quiet // after)
            if host.penalty < 0.01:
                host.penalty, host.limits, host.looped = 0.0, False, False

    def relax(self, host_key: str) -> None:
        """A normal answer: let the interval shrink back towards the configured one.

        Slowly (a tenth per answer): a host that refused us is probed for a faster
        pace gradually, not sent a burst after its first two answers.
        """
        host = self._hosts.get(host_key)
        if host is None:
            return
        host.answered.append(self._clock.monotonic())
        host.outcomes.append(False)
        host.fresh += 1
        asked_at = _asked(host_key)
        if asked_at is not None:
            host.paced.append((asked_at, False))
        if host.penalty:
            # a host that showed a real limit is probed for a faster pace more slowly
            step = (LOOP_STEP if host.looped else 0.98) if host.limits else 0.9
            host.penalty = host.penalty * step if host.penalty > 0.01 else 0.0
            host.limits = host.limits and host.penalty > 0
            host.looped = host.looped and host.limits


def _sent_at(host_key: str) -> float | None:
    """When this task's last request to ``host_key`` was sent, if known."""
    asked = _ASKED.get()
    return asked[2] if asked is not None and asked[0] == host_key else None


def _asked(host_key: str) -> float | None:
    """The extra spacing this task's last request to ``host_key`` was asked at, if known."""
    asked = _ASKED.get()
    return asked[1] if asked is not None and asked[0] == host_key else None


def _by_chance(paced: deque[tuple[float, bool]], asked_at: float) -> bool:
    """Whether a refusal of a request asked at ``asked_at`` extra spacing came by chance.

    It did when at least ``CHANCE_SHARE`` of the answers kept (since the host was found
    limiting) were to requests asked at that pace or faster: the host lets that pace
    through, so slowing further would not have spared the refusal.  A token bucket's
    refusals come where the spacing has relaxed below its rate, faster than nearly
    all it answered; chance refusals come anywhere.  Four answers at least, or no
    judgement.
    """
    answered = [at for at, refused in paced if not refused]
    if len(answered) < 4:
        return False
    faster = sum(1 for at in answered if at <= asked_at * 1.001)
    return faster >= CHANCE_SHARE * len(answered)


def _answered_at(paced: deque[tuple[float, bool]], asked_at: float) -> bool:
    """Whether the host answered a request asked at ``asked_at`` extra spacing or
    faster since it was found limiting (``paced``): only then can a refusal at that
    pace be judged (``Limiter.penalize``)."""
    return any(not refused and at <= asked_at * 1.001 for at, refused in paced)


def _pace_gap(starts: deque[float]) -> float:
    """The median gap between the request starts kept (0 with fewer than two): the
    pace the host was asked at, not distorted by a pause among them."""
    gaps = sorted(b - a for a, b in itertools.pairwise(starts))
    return gaps[len(gaps) // 2] if gaps else 0.0


def _host_name(key: str) -> str:
    """The host name of a ``host:port`` key (an IPv6 address keeps its colons)."""
    name, sep, port = key.rpartition(":")
    return name if sep and port.isdigit() else key
