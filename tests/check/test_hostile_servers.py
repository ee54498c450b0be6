"""Servers that lie, misbehave or attack: every answer gets an honest verdict, in bounded memory.

Each case is a real loopback server speaking raw bytes; the bombs run in a child
process so that its peak resident memory can be measured (``VmHWM``: ``ru_maxrss``
survives ``exec`` on Linux and would report the forking pytest's own peak).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

import httpx
import pytest

from linkaudit.check import CheckOptions, check_urls_sync, engine
from linkaudit.model import Verdict
from linkaudit.testing import hostile
from linkaudit.testing.server import Handler, LoopbackServer, page, raw, redirect
from linkaudit.testing.zoo import StaticResolver

ARTICLE = "<title>Story</title><h1>Story</h1>" + "<p>Plenty of words about rivers.</p>" * 20
HTML = "text/html; charset=utf-8"
OPTIONS = CheckOptions(max_retries=1, retry_base=0.01)


def html(body: str | bytes, *headers: tuple[str, str], status: str = "200 OK") -> Handler:
    data = body.encode() if isinstance(body, str) else body
    return raw(hostile.response(data, status=status, headers=headers))


def check(
    routes: dict[str, Handler], options: CheckOptions = OPTIONS
) -> tuple[dict[str, tuple[str, str, str]], LoopbackServer]:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for path, handler in routes.items():
            site.route(path.split("#")[0], handler)
        urls = {path: f"http://hostile.test:{site.port}{path}" for path in routes}
        results = check_urls_sync(
            urls.values(), options, resolver=StaticResolver({"hostile.test": "127.0.0.1"})
        )
    return {
        path: (results[url].verdict, results[url].reason, " ".join(results[url].notes))
        for path, url in urls.items()
    }, server


# --- charsets: a label that is no text encoding is ignored, as a browser does ----------


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "rot13", "zlib_codec"])
def test_a_fine_page_with_a_charset_that_is_no_text_encoding_is_ok(label: str) -> None:
    got, _ = check(
        {
            "/header": page(ARTICLE, content_type=f"text/html; charset={label}"),
            "/meta": page(f"<meta charset={label}>caf\u00e9 " + ARTICLE, content_type="text/html"),
        }
    )
    assert got["/header"][:2] == (Verdict.OK, "ok")
    assert got["/meta"][:2] == (Verdict.OK, "ok")


# --- redirects a browser will not follow ------------------------------------------------


@pytest.mark.parametrize(
    "location", ["data:text/html,hi", "javascript:alert(1)", "http://[::1", "http://exa mple.com/"]
)
def test_a_redirect_to_something_no_browser_follows_is_a_bad_redirect(location: str) -> None:
    got, _ = check({"/r": redirect(location)})
    assert got["/r"][:2] == (Verdict.BROKEN, "bad_redirect")


# --- malformed HTTP: never connect_failed, never an internal error ----------------------

MALFORMED: dict[str, tuple[Handler, str]] = {
    "/bad-status": (raw(b"HTTP/1.1 abc OK\r\n\r\n"), "protocol_error"),
    "/status-1000": (raw(b"HTTP/1.1 1000 Big\r\nContent-Length: 0\r\n\r\n"), "protocol_error"),
    "/no-colon": (raw(b"HTTP/1.1 200 OK\r\nBroken header\r\n\r\nhi"), "protocol_error"),
    "/nul-in-header": (raw(b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n"), ""),
    "/negative-length": (raw(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhi"), ""),
    "/two-lengths": (
        raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\nhi"),
        "protocol_error",
    ),
    "/bad-chunk": (
        raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n"),
        "",
    ),
    "/huge-header": (
        raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 0\r\n\r\n"),
        "protocol_error",
    ),
    "/latin1-header": (html(ARTICLE, ("X-Name", "caf\xe9")), "ok"),
    "/garbage-cookie": (html(ARTICLE, ("Set-Cookie", "\xff\xfe=;;;; expires=x; domain=..")), "ok"),
    "/retry-after-forever": (
        html("", ("Retry-After", "9" * 40), status="503 Service Unavailable"),
        "server_unavailable",
    ),
    "/cut-short": (
        raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 99999\r\n\r\n"
            + ARTICLE.encode()
        ),
        "ok",
    ),
}


def test_malformed_answers_get_their_own_reason_never_a_network_one_or_ours() -> None:
    got, _ = check({path: handler for path, (handler, _) in MALFORMED.items()})
    for path, (_, reason) in MALFORMED.items():
        actual = got[path][1]
        assert actual not in ("connect_failed", "internal_error"), (path, got[path])
        if reason:
            assert actual == reason, (path, got[path])
    assert "judged on the part received" in got["/cut-short"][2]


class _Exploding(httpx.AsyncBaseTransport):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.exc


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyError("k"), ValueError("v")])
def test_an_unexpected_exception_is_an_internal_error_not_the_networks(exc: Exception) -> None:
    url = "http://example.test/page"
    result = check_urls_sync([url], OPTIONS, transport=_Exploding(exc))[url]
    assert (result.verdict, result.reason) == (Verdict.UNREACHABLE, "internal_error")
    assert "a bug in linkaudit" in result.detail
    assert repr(exc) in " ".join(result.notes)


# --- Content-Encoding: corrupt, unasked-for, bombs ---------------------------------------


def test_a_corrupt_encoding_is_said_and_an_unknown_one_judged_by_status() -> None:
    got, _ = check(
        {
            "/corrupt": html(b"\x1f\x8b\x08garbage", ("Content-Encoding", "gzip")),
            "/brotli": html(b"\x8b\x02\x80hi\x03", ("Content-Encoding", "br")),
        }
    )
    assert got["/corrupt"][:2] == (Verdict.BROKEN, "undecodable_body")
    assert got["/brotli"][:2] == (Verdict.OK, "ok")
    assert "'br' encoding" in got["/brotli"][2]


def test_a_well_compressed_real_page_is_not_a_bomb() -> None:
    page_html = (ARTICLE + "<table>" + "<tr><td>row</td><td>1</td></tr>" * 60_000).encode()
    assert len(page_html) > 2 * CheckOptions().max_body
    got, _ = check({"/big": html(gzip.compress(page_html), ("Content-Encoding", "gzip"))})
    assert got["/big"][:2] == (Verdict.OK, "ok")


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from linkaudit.check import CheckOptions, check_urls_sync
    from linkaudit.testing.zoo import StaticResolver
    urls = json.loads(sys.argv[1])
    results = check_urls_sync(
        urls, CheckOptions(max_retries=0),
        resolver=StaticResolver({"hostile.test": "127.0.0.1"}),
    )
    try:
        with open("/proc/self/status") as status:
            hwm = [line for line in status if line.startswith("VmHWM:")]
        peak_kb = int(hwm[0].split()[1])
    except (OSError, IndexError, ValueError):
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "results": {u: [r.verdict, r.reason] for u, r in results.items()},
        "peak_mb": peak_kb // 1024,
    }))
    """
)


