"""Citations in Markdown, parsed by markdown-it-py (CommonMark, tables, no linkify).

A real parser, because hand-written Markdown link parsing gets reference links,
code spans and raw HTML wrong.  Its configuration (links kept as written, even
``javascript:`` ones) lives in ``linkaudit.extract.markdown_parser``, shared with
``fix``, whose repair offsets depend on parsing exactly as extraction does.

Raw HTML blocks and inline HTML go through the HTML extractor with their
Markdown line numbers.  Bare URLs and DOIs in text are citations too, except in
code spans and code blocks.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from linkaudit.extract.common import Env, env_for, url_citation
from linkaudit.extract.context import collapse, sentence_around
from linkaudit.extract.html import extract_html, sanitize
from linkaudit.extract.text import find_text_urls
from linkaudit.model import Citation, CitationKind, Document, Location, Scope

__all__ = ["extract_markdown"]

_SEP = "\x00"
_ATTRIBUTE = {CitationKind.IMAGE: "src", CitationKind.TEXT_URL: "", CitationKind.DOI: ""}


@functools.cache
def _parser() -> Any:
    """The shared Markdown parser (``markdown_parser``), built once on first use.

    Imported here, not at the top: markdown-it is imported only by runs that
    meet Markdown.
    """
    from linkaudit.extract.markdown_parser import markdown_parser

    return markdown_parser()


@dataclass
class _Link:
    kind: CitationKind
    href: str
    start: int  # in the block's flat text
    end: int = -1
    text: list[str] = field(default_factory=list)
    location: Location | None = None
    resolved: str | None = None
    written_text: str | None = None
    opened_at: int | None = None  # the source offset of its "[", when found by that


class _Positions:
    """Line starts of the Markdown source, and a forward search cursor per block."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_start(self, line0: int) -> int:
        return self.starts[min(max(line0, 0), len(self.starts) - 1)]

    def locate(self, needle: str, lo: int, hi: int, paragraph: int) -> tuple[Location, int] | None:
        if not needle:
            return None
        pos = self.text.find(needle, lo, hi)
        if pos == -1:
            return None
        line = bisect.bisect_right(self.starts, pos)
        column = pos - self.starts[line - 1] + 1
        return Location(line, column, paragraph, pos), pos + len(needle)


class _Placer:
    """Where each link of one inline token is, searched forward through its source lines.

    It keeps a cursor, so repeated hrefs in one paragraph are found in order.
    ``alternative`` (the ``[`` or ``![`` opening the link) is tried when the needle
    is not in the source as written (escapes, reference links); such a position
    has no exact offset, and once the link is over (:meth:`skip_link`) the cursor
    moves past all of its syntax (``[text][label]``, ``[text][]``, ``[text]``,
    ``[text](...)``), so the next link's ``[`` is never found inside it.
    """

    def __init__(self, pos: _Positions, lo: int, hi: int, paragraph: int, fallback: Location):
        self.pos, self.hi, self.paragraph, self.fallback = pos, hi, paragraph, fallback
        self.cursor = lo
        self.opened_at: int | None = None  # where the last alternative match began

    def __call__(self, needle: str, alternative: str) -> Location:
        self.opened_at = None
        for candidate in (needle, alternative):
            found = self.pos.locate(candidate, self.cursor, self.hi, self.paragraph)
            if found is not None:
                location, self.cursor = found
                if candidate is alternative:
                    self.opened_at = location.offset
                    location = Location(location.line, location.column, self.paragraph, None)
                return location
        return self.fallback

    def skip_link(self, start: int | None) -> None:
        """Move the cursor past the link whose ``[`` (or ``![``) is at ``start``."""
        if start is not None:
            self.cursor = max(self.cursor, _link_end(self.pos.text, start, self.hi))


def _link_end(text: str, start: int, hi: int) -> int:
    """The end of the link syntax opening at ``start``: its bracketed text, then a
    ``[label]`` or a ``(destination)`` when one follows (escapes honoured)."""
    i = start + (2 if text.startswith("![", start) else 1)
    depth = 1
    while i < hi and depth:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        i += 1
    if depth:
        return start + 1
    closer = {"[": "]", "(": ")"}.get(text[i] if i < hi else "")
    if closer is None:
        return i
    opener, depth, j = text[i], 1, i + 1
    while j < hi and depth:
        char = text[j]
        if char == "\\":
            j += 2
            continue
        depth += 1 if char == opener else -1 if char == closer else 0
        j += 1
    return j if not depth else i


def _image_link(child: Any, alt: str, text_offset: int, place: _Placer) -> _Link:
    """An image as a link whose anchor is its alt text (the reader sees that, if anything)."""
    src = str(child.attrGet("src") or "")
    link = _Link(
        CitationKind.IMAGE, src, text_offset, text_offset + len(alt), [alt], place(src, "![")
    )
    place.skip_link(place.opened_at)  # an image has no closing token: it ends here
    return link


