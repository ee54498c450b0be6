"""Citations in HTML: lxml builds the tree a browser would, the source index adds positions.

One walk over the chosen subtree produces, in document order, every URL-bearing
attribute, bare URLs and DOIs in text, and ``<a>`` elements that lead nowhere.
The walk also builds a flat text of what a reader sees, with block boundaries
marked, from which each citation's anchor text and sentence are cut afterwards;
so the cost is linear in the document, whatever the number of links.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html

from linkaudit import urls
from linkaudit.extract.body import (
    HIDDEN,
    Body,
    ScopeDecision,
    find_body,
    page_addresses,
    page_forms,
    site_hosts,
)
from linkaudit.extract.common import Env, env_for, lost_citation, url_citation
from linkaudit.extract.context import BLOCKS, PARAGRAPHS, WINDOW, collapse, sentence_around
from linkaudit.extract.lost import stray_link_ends
from linkaudit.extract.source import Attr, SourceIndex, Tag
from linkaudit.extract.text import find_text_urls
from linkaudit.htmlguard import tame_attributes
from linkaudit.model import (
    NO_SELECTORS,
    BodySelectors,
    Citation,
    CitationKind,
    Document,
    Location,
    Scope,
)
from linkaudit.reasons import Reason

__all__ = ["SEP", "HtmlRead", "article_body", "extract_html", "read_html"]

SEP = "\x00"  # block boundary in the flat text; NULs never survive sanitising

#: Text inside these is not scanned for bare URLs (code samples, existing links).
NO_BARE_URLS = frozenset(
    ["a", "code", "pre", "script", "style", "kbd", "samp", "textarea", "var", "tt"]
)

# (element, attribute, kind) in the order they are reported for one element.
_URL_ATTRS: dict[str, tuple[tuple[str, CitationKind], ...]] = {
    "a": (("href", CitationKind.LINK),),
    "area": (("href", CitationKind.LINK),),
    "img": (("src", CitationKind.IMAGE), ("srcset", CitationKind.IMAGE)),
    "source": (("src", CitationKind.IMAGE), ("srcset", CitationKind.IMAGE)),
    "video": (("src", CitationKind.EMBED), ("poster", CitationKind.IMAGE)),
    "audio": (("src", CitationKind.EMBED),),
    "iframe": (("src", CitationKind.EMBED),),
    "embed": (("src", CitationKind.EMBED),),
    "object": (("data", CitationKind.EMBED),),
    "blockquote": (("cite", CitationKind.QUOTE),),
    "q": (("cite", CitationKind.QUOTE),),
    "del": (("cite", CitationKind.QUOTE),),
    "ins": (("cite", CitationKind.QUOTE),),
}

#: Elements whose content is the citation's text (others use alt/title/aria-label).
_TEXT_CARRIERS = frozenset({"a", "area", "blockquote", "q", "del", "ins"})
_BAD_CHARS_RE = re.compile("[\x00\ud800-\udfff]")


def sanitize(text: str) -> str:
    """Replace what lxml refuses (NUL, lone surrogates) one-for-one, so offsets stay valid."""
    return _BAD_CHARS_RE.sub("\ufffd", text) if _BAD_CHARS_RE.search(text) else text


def _parse_once(text: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """Parse; also say whether libxml2 gave up on nesting depth (and dropped the rest)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True, remove_blank_text=False)
    try:
        root = lxml.html.document_fromstring(tame_attributes(text).encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return None, False
    too_deep = any("depth" in str(entry.message).lower() for entry in parser.error_log)
    return root, too_deep


def _flatten(text: str, tags: list[Tag], keep: frozenset[str]) -> str:
    """Blank out tags not in ``keep`` with spaces (newlines kept), so offsets and lines hold."""
    pieces: list[str] = []
    last = 0
    for tag in tags:
        if tag.name in keep:
            continue
        pieces.append(text[last : tag.start])
        pieces.append(re.sub(r"[^\n]", " ", text[tag.start : tag.stop]))
        last = tag.stop
    pieces.append(text[last:])
    return "".join(pieces)


_KEEP_WHEN_FLATTENING = (
    frozenset(_URL_ATTRS)
    | PARAGRAPHS
    | NO_BARE_URLS
    | HIDDEN
    | {
        "html",
        "body",
        "base",
        "br",
    }
)


def _parse(text: str, tags: list[Tag]) -> lxml.html.HtmlElement | None:
    """The tree, even for pathologically deep nesting (libxml2 stops at depth 2048).

    Too-deep input is re-parsed with its container tags blanked out: the links
    and their text survive, only the nesting (which carries no citations) goes.
    """
    if not text.strip():
        return None
    root, too_deep = _parse_once(text)
    if too_deep:
        root, too_deep = _parse_once(_flatten(text, tags, _KEEP_WHEN_FLATTENING))
    if too_deep:
        root, _ = _parse_once(_flatten(text, tags, frozenset(_URL_ATTRS) | {"html", "body"}))
    return root


def srcset_candidates(value: str) -> Iterator[tuple[str, int]]:
    """URLs of a ``srcset`` with their offsets in it (descriptors dropped).

    Follows the HTML parsing rule: a URL runs to whitespace, trailing commas end
    a candidate, and otherwise descriptors run to the next comma.
    """
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", i)
            i = n if comma == -1 else comma + 1
        if url:
            yield url, start


def _candidate_offset(
    raw: Attr, value: str, url: str, position: int, cursor: int
) -> tuple[int | None, int]:
    """Where a ``srcset`` candidate is in the source, and where to look for the next one.

    Without entities the decoded value is the raw text, position for position;
    otherwise each candidate is searched for after the previous one, as decoded
    and with ``&`` written as ``&amp;``.
    """
    needle = url
    if raw.raw == value:
        found = position
    else:
        found = raw.raw.find(url, cursor)
        if found == -1:
            needle = url.replace("&", "&amp;")
            found = raw.raw.find(needle, cursor)
    if found == -1:
        return None, cursor
    return raw.offset + found, found + len(needle)


@dataclass(slots=True)
class _Pending:
    """A citation waiting for the end of its element (anchor text, sentence)."""

    kind: CitationKind
    element: str
    attribute: str
    written: str | None
    location: Location
    start: int
    end: int = -1
    rel: tuple[str, ...] = ()
    fallback_text: str = ""
    lost_reason: str = ""  # set for <a> without a usable href
    drop_if_empty: bool = False
    resolved: str | None = None
    text_override: str | None = None
    children_alt: list[str] | None = None  # made when an <img> inside lends its alt


class _Walker:
    """One pass over the chosen subtree; see the module docstring."""

    def __init__(
        self,
        index: SourceIndex,
        env: Env,
        *,
        bare_urls: bool,
        line_offset: int,
        skip: frozenset[lxml.html.HtmlElement] = frozenset(),
    ) -> None:
        self.skip = skip
        self.index = index
        self.env = env
        self.bare_urls = bare_urls
        self.line_offset = line_offset
        self.flat = _FlatText()
        self.flen = 0
        # Citations waiting for their text and sentence, oldest first; each is made
        # as soon as the walk is a context window past its end (see ``_settle``),
        # so a page of 400,000 links never holds them all as pending items too.
        self.pending: deque[_Pending] = deque()
        self.made: list[Citation] = []
        self.paragraph = 0
        self.no_bare = 0
        self.hidden = 0
        self.text_cursor = 0
        self.open_links: list[_Pending] = []

    # -- positions ---------------------------------------------------------

    def _location(self, offset: int | None, sourceline: int | None) -> Location:
        paragraph = self.paragraph or None
        if offset is None:
            line = (sourceline or 1) + self.line_offset
            return Location(line=line, column=1, paragraph=paragraph)
        line, column = self.index.position(offset)
        return Location(line, column, paragraph, offset + self.index.base_offset)

    def _find_text(self, written: str, sourceline: int | None) -> int | None:
        """Offset of a bare URL in the source: search forward from where the walk is."""
        text = self.index.text
        start = self.text_cursor
        if sourceline is not None:
            start = max(start, self.index.line_start(sourceline))
        for needle in (written, written.replace("&", "&amp;")):
            pos = text.find(needle, start, start + 200_000)
            while pos != -1 and self._inside_tag(pos):
                pos = text.find(needle, pos + 1, start + 200_000)
            if pos != -1:
                self.text_cursor = pos + len(needle)
                return pos
        return None

    def _inside_tag(self, pos: int) -> bool:
        tags = self.index.tags
        lo, hi = 0, len(tags)
        while lo < hi:
            mid = (lo + hi) // 2
            if tags[mid].start <= pos:
                lo = mid + 1
            else:
                hi = mid
        return lo > 0 and pos < tags[lo - 1].stop

    # -- flat text ---------------------------------------------------------

    def _add_text(self, text: str | None, sourceline: int | None) -> None:
        if not text or self.hidden:
            return
        if self.bare_urls and not self.no_bare:
            for found in find_text_urls(text):
                offset = self._find_text(found.written, sourceline)
                start = self.flen + found.start
                self.pending.append(
                    _Pending(
                        kind=found.kind,
                        element="#text",
                        attribute="",
                        written=found.written,
                        location=self._location(offset, sourceline),
                        start=start,
                        end=start + len(found.written),
                        resolved=urls.resolve(found.url, None),
                        text_override=found.written,
                    )
                )
        self.flat.append(text)
        self.flen += len(text)
        if self.pending and self.flat.settled():
            self._settle(final=False)

    def _sep(self) -> None:
        self.flat.append(SEP)
        self.flen += 1

    # -- elements ----------------------------------------------------------

    def _start(self, el: lxml.html.HtmlElement, tag: str) -> list[_Pending]:
        """The citations an element opens: its URL attributes, or an ``<a>`` leading nowhere.

        Called only for elements in ``_URL_ATTRS``.  An ``<img>`` inside a link
        also lends its alt text to that link, whose own text may be empty.
        """
        if tag == "img" and self.open_links:
            alt = el.get("alt")
            if alt and alt.strip():
                link = self.open_links[-1]
                if link.children_alt is None:
                    link.children_alt = []
                link.children_alt.append(alt)
        rel = tuple(el.get("rel", "").lower().split()) if tag in {"a", "area"} else ()
        if tag == "a" and el.get("href") is None:
            return self._lost_link(el, rel)
        return self._url_attributes(el, tag, _URL_ATTRS[tag], rel)

    def _url_attributes(
        self,
        el: lxml.html.HtmlElement,
        tag: str,
        attrs: tuple[tuple[str, CitationKind], ...],
        rel: tuple[str, ...],
    ) -> list[_Pending]:
        """One pending citation per URL attribute present (per candidate for ``srcset``).

        The source tag is matched once, on the first attribute present; every
        attribute's position is then read from that tag's raw text.
        """
        opened: list[_Pending] = []
        source_tag: Tag | None = None
        matched = False
        for attribute, kind in attrs:
            value = el.get(attribute)
            if value is None:
                continue
            if not matched:
                source_tag = self.index.match_start_tag(tag, el.sourceline, attribute, value)
                matched = True
                if source_tag is not None:  # bare URLs are searched for after it
                    self.text_cursor = max(self.text_cursor, source_tag.stop)
            raw = source_tag.attrs().get(attribute) if source_tag is not None else None
            fallback = el.get("alt") or el.get("title") or el.get("aria-label") or ""
            if attribute == "srcset":
                opened.extend(self._srcset(el, tag, kind, value, raw, fallback))
                continue
            offset = raw.offset if raw is not None else None
            opened.append(
                _Pending(
                    kind,
                    tag,
                    attribute,
                    value,
                    self._location(offset, el.sourceline),
                    self.flen,
                    rel=rel,
                    fallback_text=fallback,
                )
            )
        return opened

    def _srcset(
        self,
        el: lxml.html.HtmlElement,
        tag: str,
        kind: CitationKind,
        value: str,
        raw: Attr | None,
        fallback: str,
    ) -> list[_Pending]:
        """One pending citation per ``srcset`` candidate, each at its own offset."""
        opened: list[_Pending] = []
        cursor = 0
        for url, position in srcset_candidates(value):
            offset = None
            if raw is not None:
                offset, cursor = _candidate_offset(raw, value, url, position, cursor)
            opened.append(
                _Pending(
                    kind,
                    tag,
                    "srcset",
                    url,
                    self._location(offset, el.sourceline),
                    self.flen,
                    fallback_text=fallback,
                )
            )
        return opened

    def _lost_link(self, el: lxml.html.HtmlElement, rel: tuple[str, ...]) -> list[_Pending]:
        """An ``<a>`` without ``href``: a lost link, unless it is an anchor or a control.

        Dropped later if it has no text either (nothing a reader could click).
        """
        if el.get("name") is not None or el.get("id") is not None:
            return []  # a named anchor: a link target, not a link
        if el.get("onclick") is not None or el.get("role") is not None:
            return []  # a scripted control, not a citation
        source_tag = self.index.match_start_tag("a", el.sourceline, None, "")
        offset = source_tag.start if source_tag is not None else None
        return [
            _Pending(
                CitationKind.LOST,
                "a",
                "href",
                None,
                self._location(offset, el.sourceline),
                self.flen,
                rel=rel,
                lost_reason=Reason.EMPTY_HREF,
                drop_if_empty=True,
                fallback_text=el.get("title") or el.get("aria-label") or "",
            )
        ]

    def _open(self, el: lxml.html.HtmlElement, tag: str) -> list[_Pending]:
        """Enter an element: block separators, counters of what its text is, its citations."""
        if tag in BLOCKS:
            self._sep()
            if tag in PARAGRAPHS:
                self.paragraph += 1
        if tag in NO_BARE_URLS:
            self.no_bare += 1
        if tag in HIDDEN:
            self.hidden += 1
        opened = self._start(el, tag) if tag in _URL_ATTRS else []
        if opened:
            self.pending.extend(opened)
            if tag == "a":
                self.open_links.extend(p for p in opened if p.element == "a")
        if tag == "br":
            self._add_text(" ", None)
        self._add_text(el.text, el.sourceline)
        return opened

    def _close(self, el: lxml.html.HtmlElement, tag: str, opened: list[_Pending]) -> None:
        """Leave an element: its citations' text ends here; undo what ``_open`` counted."""
        for item in opened:
            item.end = self.flen
        if tag == "a" and opened:
            for item in opened:
                if self.open_links and self.open_links[-1] is item:
                    self.open_links.pop()
        if tag in NO_BARE_URLS:
            self.no_bare -= 1
        if tag in HIDDEN:
            self.hidden -= 1
        if tag in BLOCKS:
            self._sep()

    def walk(self, root: lxml.html.HtmlElement) -> None:
        """Walk ``root``'s subtree in document order (chrome skipped when asked).

        An element's tail text belongs to its parent, so it is added after the
        element closes; the root's tail lies outside the walk.
        """
        # Frames: (tag, pendings opened at its start); "#chrome" for a skipped subtree.
        stack: list[tuple[str, list[_Pending]]] = []
        walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        for event, el in walker:
            tag_obj = el.tag
            if not isinstance(tag_obj, str):  # comment / processing instruction
                if el is not root:
                    self._add_text(el.tail, el.sourceline)
                continue
            tag = tag_obj.lower()
            if event == "start":
                if el in self.skip:
                    walker.skip_subtree()
                    stack.append(("#chrome", []))
                else:
                    stack.append((tag, self._open(el, tag)))
                continue
            tag, opened = stack.pop()
            if tag != "#chrome":
                self._close(el, tag, opened)
            if el is not root:
                self._add_text(el.tail, el.sourceline)

    def citations(self) -> list[Citation]:
        """The citations, in order (the walk is over: every pending one is made now)."""
        self._settle(final=True)
        made, self.made = self.made, []
        return made

    def _settle(self, *, final: bool) -> None:
        """Make the citations whose text and sentence are known, oldest first.

        A citation is known once its element has closed and the walk is a context
        window (``context.WINDOW``) past its end; one still open (a long
        blockquote) holds back those after it, so the order stays the document's.
        """
        pending = self.pending
        while pending:
            item = pending[0]
            end = item.end if item.end >= item.start else item.start
            if not final and (item.end < 0 or end + WINDOW > self.flen):
                return
            pending.popleft()
            made = self._make(item, end)
            if made is not None:
                self.made.append(made)

    def _make(self, item: _Pending, end: int) -> Citation | None:
        lo = max(0, item.start - WINDOW)
        window = self.flat.slice(lo, min(self.flen, end + WINDOW))
        start, stop = item.start - lo, end - lo
        if item.text_override is not None:
            text = item.text_override
        elif start != stop and item.element in _TEXT_CARRIERS:
            text = collapse(window[start:stop].replace(SEP, " "))
        else:
            text = ""
        if item.element in {"blockquote", "del", "ins"} and len(text) > 120:
            text = text[:119].rstrip() + "…"
        if not text:
            alts = item.children_alt or ()
            text = next((a.strip() for a in alts), "") or item.fallback_text.strip()
        text = collapse(text)
        if item.kind is CitationKind.LOST and item.drop_if_empty and not text:
            return None
        context = sentence_around(window, start, stop)
        if item.kind is CitationKind.LOST:
            return lost_citation(
                self.env,
                text=text,
                context=context,
                location=item.location,
                reason=item.lost_reason,
                attribute=item.attribute,
                rel=item.rel,
            )
        assert item.written is not None
        return url_citation(
            self.env,
            item.kind,
            item.written,
            text=text,
            context=context,
            location=item.location,
            element=item.element,
            attribute=item.attribute,
            rel=item.rel,
            resolved=item.resolved,
        )


class _FlatText:
    """The walk's flat text, appended a piece at a time, readable by offset.

    A page's text arrives as one small string per text node (two per link on a
    page of links); held as they come, that is ~100 B of overhead a link.  Every
    ``_CHUNK`` pieces are joined into one string, and a slice joins only the
    chunks it touches.
    """

    _CHUNK = 512

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.starts: list[int] = []  # offset of each chunk's first character
        self.length = 0
        self.tail: list[str] = []

    def append(self, text: str) -> None:
        self.tail.append(text)

    def settled(self) -> bool:
        """Whether the pieces just became a chunk (a good moment to make citations)."""
        if len(self.tail) < self._CHUNK:
            return False
        self._close_tail()
        return True

    def _close_tail(self) -> None:
        if self.tail:
            chunk = "".join(self.tail)
            self.tail = []
            self.starts.append(self.length)
            self.chunks.append(chunk)
            self.length += len(chunk)

    def slice(self, lo: int, hi: int) -> str:
        """The text in ``[lo, hi)``."""
        if hi > self.length:
            self._close_tail()
        first = max(bisect.bisect_right(self.starts, lo) - 1, 0)
        pieces: list[str] = []
        for index in range(first, len(self.chunks)):
            begin = self.starts[index]
            if begin >= hi:
                break
            chunk = self.chunks[index]
            pieces.append(chunk[max(lo - begin, 0) : hi - begin])
        return "".join(pieces)

    def text(self) -> str:
        self._close_tail()
        return "".join(self.chunks)


def _first_base_href(root: lxml.html.HtmlElement) -> str | None:
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None and href.strip():
            return str(href)
    return None


def _following(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The first element after ``element`` and all its descendants, in document order."""
    node: lxml.html.HtmlElement | None = element
    while node is not None:
        following = node.getnext()
        while following is not None and not isinstance(following.tag, str):
            following = following.getnext()
        if following is not None:
            return following
        node = node.getparent()
    return None


def _source_span(index: SourceIndex, element: lxml.html.HtmlElement) -> tuple[int, int]:
    """Source offsets an element spans, for filtering what the tree cannot see (stray ``</a>``).

    Falls back to the whole source when the start tag cannot be located.
    """

    def locate(el: lxml.html.HtmlElement) -> Tag | None:
        keys = {k: v for k in ("id", "class") if (v := el.get(k)) is not None}
        return index.find_start(str(el.tag), el.sourceline, keys)

    start_tag = locate(element)
    if start_tag is None:
        return 0, len(index.text)
    following = _following(element)
    end_tag = locate(following) if following is not None else None
    return start_tag.start, end_tag.start if end_tag is not None else len(index.text)


def article_body(
    root: lxml.html.HtmlElement,
    document: Document,
    env: Env,
    bodies: BodySelectors = NO_SELECTORS,
) -> Body:
    """The article body of a parsed full page (see :mod:`linkaudit.extract.body`).

    Links to any address the page gives itself count as links to its own site;
    a selector configured for the document's site is tried before the heuristics.
    """
    addresses = (document.base_url, document.canonical_url, env.base, *page_addresses(root))
    return find_body(
        root,
        site_hosts=site_hosts(*addresses),
        selector=bodies.selector_for(document),
        pages=page_forms(*addresses),
    )


@dataclass(frozen=True)
class HtmlRead:
    """What one walk over an HTML document found: citations, flat text, scope decision.

    ``flat`` is the visible text of the walked part with ``SEP`` at block
    boundaries; ``scope`` is None unless the article body of a full page was sought.
    """

    citations: list[Citation]
    flat: str
    scope: ScopeDecision | None


def read_html(
    document: Document,
    *,
    scope: Scope = Scope.ARTICLE,
    bodies: BodySelectors = NO_SELECTORS,
    text: str | None = None,
    whole_page: bool | None = None,
    line_offset: int = 0,
    base_offset: int = 0,
    bare_urls: bool = True,
    env: Env | None = None,
) -> HtmlRead:
    """Walk an HTML document (or an HTML fragment inside another document) once.

    ``text``/``line_offset``/``base_offset`` let the Markdown extractor run this
    on raw HTML embedded in Markdown and still report Markdown positions.
    """
    source = sanitize(document.text if text is None else text)
    index = SourceIndex(source, line_offset=line_offset, base_offset=base_offset)
    whole = document.whole_page if whole_page is None else whole_page
    root = _parse(source, index.tags)
    if env is None:
        env = env_for(document, _base_url(root, document) if whole else document.base_url)
    if root is None:
        return HtmlRead(_strays(index, env, [(0, len(source))], base_offset), "", None)
    found = article_body(root, document, env, bodies) if whole and scope is Scope.ARTICLE else None
    walker = _Walker(
        index,
        env,
        bare_urls=bare_urls,
        line_offset=line_offset,
        skip=found.skip if found is not None else frozenset(),
    )
    walker.walk(_walked(root, found))
    citations = walker.citations()
    strays = _strays(index, env, _stray_spans(index, root, found), base_offset)
    if strays:
        citations.extend(strays)
        citations.sort(key=lambda c: (c.location.line, c.location.column))
    return HtmlRead(citations, walker.flat.text(), found.decision if found else None)


def _base_url(root: lxml.html.HtmlElement | None, document: Document) -> str | None:
    """The document's base URL, as the page's own ``<base href>`` sets it."""
    declared = _first_base_href(root) if root is not None else None
    if declared is None:
        return document.base_url
    return urls.resolve(declared, document.base_url)


def _walked(root: lxml.html.HtmlElement, found: Body | None) -> lxml.html.HtmlElement:
    if found is not None:
        return found.root
    body = root.find("body")
    return body if body is not None else root


def _stray_spans(
    index: SourceIndex, root: lxml.html.HtmlElement, found: Body | None
) -> list[tuple[int, int]]:
    """Source spans where stray ``</a>`` count: the article, minus the chrome left out."""
    whole = (0, len(index.text))
    if found is None or found.root is root or found.root is root.find("body"):
        spans = [whole]
    else:
        spans = [_source_span(index, found.root)]
    for skipped in found.skip if found is not None else ():
        start, stop = _source_span(index, skipped)
        if (start, stop) != whole:
            spans = [piece for span in spans for piece in _cut(span, start, stop)]
    return spans


def _cut(span: tuple[int, int], start: int, stop: int) -> list[tuple[int, int]]:
    """``span`` without ``[start, stop)``."""
    lo, hi = span
    if stop <= lo or start >= hi:
        return [span]
    return [s for s in ((lo, start), (stop, hi)) if s[0] < s[1]]


def _strays(
    index: SourceIndex, env: Env, spans: list[tuple[int, int]], base_offset: int
) -> list[Citation]:
    """Lost links of stray ``</a>`` whose position falls in one of ``spans``."""
    return [
        c
        for c in stray_link_ends(index, env)
        if c.location.offset is not None
        and any(lo <= c.location.offset - base_offset < hi for lo, hi in spans)
    ]


def extract_html(
    document: Document,
    *,
    scope: Scope = Scope.ARTICLE,
    bodies: BodySelectors = NO_SELECTORS,
    text: str | None = None,
    whole_page: bool | None = None,
    line_offset: int = 0,
    base_offset: int = 0,
    bare_urls: bool = True,
    env: Env | None = None,
) -> list[Citation]:
    """Citations of an HTML document (see :func:`read_html` for the arguments)."""
    return read_html(
        document,
        scope=scope,
        bodies=bodies,
        text=text,
        whole_page=whole_page,
        line_offset=line_offset,
        base_offset=base_offset,
        bare_urls=bare_urls,
        env=env,
    ).citations
