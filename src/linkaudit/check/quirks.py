"""The web's special cases, each as a small pure predicate over what was fetched.

The classifier asks these questions; keeping each answer here, with its markers,
means a new bot wall or parking provider is one line and one test, and the
classifier's rules stay readable.  Every detector prefers a *strong* marker
(something only that kind of page carries) over phrases an ordinary article could
contain, because a false "blocked" or "stale" sends an editor chasing a live link.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Mapping
from html import unescape
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

from lxml import etree

from linkaudit.htmlguard import tame_attributes

__all__ = [
    "anchor_candidates",
    "bot_challenge_marker",
    "element_text",
    "forward_target",
    "has_anchor",
    "is_error_page_url",
    "is_homepage_like",
    "is_login_like",
    "is_redirect_service",
    "is_trivial_canonicalisation",
    "meta_refresh",
    "meta_refresh_parts",
    "parking_marker",
    "parse_html",
    "script_redirect",
]

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES = re.compile(r"\s+")


def parse_html(html: str) -> etree._Element | None:
    """Parse a (possibly truncated, possibly broken) body the way a browser would: leniently.

    Returns None for an empty body rather than raising, so callers need one check.
    The classifier asks several questions of one page (and the engine asks for
    its anchors first), so the last few trees are kept: the returned tree is
    shared and must not be modified.
    """
    return _parse_cached(html)


@functools.lru_cache(maxsize=4)
def _parse_cached(html: str) -> etree._Element | None:
    if not html or not html.strip():
        return None
    # lxml refuses a str that declares an encoding; the text is already decoded.
    text = tame_attributes(_XML_DECLARATION.sub("", html, count=1))
    parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(text, parser)
    except (etree.ParserError, ValueError):
        try:
            root = etree.fromstring(
                text.encode("utf-8", "replace"),
                etree.HTMLParser(recover=True, encoding="utf-8", remove_comments=True),
            )
        except (etree.ParserError, ValueError):
            return None
    return root


def element_text(el: etree._Element) -> str:
    """An element's text content, whitespace collapsed (lxml may yield bytes; never here)."""
    return _SPACES.sub(" ", " ".join(str(t) for t in el.itertext())).strip()


# --- fragments ---------------------------------------------------------------


def anchor_candidates(fragment: str) -> tuple[str, ...] | None:
    """The ids or names that ``#fragment`` may be spelled as on a page; None when any
    page has it (the empty fragment and ``#top`` scroll to the top).

    A text fragment (``#:~:text=``) is a directive the browser strips before looking
    for an element, so only what precedes ``:~:`` counts; the engine hands over the
    decoded form, and pages spell ids either way.
    """
    fragment = fragment.removeprefix("#")
    if ":~:" in fragment:
        fragment = fragment.split(":~:", 1)[0]
    candidates = [fragment]
    decoded = unquote(fragment, errors="replace")
    encoded = quote(fragment, safe="!$&'()*+,;=:@/?~-._%")
    candidates += [c for c in (decoded, encoded) if c not in candidates]
    if any(c == "" or c.lower() == "top" for c in candidates):
        return None
    return tuple(candidates)


def has_anchor(html: str, fragment: str) -> bool:
    """Whether a browser would find ``#fragment`` on this page.

    Follows the HTML "indicated part of the document" rules: an element whose
    ``id`` equals the fragment, else an ``<a name>`` equal to it, for any spelling
    of :func:`anchor_candidates`.  A page that creates its ids with script cannot be
    judged from markup; that is the reader's browser's business and not ours.
    """
    candidates = anchor_candidates(fragment)
    if candidates is None:
        return True
    root = parse_html(html)
    if root is None:
        return False
    for candidate in candidates:
        if root.xpath("//*[@id=$f]", f=candidate):
            return True
    return any(root.xpath("//a[@name=$f]", f=candidate) for candidate in candidates)


# --- bot walls ---------------------------------------------------------------

