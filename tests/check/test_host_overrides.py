"""Per-host overrides (``CheckOptions.hosts``): lookup, politeness, timeouts and secret headers."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx
import pytest
from pytest_httpx import HTTPXMock

from linkaudit.check import CheckOptions, Limiter, check_urls, check_urls_sync
from linkaudit.check.options import HostSettings, host_deadline, host_settings
from linkaudit.model import Verdict
from linkaudit.serialize import to_jsonable
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver
from tests.check.conftest import FakeClock

SECRET = "Bearer s3cret-token-4711"
HTML = "<html><head><title>A page</title></head><body><p>Hi</p></body></html>"
OPTIONS = CheckOptions(soft404=False, max_retries=0)


# --- lookup -----------------------------------------------------------------------


def test_exact_entry_beats_suffix_and_longest_suffix_wins() -> None:
    exact, wide, deep = HostSettings(concurrency=1), HostSettings(concurrency=2), HostSettings(3)
    options = CheckOptions(
        hosts={"API.example.org.": exact, "*.example.org": wide, "*.deep.example.org": deep}
    )
    assert host_settings(options, "api.example.org") is exact
    assert host_settings(options, "API.Example.Org") is exact
    assert host_settings(options, "www.example.org") is wide
    assert host_settings(options, "example.org") is wide  # like Config.host
    assert host_settings(options, "a.b.deep.example.org") is deep
    assert host_settings(options, "notexample.org") is None
    assert host_settings(options, "example.com") is None
    assert host_settings(CheckOptions(), "example.org") is None


def test_deadline_stretches_only_for_a_longer_timeout() -> None:
    options = CheckOptions(timeout_read=10.0, deadline=30.0)
    assert host_deadline(options, None) == 30.0
    assert host_deadline(options, HostSettings(timeout=60.0)) == 180.0
    assert host_deadline(options, HostSettings(timeout=2.0)) == 30.0
    assert host_deadline(options, HostSettings(concurrency=1)) == 30.0


def test_header_values_stay_out_of_reprs_and_errors() -> None:
    settings = HostSettings(headers={"Authorization": SECRET})
    options = CheckOptions(hosts={"example.org": settings})
    assert SECRET not in repr(settings)
    assert SECRET not in repr(options)
    assert "Authorization" in repr(settings)
    with pytest.raises(ValueError, match="X-Token") as bad:
        HostSettings(headers={"X-Token": SECRET + "\n"})
    assert SECRET not in str(bad.value)
    with pytest.raises(ValueError, match="header name"):
        HostSettings(headers={"Bad Name": "x"})
    hash(options)  # still usable as a key, like every other option set


# --- limiter ----------------------------------------------------------------------


async def test_limiter_per_host_concurrency_overrides_the_default() -> None:
    limiter = Limiter(
        concurrency=10, per_host=3, hosts={"*.slow.test": HostSettings(concurrency=1)}
    )
    running = {"a.slow.test:443": 0, "fast.test:443": 0}
    peak = dict.fromkeys(running, 0)

    async def request(key: str) -> None:
        async with limiter.slot(key):
            running[key] += 1
            peak[key] = max(peak[key], running[key])
            await asyncio.sleep(0.005)
            running[key] -= 1

    await asyncio.gather(*(request(key) for key in list(running) * 6))
    assert peak == {"a.slow.test:443": 1, "fast.test:443": 3}


async def test_limiter_per_host_interval_overrides_the_default(clock: FakeClock) -> None:
    limiter = Limiter(
        concurrency=10,
        per_host=10,
        host_interval=5.0,
        clock=clock,
        hosts={"slow.test": HostSettings(interval=2.0), "free.test": HostSettings(interval=0.0)},
    )
    starts: dict[str, list[float]] = {}

    async def request(key: str) -> None:
        async with limiter.slot(key):
            starts.setdefault(key, []).append(clock.monotonic())

    await asyncio.gather(*(request("free.test:80") for _ in range(3)))
    assert starts["free.test:80"] == [0.0, 0.0, 0.0]  # overridden down to no gap
    await asyncio.gather(*(request("slow.test:80") for _ in range(3)))
    assert starts["slow.test:80"] == [0.0, 2.0, 4.0]
    before = clock.monotonic()
    await asyncio.gather(*(request("other.test:80") for _ in range(2)))
    first, second = starts["other.test:80"]
    assert second - first == 5.0  # the global interval still applies elsewhere
    assert first == before


# --- engine -----------------------------------------------------------------------


async def test_headers_reach_only_their_host(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    secret_url, other_url = "https://api.example.org/a", "https://example.com/b"
    httpx_mock.add_response(url=secret_url, html=HTML)
    httpx_mock.add_response(url=other_url, html=HTML)
    headers = {"Authorization": SECRET, "Accept": "application/json"}
    options = replace(OPTIONS, hosts={"*.example.org": HostSettings(headers=headers)})
    results = await check_urls([secret_url, other_url], options, clock=clock)
    assert all(r.verdict is Verdict.OK for r in results.values())
    sent = {str(r.url): r for r in httpx_mock.get_requests()}
    assert sent[secret_url].headers["authorization"] == SECRET
    assert sent[secret_url].headers["accept"] == "application/json"  # overrides the default
    assert sent[secret_url].headers["user-agent"].startswith("linkaudit/")  # defaults kept
    assert "authorization" not in sent[other_url].headers
    assert "text/html" in sent[other_url].headers["accept"]


async def test_a_redirect_elsewhere_leaves_the_headers_behind(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    start, landing = "https://api.example.org/go", "https://cdn.example.net/page"
    httpx_mock.add_response(url=start, status_code=302, headers={"Location": landing})
    httpx_mock.add_response(url=landing, html=HTML)
    options = replace(
        OPTIONS, hosts={"api.example.org": HostSettings(headers={"Authorization": SECRET})}
    )
    result = (await check_urls([start], options, clock=clock))[start]
    assert result.verdict is Verdict.MOVED or result.verdict is Verdict.OK
    first, second = httpx_mock.get_requests()
    assert first.headers["authorization"] == SECRET
    assert "authorization" not in second.headers


async def test_secret_headers_never_reach_the_result(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    ok, denied, failing = (
        "https://a.example.org/ok",
        "https://a.example.org/denied",
        "https://a.example.org/failing",
    )
    httpx_mock.add_response(url=ok, html=HTML)
    httpx_mock.add_response(url=denied, status_code=401)
    # An error whose text quotes the header (as some libraries' messages do).
    httpx_mock.add_exception(httpx.ConnectError(f"boom with {SECRET} inside"), url=failing)
    options = replace(
        OPTIONS, hosts={"*.example.org": HostSettings(headers={"Authorization": SECRET})}
    )
    results = await check_urls([ok, denied, failing], options, clock=clock)
    assert len(httpx_mock.get_requests()) == 3
    assert results[failing].verdict is not Verdict.OK
    for result in results.values():
        text = json.dumps(to_jsonable(result))
        assert SECRET not in text
        assert "s3cret" not in text


async def test_per_host_timeout_is_the_read_timeout(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    slow, other = "https://slow.example.org/a", "https://example.com/b"
    httpx_mock.add_response(url=slow, html=HTML)
    httpx_mock.add_response(url=other, html=HTML)
    options = replace(
        OPTIONS, timeout_read=10.0, hosts={"slow.example.org": HostSettings(timeout=45.0)}
    )
    await check_urls([slow, other], options, clock=clock)
    sent = {str(r.url): r.extensions["timeout"] for r in httpx_mock.get_requests()}
    assert sent[slow]["read"] == 45.0
    assert sent[slow]["connect"] == options.timeout_connect
    assert sent[other]["read"] == 10.0


async def test_per_host_interval_paces_the_engine(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    slow = [f"https://slow.example.org/{n}" for n in range(3)]
    fast = [f"https://fast.example.org/{n}" for n in range(3)]
    for url in slow + fast:
        httpx_mock.add_response(url=url, html=HTML)
    hosts = {"slow.example.org": HostSettings(interval=3.0)}
    await check_urls(fast, replace(OPTIONS, hosts=hosts), clock=clock)
    assert clock.slept == []  # other hosts keep the default: no gap
    await check_urls(slow, replace(OPTIONS, hosts=hosts), clock=clock)
    assert clock.monotonic() >= 6.0  # three starts, three seconds apart


def test_per_host_concurrency_counted_server_side() -> None:
    with LoopbackServer() as server:
        limited = server.add_site("127.0.0.5", latency=0.03)
        free = server.add_site("127.0.0.6", latency=0.03)
        resolver = StaticResolver({"www.limited.test": "127.0.0.5", "free.test": "127.0.0.6"})
        keys = []
        for n in range(8):
            limited.route(f"/{n}", page(HTML))
            free.route(f"/{n}", page(HTML))
            keys += [limited.url(f"/{n}", "www.limited.test"), free.url(f"/{n}", "free.test")]
        options = replace(
            OPTIONS, per_host=4, hosts={"*.limited.test": HostSettings(concurrency=1)}
        )
        results = check_urls_sync(keys, options, resolver=resolver)
    assert all(r.verdict is Verdict.OK for r in results.values()), results
    assert limited.stats.requests == 8
    assert limited.stats.max_in_flight == 1
    assert free.stats.max_in_flight == 4
