"""A fast pass over raw HTML that keeps what a tree parser throws away: positions.

lxml reports only the line on which a start tag ends, and it silently drops end
tags that close nothing (the ``</a>`` of a stripped link).  This tokenizer walks
the source once with regular expressions and records, for every start and end
tag, its exact character offset and its attributes' value offsets, so citations
can point at the byte a repair has to rewrite, and lost links can be found at all.

It is deliberately not a full HTML5 tokenizer: comments, doctypes, CDATA and
raw-text elements (script, style, ...) are skipped; anything else that looks like
a tag is a tag.  Every pattern is linear-time and bounded, so hostile input costs
at most a constant factor.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

_TOKEN_RE = re.compile(
    r"""<!--.*?(?:-->|\Z)"""  # comment (unterminated: to the end)
    r"""|<![^>]{0,10000}>?"""  # doctype, CDATA start, bogus comment
    r"""|<\?[^>]{0,10000}>?"""  # processing instruction
    r"""|<(/?)([A-Za-z][^\t\n\f\r />]{0,100})"""  # tag name
    r"""((?:"[^"]{0,20000}"|'[^']{0,20000}'|[^'">]){0,20000})>""",  # attributes
    re.S,
)
_ATTR_RE = re.compile(
    r"""([^\t\n\f\r "'>/=]+)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]+)))?"""
)
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed"})


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute: decoded value and where the raw value starts in the source."""

    name: str
    value: str
    raw: str
    offset: int  # offset of the first character of the raw value (after any quote)


@dataclass(frozen=True, slots=True)
class Tag:
    """A start or end tag as written.

    A page of 400,000 links has a million tags, so a tag holds no text of its own:
    its name is shared with every tag of that name, and its attributes are read
    from the source it points to when asked (a copy of each tag's attribute text
    was ~80 B a tag).
    """

    name: str  # lower-case, one shared string per name
    end: bool  # True for ``</name>``
    start: int  # offset of ``<``
    stop: int  # offset just after ``>``
    attrs_offset: int
    source: str = field(repr=False, compare=False)

    @property
    def attrs_text(self) -> str:
        """The raw text between the tag name and the closing ``>``."""
        return self.source[self.attrs_offset : self.stop - 1]

    def attrs(self) -> dict[str, Attr]:
        """Parsed lazily: most tags are never asked (first occurrence wins, as in HTML)."""
        return _parse_attrs(self.attrs_text, self.attrs_offset)


@lru_cache(maxsize=256)
def _parse_attrs(attrs_text: str, attrs_offset: int) -> dict[str, Attr]:
    """Attributes of one start tag (cached: the same tag is asked more than once)."""
    found: dict[str, Attr] = {}
    for match in _ATTR_RE.finditer(attrs_text):
        name = match.group(1).lower()
        if name in found:
            continue
        for group in (2, 3, 4):
            raw = match.group(group)
            if raw is not None:
                found[name] = Attr(
                    name,
                    html.unescape(raw) if "&" in raw else raw,
                    raw,
                    attrs_offset + match.start(group),
                )
                break
        else:
            found[name] = Attr(name, "", "", attrs_offset + match.end())
    return found


class SourceIndex:
    """Line starts and the tag list of one HTML source, for offset <-> line:column."""

    def __init__(self, text: str, *, line_offset: int = 0, base_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset  # added to lines (HTML embedded in Markdown)
        self.base_offset = base_offset  # added to offsets (idem)
        self._line_starts = [0]
        self._line_starts.extend(m.end() for m in re.finditer("\n", text))
        self.tags = tokenize(text)
        self._by_name: dict[str, list[Tag]] = {}
        for tag in self.tags:
            if not tag.end:
                self._by_name.setdefault(tag.name, []).append(tag)
        self._cursor: dict[str, int] = {}

    def line_of(self, offset: int) -> int:
        """1-based line number of ``offset`` within this source."""
        return bisect.bisect_right(self._line_starts, offset)

    def line_start(self, line: int) -> int:
        index = min(max(line - 1, 0), len(self._line_starts) - 1)
        return self._line_starts[index]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``offset``, shifted into the enclosing document."""
        line = self.line_of(offset)
        column = offset - self._line_starts[line - 1] + 1
        return line + self.line_offset, column

    def match_start_tag(
        self, name: str, sourceline: int | None, attr: str | None, value: str
    ) -> Tag | None:
        """Find the source start tag lxml built an element from.

        lxml yields elements in document order and so does the source, so a
        cursor per tag name only moves forward; a short look-ahead tolerates tags
        lxml dropped or moved.  ``sourceline`` (where lxml saw the tag end) rules
        out tags on later lines.
        """
        tags = self._by_name.get(name)
        if not tags:
            return None
        cursor = self._cursor.get(name, 0)
        for index in range(cursor, min(cursor + 64, len(tags))):
            tag = tags[index]
            if sourceline is not None and self.line_of(tag.start) > sourceline:
                break
            if attr is None:  # an element without href: the first such tag
                if "href" not in tag.attrs():
                    self._cursor[name] = index + 1
                    return tag
                continue
            found = tag.attrs().get(attr)
            if found is not None and _same_value(found.value, value):
                self._cursor[name] = index + 1
                return tag
        return None

    def find_start(self, name: str, sourceline: int | None, attrs: dict[str, str]) -> Tag | None:
        """The start tag of a given element (no cursor): by line, then by id/class."""
        tags = self._by_name.get(name)
        if not tags or sourceline is None:
            return None
        lo = bisect.bisect_left([t.start for t in tags], self.line_start(max(sourceline - 50, 1)))
        fallback: Tag | None = None
        for tag in tags[lo:]:
            first = self.line_of(tag.start)
            if first > sourceline:
                break
            if self.line_of(tag.stop) < sourceline:
                continue
            found = tag.attrs()
            if all(found.get(k) is not None and found[k].value == v for k, v in attrs.items()):
                return tag
            fallback = fallback or tag
        return fallback


def _same_value(a: str, b: str) -> bool:
    if a == b:
        return True
    # lxml replaced characters it could not keep (NUL, bad surrogates) and
    # normalises some whitespace; compare loosely rather than lose the position.
    return " ".join(a.split()) == " ".join(b.split())


def tokenize(text: str) -> list[Tag]:
    """All start and end tags in ``text``, in order, skipping raw-text element bodies."""
    tags: list[Tag] = []
    names: dict[str, str] = {}
    pos, n = 0, len(text)
    search = _TOKEN_RE.search
    lower = text.lower() if len(text) < 50_000_000 else text
    while pos < n:
        lt = text.find("<", pos)
        if lt == -1:
            break
        match = search(text, lt)
        if match is None:
            break
        if match.start() != lt:
            # A '<' that starts no token is text; continue from the next token.
            lt = match.start()
        name = match.group(2)
        pos = match.end()
        if name is None:
            continue
        lname = name.lower()
        lname = names.setdefault(lname, lname)
        is_end = bool(match.group(1))
        tags.append(Tag(lname, is_end, lt, pos, match.start(3), text))
        if not is_end and lname in _RAW_TEXT and not match.group(3).rstrip().endswith("/"):
            close = lower.find("</" + lname, pos)
            pos = n if close == -1 else close
    return tags
