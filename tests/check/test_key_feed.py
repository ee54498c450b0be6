"""Checking keys while they still arrive (``KeyFeed``): the same verdicts as checking
them all at once, and no second request for a fragment that comes late.

The servers count every request, so "asked once" is what the host saw.
"""

from __future__ import annotations

import asyncio

import pytest

from linkaudit.check import CheckOptions, check_urls, engine
from linkaudit.check.feed import KeyFeed
from linkaudit.model import CheckResult, Verdict
from linkaudit.testing.server import LoopbackServer, page

TITLE = "River works begin on the east bank"
PROSE = " ".join(f"The council met on day {n} to hear residents." for n in range(40))
ARTICLE = (
    f"<html><head><title>{TITLE}</title></head><body><h1 id='top'>{TITLE}</h1>"
    f"<p>{PROSE}</p><h2 id='budget'>Budget</h2><p>{PROSE}</p>"
    "<a name='old-anchor'></a></body></html>"
)
OPTIONS = CheckOptions(max_retries=0, soft404=False)
#: Only the first KiB is kept as the page's text: the ids below it are found by
#: the anchor search alone, which must then have remembered every id.
SHORT = CheckOptions(max_retries=0, soft404=False, max_body=1024)


def hits(site: object, path: str) -> int:
    return sum(n for (_, p), n in site.stats.by_path.items() if p == path)  # type: ignore[attr-defined]


async def _fed_late(url: str, late: list[str]) -> tuple[dict[str, CheckResult], list[str]]:
    """``url`` alone first; once it is decided, ``late`` (its fragments), then close."""
    feed = KeyFeed()
    decided: list[str] = []
    first = asyncio.Event()

    def progress(result: CheckResult) -> None:
        decided.append(result.key)
        if result.key == url:
            first.set()

    feed.put([url])
    task = asyncio.ensure_future(check_urls(feed, SHORT, progress=progress))
    await asyncio.wait_for(first.wait(), 10)
    feed.put(late)
    await asyncio.sleep(0)
    feed.close()
    return await task, decided


@pytest.mark.parametrize("kept_bytes", [engine.KEPT_BYTES, 0])
def test_a_fragment_arriving_after_its_page_was_read_is_judged_rightly(
    monkeypatch: pytest.MonkeyPatch, kept_bytes: int
) -> None:
    """Kept answers judge late fragments with no request; beyond the budget, a late
    fragment costs its page a second request and still gets the right verdict."""
    monkeypatch.setattr(engine, "KEPT_BYTES", kept_bytes)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/river", page(ARTICLE))
        url = site.url("/river")
        late = [f"{url}#budget", f"{url}#old-anchor", f"{url}#nowhere"]
        results, decided = asyncio.run(_fed_late(url, late))
        asked = hits(site, "/river")
    assert set(results) == {url, *late}
    assert decided[0] == url
    assert sorted(decided) == sorted(results)
    assert results[url].verdict is Verdict.OK
    assert results[f"{url}#budget"].verdict is Verdict.OK
    assert results[f"{url}#old-anchor"].verdict is Verdict.OK
    assert results[f"{url}#nowhere"].verdict is Verdict.FRAGMENT_MISSING
    assert asked == (1 if kept_bytes else 2)


def test_a_feed_gives_what_a_list_gives() -> None:
    """Keys put in several batches (repeats, fragments of pages still waiting) end as
    the same verdicts, one request per page."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for n in range(6):
            site.route(f"/p{n}", page(ARTICLE))
        urls = [site.url(f"/p{n}") for n in range(6)]
        keys = [*urls, f"{urls[0]}#budget", f"{urls[5]}#nowhere", site.url("/missing")]
        whole = asyncio.run(check_urls(keys, OPTIONS))
        server.reset_stats()

        async def fed() -> dict[str, CheckResult]:
            feed = KeyFeed()
            task = asyncio.ensure_future(check_urls(feed, OPTIONS))
            for batch in (keys[:3], keys[2:5], [], keys[5:]):
                feed.put(batch)
                await asyncio.sleep(0.01)
            feed.close()
            return await task

        streamed = asyncio.run(fed())
        asked = {n: hits(site, f"/p{n}") for n in range(6)}

    def verdicts(results: dict[str, CheckResult]) -> dict[str, tuple[Verdict, str]]:
        return {k: (r.verdict, r.reason) for k, r in results.items()}

    assert verdicts(streamed) == verdicts(whole)
    assert verdicts(whole)[f"{urls[5]}#nowhere"][0] is Verdict.FRAGMENT_MISSING
    assert asked == dict.fromkeys(range(6), 1)


def test_a_closed_empty_feed_asks_nothing() -> None:
    feed = KeyFeed.of([])
    assert feed.closed
    assert asyncio.run(check_urls(feed, OPTIONS)) == {}
    with pytest.raises(RuntimeError):
        feed.put(["https://example.org/"])
