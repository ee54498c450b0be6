"""The engine's decisions about retrying, waiting and redirecting, with pytest-httpx.

A fake clock records every sleep, so backoff and Retry-After are asserted
exactly and the tests take no time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from linkaudit.check import DEFAULT_USER_AGENT, CheckOptions, check_urls
from linkaudit.check.engine import _host_by_host
from linkaudit.model import CheckResult, Verdict
from linkaudit.store import is_transient
from linkaudit.testing.clock import VirtualClock

from .conftest import FakeClock

URL = "https://example.org/article"
HTML = "<html><head><title>A page</title></head><body><h1 id='top-story'>Hi</h1></body></html>"
OPTIONS = CheckOptions(soft404=False, max_retries=2, retry_base=0.5, max_retry_wait=30.0)


async def check_one(clock: FakeClock, url: str = URL, **options: Any) -> CheckResult:
    results = await check_urls([url], replace(OPTIONS, **options), clock=clock)
    return results[url]


async def test_503_is_retried_with_exponential_backoff_and_jitter(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_response(url=URL, html=HTML)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (Verdict.OK, "ok", 3)
    assert len(clock.slept) >= 2
    first, second = clock.slept[0], clock.slept[-1]
    assert 0.25 <= first <= 0.75  # base 0.5, jitter x0.5..1.5
    assert 0.5 <= second <= 1.5  # doubled


async def test_a_persisting_gateway_error_is_unreachable_after_all_retries(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    for _ in range(3):
        httpx_mock.add_response(url=URL, status_code=502)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.UNREACHABLE,
        "server_unavailable",
        3,
    )
    assert len(httpx_mock.get_requests()) == 3


async def test_a_persisting_500_is_broken_after_all_retries(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    for _ in range(3):
        httpx_mock.add_response(url=URL, status_code=500)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (Verdict.BROKEN, "http_5xx", 3)


async def test_a_503_asking_for_an_hour_is_unreachable_at_once(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    """Retry-After: 3600 is the server saying "come back later": one request, then
    unreachable (never cached), not broken."""
    httpx_mock.add_response(url=URL, status_code=503, headers={"Retry-After": "3600"})
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.UNREACHABLE,
        "server_unavailable",
        1,
    )
    assert "come back after" in result.detail
    assert len(httpx_mock.get_requests()) == 1
    assert is_transient(result)


async def test_retry_after_seconds_is_honoured(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(url=URL, html=HTML)
    result = await check_one(clock)
    assert (result.verdict, result.attempts) == (Verdict.OK, 2)
    assert 7.0 in clock.slept


async def test_retry_after_http_date_is_honoured(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=12), usegmt=True)
    httpx_mock.add_response(url=URL, status_code=503, headers={"Retry-After": when})
    httpx_mock.add_response(url=URL, html=HTML)
    result = await check_one(clock)
    assert result.verdict is Verdict.OK
    assert any(11.0 <= s <= 12.0 for s in clock.slept), clock.slept


async def test_retry_after_beyond_the_cap_is_not_waited_out(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "120"})
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.BLOCKED,
        "rate_limited",
        1,
    )
    assert clock.slept == []
    assert result.retry_after == clock.now() + timedelta(seconds=120)


async def test_http_date_beyond_the_cap(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    when = format_datetime(clock.now() + timedelta(hours=2), usegmt=True)
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": when})
    result = await check_one(clock, max_retry_wait=60.0)
    assert result.reason == "rate_limited"
    assert result.retry_after is not None
    assert abs((result.retry_after - clock.now()).total_seconds() - 7200) < 2


async def test_429_past_retries_is_rate_limited(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    for _ in range(3):
        httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "2"})
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.BLOCKED,
        "rate_limited",
        3,
    )
    assert [s for s in clock.slept if s == 2.0] == [2.0, 2.0]
    assert result.retry_after is not None


@pytest.mark.parametrize(("status", "reason"), [(404, "http_404"), (410, "http_410")])
async def test_definitive_answers_are_not_retried(
    httpx_mock: HTTPXMock, clock: FakeClock, status: int, reason: str
) -> None:
    httpx_mock.add_response(url=URL, status_code=status)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (Verdict.BROKEN, reason, 1)
    assert len(httpx_mock.get_requests()) == 1
    assert clock.slept == []


async def test_timeouts_are_retried_then_unreachable(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=URL)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.UNREACHABLE,
        "timeout",
        3,
    )


async def test_refused_is_not_retried(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    error = httpx.ConnectError("[Errno 111] Connection refused")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    httpx_mock.add_exception(error, url=URL)
    result = await check_one(clock)
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.BROKEN,
        "connect_refused",
        1,
    )


async def test_redirect_loop_is_detected(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    a, b = "https://example.org/a", "https://example.org/b"
    httpx_mock.add_response(url=a, status_code=302, headers={"Location": "/b"})
    httpx_mock.add_response(url=b, status_code=302, headers={"Location": a})
    result = await check_one(clock, url=a)
    assert (result.verdict, result.reason) == (Verdict.BROKEN, "redirect_loop")
    assert [hop.url for hop in result.chain] == [a, b]
    assert len(httpx_mock.get_requests()) == 2


async def test_more_than_max_redirects_is_broken(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    for n in range(4):
        httpx_mock.add_response(
            url=f"https://example.org/{n}", status_code=301, headers={"Location": f"/{n + 1}"}
        )
    result = await check_one(clock, url="https://example.org/0", max_redirects=3)
    assert (result.verdict, result.reason) == (Verdict.BROKEN, "too_many_redirects")
    assert len(result.chain) == 4


async def test_cookie_from_a_redirect_is_sent_on(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(
        url=URL,
        status_code=302,
        headers={"Location": "/landing", "Set-Cookie": "session=abc; Path=/"},
    )
    httpx_mock.add_response(url="https://example.org/landing", html=HTML)
    await check_one(clock)
    landing = httpx_mock.get_requests()[-1]
    assert landing.headers.get("cookie") == "session=abc"


async def test_browser_like_headers_and_honest_user_agent(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, html=HTML)
    await check_one(clock)
    request = httpx_mock.get_requests()[0]
    assert request.headers["user-agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("linkaudit/")
    assert "text/html" in request.headers["accept"]
    assert request.headers["accept-language"]


async def test_head_refused_falls_back_to_get(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    pdf = "https://example.org/paper.pdf"
    httpx_mock.add_response(url=pdf, method="HEAD", status_code=405)
    httpx_mock.add_response(
        url=pdf, method="GET", content=b"%PDF", headers={"Content-Type": "application/pdf"}
    )
    result = await check_one(clock, url=pdf)
    assert (result.verdict, result.reason, result.attempts) == (Verdict.OK, "ok", 2)
    assert [r.method for r in httpx_mock.get_requests()] == ["HEAD", "GET"]


async def test_fragments_share_one_fetch(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(url=URL, html=HTML)
    keys = [URL, URL + "#top-story", URL + "#gone"]
    results = await check_urls(keys, OPTIONS, clock=clock)
    assert len(httpx_mock.get_requests()) == 1
    assert results[URL + "#top-story"].verdict is Verdict.OK
    assert results[URL + "#gone"].verdict is Verdict.FRAGMENT_MISSING
    assert results[URL].verdict is Verdict.OK


async def test_no_fragment_check_when_disabled(httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(url=URL, html=HTML)
    result = await check_one(clock, url=URL + "#gone", check_fragments=False)
    assert result.verdict is Verdict.OK


async def test_soft_404_probe_hits_a_random_sibling(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    url = "https://example.org/news/story"
    httpx_mock.add_response(url=url, html=HTML)
    httpx_mock.add_response(status_code=404)  # the probe, whatever its random name
    result = await check_one(clock, url=url, soft404=True)
    assert result.verdict is Verdict.OK
    probe = httpx_mock.get_requests()[1]
    assert probe.url.path.startswith("/news/")
    assert len(probe.url.path.rsplit("/", 1)[1]) >= 12
    assert probe.url.path != "/news/story"


# --- soft-404 probes: one per host, one per directory only where the host serves soft 404s


NOT_FOUND_PAGE = (
    "<html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
    "<p>Sorry, we could not find the page you were looking for. Try the search box, "
    "browse the sections below, or return to the front page of this website.</p></body></html>"
)


def _story(title: str) -> str:
    words = " ".join(
        f"{title.lower()} paragraph {i} with its own facts and figures" for i in range(12)
    )
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><h1>{title}</h1><p>{words}</p></body></html>"


def _serve_site(
    httpx_mock: HTTPXMock, pages: dict[str, str], soft_directories: tuple[str, ...]
) -> None:
    """One host: ``pages`` by path; an unknown path is a 404, or a 200 "not found" page
    in ``soft_directories`` (a catch-all only there)."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in pages:
            return httpx.Response(200, html=pages[path])
        if path.startswith(soft_directories):
            return httpx.Response(200, html=NOT_FOUND_PAGE)
        return httpx.Response(404, html=NOT_FOUND_PAGE)

    httpx_mock.add_callback(answer, is_reusable=True)