def _inline_links(children: Iterable[Any], place: _Placer) -> tuple[str, list[_Link]]:
    """The flat text of an inline token's children, and its links with their spans in it.

    The flat text is what a reader sees (link markup gone, images as their alt
    text, line breaks as spaces); anchor texts and sentences are cut from it.
    """
    flat: list[str] = []
    text_offset = 0  # len("".join(flat)), kept as the walk goes
    links: list[_Link] = []
    open_links: list[_Link] = []
    for child in children:
        kind = child.type
        if kind == "link_open":
            href = str(child.attrGet("href") or "")
            link = _Link(CitationKind.LINK, href, text_offset, location=place(href, "["))
            link.opened_at = place.opened_at
            open_links.append(link)
            links.append(link)
        elif kind == "link_close":
            if open_links:
                closed = open_links.pop()
                closed.end = text_offset
                place.skip_link(closed.opened_at)
        elif kind == "image":
            alt = child.content or ""
            links.append(_image_link(child, alt, text_offset, place))
            flat.append(alt)
            text_offset += len(alt)
        elif kind in {"text", "code_inline"}:
            content = child.content or ""
            if kind == "text" and not open_links:  # bare URLs and DOIs (inline: hot loop)
                for found in find_text_urls(content):
                    links.append(
                        _Link(
                            found.kind,
                            found.written,
                            text_offset + found.start,
                            text_offset + found.end,
                            [found.written],
                            location=place(found.written, ""),
                            resolved=found.url,
                        )
                    )
            flat.append(content)
            text_offset += len(content)
        elif kind in {"softbreak", "hardbreak"}:
            flat.append(" ")
            text_offset += 1
    return "".join(flat), links


def _citation(env: Env, link: _Link, text: str, fallback: Location) -> Citation:
    """The citation of one link, its anchor and sentence cut from the token's flat text.

    A link left open (no ``link_close`` in the token) runs to the end of the text.
    """
    end = link.end if link.end >= link.start else len(text)
    anchor = collapse(" ".join(link.text)) if link.text else collapse(text[link.start : end])
    return url_citation(
        env,
        link.kind,
        link.href,
        text=anchor,
        context=sentence_around(text, link.start, end, separator=_SEP),
        location=link.location or fallback,
        element="markdown",
        attribute=_ATTRIBUTE.get(link.kind, "href"),
        resolved=link.resolved,
    )


def _inline(
    token: Any, env: Env, pos: _Positions, paragraph: int, lo: int, hi: int
) -> list[Citation]:
    """Links, images and bare URLs of one inline token (a paragraph, heading, cell...)."""
    fallback = Location(bisect.bisect_right(pos.starts, lo), 1, paragraph)
    place = _Placer(pos, lo, hi, paragraph, fallback)
    text, links = _inline_links(token.children or (), place)
    citations: list[Citation] = []
    for link in links:
        citations.append(_citation(env, link, text, fallback))
    return citations


def extract_markdown(document: Document) -> list[Citation]:
    """All citations of a Markdown document, in source order."""
    source = sanitize(document.text)
    env = env_for(document)
    pos = _Positions(source)
    try:
        tokens = _parser().parse(source)
    except Exception:  # markdown-it has no documented error type; never crash on input
        return []
    citations: list[Citation] = []
    paragraph = 0
    for token in tokens:
        if token.type in {"paragraph_open", "heading_open", "th_open", "td_open"}:
            paragraph += 1
        if token.map is None:
            continue
        first, last = token.map
        lo, hi = (
            pos.line_start(first),
            pos.line_start(last) if last < len(pos.starts) else len(source),
        )
        if token.type == "html_block":
            citations.extend(
                extract_html(
                    document,
                    scope=Scope.PAGE,
                    text=source[lo:hi],
                    whole_page=False,
                    line_offset=first,
                    base_offset=lo,
                    env=env,
                )
            )
        elif token.type == "inline":
            citations.extend(_inline(token, env, pos, paragraph or 1, lo, hi))
            if any(child.type == "html_inline" for child in token.children or ()):
                citations.extend(
                    extract_html(
                        document,
                        scope=Scope.PAGE,
                        text=source[lo:hi],
                        whole_page=False,
                        line_offset=first,
                        base_offset=lo,
                        env=env,
                        bare_urls=False,
                    )
                )
    citations.extend(_too_deep(tokens, env, pos, paragraph))
    citations.sort(key=lambda c: (c.location.line, c.location.column))
    return citations


#: Block-quote and list markers at the start of a line, however many.
_CONTAINERS = re.compile(r"(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+[ \t]*")
#: A link reference definition: markdown-it keeps no token for it (its links are).
_DEFINITION = re.compile(r"[ \t]{0,3}\[[^\]]+\]:")
#: Blocks whose lines markdown-it did read (a container alone reads nothing).
_LEAVES = frozenset({"inline", "html_block", "fence", "code_block", "hr"})


def _too_deep(tokens: list[Any], env: Env, pos: _Positions, paragraph: int) -> list[Citation]:
    """Links on lines markdown-it dropped: past its nesting limit (block quotes or
    lists nested deeper than it follows), it stops reading, and everything inside
    and after the too-deep container is lost to it.  A reader's renderer (cmark,
    GitHub) shows those lines, so each is read as the inline text it holds once
    its container markers are stripped.  Only when the limit was reached: on
    ordinary documents every line with content belongs to a token."""
    limit = int(_parser().options["maxNesting"])
    if not any(token.level >= limit - 1 for token in tokens):
        return []
    covered: set[int] = set()
    for token in tokens:
        if token.type in _LEAVES and token.map is not None:
            covered.update(range(token.map[0], token.map[1]))
    citations: list[Citation] = []
    lines = pos.text.split("\n")
    for number, line in enumerate(lines):
        if number in covered or _DEFINITION.match(line):
            continue
        markers = _CONTAINERS.match(line)
        start = markers.end() if markers else 0
        if not line[start:].strip():
            continue
        paragraph += 1
        lo = pos.line_start(number) + start
        (inline,) = _parser().parseInline(line[start:])
        citations.extend(_inline(inline, env, pos, paragraph, lo, lo + len(line) - start))
    return citations
