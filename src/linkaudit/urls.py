"""URL handling shared by extraction and checking: resolve, normalise, classify.

Extraction resolves hrefs the way a reader's browser does (WHATWG-like), so the
URL we check is the URL a reader would open.  ``normalize`` builds the key that
de-duplicates checks: two spellings of one resource must share a key, but the
fragment is kept because fragment checks need it.  ``precheck`` decides, before
any request, which citations are not checkable (other schemes) or not URLs at all.

Only the standard library is used: ``urllib.parse`` gets several browser
behaviours wrong (no trailing ``/`` for bare origins, raw spaces, no IDNA), so the
parts it gets wrong are done here by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from linkaudit.model import Verdict
from linkaudit.reasons import Reason, scheme_reason

__all__ = [
    "CHECKED_SCHEMES",
    "defragment",
    "is_internal",
    "normalize",
    "origin",
    "precheck",
    "resolve",
    "split_url",
]

#: Schemes we send requests for; everything else is ``skipped`` (a reader's
#: browser hands it to another program, or it is not a network resource).
CHECKED_SCHEMES = frozenset({"http", "https"})

_SPECIAL = frozenset({"http", "https", "ftp", "ws", "wss", "file"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_TAB_NEWLINE_RE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")
# Characters a host may not contain (WHATWG "forbidden host code points", plus %).
_FORBIDDEN_HOST_RE = re.compile(r"[ \t\n\r#/:<>?@\[\\\]^|%\x00-\x1f\x7f]")

# Percent-encode sets (WHATWG): which ASCII characters a browser escapes where.
_PATH_SET = frozenset(' "#<>?`{}')
_QUERY_SET = frozenset(" \"#<>'")
_FRAGMENT_SET = frozenset(' "<>`')
_NEEDS_ESCAPE = {
    chars: re.compile("[" + re.escape("".join(sorted(chars))) + "\x00-\x1f\x7f]")
    for chars in (_PATH_SET, _QUERY_SET, _FRAGMENT_SET)
}


# The shape of nearly every real citation: lower-case ASCII host, no port, no
# dot segments, nothing a browser would escape.  Such URLs are already in
# browser form, so resolve/normalize/precheck answer without parsing (speed).
_SIMPLE_RE = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?"
    r"(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%\[\]]*)?"
    r"(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+)?"
)
_DOT_SEGMENT_RE = re.compile(r"/\.|%2[eE]")
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@lru_cache(maxsize=1024)
def _simple(url: str) -> re.Match[str] | None:
    """Match ``_SIMPLE_RE`` if ``url`` is already a canonical-looking http(s) URL."""
    match = _SIMPLE_RE.fullmatch(url)
    if match is None or not url.isascii():
        return None
    path = match.group("path")
    if path and _DOT_SEGMENT_RE.search(path):
        return None
    return match


@lru_cache(maxsize=256)
def _simple_origin(base: str) -> str:
    """``scheme://host`` of a simple base URL, or a string no simple URL starts with."""
    match = _simple(base)
    if match is None:
        return "\x00"
    end = match.start("path") if match.start("path") != -1 else len(base)
    for sep in "?#":
        pos = base.find(sep, 8, end)
        if pos != -1:
            end = pos
    return base[:end]


@dataclass(frozen=True)
class _Parts:
    """A hierarchical URL split into the parts browsers serialise separately."""

    scheme: str
    userinfo: str | None
    host: str
    port: int | None
    path: str
    query: str | None
    fragment: str | None


class _BadURL(ValueError):
    """Why a URL cannot be parsed; the message is shown to people."""


def _clean(href: str) -> str:
    """Drop what browsers drop: surrounding C0/space, and tabs/newlines anywhere."""
    href = href.strip(_C0_OR_SPACE)
    if "\t" in href or "\n" in href or "\r" in href:
        href = _TAB_NEWLINE_RE.sub("", href)
    return href


def _scheme_of(url: str) -> str | None:
    match = _SCHEME_RE.match(url)
    return match.group(1).lower() if match else None


def _fix_backslashes(url: str) -> str:
    """Backslashes act as slashes before the query in special URLs (browser behaviour)."""
    cut = len(url)
    for sep in "?#":
        pos = url.find(sep)
        if pos != -1:
            cut = min(cut, pos)
    return url[:cut].replace("\\", "/") + url[cut:]


