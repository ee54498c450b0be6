"""The link zoo end to end: real sockets on loopback, every case with its exact verdict and reason.

Politeness is asserted from the server's side: what it counted, not what the
client believes it did.
"""

from __future__ import annotations

import ssl

import pytest

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.model import CheckResult, Verdict
from linkaudit.testing.caches import MemoryResults
from linkaudit.testing.server import LoopbackServer, hang, page
from linkaudit.testing.zoo import Zoo

from .conftest import ZooRun

CASES = [
    "live",
    "fragment_present",
    "fragment_by_name",
    "fragment_missing",
    "trailing_slash",
    "head_405",
    "head_404_get_200",
    "head_ok",
    "body_5mb",
    "body_huge",
    "endless_html",
    "moved_301_chain",
    "moved_308",
    "temporary_302",
    "http_404",
    "http_410",
    "http_500",
    "redirect_loop",
    "too_many_redirects",
    "connect_refused",
    "nxdomain",
    "dns_temporary",
    "reset",
    "never_answers",
    "trickle",
    "soft_404",
    "homepage_redirect",
    "parked",
    "meta_refresh_error",
    "meta_refresh_home",
    "meta_refresh_notice",
    "script_redirect_error",
    "script_redirect_live",
    "removal_notice",
    "cf_challenge",
    "status_999",
    "auth_401",
    "429_short_retry_after",
    "429_long_retry_after",
    "503_then_200",
    "503_long_retry_after",
    "gateway_502",
    "cookie_redirect",
    "https_live",
    "tls_self_signed",
    "tls_expired",
    "tls_hostname",
    "http_to_https",  # only where ports 80/443 can be bound; skipped otherwise
] + [f"busy_{n}" for n in range(12)]


def test_case_list_matches_the_zoo(zoo: Zoo) -> None:
    names = {case.name for case in zoo.cases}
    assert names <= set(CASES)
    assert set(CASES) - names <= {"http_to_https"}


@pytest.mark.parametrize("name", CASES)
def test_zoo_case(zoo_run: ZooRun, name: str) -> None:
    try:
        case = zoo_run.zoo.case(name)
    except StopIteration:
        pytest.skip(f"{name}: not available here (needs ports 80/443)")
    result = zoo_run.results[case.key]
    assert (result.verdict, result.reason) == (case.verdict, case.reason), result.detail
    assert result.detail
    assert result.key == case.key
    if case.attempts is not None:
        assert result.attempts == case.attempts
    if case.retry_after:
        assert result.retry_after is not None
    if case.max_elapsed is not None:
        assert result.elapsed < case.max_elapsed
    if result.verdict not in {Verdict.BROKEN, Verdict.UNREACHABLE, Verdict.INSECURE}:
        assert result.chain, "a response was received, so a hop was recorded"


def test_the_zoos_deliberate_waits_are_scaled_down(zoo_run: ZooRun) -> None:
    """The engine believes it waited out every Retry-After and backoff; the scaled
    clock made them cost little real time (the speed itself is for benchmarks/)."""
    asked = sum(zoo_run.clock.slept)
    assert asked > 0  # the zoo has cases that are waited out
    assert asked * zoo_run.clock.factor < 2.0
    assert len(zoo_run.results) == len(zoo_run.zoo.cases)


def test_per_host_limit_is_never_exceeded_server_side(zoo_run: ZooRun) -> None:
    per_host = zoo_run.zoo.options().per_host
    for site in zoo_run.zoo.all_sites():
        assert site.stats.max_in_flight <= per_host, (site.host, site.port)
    # ...and the limit is actually used, not sidestepped by running one at a time.
    assert zoo_run.zoo.site_of("busy").stats.max_in_flight == per_host


def test_no_url_requested_more_than_its_retries_allow(zoo_run: ZooRun) -> None:
    options = zoo_run.zoo.options()
    allowed = 1 + options.max_retries + 1  # +1: GET after an inconclusive HEAD
    for site in zoo_run.zoo.all_sites():
        for path in {path for _, path in site.stats.by_path}:
            assert site.stats.count(path) <= allowed, (site.host, path)


def test_fragments_of_one_page_share_one_fetch(zoo_run: ZooRun) -> None:
    live = zoo_run.zoo.site_of("live")
    assert live.stats.count("/article", "GET") == 1


def test_not_found_probe_once_per_directory(zoo_run: ZooRun) -> None:
    busy = zoo_run.zoo.site_of("busy")
    probes = [path for _, path in busy.stats.by_path if "linkaudit-" in path]
    assert len(probes) == 1
    assert probes[0].startswith("/posts/")


