"""Soft-404 probes only where the host's answer to a random path could change the verdict.

The servers count every request, so "no probe was sent" is what the host saw.
"""

from __future__ import annotations

import pytest

from linkaudit.check import CheckOptions, check_urls_sync, engine
from linkaudit.model import Verdict
from linkaudit.testing.server import LoopbackServer, page, redirect, sequence

PROSE = " ".join(
    f"The council met on day {n} to hear residents on the river works and the budget."
    for n in range(30)
)  # some 400 words


def article(title: str, words: str = PROSE) -> str:
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><h1>{title}</h1><p>{words}</p></body></html>"


def probes(site: object, cited: set[str]) -> list[str]:
    stats = site.stats  # type: ignore[attr-defined]
    return [path for (_, path) in stats.by_path if path not in cited]


def test_a_page_that_proves_itself_is_not_probed() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/2019/glacier-melt-speeds-up", page(article("Glacier melt speeds up")))
        url = site.url("/2019/glacier-melt-speeds-up")
        result = check_urls_sync([url], CheckOptions(max_retries=0))[url]
        sent = probes(site, {"/2019/glacier-melt-speeds-up"})
    assert result.verdict is Verdict.OK
    assert sent == []  # the title echoes the slug, 400 words of prose: nothing to ask


def test_a_catch_all_search_page_echoing_the_slug_is_still_probed_and_caught() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        # every path: a search page for the words of the path, the same prose around it
        site.fallback = page(article("Search results: glacier melt speeds up"))
        url = site.url("/2019/glacier-melt-speeds-up")
        result = check_urls_sync([url], CheckOptions(max_retries=0))[url]
        sent = probes(site, {"/2019/glacier-melt-speeds-up"})
    assert len(sent) == 1
    assert (result.verdict, result.reason) == (Verdict.STALE, "soft_404")


def test_short_pages_and_opaque_urls_are_probed() -> None:
    with LoopbackServer() as server:
        short, opaque = server.add_site("127.0.0.1"), server.add_site("127.0.0.2")
        short.route("/news/river-works-begin", page(article("River works begin", "Short.")))
        opaque.route("/p/12", page(article("River works begin")))
        url_short, url_opaque = short.url("/news/river-works-begin"), opaque.url("/p/12")
        results = check_urls_sync([url_short, url_opaque], CheckOptions(max_retries=0))
        sent = probes(short, {"/news/river-works-begin"}) + probes(opaque, {"/p/12"})
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert sorted(p.rsplit("/", 1)[0] for p in sent) == ["/news", "/p"]


def test_a_host_that_answered_a_random_path_with_200_is_probed_everywhere() -> None:
    """Once a host showed it serves 2xx for paths that cannot exist, a page's own
    content no longer proves it (the host may render any slug into a title)."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.fallback = page(article("Welcome", "Our front page, with its own words. " * 60))
        site.route("/p/1", page(article("River works begin")))  # opaque: probed, 200
        site.route("/a/river-works-begin", page(article("River works begin")))
        # one run: the opaque URL's probe shows the host soft before the slug URL is judged
        urls = [site.url("/p/1"), site.url("/a/river-works-begin")]
        results = check_urls_sync(urls, CheckOptions(max_retries=0))
        sent = probes(site, {"/p/1", "/a/river-works-begin"})
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert any(path.startswith("/a/") for path in sent)


def test_a_redirect_target_shared_by_several_links_is_asked_once() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        landing = article("River works: all our coverage")
        site.route("/river/works-coverage", page(landing))
        for n in range(5):
            site.route(
                f"/old/{n}",
                page("", status=301, headers=[("Location", "/river/works-coverage")]),
            )
        urls = [site.url(f"/old/{n}") for n in range(5)]
        results = check_urls_sync(urls, CheckOptions(max_retries=0, soft404=False))
        asked = site.stats.by_path
    assert {r.verdict for r in results.values()} == {Verdict.MOVED}
    assert {r.final_url for r in results.values()} == {site.url("/river/works-coverage")}
    assert asked[("GET", "/river/works-coverage")] == 1
    assert sum(1 for r in results.values() if any("not asked again" in n for n in r.notes)) == 4


# --- a host's pages prove each other; the probe waits for the target's answer ---------
# (``HEDGE_AFTER`` is set far beyond these loopback answers, so that no probe is sent
# "in case" of a slow host and every probe counted below is one the rule asked for.)


@pytest.fixture
def no_hedge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "HEDGE_AFTER", 60.0)


def story(n: int) -> str:
    return article(f"Story {n}", f"Dispatch {n}. " + PROSE)


@pytest.mark.usefixtures("no_hedge")
def test_opaque_pages_named_unlike_each_other_prove_each_other() -> None:
    """Three ``/p/<n>`` pages whose titles and headings all differ: none can be the one
    page a catch-all would serve for all of them, so the host is never probed."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        cited = {f"/p/{n}" for n in (12, 34, 56)}
        for path in cited:
            site.route(path, page(story(int(path.rsplit("/", 1)[1]))))
        results = check_urls_sync([site.url(p) for p in sorted(cited)], CheckOptions())
        sent = probes(site, cited)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert sent == []


