"""The classifier, case by case: realistic evidence in, exact verdict and reason out.

Pure: every case is data built here or read from ``data_classify/``; nothing
touches the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.check import soft404
from linkaudit.check.classify import BORDERLINE_SIMILARITY, SOFT_404_SIMILARITY, classify
from linkaudit.check.evidence import Classification, Evidence, FetchError, Page, Probe
from linkaudit.model import Hop, Verdict
from linkaudit.reasons import Reason
from linkaudit.testing.scaling import assert_linear

DATA = Path(__file__).parent / "data_classify"
HTML = "text/html; charset=utf-8"


def load(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def fetched(
    url: str,
    status: int = 200,
    body: str | None = None,
    *,
    redirects: tuple[tuple[int, str], ...] = (),
    content_type: str | None = HTML,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    probe: Probe | None = None,
    fragment: str | None = None,
    fragment_found: bool | None = None,
    root_url: str | None = None,
    attempts: int = 1,
    retry_after: datetime | None = None,
    retry_after_exceeded_cap: bool = False,
    tls_verification_skipped: bool = False,
    tls_error: FetchError | None = None,
) -> Evidence:
    """Evidence for a URL that got an answer, after ``redirects`` ((status, location) hops).

    ``body`` is a fixture name (``*.html``) or literal text; None means the body was
    not read (HEAD, or a type the engine does not read).
    """
    chain: list[Hop] = []
    current = url.split("#", 1)[0]
    for code, location in redirects:
        chain.append(Hop(current, code, method=method, location=location))
        current = location
    chain.append(Hop(current, status, method=method))
    text = load(body) if body is not None and body.endswith(".html") else body
    page = Page(current, status, content_type, text) if text is not None else None
    return Evidence(
        url=url,
        chain=tuple(chain),
        status=status,
        final_url=current,
        headers=dict(headers or {}),
        page=page,
        attempts=attempts,
        retry_after=retry_after,
        retry_after_exceeded_cap=retry_after_exceeded_cap,
        fragment=fragment,
        fragment_found=fragment_found,
        probe=probe,
        root_url=root_url,
        tls_verification_skipped=tls_verification_skipped,
        tls_error=tls_error,
    )


def failed(url: str, error: FetchError, chain: tuple[Hop, ...] = (), attempts: int = 3) -> Evidence:
    return Evidence(url=url, chain=chain, error=error, error_detail=str(error), attempts=attempts)


def probe_page(url: str, body: str, status: int = 200, final_url: str | None = None) -> Probe:
    text = load(body) if body.endswith(".html") else body
    final = final_url or url
    return Probe(url=url, status=status, final_url=final, page=Page(final, status, HTML, text))


def probe_status(url: str, status: int) -> Probe:
    return Probe(url=url, status=status, final_url=url, page=None)


SITE = "https://fieldnotes.example.org"
STORY = f"{SITE}/2019/07/counting-swifts/"
PROBE_URL = f"{SITE}/2019/07/linkaudit-probe-7f3a9c2e/"


def borderline_not_found() -> str:
    """The site's not-found page, but with another post in the rotating sidebar.

    Many themes vary a sidebar per request; the likeness to the probe is then high
    but below the decisive threshold, and the title cue must tip it.
    """
    return load("wp_404_target.html").replace(
        "Spring migration counts at the estuary, 2024", "Winter wader roost survey results"
    )


BORDERLINE = borderline_not_found()


def test_borderline_fixture_is_really_borderline() -> None:
    score = soft404.similarity(
        soft404.visible_text(BORDERLINE), soft404.visible_text(load("wp_404_probe.html"))
    )
    assert BORDERLINE_SIMILARITY <= score < SOFT_404_SIMILARITY


RETRY_AT = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)

CASES = [
    # --- no usable answer ---
    pytest.param(
        failed("https://gone-forever.example/a", FetchError.DNS_NOT_FOUND),
        Verdict.BROKEN,
        "dns_not_found",
        "gone-forever.example",
        id="nxdomain",
    ),
    pytest.param(
        failed("http://127.0.0.1:9/x", FetchError.CONNECT_REFUSED),
        Verdict.BROKEN,
        "connect_refused",
        "refused",
        id="refused",
    ),
    pytest.param(
        failed(
            "https://loop.example/a",
            FetchError.REDIRECT_LOOP,
            (
                Hop("https://loop.example/a", 302, location="/b"),
                Hop("https://loop.example/b", 302, location="/a"),
            ),
        ),
        Verdict.BROKEN,
        "redirect_loop",
        "2 hops",
        id="redirect-loop",
    ),
    pytest.param(
        failed(
            "https://hops.example/0",
            FetchError.TOO_MANY_REDIRECTS,
            tuple(Hop(f"https://hops.example/{i}", 302, location=f"/{i + 1}") for i in range(21)),
        ),
        Verdict.BROKEN,
        "too_many_redirects",
        "21 hops",
        id="too-many-redirects",
    ),
    pytest.param(
        failed(
            "https://bad.example/a",
            FetchError.BAD_REDIRECT,
            (Hop("https://bad.example/a", 301, location="http://[::1"),),
        ),
        Verdict.BROKEN,
        "bad_redirect",
        "http://[::1",
        id="bad-redirect",
    ),
    pytest.param(
        failed("https://slow.example/a", FetchError.TIMEOUT),
        Verdict.UNREACHABLE,
        "timeout",
        "3 attempts",
        id="timeout",
    ),
    pytest.param(
        failed("https://flaky.example/a", FetchError.RESET),
        Verdict.UNREACHABLE,
        "reset",
        "reset",
        id="reset",
    ),
    pytest.param(
        failed("https://servfail.example/a", FetchError.DNS_TEMPORARY),
        Verdict.UNREACHABLE,
        "dns_temporary",
        "temporary",
        id="dns-temporary",
    ),
    pytest.param(
        failed("https://10.255.255.1/a", FetchError.CONNECT_FAILED),
        Verdict.UNREACHABLE,
        "connect_failed",
        "connect",
        id="connect-failed",
    ),
    pytest.param(
        failed("https://garbage.example/a", FetchError.PROTOCOL),
        Verdict.UNREACHABLE,
        "protocol_error",
        "valid HTTP",
        id="protocol",
    ),
    pytest.param(
        failed("https://expired.example/a", FetchError.TLS_EXPIRED),
        Verdict.INSECURE,
        "tls_expired",
        "expired",
        id="tls-expired",
    ),
    pytest.param(
        failed("https://self-signed.example/a", FetchError.TLS_SELF_SIGNED),
        Verdict.INSECURE,
        "tls_self_signed",
        "self-signed",
        id="tls-self-signed",
    ),
    pytest.param(
        failed("https://wrong.host.example/a", FetchError.TLS_HOSTNAME),
        Verdict.INSECURE,
        "tls_hostname",
        "does not name wrong.host.example",
        id="tls-hostname",
    ),
    pytest.param(
        failed("https://oldtls.example/a", FetchError.TLS_OTHER),
        Verdict.INSECURE,
        "tls_other",
        "handshake",
        id="tls-other",
    ),
    pytest.param(
        failed("http:///x", FetchError.INVALID_URL),
        Verdict.INVALID,
        "invalid_url",
        "not a usable URL",
        id="invalid-url",
    ),
    pytest.param(
        Evidence(url="https://odd.example/a"),
        Verdict.UNREACHABLE,
        "protocol_error",
        "No response",
        id="no-status-no-error",
    ),
    # --- error statuses ---
    pytest.param(
        fetched(STORY, 404, "wp_404_target.html"),
        Verdict.BROKEN,
        "http_404",
        "404 Not Found",
        id="404",
    ),
    pytest.param(
        fetched(STORY, 410, "<h1>Gone</h1>"),
        Verdict.BROKEN,
        "http_410",
        "410 Gone",
        id="410",
    ),
    pytest.param(
        fetched(
            "http://fieldnotes.example.org/old-story",
            404,
            "wp_404_target.html",
            redirects=((301, f"{SITE}/old-story"),),
        ),
        Verdict.BROKEN,
        "http_404",
        f"after redirects to {SITE}/old-story",
        id="404-after-301",
    ),
    pytest.param(
        fetched(STORY, 400, "<h1>Bad Request</h1>"),
        Verdict.BROKEN,
        "http_4xx",
        "400 Bad Request",
        id="400",
    ),
    pytest.param(
        fetched(STORY, 405, "<h1>Method Not Allowed</h1>"),
        Verdict.BROKEN,
        "http_4xx",
        "405",
        id="405-on-get",
    ),
    pytest.param(
        fetched(STORY, 414, ""),
        Verdict.BROKEN,
        "http_4xx",
        "414",
        id="414",
    ),
    pytest.param(
        fetched("https://intranet.example/wiki/Plan", 401, "<h1>Unauthorized</h1>"),
        Verdict.BLOCKED,
        "auth_required",
        "login",
        id="401",
    ),
    pytest.param(
        fetched("https://proxy.example/doc", 407, ""),
        Verdict.BLOCKED,
        "auth_required",
        "407",
        id="407",
    ),
    pytest.param(
        fetched("https://journal.example/article/42", 402, "<h1>Subscribe</h1>"),
        Verdict.BLOCKED,
        "payment_required",
        "paywall",
        id="402",
    ),
    pytest.param(
        fetched(
            "https://www.example-news.com/2019/05/story.html",
            403,
            "cloudflare_challenge.html",
            headers={"server": "cloudflare", "cf-mitigated": "challenge", "cf-ray": "8a1f-LHR"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "cf-mitigated",
        id="403-cloudflare-header",
    ),
    pytest.param(
        fetched(
            "https://www.example-news.com/2019/05/story.html",
            403,
            "cloudflare_challenge.html",
            headers={"server": "cloudflare"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "Just a moment",
        id="403-cloudflare-title",
    ),
    pytest.param(
        fetched(
            "https://example-shop.com/p/123",
            403,
            "cloudflare_attention.html",
            headers={"server": "cloudflare"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "Attention Required",
        id="403-cloudflare-blocked",
    ),
    pytest.param(
        fetched(
            "https://www.example-retailer.com/item/9",
            403,
            "datadome.html",
            headers={"x-datadome": "protected", "server": "nginx"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "DataDome",
        id="403-datadome",
    ),
    pytest.param(
        fetched("https://www.example-tickets.com/event/1", 403, "perimeterx.html"),
        Verdict.BLOCKED,
        "bot_challenge",
        "PerimeterX",
        id="403-perimeterx",
    ),
    pytest.param(
        fetched(
            "https://www.example-airline.com/en/offers/",
            403,
            "akamai_denied.html",
            headers={"server": "AkamaiGHost"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "Akamai",
        id="403-akamai",
    ),
    pytest.param(
        fetched("https://www.example-bank.com/rates", 403, "incapsula.html"),
        Verdict.BLOCKED,
        "bot_challenge",
        "Incapsula",
        id="403-incapsula",
    ),
    pytest.param(
        fetched(
            "https://files.example.org/private/report.pdf",
            403,
            "forbidden_plain.html",
            headers={"server": "Apache/2.4.57 (Debian)"},
        ),
        Verdict.BLOCKED,
        "forbidden",
        "without a recognisable bot challenge",
        id="403-plain",
    ),
    pytest.param(
        fetched(
            "https://cdn-site.example/x",
            403,
            "forbidden_plain.html",
            headers={"server": "cloudflare"},
        ),
        Verdict.BLOCKED,
        "forbidden",
        "403 Forbidden",
        id="403-behind-cloudflare-no-marker",
    ),
    pytest.param(
        fetched("https://www.linkedin.com/in/someone", 999, ""),
        Verdict.BLOCKED,
        "status_999",
        "LinkedIn",
        id="999",
    ),
    pytest.param(
        fetched(
            "https://api.example.com/v1/paper/7",
            429,
            "",
            attempts=4,
            retry_after=RETRY_AT,
        ),
        Verdict.BLOCKED,
        "rate_limited",
        "2026-11-28 15:30 UTC",
        id="429-past-retries",
    ),
    pytest.param(
        fetched(
            "https://api.example.com/v1/paper/8",
            429,
            "",
            retry_after=RETRY_AT,
            retry_after_exceeded_cap=True,
        ),
        Verdict.BLOCKED,
        "rate_limited",
        "longer than we may wait",
        id="429-beyond-cap",
    ),
    pytest.param(
        fetched("https://news.example.com/story", 451, "<h1>Unavailable</h1>"),
        Verdict.BLOCKED,
        "legal_block",
        "legal",
        id="451",
    ),
    pytest.param(
        fetched(STORY, 500, "<h1>Internal Server Error</h1>", attempts=3),
        Verdict.BROKEN,
        "http_5xx",
        "3 attempts",
        id="500",
    ),
    pytest.param(
        fetched(STORY, 502, "", attempts=4),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "502 Bad Gateway",
        id="502",
    ),
    pytest.param(
        fetched(STORY, 503, "<h1>Service Unavailable</h1>", attempts=4),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "not evidence the page is gone",
        id="503-plain",
    ),
    pytest.param(
        fetched(STORY, 504, "", attempts=3),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "gateway timed out",
        id="504",
    ),
    pytest.param(
        fetched(
            "https://www.example-news.com/a",
            503,
            "cloudflare_challenge.html",
            headers={"server": "cloudflare"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "Just a moment",
        id="503-challenge",
    ),
    pytest.param(
        fetched("https://cf-origin-down.example/a", 522, "", headers={"server": "cloudflare"}),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "522",
        id="522-origin-timeout",
    ),
    pytest.param(
        fetched("https://cf-origin-down.example/a", 523, "", headers={"server": "cloudflare"}),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "could not reach",
        id="523-origin-unreachable",
    ),
    pytest.param(
        fetched("https://cf-origin-down.example/a", 521, "", headers={"server": "cloudflare"}),
        Verdict.UNREACHABLE,
        "server_unavailable",
        "refused",
        id="521-origin-refused",
    ),
    pytest.param(
        fetched("https://cf-origin-down.example/a", 530, "", headers={"server": "cloudflare"}),
        Verdict.BROKEN,
        "http_5xx",
        "DNS no longer resolves",
        id="530-origin-dns-gone",
    ),
    # --- walls that answer 2xx ---
    pytest.param(
        fetched(
            "https://www.example-news.com/b",
            200,
            "cloudflare_challenge.html",
            headers={"cf-mitigated": "challenge"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "cf-mitigated",
        id="200-cf-mitigated",
    ),
    pytest.param(
        fetched(
            "https://shop.example/item/1",
            202,
            "",
            headers={"x-amzn-waf-action": "challenge"},
        ),
        Verdict.BLOCKED,
        "bot_challenge",
        "AWS WAF",
        id="202-aws-waf",
    ),
    # --- plain live pages ---
    pytest.param(fetched(STORY, 200, "wp_article.html"), Verdict.OK, "ok", "200 OK", id="200"),
    pytest.param(
        fetched(
            "https://files.example.org/report.pdf",
            200,
            None,
            method="HEAD",
            content_type="application/pdf",
        ),
        Verdict.OK,
        "ok_head",
        "HEAD",
        id="head",
    ),
    pytest.param(
        fetched("https://files.example.org/report.pdf", 200, None, content_type="application/pdf"),
        Verdict.OK,
        "ok",
        "200",
        id="pdf-get-unread",
    ),
    pytest.param(
        fetched(STORY, 204, None),
        Verdict.OK,
        "ok",
        "204",
        id="204",
    ),
    # --- redirects ---
    pytest.param(
        fetched(
            "http://fieldnotes.example.org/2019/07/counting-swifts/",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
        ),
        Verdict.OK,
        "ok_canonical_redirect",
        STORY,
        id="http-to-https",
    ),
    pytest.param(
        fetched(
            f"{SITE}/2019/07/counting-swifts",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
        ),
        Verdict.OK,
        "ok_canonical_redirect",
        "canonical",
        id="trailing-slash",
    ),
    pytest.param(
        fetched(
            "https://www.fieldnotes.example.org/2019/07/counting-swifts/",
            200,
            "wp_article.html",
            redirects=((308, STORY),),
        ),
        Verdict.OK,
        "ok_canonical_redirect",
        "canonical",
        id="drop-www",
    ),
    pytest.param(
        fetched(
            "http://fieldnotes.example.org/2019/07/counting-swifts",
            200,
            "wp_article.html",
            redirects=(
                (301, "https://fieldnotes.example.org/2019/07/counting-swifts"),
                (301, STORY),
            ),
        ),
        Verdict.OK,
        "ok_canonical_redirect",
        "canonical",
        id="two-canonical-hops",
    ),
    pytest.param(
        fetched(
            f"{SITE}/latest",
            200,
            "wp_article.html",
            redirects=((302, STORY),),
        ),
        Verdict.OK,
        "ok_temporary_redirect",
        "302",
        id="temporary-302",
    ),
    pytest.param(
        fetched(
            f"{SITE}/go/swifts",
            200,
            "wp_article.html",
            redirects=((307, STORY),),
        ),
        Verdict.OK,
        "ok_temporary_redirect",
        "307",
        id="temporary-307",
    ),
    pytest.param(
        fetched(
            f"{SITE}/?p=412",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="shortlink-moved-to-permalink",
    ),
    pytest.param(
        fetched(
            f"{SITE}/blog/swift-counts.html",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="deep-to-other-deep-page",
    ),
    pytest.param(
        fetched(
            "https://old-lab.example.edu/~smith/swifts.html",
            200,
            "wp_article.html",
            redirects=((308, STORY),),
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="308-cross-host",
    ),
    pytest.param(
        fetched(
            "http://fieldnotes.example.org/2019/07/counting-swifts/",
            200,
            "wp_article.html",
            redirects=(
                (301, STORY),
                (302, f"{SITE}/2019/07/counting-swifts/?amp=1"),
            ),
        ),
        Verdict.OK,
        "ok_temporary_redirect",
        "temporary",
        id="canonical-then-temporary",
    ),
    pytest.param(
        fetched(
            f"{SITE}/current-report",
            200,
            "wp_article.html",
            redirects=((302, f"{SITE}/reports/2019"), (301, STORY)),
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="temporary-then-permanent",
    ),
    pytest.param(
        fetched(
            "http://old-lab.example.edu/swifts",
            200,
            "wp_article.html",
            redirects=(
                (301, "https://old-lab.example.edu/swifts"),
                (301, STORY),
                (302, f"{SITE}/2019/07/counting-swifts/?lang=en"),
            ),
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="permanent-chain-stops-at-temporary",
    ),
    # --- stale: homepage ---
    pytest.param(
        fetched(STORY, 200, "wp_article2.html", redirects=((301, f"{SITE}/"),)),
        Verdict.STALE,
        "redirect_to_homepage",
        "front page",
        id="deep-301-to-root",
    ),
    pytest.param(
        fetched(STORY, 200, "wp_article2.html", redirects=((302, f"{SITE}/en/"),)),
        Verdict.STALE,
        "redirect_to_homepage",
        "/en/",
        id="deep-302-to-language-root",
    ),
    pytest.param(
        fetched(
            "https://old-lab.example.edu/projects/swifts/data.html",
            200,
            "wp_article2.html",
            redirects=((301, "https://www.newlab.example/"),),
        ),
        Verdict.STALE,
        "redirect_to_homepage",
        "another site",
        id="deep-to-other-hosts-root",
    ),
    pytest.param(
        fetched(
            f"{SITE}/?p=412",
            200,
            "wp_article2.html",
            redirects=((301, f"{SITE}/index.php?lang=en"),),
        ),
        Verdict.STALE,
        "redirect_to_homepage",
        "front page",
        id="wp-shortlink-to-index",
    ),
    pytest.param(
        fetched(
            f"{SITE}/2019/07/counting-swifts/",
            200,
            "wp_article2.html",
            redirects=((302, f"{SITE}/welcome-portal"),),
            root_url=f"{SITE}/welcome-portal",
        ),
        Verdict.STALE,
        "redirect_to_homepage",
        "front page",
        id="root-url-landing",
    ),
    pytest.param(
        fetched(f"{SITE}/", 200, "wp_article2.html", redirects=((302, f"{SITE}/en/"),)),
        Verdict.OK,
        "ok_temporary_redirect",
        "/en/",
        id="root-to-language-root-is-fine",
    ),
    pytest.param(
        fetched(
            "https://news.example.com/2019/05/story.html",
            200,
            "wp_article2.html",
            redirects=((302, "https://news.example.com/login?next=/2019/05/story.html"),),
        ),
        Verdict.BLOCKED,
        "auth_required",
        "login",
        id="deep-to-login",
    ),
    # --- stale: soft 404 ---
    pytest.param(
        fetched(
            STORY,
            200,
            "wp_404_target.html",
            probe=probe_page(PROBE_URL, "wp_404_probe.html"),
        ),
        Verdict.STALE,
        "soft_404",
        "similarity 1.00",
        id="wordpress-soft-404",
    ),
    pytest.param(
        fetched(
            STORY,
            200,
            "wp_404_target.html",
            redirects=((302, f"{SITE}/not-found/"),),
            probe=probe_page(PROBE_URL, "wp_404_probe.html", final_url=f"{SITE}/not-found/"),
        ),
        Verdict.STALE,
        "soft_404",
        "that very URL",
        id="both-redirect-to-same-page",
    ),
    pytest.param(
        fetched(
            STORY,
            200,
            "wp_404_target.html",
            redirects=((302, f"{SITE}/search?q=counting+swifts"),),
            probe=probe_page(
                PROBE_URL, "wp_search.html", final_url=f"{SITE}/search?q=counting+swifts"
            ),
        ),
        Verdict.STALE,
        "soft_404",
        "that very URL",
        id="both-redirect-to-search",
    ),
    pytest.param(
        fetched(STORY, 200, BORDERLINE, probe=probe_page(PROBE_URL, "wp_404_probe.html")),
        Verdict.STALE,
        "soft_404",
        "title says",
        id="borderline-with-cue",
    ),
    pytest.param(
        fetched(
            STORY,
            200,
            BORDERLINE.replace("Page not found", "Archive").replace("Nothing here", "Archive"),
            probe=probe_page(PROBE_URL, "wp_404_probe.html"),
        ),
        Verdict.OK,
        "ok",
        "200",
        id="borderline-without-cue-stays-ok",
    ),
    pytest.param(
        fetched(STORY, 200, "wp_article.html", probe=probe_page(PROBE_URL, "wp_404_probe.html")),
        Verdict.OK,
        "ok",
        "200",
        id="article-vs-soft-404-host",
    ),
    pytest.param(
        # a "Page not found" page served with 200 by a host that 404s random paths:
        # the probe cannot tell, the notice itself does
        fetched(STORY, 200, "wp_404_target.html", probe=probe_status(PROBE_URL, 404)),
        Verdict.STALE,
        "removal_notice",
        "Page not found",
        id="host-answers-probe-with-real-404",
    ),
    pytest.param(
        fetched(STORY, 200, "wp_article.html", probe=probe_page(PROBE_URL, "wp_search.html")),
        Verdict.OK,
        "ok",
        "200",
        id="probe-shows-search-page",
    ),
    pytest.param(
        fetched(
            "https://citationdesk.example/what-404-means",
            200,
            "article_404_mention.html",
            probe=probe_page("https://citationdesk.example/probe-x", "wp_404_probe.html"),
        ),
        Verdict.OK,
        "ok",
        "200",
        id="article-about-404",
    ),
    pytest.param(
        fetched(
            "https://physics.example/qec",
            200,
            "quantum_error.html",
            probe=probe_page("https://physics.example/probe-x", "wp_404_probe.html"),
        ),
        Verdict.OK,
        "ok",
        "200",
        id="error-correction-title",
    ),
    pytest.param(
        # no probe to compare with, but the page is nothing but the notice
        fetched(STORY, 200, "wp_404_target.html"),
        Verdict.STALE,
        "removal_notice",
        "Page not found",
        id="not-found-title-without-probe",
    ),
    pytest.param(
        fetched(
            "https://app.example/report/7",
            200,
            "spa_shell.html",
            probe=probe_page("https://app.example/report/probe-x", "spa_shell.html"),
        ),
        Verdict.OK,
        "ok",
        "200",
        id="spa-shell-not-judged",
    ),
    # --- stale: parked, meta refresh ---
    pytest.param(
        fetched("http://old-research-blog.net/2009/notes.html", 200, "sedo_parking.html"),
        Verdict.STALE,
        "parked_domain",
        "Sedo",
        id="sedo-parked",
    ),
    pytest.param(
        fetched("https://retired-project.example/docs/", 200, "godaddy_parked.html"),
        Verdict.STALE,
        "parked_domain",
        "GoDaddy",
        id="godaddy-parked",
    ),
    pytest.param(
        fetched(
            "http://smalllabnotes.com/2011/protocol",
            200,
            "hugedomains.html",
            redirects=(
                (302, "https://www.hugedomains.com/domain_profile.cfm?d=smalllabnotes.com"),
            ),
        ),
        Verdict.STALE,
        "parked_domain",
        "for sale",
        id="hugedomains-sale-page",
    ),
    pytest.param(
        fetched("https://webarch.example/parking", 200, "article_about_parking.html"),
        Verdict.OK,
        "ok",
        "200",
        id="article-about-parking",
    ),
    pytest.param(
        fetched(f"{SITE}/2015/old-page.html", 200, "meta_refresh_404.html"),
        Verdict.STALE,
        "meta_refresh_error",
        "/errors/404.html",
        id="meta-refresh-to-404",
    ),
    pytest.param(
        fetched("https://docs.example.org/install.html", 200, "meta_refresh_move.html"),
        Verdict.OK,
        "ok_temporary_redirect",
        "https://docs.example.org/v2/guide/install.html",
        id="meta-refresh-to-normal-page",
    ),
    pytest.param(
        fetched(f"{SITE}/2015/old-page.html", 200, "meta_refresh_home.html"),
        Verdict.STALE,
        "redirect_to_homepage",
        "meta refresh",
        id="meta-refresh-to-homepage",
    ),
    pytest.param(
        fetched("https://climate.example/chart", 200, "noscript_refresh.html"),
        Verdict.OK,
        "ok",
        "200",
        id="noscript-refresh-ignored",
    ),
    # --- fragments ---
    pytest.param(
        fetched(
            f"{STORY}#results", 200, "wp_article.html", fragment="results", fragment_found=False
        ),
        Verdict.FRAGMENT_MISSING,
        "fragment_missing",
        "'results'",
        id="fragment-missing",
    ),
    pytest.param(
        fetched(
            f"{STORY}#methods", 200, "wp_article.html", fragment="methods", fragment_found=True
        ),
        Verdict.OK,
        "ok",
        "200",
        id="fragment-present",
    ),
    pytest.param(
        fetched(f"{STORY}#methods", 200, "wp_article.html", fragment="methods"),
        Verdict.OK,
        "ok",
        "200",
        id="fragment-not-checked",
    ),
    pytest.param(
        fetched(
            f"{SITE}/blog/swift-counts.html#results",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
            fragment="results",
            fragment_found=False,
        ),
        Verdict.FRAGMENT_MISSING,
        "fragment_missing",
        "'results'",
        id="fragment-missing-after-move",
    ),
    pytest.param(
        fetched(
            f"{SITE}/blog/swift-counts.html#methods",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
            fragment="methods",
            fragment_found=True,
        ),
        Verdict.MOVED,
        "moved_permanently",
        STORY,
        id="fragment-present-after-move",
    ),
    # --- more walls and near misses ---
    pytest.param(
        fetched("https://shop.example/cart/add", 405, "", headers={"x-amzn-waf-action": "captcha"}),
        Verdict.BLOCKED,
        "bot_challenge",
        "AWS WAF captcha",
        id="405-aws-waf-captcha",
    ),
    pytest.param(
        fetched(
            "https://poems.example/just-a-moment",
            200,
            "<html><head><title>Just a moment</title></head><body><h1>Just a moment</h1>"
            "<p>Just a moment, the kettle sings; a challenge met, the morning brings.</p>"
            "</body></html>",
        ),
        Verdict.OK,
        "ok",
        "200",
        id="poem-titled-just-a-moment",
    ),
    pytest.param(
        fetched("https://bit.ly/3xYzAbc", 200, "wp_article2.html", redirects=((301, f"{SITE}/"),)),
        Verdict.MOVED,
        "moved_permanently",
        f"{SITE}/",
        id="shortener-to-homepage-is-not-stale",
    ),
    pytest.param(
        fetched(
            f"{SITE}/faq/how-to-volunteer",
            200,
            "wp_article2.html",
            redirects=((301, f"{SITE}/faq/"),),
        ),
        Verdict.MOVED,
        "moved_permanently",
        f"{SITE}/faq/",
        id="deep-to-section-index-is-moved",
    ),
    pytest.param(
        fetched(
            "https://citationdesk.example/what-404-means",
            200,
            "article_404_mention.html",
        ),
        Verdict.OK,
        "ok",
        "200",
        id="article-about-404-without-probe",
    ),
    # --- --insecure ---
    pytest.param(
        fetched(
            "https://expired.example/a",
            200,
            "wp_article.html",
            tls_verification_skipped=True,
            tls_error=FetchError.TLS_EXPIRED,
        ),
        Verdict.OK,
        "ok",
        "200",
        id="insecure-flag-ok-with-note",
    ),
    pytest.param(
        fetched(
            "https://self-signed.example/a",
            404,
            "wp_404_target.html",
            tls_verification_skipped=True,
            tls_error=FetchError.TLS_SELF_SIGNED,
        ),
        Verdict.BROKEN,
        "http_404",
        "404",
        id="insecure-flag-404",
    ),
]


@pytest.mark.parametrize(("evidence", "verdict", "reason", "in_detail"), CASES)
def test_classify(evidence: Evidence, verdict: Verdict, reason: str, in_detail: str) -> None:
    result = classify(evidence)
    assert (result.verdict, result.reason) == (verdict, reason), result.detail
    assert in_detail in result.detail
    # One human sentence: starts with a capital, ends with a full stop.
    assert result.detail[:1].isupper()
    assert result.detail.endswith(".")


def _notes(result: Classification) -> str:
    return " | ".join(result.notes)


def test_canonical_redirect_is_noted() -> None:
    result = classify(
        fetched(
            "http://fieldnotes.example.org/2019/07/counting-swifts/",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
        )
    )
    assert "Canonical redirect" in _notes(result)


def test_not_found_title_without_probe_is_noted() -> None:
    result = classify(fetched(STORY, 200, "wp_404_target.html"))
    assert "Possibly a soft 404" in _notes(result)
    assert "Page not found" in _notes(result)


def test_real_404_probe_with_not_found_title_is_noted() -> None:
    result = classify(fetched(STORY, 200, "wp_404_target.html", probe=probe_status(PROBE_URL, 404)))
    assert "random path with 404" in _notes(result)


def test_insecure_flag_names_the_tls_problem() -> None:
    result = classify(
        fetched(
            "https://expired.example/a",
            200,
            "wp_article.html",
            tls_verification_skipped=True,
            tls_error=FetchError.TLS_EXPIRED,
        )
    )
    assert "expired certificate" in _notes(result)
    assert "--insecure" in _notes(result)


def test_fragment_on_a_forwarding_page_is_not_judged() -> None:
    result = classify(
        fetched(
            "https://docs.example.org/install.html#linux",
            200,
            "meta_refresh_move.html",
            fragment="linux",
            fragment_found=False,
        )
    )
    assert (result.verdict, result.reason) == (Verdict.OK, "ok_temporary_redirect")
    assert "#linux fragment was not judged" in _notes(result)


def test_fragment_missing_after_move_notes_the_move() -> None:
    result = classify(
        fetched(
            f"{SITE}/blog/swift-counts.html#results",
            200,
            "wp_article.html",
            redirects=((301, STORY),),
            fragment="results",
            fragment_found=False,
        )
    )
    assert f"moved permanently to {STORY}" in _notes(result)


def test_spa_shell_is_noted_as_not_judged() -> None:
    result = classify(
        fetched(
            "https://app.example/report/7",
            200,
            "spa_shell.html",
            probe=probe_page("https://app.example/report/probe-x", "spa_shell.html"),
        )
    )
    assert "too little visible text" in _notes(result)


def test_moved_then_temporary_notes_final_landing() -> None:
    result = classify(
        fetched(
            "http://old-lab.example.edu/swifts",
            200,
            "wp_article.html",
            redirects=(
                (301, "https://old-lab.example.edu/swifts"),
                (301, STORY),
                (302, f"{SITE}/2019/07/counting-swifts/?lang=en"),
            ),
        )
    )
    assert "temporary redirect then continues" in _notes(result)


def test_error_detail_is_kept_as_a_note() -> None:
    evidence = Evidence(
        url="https://gone.example/",
        error=FetchError.DNS_NOT_FOUND,
        error_detail="[Errno -2] Name or service not known",
    )
    assert "Name or service not known" in _notes(classify(evidence))


def test_reasons_are_from_the_vocabulary() -> None:
    for case in CASES:
        evidence = case.values[0]
        assert isinstance(evidence, Evidence)
        got = classify(evidence)
        reason = Reason.of(got.reason)
        assert reason is not None, got.reason
        assert reason.verdict is got.verdict


def test_classify_is_pure() -> None:
    evidence = fetched(
        STORY, 200, "wp_404_target.html", probe=probe_page(PROBE_URL, "wp_404_probe.html")
    )
    assert classify(evidence) == classify(evidence)


def test_key_spelled_differently_from_the_fetched_url_is_not_a_redirect() -> None:
    evidence = Evidence(
        url="https://FieldNotes.example.org/2019/07/counting-swifts/",
        chain=(Hop(STORY, 200),),
        status=200,
        final_url=STORY,
        page=Page(STORY, 200, HTML, load("wp_article.html")),
    )
    assert (classify(evidence).verdict, classify(evidence).reason) == (Verdict.OK, "ok")


def test_detail_names_the_new_url_once_moved() -> None:
    result = classify(
        fetched(f"{SITE}/blog/swift-counts.html", 200, "wp_article.html", redirects=((301, STORY),))
    )
    assert result.detail == f"Moved permanently to {STORY} (200 OK there): update the link."


def test_classify_scales_linearly_to_a_512kb_page() -> None:
    def make(size: int) -> Callable[[], object]:
        filler = "<p>Another paragraph of the long report, with its own words.</p>" * 9000
        html = load("wp_article.html").replace("</main>", filler + "</main>")[:size]
        evidence = fetched(STORY, 200, html, probe=probe_page(PROBE_URL, "wp_404_probe.html"))
        return lambda: classify(evidence)

    assert_linear(make, 64 * 1024)  # up to 512 KiB
    filler = "<p>Another paragraph of the long report, with its own words.</p>" * 9000
    html = load("wp_article.html").replace("</main>", filler + "</main>")[: 512 * 1024]
    result = classify(fetched(STORY, 200, html, probe=probe_page(PROBE_URL, "wp_404_probe.html")))
    assert result.reason == "ok"
