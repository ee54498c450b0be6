"""The web's special cases, one predicate at a time (pure: no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.check import quirks

DATA = Path(__file__).parent / "data_classify"


def load(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- has_anchor ------------------------------------------------------------------

ANCHOR_PAGE = """<!DOCTYPE html><html><head><title>Guide</title></head><body>
<h1 id="top-heading">Installation guide</h1>
<h2 id="Requirements">Requirements</h2>
<h2 id="step-2:-configure">Step 2: configure</h2>
<h2 id="café">Café mode</h2>
<h2 id="caf%C3%A9-encoded">Encoded id</h2>
<p><a name="legacy-anchor"></a>Old-style anchor.</p>
<p name="para-name">A name on a paragraph does not count.</p>
<svg><g id="svg-group"></g></svg>
<div id="">empty id</div>
</body></html>"""


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        pytest.param("Requirements", True, id="id-exact"),
        pytest.param("requirements", False, id="id-is-case-sensitive"),
        pytest.param("step-2:-configure", True, id="id-with-colon"),
        pytest.param("legacy-anchor", True, id="a-name"),
        pytest.param("para-name", False, id="name-on-non-a-does-not-count"),
        pytest.param("café", True, id="decoded-unicode-id"),
        pytest.param("caf%C3%A9", True, id="percent-encoded-fragment-matches-decoded-id"),
        pytest.param("caf\u00e9-encoded", True, id="decoded-fragment-matches-encoded-id"),
        pytest.param("svg-group", True, id="id-on-svg-element"),
        pytest.param("installation", False, id="missing"),
        pytest.param("", True, id="empty-fragment-is-top"),
        pytest.param("top", True, id="top-is-always-present"),
        pytest.param("TOP", True, id="top-case-insensitive"),
        pytest.param(":~:text=Old-style", True, id="text-fragment-only"),
        pytest.param("Requirements:~:text=foo", True, id="id-plus-text-directive"),
        pytest.param("nowhere:~:text=foo", False, id="missing-id-plus-text-directive"),
        pytest.param("#Requirements", True, id="leading-hash-tolerated"),
    ],
)
def test_has_anchor(fragment: str, expected: bool) -> None:
    assert quirks.has_anchor(ANCHOR_PAGE, fragment) is expected


def test_has_anchor_on_empty_body_finds_only_top() -> None:
    assert quirks.has_anchor("", "section") is False
    assert quirks.has_anchor("", "top") is True


def test_has_anchor_with_xml_declaration() -> None:
    xhtml = '<?xml version="1.0" encoding="utf-8"?><html><body><p id="x">x</p></body></html>'
    assert quirks.has_anchor(xhtml, "x") is True


def test_has_anchor_on_truncated_page() -> None:
    # The engine reads a bounded prefix; an id before the cut is still found.
    truncated = '<html><body><h2 id="early">Early</h2><p>Lorem ipsum dolor sit am'
    assert quirks.has_anchor(truncated, "early") is True


# --- bot challenges ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "page", "expected"),
    [
        pytest.param(
            403,
            {"cf-mitigated": "challenge", "server": "cloudflare"},
            "cloudflare_challenge.html",
            "cf-mitigated",
            id="cloudflare-header",
        ),
        pytest.param(
            403,
            {"server": "cloudflare"},
            "cloudflare_challenge.html",
            "Just a moment",
            id="cloudflare-title",
        ),
        pytest.param(
            403,
            {"server": "cloudflare"},
            "cloudflare_attention.html",
            "Attention Required",
            id="cloudflare-attention",
        ),
        pytest.param(403, {"x-datadome": "protected"}, "datadome.html", "DataDome", id="datadome"),
        pytest.param(403, {}, "perimeterx.html", "PerimeterX", id="perimeterx"),
        pytest.param(403, {"server": "AkamaiGHost"}, "akamai_denied.html", "Akamai", id="akamai"),
        pytest.param(403, {}, "incapsula.html", "Incapsula", id="incapsula"),
        pytest.param(
            202, {"x-amzn-waf-action": "challenge"}, "", "AWS WAF challenge", id="aws-waf-202"
        ),
        pytest.param(
            405, {"x-amzn-waf-action": "captcha"}, "", "AWS WAF captcha", id="aws-waf-405"
        ),
    ],
)
def test_bot_challenge_detected(
    status: int, headers: dict[str, str], page: str, expected: str
) -> None:
    html = load(page) if page else ""
    marker = quirks.bot_challenge_marker(status, headers, html)
    assert marker is not None
    assert expected in marker


def test_hcaptcha_on_403_is_a_challenge() -> None:
    html = (
        "<html><head><title>One more step</title>"
        '<script src="https://hcaptcha.com/1/api.js" async defer></script></head>'
        '<body><form><div class="h-captcha" data-sitekey="x"></div></form></body></html>'
    )
    assert quirks.bot_challenge_marker(403, {}, html) == "hCaptcha"


@pytest.mark.parametrize(
    ("status", "headers", "page"),
    [
        pytest.param(403, {"server": "Apache/2.4.57"}, "forbidden_plain.html", id="plain-403"),
        pytest.param(403, {"server": "cloudflare"}, "forbidden_plain.html", id="cf-403-no-marker"),
        pytest.param(200, {}, "wp_article.html", id="article"),
        pytest.param(503, {"server": "nginx"}, "", id="plain-503"),
    ],
)
def test_no_bot_challenge(status: int, headers: dict[str, str], page: str) -> None:
    html = load(page) if page else ""
    assert quirks.bot_challenge_marker(status, headers, html) is None


def test_recaptcha_on_a_live_comment_form_is_not_a_challenge() -> None:
    html = load("wp_article.html").replace(
        "</main>",
        '<form id="commentform"><div class="g-recaptcha" data-sitekey="k"></div>'
        '<script src="https://www.google.com/recaptcha/api.js"></script></form></main>',
    )
    assert quirks.bot_challenge_marker(200, {}, html) is None
    # The same markup on a refusal is the wall itself.
    assert quirks.bot_challenge_marker(403, {}, html) == "reCAPTCHA"


# --- parking --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param("sedo_parking.html", "Sedo", id="sedo"),
        pytest.param("godaddy_parked.html", "GoDaddy", id="godaddy-window-park"),
        pytest.param("hugedomains.html", "for sale", id="hugedomains-title"),
    ],
)
def test_parking_detected(page: str, expected: str) -> None:
    marker = quirks.parking_marker(load(page))
    assert marker is not None
    assert expected in marker


def test_parking_crew_script() -> None:
    html = (
        "<html><head><title>lapsed-site.org</title>"
        '<script src="//www.parkingcrew.net/assets/scripts/main.js"></script></head>'
        "<body><h1>lapsed-site.org</h1></body></html>"
    )
    assert quirks.parking_marker(html) == "ParkingCrew"


def test_godaddy_parked_free_banner() -> None:
    html = (
        "<html><head><title>retired-blog.com</title></head><body>"
        "<div class='banner'>This Web page is parked FREE, courtesy of GoDaddy.com.</div>"
        "</body></html>"
    )
    assert quirks.parking_marker(html) == "GoDaddy 'parked free' page"


@pytest.mark.parametrize(
    ("page", "host"),
    [
        pytest.param("article_about_parking.html", None, id="article-about-parking"),
        pytest.param("wp_article.html", None, id="ordinary-article"),
        pytest.param("spa_shell.html", None, id="spa-shell"),
    ],
)
def test_no_parking(page: str, host: str | None) -> None:
    assert quirks.parking_marker(load(page), host) is None


def test_host_lookalike_is_not_a_provider() -> None:
    html = '<html><head><script src="https://cdn.jordan.com/app.js"></script></head></html>'
    assert quirks.parking_marker(html) is None


def test_provider_own_site_is_not_parked() -> None:
    html = '<html><head><script src="https://www.hugedomains.com/js/app.js"></script></head></html>'
    assert quirks.parking_marker(html, "www.hugedomains.com") is None
    assert quirks.parking_marker(html, "lapsed.example") == "HugeDomains sale page"


# --- meta refresh ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(load("meta_refresh_404.html"), (0.0, "/errors/404.html"), id="quoted-url"),
        pytest.param(
            load("meta_refresh_move.html"),
            (0.0, "https://docs.example.org/v2/guide/install.html"),
            id="no-space",
        ),
        pytest.param(load("meta_refresh_home.html"), (2.0, "/index.php"), id="delay-2"),
        pytest.param(
            '<meta http-equiv="REFRESH" content="5, URL=next.html">', (5.0, "next.html"), id="comma"
        ),
        pytest.param('<meta http-equiv="refresh" content="0; /bare">', (0.0, "/bare"), id="bare"),
        pytest.param('<meta http-equiv="refresh" content="30">', None, id="reload-only"),
        pytest.param(load("noscript_refresh.html"), None, id="inside-noscript"),
        pytest.param(load("wp_article.html"), None, id="none"),
    ],
)
def test_meta_refresh_parts(html: str, expected: tuple[float, str] | None) -> None:
    assert quirks.meta_refresh_parts(html) == expected


def test_meta_refresh_url_only() -> None:
    assert quirks.meta_refresh(load("meta_refresh_404.html")) == "/errors/404.html"
    assert quirks.meta_refresh(load("wp_article.html")) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/errors/404.html", True),
        ("https://x.example/404", True),
        ("https://x.example/page-not-found/", True),
        ("https://x.example/error?code=404", True),
        ("https://x.example/?error=404", True),
        ("https://x.example/NotFound.aspx", True),
        ("https://x.example/error-correction/", False),
        ("https://x.example/blog/404-day-recap", False),
        ("https://x.example/docs/v2/install.html", False),
    ],
)
def test_is_error_page_url(url: str, expected: bool) -> None:
    assert quirks.is_error_page_url(url) is expected


# --- homepage, login -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", True),
        ("", True),
        ("/index.html", True),
        ("/index.php", True),
        ("/default.aspx", True),
        ("/home", True),
        ("/home/", True),
        ("/en/", True),
        ("/en-us/", True),
        ("/de/index.html", True),
        ("/?lang=en", True),
        ("/?utm_source=old&ref=blog", True),
        ("/?p=123", False),
        ("/?page_id=7", False),
        ("/blog/2019/07/story.html", False),
        ("/en/docs/install", False),
        ("/homepage-redesign-notes", False),
        ("/about/", False),
    ],
)
def test_is_homepage_like(path: str, expected: bool) -> None:
    assert quirks.is_homepage_like(path) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/login?next=/2019/story", True),
        ("https://id.example/accounts/signin", True),
        ("https://news.example/subscribe", True),
        ("https://news.example/2019/loginov-interview", False),
        ("https://news.example/blog/how-sso-works/part-2", False),
    ],
)
def test_is_login_like(url: str, expected: bool) -> None:
    assert quirks.is_login_like(url) is expected


# --- canonicalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("http://example.com/a/b", "https://example.com/a/b", True),
        ("https://example.com/a/b", "http://example.com/a/b", False),  # a downgrade is news
        ("https://example.com/a/b", "https://example.com/a/b/", True),
        ("https://example.com/a/b/", "https://example.com/a/b", True),
        ("https://example.com/a", "https://www.example.com/a", True),
        ("https://www.example.com/a", "https://example.com/a", True),
        ("https://Example.COM/a", "https://example.com/a", True),
        ("https://example.com:443/a", "https://example.com/a", True),
        ("http://example.com:8080/a", "http://example.com/a", False),
        ("https://example.com/docs/", "https://example.com/docs/index.html", True),
        ("https://example.com/caf%C3%A9", "https://example.com/café", True),
        ("https://example.com/a?x=1&y=2", "https://example.com/a?y=2&x=1", True),
        ("https://example.com/a?x=1", "https://example.com/a?x=2", False),
        ("https://example.com/About", "https://example.com/about", False),
        ("https://example.com/a/b", "https://example.com/a/c", False),
        ("https://example.com/a", "https://example.org/a", False),
        ("https://example.com/a#frag", "https://example.com/a", True),
    ],
)
def test_is_trivial_canonicalisation(a: str, b: str, expected: bool) -> None:
    assert quirks.is_trivial_canonicalisation(a, b) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bit.ly/3xYzAbc", True),
        ("https://doi.org/10.1000/182", True),
        ("https://www.doi.org/10.1000/182", True),
        ("https://fieldnotes.example.org/2019/07/x", False),
        ("http://[::1", False),
    ],
)
def test_is_redirect_service(url: str, expected: bool) -> None:
    assert quirks.is_redirect_service(url) is expected


def test_meta_refresh_in_a_comment_is_ignored() -> None:
    html = '<html><head><!-- <meta http-equiv="refresh" content="0; url=/404"> --></head></html>'
    assert quirks.meta_refresh(html) is None


def test_an_ordinary_page_body_is_not_unescaped_for_wall_markers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unescaped: list[int] = []
    real = quirks.unescape

    def counting(text: str) -> str:
        unescaped.append(len(text))
        return real(text)

    monkeypatch.setattr(quirks, "unescape", counting)
    article = "<title>Tides</title><p>a comment form with px-captcha &amp; more</p>" * 50
    assert quirks.bot_challenge_marker(200, {}, article) is None
    assert unescaped == []  # no refusal, no challenge title: the body cannot decide
    wall = "<title>Just a moment...</title><script>_cf_chl_opt={}</script>"
    assert quirks.bot_challenge_marker(200, {}, wall) is not None
    assert quirks.bot_challenge_marker(403, {}, article) == "PerimeterX captcha"
    assert len(unescaped) == 2