# Phrases that only challenge/denial interstitials use.  Each maps to a label that
# tells the editor which wall it was.
_CHALLENGE_BODY_MARKERS: tuple[tuple[str, str], ...] = (
    ("/cdn-cgi/challenge-platform", "Cloudflare challenge platform script"),
    ("challenges.cloudflare.com/turnstile", "Cloudflare Turnstile"),
    ("cf-browser-verification", "Cloudflare browser verification"),
    ("checking your browser before accessing", "browser check interstitial"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("please enable js and disable any ad blocker", "DataDome captcha"),
    ("px-captcha", "PerimeterX captcha"),
    ("perimeterx", "PerimeterX"),
    ("_incapsula_resource", "Incapsula/Imperva"),
    ("pardon our interruption", "Imperva/Distil interstitial"),
    ("awswaf", "AWS WAF challenge"),
    ("aws-waf-token", "AWS WAF challenge"),
    ("hcaptcha.com/1/api.js", "hCaptcha"),
    ('class="h-captcha"', "hCaptcha"),
    ("google.com/recaptcha", "reCAPTCHA"),
    ("recaptcha/api.js", "reCAPTCHA"),
    ('class="g-recaptcha"', "reCAPTCHA"),
    ("verify you are human", "'verify you are human' check"),
    ("verifying you are human", "'verify you are human' check"),
    ("verify you are a human", "'verify you are human' check"),
    ("ddos-guard", "DDoS-Guard check"),
    ("sucuri website firewall", "Sucuri firewall"),
)

_CHALLENGE_TITLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^just a moment\.*$"), "Cloudflare 'Just a moment...' page"),
    (re.compile(r"^attention required!.*cloudflare"), "Cloudflare 'Attention Required!' page"),
    (re.compile(r"^attention required!"), "'Attention Required!' page"),
    (re.compile(r"^access to this page has been denied"), "PerimeterX block page"),
    (re.compile(r"^human verification"), "human verification page"),
    (re.compile(r"^(?:ddos-guard|ddos protection)"), "DDoS-Guard check"),
)

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def _title_of(html: str) -> str:
    """A cheap title read, enough for markers; avoids a full parse of 512 KB."""
    match = _TITLE.search(html[:65536])
    if not match:
        return ""
    return _SPACES.sub(" ", match.group(1)).strip().lower()


_REFUSAL_STATUSES = frozenset({401, 403, 405, 406, 409, 429, 503})


def bot_challenge_marker(status: int, headers: Mapping[str, str], html: str) -> str | None:
    """Say which bot wall answered, or None when the answer looks like the site's own.

    A challenge is not evidence that the page is gone: a reader's browser passes
    it.  Headers set by the wall itself are decisive at any status.  Body markers
    count on refusal statuses (403, 405, 429, 503, ...) where a short interstitial
    is expected; on a 2xx they count only with a challenge title as well, because an
    article may well embed reCAPTCHA in a comment form or write about Cloudflare.
    """
    h = {k.lower(): v for k, v in headers.items()}
    declared = _challenge_header(h)
    if declared is not None:
        return declared
    title = _title_of(html)
    server = h.get("server", "").lower()
    refused = status in _REFUSAL_STATUSES or status >= 520
    if not refused and _challenge_label(title) is None:
        # the body's markers count only with a refusal or a challenge title: an
        # ordinary page's body is not read (unescaping 100 KB costs 2-5 ms)
        return None
    body = unescape(html[:262144]).lower()  # Akamai writes its markers as entities
    titled = _challenge_title(title, body, server, refused=refused)
    if titled is not None:
        return titled
    if not refused:
        return None
    return _refusal_marker(status, h, body, title, server)


def _challenge_header(headers: Mapping[str, str]) -> str | None:
    """A header the wall sets about itself: decisive whatever the status or body."""
    if headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated: challenge)"
    waf_action = headers.get("x-amzn-waf-action", "").strip().lower()
    if waf_action in {"challenge", "captcha"}:
        return f"AWS WAF {waf_action} (x-amzn-waf-action)"
    return None


def _challenge_title(title: str, body: str, server: str, *, refused: bool) -> str | None:
    """A challenge page's title, when it is believable.

    "Just a moment..." could title an article; it names a wall only on a refusal
    status or where Cloudflare's own machinery (server header, challenge script,
    ``_cf_chl_opt``) is present.
    """
    label = _challenge_label(title)
    if label is None:
        return None
    cloudflare_wall = "cloudflare" in server or "/cdn-cgi/challenge-platform" in body
    if refused or cloudflare_wall or "_cf_chl_opt" in body:
        return label
    return None