def test_head_only_where_it_decides(zoo_run: ZooRun) -> None:
    files = zoo_run.zoo.site_of("files")
    assert files.stats.count("/figure.png", "HEAD") == 1
    assert files.stats.count("/figure.png", "GET") == 0
    assert files.stats.count("/report.pdf", "GET") == 1
    live = zoo_run.zoo.site_of("live")
    assert live.stats.count("/article", "HEAD") == 0


def test_huge_bodies_are_not_downloaded(zoo_run: ZooRun) -> None:
    from linkaudit.testing.zoo import HUGE

    big = zoo_run.zoo.site_of("big")
    assert big.stats.count("/huge") == 1
    assert big.stats.bytes_by_path["/huge"] < HUGE // 4  # the client hung up early
    endless = zoo_run.zoo.site_of("endless")
    assert endless.stats.bytes_by_path["/stream"] < 64 * 1024 * 1024
    assert zoo_run.results[zoo_run.zoo.case("endless_html").key].verdict is Verdict.OK


def test_redirect_hops_are_recorded(zoo_run: ZooRun) -> None:
    result = zoo_run.results[zoo_run.zoo.case("moved_301_chain").key]
    assert [hop.status for hop in result.chain] == [301, 301, 200]
    assert result.chain[0].location is not None
    assert result.final_url is not None
    assert result.final_url.endswith("/new/article-301")
    loop = zoo_run.results[zoo_run.zoo.case("too_many_redirects").key]
    assert len(loop.chain) == 21


def test_cookies_set_on_redirects_are_kept(zoo_run: ZooRun) -> None:
    result = zoo_run.results[zoo_run.zoo.case("cookie_redirect").key]
    assert [hop.status for hop in result.chain] == [302, 302, 200]


def test_rate_limit_says_when_to_retry(zoo_run: ZooRun) -> None:
    result = zoo_run.results[zoo_run.zoo.case("429_long_retry_after").key]
    assert result.retry_after is not None
    assert result.checked_at is not None
    waited = (result.retry_after - result.checked_at).total_seconds()
    assert 3500 < waited <= 3600
    # The short Retry-After was honoured (through the scaled clock), the long one not.
    assert 1.0 in zoo_run.clock.slept
    assert 3600.0 not in zoo_run.clock.slept


def test_only_zoo_names_are_resolved(zoo_run: ZooRun) -> None:
    lookups = zoo_run.zoo.resolver.lookups
    assert len(set(lookups)) > 10  # the run resolved its many zoo hosts ...
    assert all(name.endswith((".zoo.test", ".invalid")) for name in lookups)  # ... and only them


def test_insecure_checks_anyway_and_keeps_the_tls_problem(zoo: Zoo) -> None:
    keys = [zoo.case(name).key for name in ("tls_expired", "tls_self_signed", "tls_hostname")]
    results = check_urls_sync(
        keys, zoo.options(verify_tls=False), resolver=zoo.resolver, clock=zoo.clock()
    )
    for key in keys:
        result = results[key]
        assert result.verdict is Verdict.OK, result.detail
        assert any("TLS" in note for note in result.notes), result.notes


def test_untrusted_without_the_zoo_ca(zoo: Zoo) -> None:
    key = zoo.case("https_live").key
    bare = ssl.create_default_context(cafile=None)
    results = check_urls_sync([key], zoo.options(ssl_context=bare), resolver=zoo.resolver)
    assert (results[key].verdict, results[key].reason) == (Verdict.INSECURE, "tls_self_signed")


def test_cache_answers_before_the_network(zoo: Zoo) -> None:
    key = zoo.case("live").key

    cache = MemoryResults()
    seen: list[CheckResult] = []
    first = check_urls_sync([key], zoo.options(), resolver=zoo.resolver, cache=cache)
    assert not first[key].from_cache
    assert key in cache.stored
    before = zoo.site_of("live").stats.requests
    again = check_urls_sync(
        [key, key], zoo.options(), resolver=zoo.resolver, cache=cache, progress=seen.append
    )
    assert again[key].from_cache
    assert again[key].verdict is Verdict.OK
    assert zoo.site_of("live").stats.requests == before
    assert len(seen) == 1


def test_deadline_cuts_a_silent_server_even_without_retries() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.3")
        site.route("/slow", hang())
        site.route("/fine", page("<p>fine</p>"))
        options = CheckOptions(timeout_read=5.0, deadline=0.3, max_retries=0, soft404=False)
        results = check_urls_sync([site.url("/slow"), site.url("/fine")], options)
    slow = results[site.url("/slow")]
    assert (slow.verdict, slow.reason) == (Verdict.UNREACHABLE, "timeout")
    assert slow.elapsed < 1.0
    assert results[site.url("/fine")].verdict is Verdict.OK