@pytest.mark.usefixtures("no_hedge")
def test_pages_that_look_alike_are_probed_and_a_catch_all_is_caught() -> None:
    """Two cited paths answered with the same page (a catch-all without any "not found"
    wording): alike, so the host is asked a random path, and both are soft 404s."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.fallback = page(article("The Daily Bugle", "Front page news and more. " * 60))
        cited = {"/p/12", "/p/34"}
        results = check_urls_sync([site.url(p) for p in sorted(cited)], CheckOptions())
        sent = probes(site, cited)
    assert len(sent) == 1  # one directory, one probe
    assert {(r.verdict, r.reason) for r in results.values()} == {(Verdict.STALE, "soft_404")}


@pytest.mark.usefixtures("no_hedge")
def test_a_soft_404_beside_a_real_page_is_probed_and_caught() -> None:
    """A host serving 200 "not found" for unknown paths, one real page and one dead one
    cited: the dead one's page says "not found", so it cannot prove itself."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.fallback = page(article("Oops", "Sorry, this page was not found. " * 60))
        site.route("/p/12", page(story(12)))
        cited = {"/p/12", "/p/99"}
        results = check_urls_sync([site.url(p) for p in sorted(cited)], CheckOptions())
        sent = probes(site, cited)
    assert len(sent) == 1
    assert results[site.url("/p/12")].verdict is Verdict.OK
    assert results[site.url("/p/99")].reason == "soft_404"


@pytest.mark.usefixtures("no_hedge")
def test_answers_that_settle_the_verdict_send_no_probe() -> None:
    """A 404, a bot wall, a deep link redirected to the front page, and a page moved to
    a path keeping its slug: no answer to a random path could change these verdicts."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/", page(article("Welcome to the site", "Front page news. " * 60)))
        site.route("/a/gone", page("<h1>Not found</h1>", status=404))
        site.route("/a/old-story", redirect("/"))
        site.route("/a/glacier-melt-speeds-up", redirect("/news/glacier-melt-speeds-up/"))
        site.route("/news/glacier-melt-speeds-up/", page(article("Glacier melt speeds up")))
        wall = server.add_site("127.0.0.2")
        wall.route(
            "/p/1",
            page(
                "<title>Just a moment...</title>",
                status=403,
                headers=[("cf-mitigated", "challenge")],
            ),
        )
        cited = {"/a/gone", "/a/old-story", "/a/glacier-melt-speeds-up"}
        urls = [site.url(p) for p in sorted(cited)] + [wall.url("/p/1")]
        results = check_urls_sync(urls, CheckOptions(max_retries=0))
        sent = probes(site, cited | {"/", "/news/glacier-melt-speeds-up/"}) + probes(wall, {"/p/1"})
    assert sent == []
    verdicts = {url.rsplit("/", 1)[1]: r.verdict for url, r in results.items()}
    assert verdicts == {
        "gone": Verdict.BROKEN,
        "old-story": Verdict.STALE,
        "glacier-melt-speeds-up": Verdict.MOVED,
        "1": Verdict.BLOCKED,
    }


@pytest.mark.usefixtures("no_hedge")
def test_a_lone_opaque_page_is_still_probed() -> None:
    """One page on its host: nothing to tell it from a catch-all but the probe."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/p/12", page(story(12)))
        result = check_urls_sync([site.url("/p/12")], CheckOptions())[site.url("/p/12")]
        sent = probes(site, {"/p/12"})
    assert result.verdict is Verdict.OK
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("hedge", "sibling_wait", "probed"),
    [
        # A target refused at once (503, ``Retry-After: 1``) waits a second before it is
        # asked again; the host answered quickly, so that second is no reason to probe
        # it "in case" it is slow.  Its two pages, named apart, then need no probe at
        # all (the other page waits for it: ``SIBLING_WAIT`` is past the refusal's second).
        (0.2, 30.0, 0),
        # A page waits for its sibling only ``SIBLING_WAIT``: the refused sibling is a
        # second away, so the page is probed (and still ``ok``).
        (60.0, 0.05, 1),
    ],
)
def test_a_refused_sibling_is_waited_for_only_so_long_and_sends_no_probe_in_case(
    monkeypatch: pytest.MonkeyPatch, hedge: float, sibling_wait: float, probed: int
) -> None:
    monkeypatch.setattr(engine, "HEDGE_AFTER", hedge)
    monkeypatch.setattr(engine, "SIBLING_WAIT", sibling_wait)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/p/1", page(story(1)))
        busy = page("<h1>Busy</h1>", status=503, headers=[("Retry-After", "1")])
        site.route("/p/2", sequence(busy, page(story(2))))
        cited = {"/p/1", "/p/2"}
        results = check_urls_sync([site.url(p) for p in sorted(cited)], CheckOptions())
        sent = probes(site, cited)
    assert {r.verdict for r in results.values()} == {Verdict.OK}
    assert len(sent) == probed


def test_a_big_site_is_probed_once_instead_of_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More of the host's targets out than ``SIBLING_WAIT_MAX``: no page waits for the
    others, so the host is probed once (its 404 stands for both directories), where
    waiting, the pages' distinct names would have spared even that one request."""
    monkeypatch.setattr(engine, "HEDGE_AFTER", 60.0)
    monkeypatch.setattr(engine, "SIBLING_WAIT_MAX", 2)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1", latency=0.02)
        cited = {f"/{d}/{n}" for d in ("a", "b") for n in range(20)}
        for path in cited:
            site.route(path, page(story(int(path.rsplit("/", 1)[1]) + 100 * path.startswith("/b"))))
        results = check_urls_sync([site.url(p) for p in sorted(cited)], CheckOptions(per_host=4))
        sent = probes(site, cited)
    assert len(sent) == 1
    assert {r.verdict for r in results.values()} == {Verdict.OK}
