"""The per-host pool cache under concurrency: eviction must never race."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from linkaudit.check.client import HostPools


class SlowClosing(httpx.AsyncBaseTransport):
    """Answers 200; closing yields to the loop, as closing real sockets does."""

    closed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return httpx.Response(200, stream=httpx.ByteStream(b"ok"))

    async def aclose(self) -> None:
        await asyncio.sleep(0)
        SlowClosing.closed += 1


class Held(SlowClosing):
    """Holds each request until ``gate`` opens, so pools stay busy (not evictable)."""

    gate: asyncio.Event

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.gate.wait()
        return await super().handle_async_request(request)


async def test_concurrent_evictions_never_lose_a_request() -> None:
    SlowClosing.closed = 0
    Held.gate = asyncio.Event()
    made: list[SlowClosing] = []

    def factory(insecure: bool) -> httpx.AsyncBaseTransport:
        made.append(Held())
        return made[-1]

    pools = HostPools(factory, max_pools=2)
    async with httpx.AsyncClient(transport=pools) as client:

        async def fetch(port: int) -> int:
            response = await client.get(f"http://127.0.0.1:{port}/")
            await response.aread()
            return response.status_code

        # Ten busy hosts push the cache past its cap (busy pools cannot be evicted)...
        busy = [asyncio.create_task(fetch(10000 + i)) for i in range(10)]
        await asyncio.sleep(0.01)
        Held.gate.set()
        assert await asyncio.gather(*busy) == [200] * 10
        # ...then new hosts arrive together, each needing to evict several idle pools.
        # Before the fix both chose the same victims across an await and the second
        # pop raised KeyError, which the engine reported as an "unreachable" link.
        fresh = await asyncio.gather(*(fetch(20000 + i) for i in range(4)))
    assert fresh == [200] * 4
    assert SlowClosing.closed == len(made)  # every pool built was closed exactly once


async def test_one_pool_per_host_even_when_requests_race() -> None:
    made: list[SlowClosing] = []

    def factory(insecure: bool) -> httpx.AsyncBaseTransport:
        made.append(SlowClosing())
        return made[-1]

    pools = HostPools(factory, max_pools=100)
    async with httpx.AsyncClient(transport=pools) as client:
        await asyncio.gather(*(client.get("http://127.0.0.1:9/") for _ in range(20)))
    assert len(made) == 1


@pytest.mark.parametrize(
    ("latency", "hedge", "in_flight"),
    [
        # once the slow target has been out ``HEDGE_AFTER``, the probe goes out beside
        # it (the server counts both in flight): one round trip, not two in a row
        (0.3, 0.01, 2),
        # a target answering within ``HEDGE_AFTER``: the probe is sent after the answer
        # (it still needs one: a short page, an opaque URL), never beside it
        (0.05, 60.0, 1),
    ],
)
async def test_soft404_probe_goes_beside_a_target_slower_than_the_hedge_only(
    monkeypatch: pytest.MonkeyPatch, latency: float, hedge: float, in_flight: int
) -> None:
    from linkaudit.check import CheckOptions, check_urls, engine
    from linkaudit.testing.server import LoopbackServer, page

    monkeypatch.setattr(engine, "HEDGE_AFTER", hedge)
    article = "<html><head><title>Story</title></head><body>" + "<p>Words here.</p>" * 30
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1", latency=latency)
        site.route("/news/story", page(article + "</body></html>"))
        results = await check_urls([site.url("/news/story")], CheckOptions(max_retries=0))
    [result] = results.values()
    assert result.verdict.value == "ok"
    probes = [p for (_, p) in site.stats.by_path if p.startswith("/news/") and p != "/news/story"]
    assert len(probes) == 1
    assert site.stats.max_in_flight == in_flight