def _challenge_label(title: str) -> str | None:
    """Which wall a challenge page's title names, if it names one."""
    return next((label for pattern, label in _CHALLENGE_TITLES if pattern.search(title)), None)


def _refusal_marker(
    status: int, headers: Mapping[str, str], body: str, title: str, server: str
) -> str | None:
    """Which wall refused us, from markers that are trusted only on a refusal status.

    These phrases and scripts also appear in live articles (a comment form's
    reCAPTCHA, a post about Akamai), so the caller asks only when the status
    already says "refused".
    """
    if status == 403 and "x-datadome" in headers:
        return "DataDome (x-datadome header)"
    for needle, label in _CHALLENGE_BODY_MARKERS:
        if needle in body:
            return label
    akamai = "akamai" in server or "errors.edgesuite.net" in body
    if akamai and ("access denied" in title or "reference #" in body):
        return "Akamai 'Access Denied' block"
    if "request unsuccessful" in body and "incapsula" in body:
        return "Incapsula/Imperva 'Request unsuccessful'"
    return None


# --- parked domains ------------------------------------------------------------

# Provider hosts/scripts only parking pages load; matched in resource URLs and
# inline scripts, never in plain links, so an article *about* parking stays live.
_PARKING_HOSTS: tuple[tuple[str, str], ...] = (
    ("sedoparking.com", "Sedo parking"),
    ("parkingcrew.net", "ParkingCrew"),
    ("bodis.com", "Bodis parking"),
    ("above.com", "Above.com parking"),
    ("dan.com", "Dan.com sale page"),
    ("hugedomains.com", "HugeDomains sale page"),
    ("afternic.com", "Afternic sale page"),
    ("parklogic.com", "ParkLogic parking"),
    ("domaincntrol.com", "GoDaddy parking"),
)
_PARKING_SNIPPETS: tuple[tuple[str, str], ...] = (
    ("window.park", "GoDaddy parking (window.park)"),
    ("/parking-lander/", "GoDaddy parking"),
    ("/adsense/domains/caf.js", "Google AdSense for Domains parking"),
)
_URL_HOST = re.compile(r"(?:https?:)?//([a-z0-9.-]+)", re.IGNORECASE)


def _host_matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


_PARKING_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"parked free,? courtesy of godaddy"), "GoDaddy 'parked free' page"),
    (re.compile(r"this (?:web page|domain) is parked"), "'this domain is parked' page"),
    (re.compile(r"\bdomain (?:name )?(?:may be|is) for sale\b"), "'domain for sale' page"),
    (re.compile(r"\bbuy this domain\b"), "'buy this domain' page"),
    (re.compile(r"\bdomain is parked\b"), "'domain is parked' page"),
    (re.compile(r"^[\w.-]+\.[a-z]{2,} (?:is|may be) for sale\b"), "'<domain> is for sale' page"),
)

_BANNER_TEXT = 100  # characters: a parking banner is a line, not a paragraph
_BANNER_TAGS = ("a", "button", "h2", "h3", "h4", "p", "div", "span", "li", "strong", "b", "td")
_RESOURCE_TAGS = ("script", "iframe", "frame", "img", "link", "form", "meta", "embed")
_RESOURCE_ATTRIBUTES = ("src", "href", "action", "content", "data-src")


def parking_marker(html: str, host: str | None = None) -> str | None:
    """Name the parking provider (or sale page) serving this page, or None.

    A provider's script, frame or redirect is decisive.  A "for sale"/"parked"
    phrase counts only in the title or main heading, or as the whole text of a
    banner, link or button, since an article may discuss domain sales.  Provider
    hosts are matched as hosts (``jordan.com`` is not ``dan.com``), and not at all
    on the provider's own site (``host``), which loads its own scripts.

    The signals are asked strongest first and the first answer wins, so a page
    that both loads Sedo's script and says "buy this domain" is named for Sedo.
    """
    root = parse_html(html)
    if root is None:
        return None
    loaded = _loaded_resources(root)
    return (
        _parking_provider(loaded, host)
        or _parking_snippet(loaded)
        or _parking_headline(root)
        or _parking_banner(root, html)
    )


