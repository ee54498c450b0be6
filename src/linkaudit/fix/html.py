"""Tags and attribute spans in HTML source, for rewriting one attribute value in place.

The extractor records where an attribute value starts; a rewrite also needs
where it ends, which quote delimits it, and where the whole attribute ends (to
insert new attributes right after it).  This reads one tag at a time from the
source, with the same tokenisation rules as ``linkaudit.extract.source`` (a tag
ends at the first ``>`` outside quotes; the first of duplicate attributes wins,
as in browsers), so both modules agree on what a tag and its attributes are.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["AttrSpan", "TagSpan", "tag_at"]

_TAG_RE = re.compile(
    r"""<([A-Za-z][^\t\n\f\r />]{0,100})((?:"[^"]{0,20000}"|'[^']{0,20000}'|[^'">]){0,20000})>""",
    re.S,
)
_ATTR_RE = re.compile(
    r"""([^\t\n\f\r "'>/=]+)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]+)))?"""
)
_LOOKBACK = 40_000
_CANDIDATES = 64  # bounds the walk back on hostile input


@dataclass(frozen=True)
class AttrSpan:
    """One attribute as written.

    ``value_start``/``value_end`` delimit the raw value without its quotes;
    ``quote`` is ``"``, ``'``, ``""`` for an unquoted value, or None when the
    attribute has no value at all (then the value span is empty, at ``end``).
    """

    name: str
    name_start: int
    value_start: int
    value_end: int
    quote: str | None
    end: int
    raw: str

    @property
    def value(self) -> str:
        return html.unescape(self.raw)


@dataclass(frozen=True)
class TagSpan:
    """A start tag: its name, its span and its attributes (first occurrence of each name)."""

    name: str
    start: int
    stop: int
    name_end: int
    attrs: dict[str, AttrSpan]


def _parse(match: re.Match[str]) -> TagSpan:
    attrs: dict[str, AttrSpan] = {}
    base = match.start(2)
    for attr in _ATTR_RE.finditer(match.group(2)):
        name = attr.group(1).lower()
        if name in attrs:
            continue
        for group, quote in ((2, '"'), (3, "'"), (4, "")):
            raw = attr.group(group)
            if raw is not None:
                attrs[name] = AttrSpan(
                    name,
                    base + attr.start(1),
                    base + attr.start(group),
                    base + attr.end(group),
                    quote,
                    base + attr.end(),
                    raw,
                )
                break
        else:
            end = base + attr.end()
            attrs[name] = AttrSpan(name, base + attr.start(1), end, end, None, end, "")
    return TagSpan(match.group(1).lower(), match.start(), match.end(), match.end(1), attrs)


def tag_at(text: str, offset: int) -> TagSpan | None:
    """The start tag whose span contains ``offset`` (``<`` included), if any.

    Walks back over ``<`` candidates, so a ``<`` inside an earlier quoted value
    (``title="a<b"``) yields a match that ends before ``offset`` and is passed over.
    """
    lowest = max(0, offset - _LOOKBACK)
    position = offset + 1
    for _ in range(_CANDIDATES):
        position = text.rfind("<", lowest, position)
        if position == -1:
            return None
        match = _TAG_RE.match(text, position)
        if match is not None and match.start() <= offset < match.end():
            return _parse(match)
    return None
