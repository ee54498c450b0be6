"""When the network or the resolver fails, the audit could not run: exit 3, the
reason said in one line, and nothing recorded (no run, no cached "broken").

Name resolution is simulated through an injected resolver; nothing here asks the
machine's DNS.  A resolver that answers NXDOMAIN for every name is a dead
resolver; one that still resolves names that surely exist is a working resolver
and its NXDOMAINs are dead domains.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.check import CheckOptions
from linkaudit.check.client import CANARY_NAMES
from linkaudit.model import CheckResult, Verdict
from linkaudit.pipeline import AuditOptions, Services, judge_network
from linkaudit.runner import RunRequest, run
from linkaudit.sources.collect import Collection
from linkaudit.store import Store
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def result(url: str, verdict: Verdict, reason: str, *, cached: bool = False) -> CheckResult:
    return CheckResult(url, url, verdict, reason, reason, checked_at=NOW, from_cache=cached)


def working_resolver(**hosts: str) -> StaticResolver:
    """A resolver that knows the names that always exist (and ``hosts``)."""
    return StaticResolver(dict.fromkeys(CANARY_NAMES, "127.0.0.1") | hosts)


NXDOMAIN_A = result("https://a.example/x", Verdict.BROKEN, "dns_not_found")
NXDOMAIN_B = result("https://b.example/y", Verdict.BROKEN, "dns_not_found")
SERVFAIL_C = result("https://c.example/z", Verdict.UNREACHABLE, "dns_temporary")


async def test_every_host_unresolvable_and_the_resolver_resolves_nothing() -> None:
    results = {r.key: r for r in (NXDOMAIN_A, NXDOMAIN_B, SERVFAIL_C)}
    dead = StaticResolver({})
    why = await judge_network(results, dead)
    assert why is not None
    assert why.startswith("the network/resolver is not working: none of the 3 hosts")
    assert "\n" not in why
    assert set(dead.lookups) >= {"example.com"}  # it asked, and got nothing


async def test_dead_domains_behind_a_working_resolver_are_dead_domains() -> None:
    results = {r.key: r for r in (NXDOMAIN_A, NXDOMAIN_B)}
    assert await judge_network(results, working_resolver()) is None


@pytest.mark.parametrize(
    "results",
    [
        pytest.param([NXDOMAIN_A], id="one-host-only"),
        pytest.param(
            [NXDOMAIN_A, NXDOMAIN_B, result("https://c.example/", Verdict.OK, "ok")],
            id="one-host-answers",
        ),
        pytest.param(
            [
                NXDOMAIN_A,
                result("https://b.example/", Verdict.BROKEN, "dns_not_found", cached=True),
            ],
            id="a-cached-answer",
        ),
    ],
)
async def test_one_host_with_nxdomain_among_answers_is_just_broken(
    results: list[CheckResult],
) -> None:
    assert await judge_network({r.key: r for r in results}, StaticResolver({})) is None


async def test_no_answer_from_any_host_is_no_network() -> None:
    results = {
        r.key: r
        for r in (
            result("https://a.example/", Verdict.UNREACHABLE, "timeout"),
            result("https://b.example/", Verdict.UNREACHABLE, "connect_failed"),
        )
    }
    why = await judge_network(results, working_resolver())
    assert why is not None
    assert why.startswith("no network: none of the 2 hosts answered")


def _article(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "article.html"
    path.write_text(
        "".join(f'<p>See <a href="{url}">source {i}</a>.</p>' for i, url in enumerate(urls)),
        encoding="utf-8",
    )
    return path


def test_a_run_whose_resolver_answers_nxdomain_for_everything_records_nothing(
    tmp_path: Path,
) -> None:
    article = _article(
        tmp_path, ["https://news.example/a", "https://data.example/b", "https://gov.example/c"]
    )
    cache = tmp_path / "cache.sqlite"
    request = RunRequest(
        collection=Collection(specs=(str(article),)),
        audit=AuditOptions(archive=None, check=CheckOptions(max_retries=0)),
        cache_path=cache,
    )
    outcome = run(request, Services(resolver=StaticResolver({})))
    assert outcome.network_down is not None
    assert "network/resolver is not working" in outcome.network_down
    with Store.open(cache) as store:
        assert store.history.runs() == []  # not toward anyone's death
        for finding in outcome.report.findings:
            assert finding.result is not None
            assert store.results.get(finding.result.key) is None  # and nothing cached


def test_the_same_run_with_a_working_resolver_records_the_dead_domain(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page("<title>A</title><p>fine</p>"))
        article = _article(
            tmp_path, [f"http://news.example:{site.port}/a", "https://gone.example/b"]
        )
        cache = tmp_path / "cache.sqlite"
        request = RunRequest(
            collection=Collection(specs=(str(article),)),
            audit=AuditOptions(archive=None, check=CheckOptions(max_retries=0)),
            cache_path=cache,
        )
        outcome = run(request, Services(resolver=working_resolver(**{"news.example": "127.0.0.1"})))
    assert outcome.network_down is None
    verdicts = {f.citation.url: f.verdict for f in outcome.report.findings}
    assert verdicts["https://gone.example/b"] is Verdict.BROKEN
    with Store.open(cache) as store:
        assert len(store.history.runs()) == 1
        assert store.results.get("https://gone.example/b") is not None
