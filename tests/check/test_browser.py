"""``--browser``: citations behind a bot wall re-checked in headless Chromium.

The loopback host answers 403 with a challenge page whose script sets a cookie and
reloads; only a client that runs JavaScript gets past it.  Behind the wall: a live
article, a 404, and a wall that never opens.  Names reach Chromium through host
rules from the run's resolver: nothing asks real DNS.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from linkaudit.check import CheckOptions
from linkaudit.check.browser import BROWSER_NOTE, BrowserOptions, find_chromium
from linkaudit.model import Document, DocumentKind, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.testing.server import Conn, LoopbackServer, Request
from linkaudit.testing.zoo import StaticResolver

HOST = "wall.test"
CHALLENGE = (
    "<!doctype html><html><head><title>Just a moment...</title></head><body>"
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    "<script>{script}</script></body></html>"
)
PASS = 'document.cookie = "passed=1; path=/"; location.reload();'
ARTICLE = (
    "<html><head><title>Rivers of 2019</title></head><body><article><h1>Rivers</h1>"
    + "<p>The rivers rose higher than in any year on record, the report says.</p>" * 10
    + "</article></body></html>"
)


def requires_chromium() -> None:
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium (CI=true: browser tests must run)")
        pytest.skip("no Chromium found; run scripts/ensure-chromium")


class Wall:
    """A host whose pages sit behind a JavaScript challenge; in-flight requests counted."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle(self, request: Request, conn: Conn) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._answer(request, conn)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: Request, conn: Conn) -> None:
        passed = "passed=1" in request.headers.get("cookie", "")
        path = request.path
        if path == "/stuck" or not passed:
            script = "" if path == "/stuck" else PASS
            headers = (("cf-mitigated", "challenge"), ("Server", "cloudflare"))
            body = CHALLENGE.format(script=script).encode()
            await conn.send(request, 403, body, headers, "text/html; charset=utf-8")
        elif path == "/story":
            await conn.send(request, 200, ARTICLE.encode(), (), "text/html; charset=utf-8")
        else:
            await conn.send(request, 404, b"<h1>Not Found</h1>", (), "text/html; charset=utf-8")


def test_a_javascript_wall_is_passed_in_a_browser_and_the_page_judged() -> None:
    requires_chromium()
    wall = Wall()
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.fallback = wall.handle
        urls = {p: f"http://{HOST}:{site.port}{p}" for p in ("/story", "/gone", "/stuck")}
        html = "".join(f'<p><a href="{u}">{p}</a></p>' for p, u in urls.items())
        document = Document(html, DocumentKind.HTML, "a.html", whole_page=False)
        services = Services(resolver=StaticResolver({HOST: "127.0.0.1"}))
        options = AuditOptions(archive=None, check=CheckOptions(max_retries=0, deadline=20))
        without = asyncio.run(audit_documents([document], options, services))
        with_browser = asyncio.run(
            audit_documents(
                [document], AuditOptions(**{**vars(options), "browser": True}), services
            )
        )
    before = {f.citation.url: f for f in without.report.findings}
    after = {f.citation.url: f for f in with_browser.report.findings}
    assert {before[u].verdict for u in urls.values()} == {Verdict.BLOCKED}
    story, gone, stuck = (after[urls[p]] for p in ("/story", "/gone", "/stuck"))
    assert (story.verdict, story.reason) == (Verdict.OK, "ok")
    assert BROWSER_NOTE in story.detail
    assert (gone.verdict, gone.reason) == (Verdict.BROKEN, "http_404")
    assert stuck.verdict is Verdict.BLOCKED
    assert stuck.result is not None
    assert any("still bot_challenge in a browser" in n for n in stuck.result.notes)
    assert wall.max_in_flight == 1  # one page per host at a time, as the engine keeps


def test_without_a_browser_it_says_so_and_keeps_the_verdicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkaudit.check.browser import recheck_in_browser
    from linkaudit.model import CheckResult

    blocked = CheckResult("https://x.example/", "https://x.example/", Verdict.BLOCKED,
                          "bot_challenge", "a wall")  # fmt: skip
    monkeypatch.setattr("linkaudit.check.browser.find_chromium", lambda: None)
    results, said = asyncio.run(recheck_in_browser({blocked.key: blocked}, BrowserOptions()))
    assert results == {blocked.key: blocked}
    assert said is not None
    assert said.startswith("--browser: no Chromium on this machine, so 1 blocked citations")