def test_decompression_bombs_are_named_and_cost_no_memory() -> None:
    bombs = {
        "/gzip-1g": (hostile.zeros_gzip(1024 * hostile.MIB), "gzip"),
        "/nested-1g": (hostile.nested_gzip(1024 * hostile.MIB, 2), "gzip, gzip"),
        "/gzip3-4g": (hostile.nested_gzip(4096 * hostile.MIB, 3), "gzip, gzip, gzip"),
        "/deflate-1g": (hostile.zeros_gzip(1024 * hostile.MIB)[10:-8], "deflate"),
    }
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for path, (body, encoding) in bombs.items():
            site.route(path, html(body, ("Content-Encoding", encoding)))
        urls = [f"http://hostile.test:{site.port}{path}" for path in bombs]
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(urls)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        sent = dict(site.stats.bytes_by_path)
    answer = json.loads(child.stdout)
    for url, path in zip(urls, bombs, strict=True):
        assert answer["results"][url] == [Verdict.BROKEN, "decompression_bomb"], path
        assert sent[path] > 0  # the server did send it
    assert answer["peak_mb"] < 200, answer["peak_mb"]


# --- fragments on long pages ---------------------------------------------------------------


def long_page(ids: int) -> str:
    return ARTICLE + "".join(f'<h2 id="sec-{n}">Section {n}</h2><p>Text.</p>' for n in range(ids))


def test_fragments_are_searched_through_a_page_with_30000_ids() -> None:
    body = long_page(30_000)
    assert len(body) > 2 * CheckOptions().max_body  # far past what the classifier keeps
    got, _ = check({"/long#sec-29999": page(body), "/long#sec-nope": page(body)})
    assert got["/long#sec-29999"][:2] == (Verdict.OK, "ok")
    assert got["/long#sec-nope"][:2] == (Verdict.FRAGMENT_MISSING, "fragment_missing")


def test_a_fragment_past_the_search_limit_is_not_verified_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "ANCHOR_SCAN_BYTES", CheckOptions().max_body)
    body = page(long_page(30_000))
    got, _ = check({"/long#sec-29999": body, "/long#sec-1": body, "/long#top": body})
    verdict, _, notes = got["/long#sec-29999"]
    assert verdict is Verdict.OK
    assert "not verified" in notes
    assert got["/long#sec-1"] == (Verdict.OK, "ok", "")  # found early: verified
    assert got["/long#top"] == (Verdict.OK, "ok", "")
