"""Soft-404 probes only where the host's answer to a random path could change the verdict.

The servers count every request, so "no probe was sent" is what the host saw.
"""

from __future__ import annotations

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.model import Verdict
from linkaudit.testing.server import LoopbackServer, page

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