def _loaded_resources(root: etree._Element) -> str:
    """What the page loads or runs (resource URLs, inline scripts), lower-cased, one blob.

    Plain ``<a href>`` links are left out on purpose: an article about parking
    links to providers, while only a parking page loads their scripts and frames.
    """
    resources: list[str] = []
    for el in root.iter(*_RESOURCE_TAGS):
        for attr in _RESOURCE_ATTRIBUTES:
            value = el.get(attr)
            if value:
                resources.append(value.lower())
        if el.tag == "script" and el.text:
            resources.append(el.text[:20000].lower())
    return "\n".join(resources)


def _parking_provider(loaded: str, host: str | None) -> str | None:
    """A provider host among the loaded resources, unless the page *is* that provider's site.

    Matched as a host name, not a substring, so ``jordan.com`` is not ``dan.com``.
    """
    own = (host or "").lower().removeprefix("www.")
    for found in _URL_HOST.findall(loaded):
        found_host = found.lower().rstrip(".")
        for suffix, label in _PARKING_HOSTS:
            if _host_matches(found_host, suffix) and not (own and _host_matches(own, suffix)):
                return label
    return None


def _parking_snippet(loaded: str) -> str | None:
    """A provider's script path or variable: as decisive as its host, and host-less."""
    for needle, label in _PARKING_SNIPPETS:
        if needle in loaded:
            return label
    return None


def _parking_headline(root: etree._Element) -> str | None:
    """A parking phrase in the title or main heading, where a sale page puts it.

    Phrases are tried in their table's order over all headlines, so the most
    specific phrase names the page whichever headline carries it.
    """
    headings = [element_text(el).lower() for el in root.iter("title", "h1")]
    for pattern, label in _PARKING_PHRASES:
        if any(pattern.search(heading) for heading in headings):
            return label
    return None


def _parking_banner(root: etree._Element, html: str) -> str | None:
    """A banner, link or button whose *whole* text is a parking phrase.

    A sentence that mentions domain sales is an article, not a banner, hence the
    length and child limits.  The cheap substring test first spares the walk over
    every element of an ordinary page.
    """
    lowered = html.lower()
    if "for sale" not in lowered and "parked" not in lowered and "buy this domain" not in lowered:
        return None
    for el in root.iter(*_BANNER_TAGS):
        if len(el) > 4:
            continue
        text = element_text(el).lower()
        if not text or len(text) > _BANNER_TEXT:
            continue
        for pattern, label in _PARKING_PHRASES:
            if pattern.search(text):
                return label
    return None


# --- meta refresh ----------------------------------------------------------------

_REFRESH = re.compile(
    r"""^\s*(?P<delay>\d*(?:\.\d*)?)\s*[;,]?\s*(?:url\s*=\s*)?(?P<url>.*)$""",
    re.IGNORECASE | re.DOTALL,
)


def meta_refresh_parts(html: str) -> tuple[float, str] | None:
    """The delay and target of the page's meta refresh, or None if it has none.

    Parsed as the HTML standard's "shared declarative refresh steps" do: a number,
    then ``;`` or ``,``, then an optional ``url=`` and a possibly quoted URL.
    A refresh inside ``<noscript>`` is ignored: readers' browsers run scripts and
    never see it.  A refresh without a URL reloads the same page: not a redirect.
    """
    root = parse_html(html)
    if root is None:
        return None
    for meta in root.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        if any(a.tag == "noscript" for a in meta.iterancestors()):
            continue
        match = _REFRESH.match(meta.get("content") or "")
        if not match:
            continue
        url = match.group("url").strip()
        if url[:1] in {"'", '"'}:
            quote = url[0]
            url = url[1:].split(quote, 1)[0]
        url = url.strip()
        if not url:
            continue
        delay_text = match.group("delay") or "0"
        try:
            delay = float(delay_text) if delay_text != "." else 0.0
        except ValueError:
            delay = 0.0
        return delay, url
    return None


#: A refresh this prompt is a redirect to a reader (longer ones are a page that
#: reloads, or moves on after the reader has seen it).
PROMPT_REFRESH = 10.0