def _probes(httpx_mock: HTTPXMock) -> list[str]:
    return sorted(r.url.path for r in httpx_mock.get_requests() if "linkaudit-" in r.url.path)


async def test_a_host_that_answers_random_paths_with_404_is_probed_once(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    pages = {f"/{d}/story": _story(f"Story in {d}") for d in ("news", "sport", "arts")}
    _serve_site(httpx_mock, pages, soft_directories=())
    keys = [f"https://example.org{path}" for path in pages]
    results = await check_urls(keys, replace(OPTIONS, soft404=True), clock=clock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert len(_probes(httpx_mock)) == 1  # the first directory's answer stands for all three


async def test_a_host_that_serves_soft_404s_is_probed_per_directory(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    pages = {"/news/story": _story("Story in news"), "/arts/review": _story("A review")}
    _serve_site(httpx_mock, pages, soft_directories=("/",))
    keys = [
        "https://example.org/news/story",
        "https://example.org/arts/review",
        "https://example.org/arts/deleted-piece",  # served the catch-all "not found" page
    ]
    results = await check_urls(keys, replace(OPTIONS, soft404=True), clock=clock)
    probes = _probes(httpx_mock)
    assert [p.rsplit("/", 1)[0] for p in probes] == ["/arts", "/news"]
    assert results[keys[0]].verdict is Verdict.OK
    assert results[keys[1]].verdict is Verdict.OK
    assert (results[keys[2]].verdict, results[keys[2]].reason) == (Verdict.STALE, "soft_404")


async def test_a_not_found_page_is_probed_in_its_own_directory(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    # The host answers 404 for random paths except under /tag/, where anything is a
    # 200 "Page not found": the first probe (in /news/) must not vouch for /tag/.
    pages = {"/news/story": _story("Story in news")}
    _serve_site(httpx_mock, pages, soft_directories=("/tag/",))
    news, tag = "https://example.org/news/story", "https://example.org/tag/gone-topic"
    results = await check_urls([news, tag], replace(OPTIONS, soft404=True), clock=clock)
    assert results[news].verdict is Verdict.OK
    assert (results[tag].verdict, results[tag].reason) == (Verdict.STALE, "soft_404")
    assert [p.rsplit("/", 1)[0] for p in _probes(httpx_mock)] == ["/news", "/tag"]


class _BatchCache:
    def __init__(self) -> None:
        self.stored: dict[str, CheckResult] = {}
        self.batches: list[int] = []
        self.single_puts = 0

    def get(self, key: str) -> CheckResult | None:
        return self.stored.get(key)

    def put(self, result: CheckResult) -> None:
        self.single_puts += 1
        self.stored[result.key] = result

    def put_many(self, results: Sequence[CheckResult]) -> None:
        self.batches.append(len(results))
        for result in results:
            self.stored[result.key] = result


def test_a_cached_answer_is_marked_once_and_not_copied_when_it_is() -> None:
    from linkaudit.check.engine import answer_from_cache

    cache = _BatchCache()
    marked = CheckResult(
        "https://a.example/", "https://a.example/", Verdict.OK, "ok", "answered", from_cache=True
    )
    plain = replace(marked, key="https://b.example/", from_cache=False)
    cache.stored = {marked.key: marked, plain.key: plain}
    told: list[CheckResult] = []
    assert answer_from_cache(cache, marked.key, told.append) is marked  # the store's, as is
    got = answer_from_cache(cache, plain.key, told.append)
    assert got == replace(plain, from_cache=True)
    assert told == [marked, got]
    assert answer_from_cache(cache, "https://c.example/", told.append) is None


async def test_a_batching_cache_gets_results_in_batches(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    from linkaudit.check.engine import PUT_BATCH

    httpx_mock.add_response(html=HTML, is_reusable=True)
    keys = [f"https://example.org/page-{i}" for i in range(PUT_BATCH + 36)]
    cache = _BatchCache()
    results = await check_urls(keys, OPTIONS, clock=clock, cache=cache)
    assert set(cache.stored) == set(keys) == set(results)
    assert cache.single_puts == 0
    assert sorted(cache.batches, reverse=True) == [PUT_BATCH, 36]
    # a second run is answered from the cache alone
    again = await check_urls(keys, OPTIONS, clock=clock, cache=cache)
    assert all(r.from_cache for r in again.values())
    assert len(httpx_mock.get_requests()) == len(keys)


async def test_results_are_saved_even_when_the_run_is_cancelled(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    import asyncio

    fast = [f"https://example.org/fast-{i}" for i in range(5)]
    slow = "https://slow.example.org/never"

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    httpx_mock.add_callback(hang, url=slow)
    httpx_mock.add_response(html=HTML, is_reusable=True)
    cache = _BatchCache()
    task = asyncio.create_task(check_urls([*fast, slow], OPTIONS, clock=clock, cache=cache))
    while len(httpx_mock.get_requests()) < len(fast) + 1:
        await asyncio.sleep(0)
    for _ in range(50):  # let the fast ones finish
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert set(cache.stored) == set(fast)  # kept by the final flush, not lost in a buffer


def test_requests_start_one_host_at_a_time_round_by_round() -> None:
    urls = [
        "http://a.test/1",
        "http://a.test/2",
        "http://a.test/3",
        "http://b.test/1",
        "http://c.test:8080/1",
        "http://c.test:8080/2",
    ]
    assert _host_by_host(urls) == [
        "http://a.test/1",
        "http://b.test/1",
        "http://c.test:8080/1",
        "http://a.test/2",
        "http://c.test:8080/2",
        "http://a.test/3",
    ]
    assert _host_by_host(urls[:3]) == urls[:3]
    assert _host_by_host([]) == []


async def test_a_rate_limited_host_is_paced_at_the_rate_it_allows(httpx_mock: HTTPXMock) -> None:
    """A token bucket (2 per second, 2 at once) answering 429 + Retry-After: 1 when empty.

    After its first refusal the host is asked at about the rate it let through,
    not in bursts that meet an empty bucket again and again.  On a virtual clock:
    concurrent waits overlap, and no real time passes.
    """
    clock = VirtualClock()  # concurrent waits overlap, as on a real clock
    tokens, filled = 2.0, clock.monotonic()
    refused: list[float] = []

    def bucket(request: httpx.Request) -> httpx.Response:
        nonlocal tokens, filled
        now = clock.monotonic()
        tokens, filled = min(2.0, tokens + (now - filled) * 2.0), now
        if tokens < 1.0:
            refused.append(now)
            return httpx.Response(429, headers={"Retry-After": "1"})
        tokens -= 1.0
        return httpx.Response(200, content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})

    httpx_mock.add_callback(bucket, is_reusable=True)
    urls = [f"https://limited.example/{n}.pdf" for n in range(24)]
    options = replace(OPTIONS, per_host=4, max_retries=10)
    results = await check_urls(urls, options, clock=clock)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    # Halving the interval after each answer, and asking again with GET at once
    # after a refused HEAD, met the empty bucket 13 and 27 times in turn.
    assert len(refused) <= 6, len(refused)
