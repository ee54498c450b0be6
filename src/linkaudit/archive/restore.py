"""Lost links restored from an archived copy of the article itself.

A lost citation still has its anchor text ("floated the idea") and sentence; an
archive capture of the article taken before the links were stripped still has
``<a href>`` around that same text.  So: find captures of the *article* near its
publication date, fetch each as original bytes (``id_``: no toolbar, no link
rewriting), and match anchors by whitespace-normalised text, using the sentence
around them when the same text is linked more than once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.etree
import lxml.html

from linkaudit.archive.base import ArchiveOptions
from linkaudit.archive.lookup import make_client
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.archive.reach import WAYBACK_SERVER, Reachability
from linkaudit.archive.wayback import availability_lookup, cdx_lookup
from linkaudit.model import Capture, Citation, Document, Restoration, as_utc

_SPACE = re.compile(r"\s+")
_REWRITTEN = re.compile(r"^(?:https?://[^/]+)?/web/\d{1,14}(?:[a-z]{2}_)?/(.+)$")
_BLOCKS = frozenset(
    {
        "p",
        "li",
        "td",
        "th",
        "dd",
        "dt",
        "blockquote",
        "figcaption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "div",
        "section",
        "article",
        "body",
    }
)
_WORD = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


@dataclass(frozen=True)
class ArchivedAnchor:
    """An ``<a href>`` of the archived article, href already original and absolute."""

    text: str
    href: str
    context: str
    order: int


def unrewrite(href: str, wayback_host: str | None) -> str:
    """Undo Wayback link rewriting (``/web/<ts>/<original>``) when it was applied.

    Relative ``/web/<ts>/`` hrefs are always rewrites; absolute ones only when they
    point at the archive itself, since an article may genuinely cite an archive URL.
    """
    match = _REWRITTEN.match(href)
    if not match:
        return href
    host = urlsplit(href).hostname
    if host is not None and host != wayback_host:
        return href
    original = match.group(1)
    if original.startswith(("http:/", "https:/")) and not original.startswith(
        ("http://", "https://")
    ):  # some proxies collapse the double slash
        scheme, _, rest = original.partition(":/")
        original = f"{scheme}://{rest}"
    return original


def archived_anchors(
    body: bytes | str, article_url: str, wayback_host: str | None
) -> list[ArchivedAnchor]:
    """Every usable link of an archived page, in document order."""
    try:
        root = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    anchors: list[ArchivedAnchor] = []
    for element in root.iter("a"):
        raw = (element.get("href") or "").strip()
        if not raw or raw.startswith(("#", "javascript:")):
            continue
        href = urljoin(article_url, unrewrite(raw, wayback_host))
        block = element.getparent()
        while block is not None and block.tag not in _BLOCKS:
            block = block.getparent()
        context = normalise_text(_text(block)) if block is not None else ""
        anchors.append(ArchivedAnchor(normalise_text(_text(element)), href, context, len(anchors)))
    return anchors


def _text(element: lxml.etree._Element) -> str:
    # lxml-stubs type iter() results as plain elements; in an HTML tree they are not.
    return str(cast(lxml.html.HtmlElement, element).text_content())


def _similarity(a: str, b: str) -> float:
    left = {w.casefold() for w in _WORD.findall(a)}
    right = {w.casefold() for w in _WORD.findall(b)}
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def match_lost(
    lost: Sequence[Citation], anchors: Sequence[ArchivedAnchor], skip: set[int] | None = None
) -> dict[int, ArchivedAnchor]:
    """Pair lost citations with archived anchors of the same text.

    One candidate: taken.  Several (the same words linked twice): the one whose
    paragraph shares most words with the citation's sentence; ties go to document
    order, so the n-th lost "here" gets the n-th remaining "here".
    """
    skip = skip or set()
    used: set[int] = set()
    found: dict[int, ArchivedAnchor] = {}
    for index, citation in enumerate(lost):
        if index in skip:
            continue
        wanted = normalise_text(citation.text)
        if not wanted:
            continue
        candidates = [a for a in anchors if a.order not in used and a.text == wanted]
        if not candidates:
            folded = wanted.casefold()
            candidates = [a for a in anchors if a.order not in used and a.text.casefold() == folded]
        if not candidates:
            continue
        best = max(candidates, key=lambda a: (_similarity(citation.context, a.context), -a.order))
        used.add(best.order)
        found[index] = best
    return found


def _order_captures(captures: Sequence[Capture], target: datetime) -> list[Capture]:
    """Nearest to the article's date first; on equal distance, the earlier one (before
    the links were stripped)."""
    target = as_utc(target)
    ok = [c for c in captures if c.status is None or 200 <= c.status < 300]
    return sorted(
        ok,
        key=lambda c: (
            abs((as_utc(c.captured_at) - target).total_seconds()),
            as_utc(c.captured_at),
        ),
    )


@dataclass(frozen=True)
class RestoreOutcome:
    """What restoring one document's lost links came to.

    ``restored`` maps an index into the lost citations to its original href;
    ``failure`` says why restoration could not run at all ("" when it ran, whether
    or not it found anything): a report must not present "nothing recovered" when
    nothing could be asked.
    """

    restored: dict[int, Restoration] = field(default_factory=dict)
    failure: str = ""


async def restore_lost(
    document: Document,
    lost: Sequence[Citation],
    options: ArchiveOptions,
    *,
    client: httpx.AsyncClient | None = None,
    limiter: RateLimiter | None = None,
    reach: Reachability | None = None,
) -> RestoreOutcome:
    """Propose the original href of each lost citation (index into ``lost``).

    Citations with no match in any capture opened are simply absent from the
    result; nothing here raises for what an archive answers.  An unreachable
    Wayback Machine (found so now, or earlier in the run by ``reach``) is a
    failure, and ``reach`` is told.
    """
    article_url = document.canonical_url or document.base_url
    if not lost:
        return RestoreOutcome()
    if not article_url:
        return RestoreOutcome(failure="the article's own URL is unknown, so it has no capture")
    reach = reach if reach is not None else Reachability()
    if reach.is_down(WAYBACK_SERVER):
        return RestoreOutcome(failure=f"the {WAYBACK_SERVER} was unreachable")
    target = document.cited_at or datetime.now(UTC)
    limiter = limiter or RateLimiter(options.requests_per_minute, options.burst)
    own_client = client is None
    http = client or make_client(options)
    try:
        captures, failure = await _article_captures(article_url, target, http, options, limiter)
        if failure:
            if captures is None:
                reach.trip(WAYBACK_SERVER, failure)
            return RestoreOutcome(failure=failure)
        assert captures is not None
        return await _restore_from(captures, lost, article_url, target, http, options, limiter)
    finally:
        if own_client:
            await http.aclose()


async def _article_captures(
    article_url: str,
    target: datetime,
    http: httpx.AsyncClient,
    options: ArchiveOptions,
    limiter: RateLimiter,
) -> tuple[list[Capture] | None, str]:
    """The article's captures, and why there are none when the archive failed
    (None captures: it could not be reached at all)."""
    found = await cdx_lookup(article_url, target, http, options, limiter=limiter)
    if found.unreachable:
        return None, found.note
    captures = list(found.captures)
    if found.failed:
        avail = await availability_lookup(article_url, target, http, options, limiter=limiter)
        captures.extend(avail.captures)
        if avail.failed and not captures:
            return captures, f"{found.note}; {avail.note}"
    return captures, ""


async def _restore_from(
    captures: Sequence[Capture],
    lost: Sequence[Citation],
    article_url: str,
    target: datetime,
    http: httpx.AsyncClient,
    options: ArchiveOptions,
    limiter: RateLimiter,
) -> RestoreOutcome:
    """Open the nearest captures in turn until every lost link is matched."""
    restored: dict[int, Restoration] = {}
    wayback_host = urlsplit(options.wayback_url).hostname
    ordered = _order_captures(captures, target)[: max(1, options.restore_max_captures)]
    opened = 0
    for capture in ordered:
        body = await _fetch_capture(http, capture, options, limiter)
        if body is None:
            continue
        opened += 1
        anchors = archived_anchors(body, article_url, wayback_host)
        for index, anchor in match_lost(lost, anchors, set(restored)).items():
            restored[index] = Restoration(
                url=anchor.href, evidence_url=capture.url, captured_at=capture.captured_at
            )
        if len(restored) == len(lost):
            break
    if ordered and not opened:
        return RestoreOutcome(failure="none of the article's captures could be opened")
    return RestoreOutcome(restored)


async def _fetch_capture(
    client: httpx.AsyncClient, capture: Capture, options: ArchiveOptions, limiter: RateLimiter
) -> bytes | None:
    if capture.timestamp is not None:
        url = options.wayback_copy_url(capture.timestamp, capture.original_url, raw=True)
    else:
        url = capture.url
    await limiter.acquire()
    try:
        response = await client.get(
            url,
            timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
            follow_redirects=True,
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    return response.content
