"""The link zoo: every hard case of the web, served on loopback, with its true verdict.

Each case is a URL on an invented host name (``*.zoo.test``) that a
``StaticResolver`` maps to a loopback address, so the engine is exercised end to
end (resolution, TCP, TLS, HTTP) without DNS or the internet.  Delays are scaled
down: timeouts are fractions of a second and ``Retry-After`` waits go through a
``ScaledClock``, so the whole zoo runs in a couple of seconds.

    with Zoo() as zoo:
        results = await check_urls(zoo.keys(), zoo.options(), resolver=zoo.resolver,
                                   clock=zoo.clock())
        for case in zoo.cases:
            assert results[case.key].reason == case.reason

The tests, the demo and the benchmarks share it.
"""

from __future__ import annotations

import contextlib
import itertools
import ssl
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import trustme

from linkaudit.check.client import NameNotFound, NameTemporaryFailure
from linkaudit.check.limiter import ScaledClock
from linkaudit.check.options import CheckOptions
from linkaudit.model import Verdict
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import (
    Conn,
    Handler,
    LoopbackServer,
    Request,
    Site,
    by_method,
    closed_port,
    hang,
    huge,
    page,
    redirect,
    reset_mid_head,
    sequence,
    trickle,
)

DOMAIN = "zoo.test"
LOOPBACK = tuple(f"127.0.0.{n}" for n in range(2, 10))
#: An unusual loopback address where the canonical http->https case tries ports 80/443.
CANONICAL_ADDRESS = "127.77.0.1"


class StaticResolver:
    """A resolver from a table: names to addresses, ``*.invalid`` and unknown names NXDOMAIN.

    ``temporary`` names fail as a SERVFAIL would.  ``lookups`` counts questions, so
    tests can see that a run resolved what it should (and nothing else).
    """

    def __init__(
        self, hosts: Mapping[str, str] | None = None, temporary: Iterable[str] = ()
    ) -> None:
        self.hosts: dict[str, str] = dict(hosts or {})
        self.temporary: set[str] = set(temporary)
        self.lookups: list[str] = []

    def add(self, name: str, address: str) -> None:
        self.hosts[name.lower()] = address

    async def resolve(self, host: str) -> str:
        name = host.lower().rstrip(".")
        self.lookups.append(name)
        if name in self.temporary:
            raise NameTemporaryFailure(name, f"temporary failure resolving {name}")
        if name.endswith(".invalid") or name not in self.hosts:
            raise NameNotFound(name, f"{name}: no such name")
        return self.hosts[name]


@dataclass(frozen=True)
class ZooCase:
    """One link and what a reader truly gets from it."""

    name: str
    key: str
    verdict: Verdict
    reason: str
    attempts: int | None = None  # exact attempts expected, when the case is about them
    retry_after: bool = False  # the result must say when to retry
    max_elapsed: float | None = None  # the case must not take longer (seconds)


def _html(title: str, body: str, head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )


ARTICLE = _html(
    "A live article",
    "<article><h1>The article</h1><p id='intro'>This article is alive and well, and it says "
    "many distinct things about link rot, archives and citations.</p>"
    "<h2 id='section-2'>Section two</h2><p>More text.</p><a name='legacy-anchor'></a></article>",
)
HOMEPAGE = _html(
    "Welcome to the site",
    "<h1>Home</h1><p>Latest news, featured stories and everything else on our front page, "
    "updated daily with more links than anybody reads.</p>",
)
SOFT_404 = _html(
    "Oops",
    "<h1>Sorry, page not found</h1><p>We looked everywhere but the page you asked for is not "
    "here. Try the search box, or go back to the front page and browse our categories. "
    "Our team has been notified about this problem.</p>",
)
PARKED = _html(
    "parked.zoo.test is for sale",
    "<h1>This domain may be for sale</h1><p>Related searches</p>",
    head='<script src="https://img.sedoparking.com/templates/js/park.js"></script>',
)
CHALLENGE = _html(
    "Just a moment...",
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>',
)
META_REFRESH = _html(
    "Redirecting",
    "<p>This page has moved.</p>",
    head='<meta http-equiv="refresh" content="0; url=/errors/404.html">',
)
REFRESH_HOME = _html(
    "Redirecting",
    "<p>Taking you to our front page.</p>",
    head='<meta http-equiv="refresh" content="0; url=/">',
)
REFRESH_TO_NOTICE = _html(
    "Redirecting",
    "<p>One moment.</p>",
    head='<meta http-equiv="refresh" content="1; url=/removed">',
)
SCRIPT_TO_ERROR = _html(
    "Redirecting",
    "<p>One moment.</p>",
    head="<script>window.location.href = '/errors/404.html';</script>",
)
SCRIPT_TO_LIVE = _html(
    "Redirecting", "<p>One moment.</p>", head='<script>location.replace("/2024/the-story")</script>'
)
REMOVAL_NOTICE = _html(
    "This article is no longer available | The Zoo Times",
    "<h1>Sorry</h1><p>It was removed at the request of its author.</p>",
)
PDF = b"%PDF-1.4\n" + b"0" * 2048
#: Larger than loopback socket buffers can absorb, so the server can tell it was cut short.
HUGE = 256 * 1024 * 1024