#: One statement that sends the browser elsewhere at once: ``location = "..."``,
#: ``window.location.href = '...'``, ``location.replace("...")`` and the like.
_SCRIPT_REDIRECT = re.compile(
    r"""^\s*(?:(?:window|document|self|top)\.)?location(?:\.href)?\s*=\s*(["'])(?P<a>[^"'\\]+)\1"""
    r"""|^\s*(?:(?:window|document|self|top)\.)?location\.(?:replace|assign)\(\s*(["'])(?P<b>[^"'\\]+)\3\s*\)""",
)
#: How a page that loads forwards its reader (the note on that hop of a chain).
FORWARDS = frozenset({"meta refresh", "script redirect"})

#: A script longer than this does more than redirect; it is not followed.
_SCRIPT_REDIRECT_MAX = 300


def script_redirect(html: str) -> str | None:
    """The URL a page's script sends the reader to at once, when the page holds a
    script whose only work is that (a same-page JavaScript redirect); else None."""
    root = parse_html(html)
    if root is None:
        return None
    for script in root.iter("script"):
        if script.get("src") or (script.get("type") or "").strip() not in {
            "",
            "text/javascript",
            "application/javascript",
            "module",
        }:
            continue
        code = (script.text or "").strip().rstrip(";").strip()
        if not code or len(code) > _SCRIPT_REDIRECT_MAX or "\n" in code.strip():
            continue
        match = _SCRIPT_REDIRECT.match(code)
        if match and match.end() >= len(code.rstrip(";").rstrip()):
            return match.group("a") or match.group("b")
    return None


def forward_target(html: str) -> tuple[str, str] | None:
    """How and where a page forwards its reader at once, as a browser would follow:
    ``("meta refresh", url)`` for a refresh of at most :data:`PROMPT_REFRESH`
    seconds, ``("script redirect", url)`` for a script that only redirects; the URL
    as written (unresolved).  None for a page a reader stays on."""
    parts = meta_refresh_parts(html)
    if parts is not None and parts[0] <= PROMPT_REFRESH:
        return "meta refresh", parts[1]
    scripted = script_redirect(html)
    if scripted is not None:
        return "script redirect", scripted
    return None


def meta_refresh(html: str) -> str | None:
    """The URL a meta refresh sends the reader to (as written, unresolved), or None."""
    parts = meta_refresh_parts(html)
    return parts[1] if parts else None


_ERROR_SEGMENT = re.compile(
    r"^(?:404|410|error|errors|error[-_]?page|error[-_]?404|404[-_]?(?:error|page)|"
    r"not[-_]?found|page[-_]?not[-_]?found|notfound|pagenotfound|gone)(?:\.[a-z0-9]+)?$"
)
_ERROR_QUERY_KEYS = frozenset({"error", "err", "errorcode", "code", "status", "404"})


def is_error_page_url(url: str) -> bool:
    """Whether a URL names an error page (``/404.html``, ``/errors/not-found``, ``?error=404``).

    Whole path segments only, so ``/error-correction/`` or ``/404-day-recap`` are
    ordinary pages.
    """
    parts = urlsplit(url)
    for segment in parts.path.lower().split("/"):
        if segment and _ERROR_SEGMENT.match(unquote(segment)):
            return True
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        k, v = key.lower(), value.lower()
        if k == "404" or (k in _ERROR_QUERY_KEYS and v in {"404", "410", "notfound", "not_found"}):
            return True
    return False


# --- homepage / landing pages ------------------------------------------------------

_LANG = r"[a-z]{2}(?:[-_][a-z]{2,4})?"  # /en/, /pt-br/; not /faq/ or /api/
_HOMEPAGE_PATH = re.compile(
    rf"^/(?:(?:{_LANG})/)?(?:(?:index|default|home|start|main|welcome|portal)"
    rf"(?:\.[a-z0-9]{{2,5}})?/?)?$"
)
_HOMEPAGE_DIR = re.compile(rf"^/(?:{_LANG}|home|start|welcome)/?$")
# Query keys a landing page may carry without becoming a specific page.
_NOISE_QUERY_KEYS = frozenset(
    {
        "lang",
        "language",
        "locale",
        "hl",
        "lng",
        "ref",
        "referrer",
        "from",
        "source",
        "src",
        "redirect",
        "redirected",
        "return",
        "returnurl",
        "returnto",
        "fbclid",
        "gclid",
        "notfound",
        "error",
        "404",
        "msg",
        "r",
    }
)