def _encode(text: str, escape: frozenset[str]) -> str:
    """Percent-encode controls, non-ASCII and ``escape``; existing ``%XX`` stay as written."""
    if text.isascii() and not _NEEDS_ESCAPE[escape].search(text):
        return text
    out: list[str] = []
    for char in text:
        if char in escape or char < " " or char == "\x7f" or not char.isascii():
            out.extend(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))
        else:
            out.append(char)
    return "".join(out)


def _normalize_percent(text: str, escape: frozenset[str]) -> str:
    """Canonical escapes: decode unreserved, upper-case hex, escape stray ``%`` and raw bytes."""
    text = _encode(text, escape)
    if "%" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                decoded = chr(int(text[i + 1 : i + 3], 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
                i += 3
                continue
            out.append("%25")
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _idna_host(host: str) -> str:
    """Lower-case and punycode a registered name, the form DNS and browsers use."""
    host = unquote(host).lower()
    if _FORBIDDEN_HOST_RE.search(host):
        raise _BadURL(f"host {host!r} contains a character hosts cannot have")
    if host.isascii():
        return host
    labels: list[str] = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except UnicodeError:
            try:
                labels.append("xn--" + label.encode("punycode").decode("ascii"))
            except UnicodeError as exc:
                raise _BadURL(f"host label {label!r} cannot be encoded") from exc
    return ".".join(labels)


def _split_authority(authority: str, scheme: str) -> tuple[str | None, str, int | None]:
    userinfo: str | None = None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
    port_text = ""
    if authority.startswith("["):
        end = authority.find("]")
        if end == -1:
            raise _BadURL("IPv6 address is missing its closing ']'")
        literal = authority[1:end]
        if not literal or not re.fullmatch(r"[0-9A-Fa-f:.]+", literal) or literal.count(":") < 2:
            raise _BadURL(f"[{literal}] is not an IPv6 address")
        host = "[" + literal.lower() + "]"
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _BadURL("unexpected text after the IPv6 address")
        port_text = rest[1:]
    else:
        host, colon, port_text = authority.partition(":")
        if colon and ":" in port_text:
            raise _BadURL("host contains more than one ':'")
        if "]" in host or "[" in host:
            raise _BadURL("brackets in a host that is not an IPv6 address")
        host = _idna_host(host)
    port: int | None = None
    if port_text:
        if not port_text.isascii() or not port_text.isdigit():
            raise _BadURL(f"port {port_text!r} is not a number")
        port = int(port_text)
        if port > 65535:
            raise _BadURL(f"port {port} is out of range")
        if port == _DEFAULT_PORTS.get(scheme):
            port = None
    if not host:
        raise _BadURL("the URL has no host")
    return userinfo, host, port


def _parse(url: str) -> _Parts:
    """Split an absolute special URL (``http://host/...``) or raise ``_BadURL``."""
    parsed = _parse_cached(url)
    if isinstance(parsed, str):
        raise _BadURL(parsed)
    return parsed


@lru_cache(maxsize=8192)
def _parse_cached(url: str) -> _Parts | str:
    """``_parse`` memoised (one citation asks several times); errors come back as text."""
    try:
        return _parse_uncached(url)
    except _BadURL as exc:
        return str(exc)


def _parse_uncached(url: str) -> _Parts:
    scheme = _scheme_of(url)
    if scheme is None:
        raise _BadURL("not an absolute URL")
    rest = url[len(scheme) + 1 :]
    if not rest.startswith("//"):
        raise _BadURL(f"{scheme}: URL without '//host'")
    rest = rest[2:]
    fragment: str | None = None
    query: str | None = None
    if "#" in rest:
        rest, _, fragment = rest.partition("#")
    if "?" in rest:
        rest, _, query = rest.partition("?")
    slash = rest.find("/")
    authority, path = (rest, "") if slash == -1 else (rest[:slash], rest[slash:])
    userinfo, host, port = _split_authority(authority, scheme)
    return _Parts(scheme, userinfo, host, port, path, query, fragment)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, also treating ``%2e`` as a dot the way browsers do."""
    if "." not in path and "%2" not in path.lower():
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments[1:], start=1):
        lowered = segment.lower()
        last = index == len(segments) - 1
        if lowered in {".", "%2e"}:
            if last:
                output.append("")
        elif lowered in {"..", ".%2e", "%2e.", "%2e%2e"}:
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _serialize(parts: _Parts, *, canonical: bool) -> str:
    if canonical:
        path = _normalize_percent(parts.path, _PATH_SET)
        query = None if parts.query is None else _normalize_percent(parts.query, _QUERY_SET)
        fragment = (
            None if parts.fragment is None else _normalize_percent(parts.fragment, _FRAGMENT_SET)
        )
    else:
        path = _encode(parts.path, _PATH_SET)
        query = None if parts.query is None else _encode(parts.query, _QUERY_SET)
        fragment = None if parts.fragment is None else _encode(parts.fragment, _FRAGMENT_SET)
    path = _remove_dot_segments(path) or "/"
    out = [parts.scheme, "://"]
    if parts.userinfo:
        out += [parts.userinfo, "@"]
    out.append(parts.host)
    if parts.port is not None:
        out.append(f":{parts.port}")
    out.append(path)
    if query is not None and (query or not canonical):
        out += ["?", query]
    if fragment is not None and (fragment or not canonical):
        out += ["#", fragment]
    return "".join(out)


def _with_root_path(href: str) -> str:
    """Insert the ``/`` a browser shows after a bare origin, before any query or fragment."""
    cut = len(href)
    for sep in "?#":
        pos = href.find(sep, 8)
        if pos != -1:
            cut = min(cut, pos)
    return href[:cut] + "/" + href[cut:]


def _resolve_root_relative(href: str, base: str | None) -> str | None:
    """``/path`` on a simple base, when the result is already in browser form (speed).

    Most relative links on a page are root-relative; joining them by string
    concatenation skips cleaning, ``urljoin`` and the full parse.
    """
    if not base or not href.startswith("/") or href.startswith("//"):
        return None
    joined = _simple_origin(base) + href
    return joined if _simple(joined) is not None else None


def _join(href: str, scheme: str | None, base: str | None, base_scheme: str | None) -> str:
    """``href`` joined onto a cleaned ``base``, as text (not yet in browser form).

    An absolute href with ``//host`` needs no join (and ``urljoin`` chokes on a
    bad IPv6 literal); without a base that has a scheme, nothing can resolve a
    relative href, so it stays as it is.  An empty href is the base itself,
    minus its fragment.
    """
    if scheme is not None and href[len(scheme) + 1 :].startswith("//"):
        return href
    if base is None or base_scheme is None:
        return href
    if href == "":
        return base.partition("#")[0]
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def _browser_form(joined: str) -> str:
    """A joined URL as a browser writes it: lower-case scheme, escapes, dot segments.

    Only special (hierarchical) schemes other than ``file`` are re-serialised;
    a URL that does not parse comes back as written, for ``precheck`` to explain.
    """
    scheme = _scheme_of(joined)
    if scheme is None:
        return joined
    joined = scheme + joined[len(scheme) :]
    if scheme not in _SPECIAL or scheme == "file":
        return joined
    try:
        return _serialize(_parse(joined), canonical=False)
    except _BadURL:
        return joined


def resolve(href: str, base: str | None) -> str:
    """The URL a browser would open for ``href`` on a page at ``base``.

    Never raises: a URL that cannot be parsed comes back as joined text, and
    ``precheck`` says what is wrong with it.  Without a base, a relative href is
    returned cleaned but relative (nothing can resolve it).
    """
    simple = _simple(href)
    if simple is not None:  # already in browser form (speed)
        return href if simple.group("path") else _with_root_path(href)
    fast = _resolve_root_relative(href, base)
    if fast is not None:
        return fast
    href = _clean(href)
    scheme = _scheme_of(href)
    base_clean = _clean(base) if base else None
    base_scheme = _scheme_of(base_clean) if base_clean else None
    if scheme in _SPECIAL or (scheme is None and base_scheme in _SPECIAL):
        href = _fix_backslashes(href)
    if scheme is not None and scheme not in _SPECIAL:
        return scheme + href[len(scheme) :]  # mailto:, tel:, data: ... are opaque
    return _browser_form(_join(href, scheme, base_clean, base_scheme))


def normalize(url: str) -> str:
    """The de-dup key: one spelling per resource (fragment kept, empty ``#``/``?`` dropped)."""
    simple = _simple(url)
    if (
        simple is not None
        and simple.group("path")
        and "%" not in url
        and not url.endswith(("#", "?"))
    ):
        return url
    url = _clean(url)
    scheme = _scheme_of(url)
    if scheme is None:
        return url
    url = scheme + url[len(scheme) :]
    if scheme not in _SPECIAL or scheme == "file":
        return url
    try:
        return _serialize(_parse(_fix_backslashes(url)), canonical=True)
    except _BadURL:
        return url


def defragment(url: str) -> tuple[str, str | None]:
    """Split off the fragment; return it percent-decoded (as ids appear in HTML), or None."""
    head, hash_sign, fragment = url.partition("#")
    if not hash_sign or not fragment:
        return head, None
    return head, unquote(fragment, errors="replace")


#: URLs up to this long are remembered by ``split_url`` (longer ones are split anew).
_REMEMBERED_URL = 2048


def split_url(url: str) -> SplitResult:
    """``urlsplit(url)``, remembered for the last 8,192 URLs.

    ``urlsplit`` remembers only 128, and a run's checkers ask about each of
    thousands of URLs several times in different places (its host to place and pace
    it, its path's last segment, its directory for the soft-404 probe): 13,000
    splits per checking process on a 2,000-file repository, nearly all repeats.
    """
    return _split_remembered(url) if len(url) <= _REMEMBERED_URL else urlsplit(url)


@lru_cache(maxsize=8192)
def _split_remembered(url: str) -> SplitResult:
    return urlsplit(url)


def origin(url: str) -> str:
    """``scheme://host[:port]`` with the default port dropped; the URL itself if unparsable."""
    try:
        parts = _parse(_clean(url))
    except _BadURL:
        return url
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{parts.host}{port}"


@lru_cache(maxsize=4096)
def _site_host(url: str) -> str | None:
    text = _clean(url)
    if _scheme_of(text) is None:
        text = "http://" + text.lstrip("/")
    try:
        host = _parse(text).host
    except _BadURL:
        return None
    return host.removeprefix("www.")


def is_internal(url: str, site: str | None) -> bool:
    """Whether ``url`` is on ``site``: same host, ignoring ``www.`` and http versus https."""
    if not site or not url.startswith(("http:", "https:", "HTTP", "Http", " ")):
        return False
    simple = _simple(url)
    if simple is not None:  # host straight from the text (speed)
        start = url.index("//") + 2
        end = start
        while end < len(url) and url[end] not in "/?#":
            end += 1
        mine: str | None = url[start:end].removeprefix("www.")
    else:
        mine = _site_host(url)
    theirs = _site_host(site)
    return mine is not None and mine == theirs


def precheck(url_as_written: str, resolved: str) -> tuple[Verdict, str, str] | None:
    """Decide before any request: ``(verdict, reason, detail)``, or None to check it.

    Only http(s) is checked; other schemes are ``skipped`` with reason
    ``scheme_<name>``.  Written or resolved URLs that a browser could not open, or
    would open somewhere other than the author meant, are ``invalid``.
    """
    if _simple(url_as_written) is not None and _simple(resolved) is not None:
        return None
    written = url_as_written.strip(_C0_OR_SPACE)
    if _CONTROLS_RE.search(written):
        return Verdict.INVALID, Reason.INVALID_URL, "the URL contains control characters"
    scheme = _scheme_of(resolved.strip(_C0_OR_SPACE))
    if scheme is None:
        if _clean(written) == "":
            return Verdict.INVALID, Reason.INVALID_URL, "the URL is empty"
        return (
            Verdict.SKIPPED,
            Reason.RELATIVE_NO_BASE,
            "relative link, and no base URL to resolve it against",
        )
    if scheme not in CHECKED_SCHEMES:
        return Verdict.SKIPPED, scheme_reason(scheme), f"{scheme}: links are not checked"
    written_scheme = _scheme_of(_clean(written))
    if written_scheme in CHECKED_SCHEMES:
        after = _fix_backslashes(_clean(written))[len(written_scheme) + 1 :]
        if after.startswith("///") or after in {"", "//"} or not after.startswith("//"):
            return Verdict.INVALID, Reason.INVALID_URL, "the URL has no host after the scheme"
        try:
            _parse(written_scheme + ":" + after)
        except _BadURL as exc:
            return Verdict.INVALID, Reason.INVALID_URL, str(exc)
    try:
        _parse(resolved.strip(_C0_OR_SPACE))
    except _BadURL as exc:
        return Verdict.INVALID, Reason.INVALID_URL, str(exc)
    return None