def _cookie_gate(path: str) -> Handler:
    """A site that sends first-time visitors to set a cookie and back, like consent walls."""

    async def handler(request: Request, conn: Conn) -> None:
        if "visited=1" in request.headers.get("cookie", ""):
            await conn.send(request, 200, ARTICLE.encode())
        else:
            await conn.send(
                request, 302, b"", (("Location", f"{path}/consent"),), content_type=None
            )

    return handler


def _tls_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


class Zoo:
    """All zoo sites on one ``LoopbackServer``, the cases, and matching client settings."""

    def __init__(self, server: LoopbackServer | None = None, *, scale: float = 0.01) -> None:
        self.server = server or LoopbackServer()
        self._own_server = server is None
        self.scale = scale
        self.resolver = StaticResolver(temporary={f"servfail.{DOMAIN}"})
        self.ca = trustme.CA()
        self.sites: dict[str, Site] = {}
        self.cases: list[ZooCase] = []
        self._addresses = itertools.cycle(LOOPBACK)
        self._built = False

    def __enter__(self) -> Zoo:
        self.build()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own_server:
            self.server.stop()

    # --- client side ---------------------------------------------------------

    def trust(self) -> ssl.SSLContext:
        """A client context that trusts the zoo's CA (and nothing else)."""
        context = ssl.create_default_context(cafile=None, capath=None, cadata=None)
        context.load_verify_locations(cadata=self.ca.cert_pem.bytes().decode())
        return context

    def options(self, **overrides: Any) -> CheckOptions:
        """Settings that keep the zoo fast: sub-second timeouts, small per-host limit."""
        options = CheckOptions(
            concurrency=16,
            per_host=2,
            timeout_connect=1.0,
            timeout_read=0.5,
            deadline=1.5,
            max_retries=2,
            max_retry_wait=30.0,
            retry_base=0.5,
            ssl_context=self.trust(),
        )
        return replace(options, **overrides)

    def clock(self) -> ScaledClock:
        """Deliberate waits (Retry-After, backoff, pacing) shrunk by ``scale``."""
        return ScaledClock(self.scale)

    def keys(self) -> list[str]:
        return [case.key for case in self.cases]

    def case(self, name: str) -> ZooCase:
        return next(case for case in self.cases if case.name == name)

    def site_of(self, name: str) -> Site:
        return self.sites[name]

    # --- server side ---------------------------------------------------------

    def site(
        self,
        name: str,
        *,
        tls: trustme.LeafCert | None = None,
        address: str | None = None,
        port: int = 0,
        latency: float = 0.0,
    ) -> Site:
        """A new site for ``<name>.zoo.test``; one site per name keeps per-host counts true."""
        host = f"{name}.{DOMAIN}"
        ip = address or next(self._addresses)
        context = _tls_context(tls) if tls is not None else None
        site = self.server.add_site(ip, port, ssl_context=context, latency=latency)
        self.resolver.add(host, ip)
        self.sites[name] = site
        return site

    def url(self, name: str, path: str) -> str:
        site = self.sites[name]
        return site.url(path, host=f"{name}.{DOMAIN}")

    def add(self, name: str, key: str, verdict: Verdict, reason: str, **kw: Any) -> None:
        self.cases.append(ZooCase(name, key, verdict, reason, **kw))

    def build(self) -> None:
        """Start every site and register every case (idempotent)."""
        if self._built:
            return
        self._built = True
        self.server.start()
        ok, broken, stale = Verdict.OK, Verdict.BROKEN, Verdict.STALE
        blocked, unreachable, insecure = Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.INSECURE

        live = self.site("live")
        live.route("/article", page(ARTICLE))
        live.route("/docs", redirect("/docs/"))
        live.route("/docs/", page(ARTICLE))
        self.add("live", self.url("live", "/article"), ok, "ok", attempts=1)
        self.add("fragment_present", self.url("live", "/article#section-2"), ok, "ok")
        self.add("fragment_by_name", self.url("live", "/article#legacy-anchor"), ok, "ok")
        self.add(
            "fragment_missing",
            self.url("live", "/article#no-such-section"),
            Verdict.FRAGMENT_MISSING,
            "fragment_missing",
        )
        self.add("trailing_slash", self.url("live", "/docs"), ok, "ok_canonical_redirect")

        files = self.site("files")
        files.route(
            "/report.pdf",
            by_method({"HEAD": page(status=405)}, page(PDF, content_type="application/pdf")),
        )
        files.route(
            "/paper.pdf",
            by_method({"HEAD": page(status=404)}, page(PDF, content_type="application/pdf")),
        )
        files.route("/figure.png", page(b"\x89PNG" + b"0" * 512, content_type="image/png"))
        self.add("head_405", self.url("files", "/report.pdf"), ok, "ok", attempts=2)
        self.add("head_404_get_200", self.url("files", "/paper.pdf"), ok, "ok", attempts=2)
        self.add("head_ok", self.url("files", "/figure.png"), ok, "ok_head", attempts=1)

        big = self.site("big")
        big.route("/download", huge(5 * 1024 * 1024))
        big.route("/huge", huge(HUGE))
        self.add("body_5mb", self.url("big", "/download"), ok, "ok", max_elapsed=1.0)
        self.add("body_huge", self.url("big", "/huge"), ok, "ok", max_elapsed=1.0)
        endless = self.site("endless")
        endless.route("/stream", huge(None, content_type="text/html; charset=utf-8"))
        self.add("endless_html", self.url("endless", "/stream"), ok, "ok", max_elapsed=1.0)

        moved = self.site("moved")
        moved.route("/old", redirect("/older"))
        moved.route("/older", redirect("/new/article-301"))
        moved.route("/new/article-301", page(ARTICLE))
        moved.route("/old308", redirect("/new/article-308", 308))
        moved.route("/new/article-308", page(ARTICLE))
        moved.route("/temporary", redirect("/new/article-302", 302))
        moved.route("/new/article-302", page(ARTICLE))
        self.add("moved_301_chain", self.url("moved", "/old"), Verdict.MOVED, "moved_permanently")
        self.add("moved_308", self.url("moved", "/old308"), Verdict.MOVED, "moved_permanently")
        self.add("temporary_302", self.url("moved", "/temporary"), ok, "ok_temporary_redirect")

        errors = self.site("errors")
        errors.route("/gone", page("<h1>Gone</h1>", status=410))
        errors.route("/crash", page("<h1>Internal Server Error</h1>", status=500))
        errors.route("/loop-a", redirect("/loop-b"))
        errors.route("/loop-b", redirect("/loop-a"))
        for n in range(25):
            errors.route(f"/hop/{n}", redirect(f"/hop/{n + 1}", 302))
        errors.route("/hop/25", page(ARTICLE))
        self.add("http_404", self.url("errors", "/missing"), broken, "http_404", attempts=1)
        self.add("http_410", self.url("errors", "/gone"), broken, "http_410", attempts=1)
        self.add("http_500", self.url("errors", "/crash"), broken, "http_5xx", attempts=3)
        self.add("redirect_loop", self.url("errors", "/loop-a"), broken, "redirect_loop")
        self.add("too_many_redirects", self.url("errors", "/hop/0"), broken, "too_many_redirects")

        refused_ip = next(self._addresses)
        self.resolver.add(f"refused.{DOMAIN}", refused_ip)
        refused = f"http://refused.{DOMAIN}:{closed_port(refused_ip)}/page"
        self.add("connect_refused", refused, broken, "connect_refused", attempts=1)
        self.add("nxdomain", "http://nxdomain.invalid/page", broken, "dns_not_found", attempts=1)
        self.add("dns_temporary", f"http://servfail.{DOMAIN}/page", unreachable, "dns_temporary")

        self.site("reset").route("/page", reset_mid_head())
        self.add("reset", self.url("reset", "/page"), unreachable, "reset", attempts=3)
        self.site("silent").route("/page", hang())
        self.add(
            "never_answers", self.url("silent", "/page"), unreachable, "timeout", max_elapsed=2.5
        )
        self.site("trickle").route("/page", trickle(0.05))
        self.add("trickle", self.url("trickle", "/page"), unreachable, "timeout", max_elapsed=2.5)

        soft = self.site("soft")
        soft.fallback = page(SOFT_404)
        self.add(
            "soft_404", self.url("soft", "/articles/a-story-that-was-deleted"), stale, "soft_404"
        )
        home = self.site("home")
        home.route("/", page(HOMEPAGE))
        home.route("/blog/2019/deep-post", redirect("/"))
        self.add(
            "homepage_redirect",
            self.url("home", "/blog/2019/deep-post"),
            stale,
            "redirect_to_homepage",
        )
        parked = self.site("parked")
        parked.fallback = page(PARKED)
        self.add("parked", self.url("parked", "/"), stale, "parked_domain")
        refresh = self.site("refresh")
        refresh.route("/old-page", page(META_REFRESH))
        refresh.route("/errors/404.html", page("<h1>Not found</h1>", status=404))
        self.add(
            "meta_refresh_error", self.url("refresh", "/old-page"), stale, "meta_refresh_error"
        )
        refresh.route("/", page(HOMEPAGE))
        refresh.route("/2019/gone-story", page(REFRESH_HOME))
        refresh.route("/2020/notice-story", page(REFRESH_TO_NOTICE))
        refresh.route("/removed", page(REMOVAL_NOTICE))
        refresh.route("/2021/scripted-gone", page(SCRIPT_TO_ERROR))
        refresh.route("/2021/scripted-moved", page(SCRIPT_TO_LIVE))
        refresh.route("/2024/the-story", page(ARTICLE))
        refresh.route("/2022/withdrawn", page(REMOVAL_NOTICE))
        self.add(
            "meta_refresh_home",
            self.url("refresh", "/2019/gone-story"),
            stale,
            "redirect_to_homepage",
        )
        self.add(
            "meta_refresh_notice",
            self.url("refresh", "/2020/notice-story"),
            stale,
            "removal_notice",
        )
        self.add(
            "script_redirect_error",
            self.url("refresh", "/2021/scripted-gone"),
            stale,
            "meta_refresh_error",
        )
        self.add(
            "script_redirect_live",
            self.url("refresh", "/2021/scripted-moved"),
            ok,
            "ok_temporary_redirect",
        )
        self.add("removal_notice", self.url("refresh", "/2022/withdrawn"), stale, "removal_notice")

        walls = self.site("walls")
        walls.route(
            "/challenge",
            page(
                CHALLENGE,
                status=403,
                headers=(("cf-mitigated", "challenge"), ("Server", "cloudflare")),
            ),
        )
        walls.route("/linkedin", page("", status=999))
        walls.route("/members", page("<h1>Please log in</h1>", status=401))
        walls.route(
            "/busy-short",
            sequence(page("", status=429, headers=(("Retry-After", "1"),)), page(ARTICLE)),
        )
        walls.route("/busy-long", page("", status=429, headers=(("Retry-After", "3600"),)))
        walls.route("/flaky", sequence(page("", status=503), page(ARTICLE)))
        self.add(
            "cf_challenge", self.url("walls", "/challenge"), blocked, "bot_challenge", attempts=1
        )
        self.add("status_999", self.url("walls", "/linkedin"), blocked, "status_999")
        self.add("auth_401", self.url("walls", "/members"), blocked, "auth_required")
        self.add("429_short_retry_after", self.url("walls", "/busy-short"), ok, "ok", attempts=2)
        self.add(
            "429_long_retry_after",
            self.url("walls", "/busy-long"),
            blocked,
            "rate_limited",
            attempts=1,
            retry_after=True,
        )
        self.add("503_then_200", self.url("walls", "/flaky"), ok, "ok", attempts=2)
        walls.route("/maintenance", page("", status=503, headers=(("Retry-After", "3600"),)))
        walls.route("/gateway", page("<h1>Bad Gateway</h1>", status=502))
        self.add(
            "503_long_retry_after",
            self.url("walls", "/maintenance"),
            unreachable,
            "server_unavailable",
            attempts=1,
            retry_after=True,
        )
        self.add(
            "gateway_502",
            self.url("walls", "/gateway"),
            unreachable,
            "server_unavailable",
            attempts=3,
        )

        cookies = self.site("cookies")
        cookies.route("/gate", _cookie_gate("/gate"))
        cookies.route(
            "/gate/consent",
            page(
                b"",
                status=302,
                content_type=None,
                headers=(("Location", "/gate"), ("Set-Cookie", "visited=1; Path=/")),
            ),
        )
        self.add("cookie_redirect", self.url("cookies", "/gate"), ok, "ok")

        secure = self.site("secure", tls=self.ca.issue_cert(f"secure.{DOMAIN}"))
        secure.route("/article", page(ARTICLE))
        self.add("https_live", self.url("secure", "/article"), ok, "ok")
        untrusted = trustme.CA()
        self_signed = self.site("selfsigned", tls=untrusted.issue_cert(f"selfsigned.{DOMAIN}"))
        self_signed.route("/", page(ARTICLE))
        self.add("tls_self_signed", self.url("selfsigned", "/"), insecure, "tls_self_signed")
        past = datetime(2020, 1, 1, tzinfo=UTC)
        expired_cert = self.ca.issue_cert(
            f"expired.{DOMAIN}", not_before=past, not_after=datetime(2021, 1, 1, tzinfo=UTC)
        )
        self.site("expired", tls=expired_cert).route("/", page(ARTICLE))
        self.add("tls_expired", self.url("expired", "/"), insecure, "tls_expired")
        self.site("wronghost", tls=self.ca.issue_cert(f"other.{DOMAIN}")).route("/", page(ARTICLE))
        self.add("tls_hostname", self.url("wronghost", "/"), insecure, "tls_hostname")

        self._canonical_https()

        busy = self.site("busy", latency=0.03)
        for n in range(12):
            busy.route(f"/posts/{n}", page(ARTICLE.replace("The article", f"Post {n}")))
            self.add(f"busy_{n}", self.url("busy", f"/posts/{n}"), ok, "ok", attempts=1)

    def _canonical_https(self) -> None:
        """http://canon/page -> https://canon/page needs the default ports 80 and 443.

        Only possible when we may bind them (root, or a permissive sysctl); otherwise the
        scheme case is left to the classifier's unit tests and the trailing-slash case
        stands in for canonical redirects.
        """
        name = "canon"
        host = f"{name}.{DOMAIN}"
        with contextlib.suppress(OSError, TimeoutError):
            https = self.server.add_site(
                CANONICAL_ADDRESS,
                443,
                ssl_context=_tls_context(self.ca.issue_cert(host)),
            )
            http = self.server.add_site(CANONICAL_ADDRESS, 80)
            https.route("/page", page(ARTICLE))
            http.route("/page", redirect(f"https://{host}/page"))
            self.resolver.add(host, CANONICAL_ADDRESS)
            self.sites[name] = http
            self.sites[f"{name}-tls"] = https
            self.add("http_to_https", f"http://{host}/page", Verdict.OK, "ok_canonical_redirect")

    def all_sites(self) -> Iterator[Site]:
        return iter(self.server.sites)


@contextlib.contextmanager
def site_with_archive(host: str) -> Iterator[tuple[Site, StaticResolver, ArchiveStandIn]]:
    """One loopback site that ``host`` resolves to (through the returned resolver) and
    an archive stand-in beside it: the world an end-to-end audit test runs in."""
    server = LoopbackServer()
    server.start()
    try:
        site = server.add_site("127.0.0.1")
        archive = ArchiveStandIn()
        archive.start()
        try:
            yield site, StaticResolver({host: "127.0.0.1"}), archive
        finally:
            archive.stop()
    finally:
        server.stop()