def is_homepage_like(path: str) -> bool:
    """Whether a path (optionally with ``?query``) is a site's root or a generic landing page.

    Covers ``/``, ``/index.html``, ``/home``, ``/en/``, ``/de-de/index.php`` and the
    root with only language or tracking parameters (``/?lang=en``).  A root with a
    real query (WordPress's ``/?p=123``) is a specific page, not the homepage.
    """
    raw_path, _, query = path.partition("?")
    raw_path = raw_path.split("#", 1)[0] or "/"
    if not raw_path.startswith("/"):
        raw_path = "/" + raw_path
    lowered = unquote(raw_path).lower()
    if not (_HOMEPAGE_PATH.match(lowered) or _HOMEPAGE_DIR.match(lowered)):
        return False
    for key, _value in parse_qsl(query, keep_blank_values=True):
        k = key.lower()
        if k not in _NOISE_QUERY_KEYS and not k.startswith("utm_"):
            return False
    return True


_LOGIN_SEGMENT = re.compile(
    r"^(?:login|log-in|signin|sign-in|sign_in|logon|auth|sso|authenticate|"
    r"account[-_]?login|users?[-_]?login|subscribe|paywall)(?:\.[a-z0-9]+)?$"
)


_REDIRECT_SERVICES = frozenset(
    {
        "bit.ly",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "buff.ly",
        "is.gd",
        "lnkd.in",
        "dlvr.it",
        "fb.me",
        "amzn.to",
        "rebrand.ly",
        "cutt.ly",
        "t.ly",
        "tiny.cc",
        "shorturl.at",
        "s.id",
        "doi.org",
        "dx.doi.org",
        "hdl.handle.net",
        "purl.org",
        "w3id.org",
        "archive.org",
        "perma.cc",
    }
)


def is_redirect_service(url: str) -> bool:
    """Whether a URL's host exists to redirect (shorteners, DOI and handle resolvers).

    Such a link to a homepage was *meant* to land there, so a redirect to a site
    root proves nothing about rot.
    """
    host = (_safe_host(url) or "").removeprefix("www.")
    return host in _REDIRECT_SERVICES


def _safe_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def is_login_like(url: str) -> bool:
    """Whether a URL is a login or paywall gate (``/login?next=...``, ``/accounts/signin``)."""
    segments = [s for s in urlsplit(url).path.lower().split("/") if s]
    return any(_LOGIN_SEGMENT.match(s) for s in segments[-2:])


# --- canonicalisation --------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
_INDEX_FILE = re.compile(r"/(?:index|default)\.(?:html?|php|aspx?|jsp)$", re.IGNORECASE)


def _canonical(url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]] | None:
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    host = host.removeprefix("www.")
    scheme = parts.scheme.lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = unquote(parts.path) or "/"
    path = _INDEX_FILE.sub("/", path)
    path = path.rstrip("/") or "/"
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return scheme, host, path, query


def is_trivial_canonicalisation(a_url: str, b_url: str) -> bool:
    """Whether ``b_url`` is just the canonical spelling of ``a_url`` (same resource).

    Trivial: http->https (not the reverse: a downgrade is worth telling), ``www.``
    added or removed, host case, default port, a trailing slash, an ``index.html``
    dropped, percent-encoding of the same characters, query parameter order.  The
    path's case is *not* trivial: servers treat it as a different resource.
    """
    a, b = _canonical(a_url), _canonical(b_url)
    if a is None or b is None:
        return False
    a_scheme, a_rest = a[0], a[1:]
    b_scheme, b_rest = b[0], b[1:]
    if a_rest != b_rest:
        return False
    return a_scheme == b_scheme or (a_scheme == "http" and b_scheme == "https")


def resolve(base: str, ref: str) -> str:
    """Resolve a Location or refresh target against the URL that sent it."""
    return urljoin(base, ref.strip())
