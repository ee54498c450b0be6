"""Pages that forward their reader by meta refresh or script are followed as a
browser would, bounded and counted as hops, and the page that loads is judged."""

from __future__ import annotations

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.model import Verdict
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

ARTICLE = "<title>Story</title><h1>Story</h1>" + "<p>Plenty of words about rivers.</p>" * 20


def refresh(to: str, delay: int = 0) -> str:
    return f'<meta http-equiv="refresh" content="{delay}; url={to}"><p>Moving.</p>'


def check(routes: dict[str, str], path: str, **options: int) -> tuple[object, ...]:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for route, html in routes.items():
            site.route(route, page(html))
        url = f"http://fwd.test:{site.port}{path}"
        result = check_urls_sync(
            [url],
            CheckOptions(max_retries=0, **options),
            resolver=StaticResolver({"fwd.test": "127.0.0.1"}),
        )[url]
        return result.verdict, result.reason, [h.note for h in result.chain], result.detail


def test_a_refresh_chain_is_followed_hop_by_hop_to_the_page_that_loads() -> None:
    verdict, reason, notes, detail = check(
        {"/a": refresh("/b"), "/b": "<script>location = '/c'</script>", "/c": ARTICLE}, "/a"
    )
    assert (verdict, reason) == (Verdict.OK, "ok_temporary_redirect")
    assert notes == ["meta refresh", "script redirect", ""]
    assert "forwards the reader (meta refresh)" in str(detail)


def test_forwards_count_against_the_redirect_limit_and_loops() -> None:
    hops = {f"/h{n}": refresh(f"/h{n + 1}") for n in range(5)}
    hops["/h5"] = ARTICLE
    verdict, reason, _, _ = check(hops, "/h0", max_redirects=3)
    assert (verdict, reason) == (Verdict.STALE, "meta_refresh_error")  # too many hops: an error
    verdict, reason, _, _ = check({"/x": refresh("/y"), "/y": refresh("/x")}, "/x")
    assert (verdict, reason) == (Verdict.STALE, "meta_refresh_error")  # a loop, like a browser's


def test_a_slow_refresh_is_not_a_redirect_and_a_self_refresh_not_a_hop() -> None:
    verdict, reason, notes, _ = check({"/slow": refresh("/elsewhere", 60) + ARTICLE}, "/slow")
    assert (verdict, notes) == (Verdict.OK, [""])
    verdict, reason, notes, _ = check({"/self": refresh("/self") + ARTICLE}, "/self")
    assert (verdict, reason, notes) == (Verdict.OK, "ok", [""])
