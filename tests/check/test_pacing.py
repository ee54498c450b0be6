"""Pacing that converges on both kinds of refusing host, and waits inside the deadline.

Hosts answer through a ``MockTransport`` that stamps every request with the fake
clock's time, so gaps, pauses and who waited for whom are measured where a server
would measure them, and no test waits for real.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from linkaudit.check import CheckOptions, check_urls
from linkaudit.check.feed import KeyFeed
from linkaudit.model import Verdict
from linkaudit.testing.clock import VirtualClock

PAGE = {"Content-Type": "application/pdf"}  # decided by HEAD: one request per answer
OPTIONS = CheckOptions(soft404=False, per_host=4, concurrency=16, max_retries=3, retry_base=0.5)


#: How long every answer takes (virtual seconds): a host a fast checker can keep busy.
LATENCY = 0.04


class Host:
    """A server's log: when each request came (virtual time), and how it was answered."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.log: list[tuple[float, str, int]] = []
        self.asked: Counter[str] = Counter()

    def answer(
        self, path: str, status: int, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        self.log.append((self.clock.monotonic(), path, status))
        return httpx.Response(status, headers={**PAGE, **(headers or {})}, content=b"%PDF-1.4")

    def transport(self, decide: Callable[[str], httpx.Response]) -> httpx.MockTransport:
        """Answers after ``LATENCY``, as ``decide`` says (it is told the path)."""

        async def handler(request: httpx.Request) -> httpx.Response:
            await self.clock.sleep(LATENCY)
            return decide(request.url.path)

        return httpx.MockTransport(handler)


def _bucket(host: Host, rate: float = 2.0, depth: float = 2.0) -> Callable[[str], bool]:
    """A token bucket on the host's clock: whether a request now is admitted."""
    tokens, filled = depth, 0.0

    def admit(_: str) -> bool:
        nonlocal tokens, filled
        now = host.clock.monotonic()
        tokens, filled = min(depth, tokens + (now - filled) * rate), now
        if tokens < 1.0:
            return False
        tokens -= 1.0
        return True

    return admit


def _refusing_at_random(
    host: Host, *, share: float, seed: int, count: int = 200
) -> tuple[set[str], Callable[[str], httpx.Response]]:
    """A ``share`` of ``/N.pdf`` refused once (429 or 503, Retry-After: 1), whatever the
    pace: which paths, and the host's answers."""
    rng = random.Random(seed)
    refused_once = {f"/{n}.pdf" for n in range(count) if rng.random() < share}

    def decide(path: str) -> httpx.Response:
        host.asked[path] += 1
        if path in refused_once and host.asked[path] == 1:
            return host.answer(path, rng.choice((429, 503)), {"Retry-After": "1"})
        return host.answer(path, 200)

    return refused_once, decide


async def test_sporadic_refusals_slow_only_the_refused_urls(vclock: VirtualClock) -> None:
    """A tenth of URLs refused once (429 or 503, Retry-After: 1), whatever the rate."""
    host = Host(vclock)
    refused_once, decide = _refusing_at_random(host, share=0.1, seed=7)

    urls = [f"https://sporadic.example/{n}.pdf" for n in range(200)]
    results = await check_urls(urls, OPTIONS, transport=host.transport(decide), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert len(refused_once) >= 15
    for path in refused_once:  # every refused URL waited its Retry-After
        times = [t for t, p, _ in host.log if p == path]
        assert times[1] - times[0] >= 1.0, path
    # The bound: 220 answers over 4 slots, 2.2 s of latency each way round; a refused
    # URL adds its 1 s wait.  Pausing the host for each refusal took 20 s and more.
    bound = len(host.log) * LATENCY / OPTIONS.per_host + 1.0
    assert max(t for t, _, _ in host.log) <= 1.5 * bound, (max(t for t, _, _ in host.log), bound)


async def test_a_token_bucket_is_held_to_its_rate_with_few_refusals(vclock: VirtualClock) -> None:
    """2 per second, 2 deep; 429 + Retry-After: 1 when empty (as benchmarks/ serves)."""
    host = Host(vclock)
    admit = _bucket(host)

    def decide(path: str) -> httpx.Response:
        return (
            host.answer(path, 200) if admit(path) else host.answer(path, 429, {"Retry-After": "1"})
        )

    urls = [f"https://bucket.example/{n}.pdf" for n in range(40)]
    options = replace(OPTIONS, max_retries=10)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    refusals = sum(1 for _, _, status in host.log if status == 429)
    assert refusals <= 10, refusals  # pacing by each refusal alone met it 12 times
    served = max(t for t, _, status in host.log if status == 200)
    # 40 answers at 2 per second after a burst of 2 need 19 s; a polite client is near
    # it (spacing by each refusal's pause alone took 23.7 s, and met the limit 12 times)
    assert 19.0 <= served <= 1.2 * 19.0, served


async def test_a_host_that_turns_into_a_rate_limiter_is_slowed_then(vclock: VirtualClock) -> None:
    """Sporadic refusals for its first 60 URLs, then a token bucket for 40 more."""
    host = Host(vclock)
    admit = _bucket(host)
    rng = random.Random(3)

    def decide(path: str) -> httpx.Response:
        host.asked[path] += 1
        if int(path.strip("/").split(".")[0]) < 60:
            if host.asked[path] == 1 and rng.random() < 0.1:
                return host.answer(path, 503, {"Retry-After": "1"})
            return host.answer(path, 200)
        return (
            host.answer(path, 200) if admit(path) else host.answer(path, 429, {"Retry-After": "1"})
        )

    urls = [f"https://switch.example/{n}.pdf" for n in range(100)]
    options = replace(OPTIONS, max_retries=10, per_host=1)  # in order: sporadic, then limited
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert sum(1 for _, _, s in host.log if s == 429) <= 12
    switched = min(t for t, p, _ in host.log if int(p.strip("/").split(".")[0]) >= 60)
    assert switched <= 1.5 * (60 * LATENCY + 1.0)  # the sporadic part ran at full speed


async def test_a_retry_after_past_the_deadline_ends_the_url_and_holds_nobody(
    vclock: VirtualClock,
) -> None:
    """Three URLs always answering 503 Retry-After: 30 among 40 good ones of the same host."""
    host = Host(vclock)
    busy = {"/busy-1.pdf", "/busy-2.pdf", "/busy-3.pdf"}

    def decide(path: str) -> httpx.Response:
        if path in busy:
            return host.answer(path, 503, {"Retry-After": "30"})
        return host.answer(path, 200)

    urls = [f"https://mixed.example{p}" for p in sorted(busy)]
    urls += [f"https://mixed.example/{n}.pdf" for n in range(40)]
    options = replace(OPTIONS, deadline=30.0, max_retry_wait=60.0)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    for path in busy:
        result = results[f"https://mixed.example{path}"]
        assert (result.verdict, result.reason) == (Verdict.UNREACHABLE, "server_unavailable")
        assert result.attempts == 1  # a 30 s wait would pass the 30 s deadline: not waited
        assert "later than we may wait" in result.detail
        assert result.retry_after is not None
    assert all(r.verdict is Verdict.OK for u, r in results.items() if "busy" not in u)
    # 43 answers over 4 slots: nobody waited for anybody's Retry-After
    assert max(t for t, _, _ in host.log) <= 1.5 * 43 * LATENCY / 4


async def test_waits_the_deadline_allows_are_waited(vclock: VirtualClock) -> None:
    host = Host(vclock)

    def decide(path: str) -> httpx.Response:
        if len(host.log) < 2:
            return host.answer(path, 503, {"Retry-After": "10"})
        return host.answer(path, 200)

    url = "https://slowly.example/a.pdf"
    options = replace(OPTIONS, deadline=30.0, max_retry_wait=60.0)
    results = await check_urls([url], options, transport=host.transport(decide), clock=vclock)
    assert results[url].verdict is Verdict.OK  # 10 + 10 s of waits fit in 30 s
    assert [round(t, 2) for t, _, _ in host.log] == [0.04, 10.08, 20.12]


async def test_a_busy_rate_limiter_never_turns_a_live_page_blocked(vclock: VirtualClock) -> None:
    """Two retries are the default; a limiter that lets others through says when to
    come back, and its refusals do not use them up (the URL's deadline still bounds)."""
    host = Host(vclock)
    admit = _bucket(host, rate=1.0, depth=1.0)  # one a second, asked 16 at a time

    def decide(path: str) -> httpx.Response:
        return (
            host.answer(path, 200) if admit(path) else host.answer(path, 429, {"Retry-After": "1"})
        )

    urls = [f"https://bucket.example/{n}.pdf" for n in range(100)]
    # five of these came out "blocked" when each refusal used up one of the retries
    options = replace(OPTIONS, max_retries=2, per_host=16, deadline=60.0)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}


async def test_a_host_refusing_everything_still_stops_after_the_retries(
    vclock: VirtualClock,
) -> None:
    host = Host(vclock)

    def decide(path: str) -> httpx.Response:
        return host.answer(path, 429, {"Retry-After": "1"})

    urls = [f"https://wall.example/{n}.pdf" for n in range(4)]
    options = replace(OPTIONS, max_retries=2, deadline=60.0)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    for result in results.values():
        assert (result.verdict, result.reason, result.attempts) == (
            Verdict.BLOCKED,
            "rate_limited",
            3,
        )


@pytest.mark.parametrize(
    ("seed", "within"), [(4, 2.0), (110, 3.0), (235, 8.0), (123, 4.0), (239, 5.0)]
)
async def test_a_host_refusing_a_fifth_at_random_is_not_slowed_to_a_crawl(
    vclock: VirtualClock, seed: int, within: float
) -> None:
    """A fifth of the URLs refused once, whatever the pace.  Seed 4: two refusals in a
    row come by chance, and reading the pace that followed as the host's rate
    spiralled (the spacing grew with each refusal: the last answer came at 473 s, the
    bound is 3.45 s; now 6.5 s).  Seed 110: the host refuses most of what it is first
    asked and is stopped for the pause; the few answers of that second, our own
    silence, once "showed" a rate of two a second and held the host to it for its
    other URLs (the last answer at 40 s, 12 times its bound).  Seed 235: the first
    refusals cluster, the host is stopped again and again, and the answers around
    the last stop read as a limit of two a second; its refusals since come at paces
    it answered at, and two of them judged chance free it (counting as a limit every
    refusal asked faster than all the answers since, where every cycle of relaxing
    ends, chance or not, kept it there to its last URL: 94 s, 28 times its bound).
    Seeds 123 and 239: seven of the first fifteen URLs are refused, and the host is
    stopped up to six times in a row, as a slow token bucket is; read as one (a
    refusal after a stop with at most one answer counted), it was held at about a
    second a URL: 18 and 36 times its bound.  A bucket's stops end alike, one answer
    then a refusal; these do not (3.2 and 4.2 times, as before that rule)."""
    host = Host(vclock)
    refused_once, decide = _refusing_at_random(host, share=0.2, seed=seed)

    urls = [f"https://sporadic.example/{n}.pdf" for n in range(200)]
    options = replace(OPTIONS, max_retries=10)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert len(refused_once) >= 30
    for path in refused_once:  # every refused URL waited its Retry-After
        times = [t for t, p, _ in host.log if p == path]
        assert times[1] - times[0] >= 1.0, path
    bound = len(host.log) * LATENCY / OPTIONS.per_host + 1.0
    last = max(t for t, _, _ in host.log)
    assert last <= within * bound, (last, bound)


async def test_a_url_refused_again_and_again_by_a_host_answering_others_lives(
    vclock: VirtualClock,
) -> None:
    """One URL refused three times (429, Retry-After) while the host answers all the
    others: each refusal alone among many answers is chance to the limiter, which
    does not slow the host for it, but the host is still pacing this URL, so the
    URL waits and is answered, not called ``blocked`` after its two retries."""
    host = Host(vclock)

    def decide(path: str) -> httpx.Response:
        host.asked[path] += 1
        if path == "/hot.pdf" and host.asked[path] <= 3:
            return host.answer(path, 429, {"Retry-After": "1"})
        return host.answer(path, 200)

    hot_url = "https://busy.example/hot.pdf"  # asked first, the others answered meanwhile
    urls = [hot_url] + [f"https://busy.example/{n}.pdf" for n in range(200)]
    options = replace(OPTIONS, max_retries=2, per_host=2, deadline=60.0)
    results = await check_urls(urls, options, transport=host.transport(decide), clock=vclock)
    hot = results[hot_url]
    assert (hot.verdict, hot.attempts) == (Verdict.OK, 4)
    assert {r.verdict for r in results.values()} == {Verdict.OK}


def _refusing_once(host: Host, refused: set[str]) -> Callable[[str], httpx.Response]:
    """These paths refused once each (503, Retry-After: 1), everything else answered."""

    def decide(path: str) -> httpx.Response:
        host.asked[path] += 1
        if path in refused and host.asked[path] == 1:
            return host.answer(path, 503, {"Retry-After": "1"})
        return host.answer(path, 200)

    return decide


async def test_two_refusals_while_urls_trickle_do_not_space_the_flood_after(
    vclock: VirtualClock,
) -> None:
    """A host's first 10 URLs come 0.6 s apart (a crowded run's slots, or extraction
    still under way), and two in a row are refused by chance; then 30 come at once.
    Doubling the 0.6 s pace the URLs came at spaced the 30 by 1.2 s and more (the
    tail of a content run); a guess from a pace we did not set starts at half the
    pause at most, and relaxes from there."""
    host = Host(vclock)
    decide = _refusing_once(host, {"/4.pdf", "/5.pdf"})
    urls = [f"https://crowded.example/{n}.pdf" for n in range(40)]
    feed = KeyFeed()

    async def arrive() -> None:
        for url in urls[:10]:
            feed.put([url])
            await vclock.sleep(0.6)
        feed.put(urls[10:])
        feed.close()

    arriving = asyncio.ensure_future(arrive())
    results = await check_urls(feed, OPTIONS, transport=host.transport(decide), clock=vclock)
    await arriving
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert [s for _, _, s in host.log].count(503) == 2
    flood = sorted(t for t, path, _ in host.log if int(path[1:].split(".")[0]) >= 10)
    gaps = [b - a for a, b in itertools.pairwise(flood)]
    assert max(gaps) <= 0.5 + LATENCY, gaps
    # the last of the 10 came at 5.4 s; 30 answers over 4 slots, each 0.04 s, are 0.3 s
    assert flood[-1] <= 5.4 + 4.0, flood[-1]


async def test_a_bucket_met_as_urls_trickle_is_not_freed_by_its_burst(
    vclock: VirtualClock,
) -> None:
    """A token bucket (2 a second, 2 deep) whose 40 URLs come one by one, 0.3 s apart
    on average: it answers the first quickly from its depth, then shows a slower limit.
    Its later refusals at paces it had answered from that depth looked like chance and
    freed it from its limit (21 refusals); only answers since its limit was last
    shown judge a refusal."""
    host = Host(vclock)
    admit = _bucket(host)

    def decide(path: str) -> httpx.Response:
        return (
            host.answer(path, 200) if admit(path) else host.answer(path, 429, {"Retry-After": "1"})
        )

    rng = random.Random(1120)
    urls = [f"https://trickled-bucket.example/{n}.pdf" for n in range(40)]
    feed = KeyFeed()

    async def arrive() -> None:
        for url in urls:
            feed.put([url])
            await vclock.sleep(rng.expovariate(1 / 0.3))
        feed.close()

    arriving = asyncio.ensure_future(arrive())
    options = replace(OPTIONS, max_retries=10)
    results = await check_urls(feed, options, transport=host.transport(decide), clock=vclock)
    await arriving
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    refusals = sum(1 for _, _, status in host.log if status == 429)
    assert refusals <= 12, refusals


@pytest.mark.parametrize(
    ("rate", "retry_after", "most"),
    [(1.0, "1", 12), (0.5, "2", 15), (0.5, "1", 16)],
    ids=["1/s", "0.5/s", "0.5/s, Retry-After 1"],
)
async def test_a_flooded_slow_token_bucket_is_met_a_few_times_not_once_per_url(
    vclock: VirtualClock, rate: float, retry_after: str, most: int
) -> None:
    """A bucket of one token refilled at ``rate``, 40 URLs asked at once, 4 at a time.
    Every stop it asked for ended alike: the pause refilled one token, the first
    request after it was let through and the next, 0.04 s later, refused, and the
    host was stopped again: a refusal per URL (43 for 40; 97 when its Retry-After
    of 1 s is half what a token takes).  Three such stops in a row are its rate,
    and the stop's waiters go at it.  Server-side: never more than 4 in flight, no
    refused URL asked again before its Retry-After."""
    host = Host(vclock)
    admit = _bucket(host, rate=rate, depth=1.0)
    flight = {"now": 0, "most": 0}

    def decide(path: str) -> httpx.Response:
        if admit(path):
            return host.answer(path, 200)
        return host.answer(path, 429, {"Retry-After": retry_after})

    async def handler(request: httpx.Request) -> httpx.Response:
        flight["now"] += 1
        flight["most"] = max(flight["most"], flight["now"])
        try:
            await vclock.sleep(LATENCY)
            return decide(request.url.path)
        finally:
            flight["now"] -= 1

    urls = [f"https://slow-bucket.example/{n}.pdf" for n in range(40)]
    options = replace(OPTIONS, max_retries=10, deadline=120.0)
    results = await check_urls(urls, options, transport=httpx.MockTransport(handler), clock=vclock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    refusals = [(t, p) for t, p, status in host.log if status == 429]
    assert len(refusals) <= most, len(refusals)
    assert flight["most"] <= OPTIONS.per_host
    for at, path in refusals:  # each refused URL waited what it was told, at least
        later = [t for t, p, _ in host.log if p == path and t > at]
        assert later, path
        assert later[0] - LATENCY - at >= float(retry_after) - 1e-9, (path, at)
    served = max(t for t, _, status in host.log if status == 200)
    bound = (40 - 1) / rate  # the first from its token, then one per refill
    assert bound <= served <= 1.3 * bound, (served, bound)
