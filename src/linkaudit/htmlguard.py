"""Hostile HTML made cheap to parse, without moving a single character.

libxml2's HTML parser checks each attribute of a start tag against all the
earlier ones (duplicates are dropped), so one element with 100,000 attributes
costs it 5 * 10**9 comparisons: two minutes for a 1.3 MB page.  No real page
has more than a few dozen attributes on an element; past ``MAX_ATTRIBUTES`` the
rest are blanked out with spaces (newlines kept), so every offset and line of
the text the parser sees is still the offset and line of the source, and the
citations found keep pointing at the right bytes.  Attributes that carry a URL
(``href``, ``src`` ...) are kept wherever they stand, so a link is not lost to
the cap.
"""

from __future__ import annotations

import re

#: Attributes of one start tag that are parsed; the rest are blanked.
MAX_ATTRIBUTES = 256

#: A whole start tag, quoted values (which may hold ">") included; linear, since the
#: alternatives start with different characters.  Unquoted text is taken a run at a
#: time and the repeat is possessive: repeating a group one character at a time
#: kept ~170 B of backtracking state per character, 227 MB for one 1.3 MB tag.
_START_TAG = re.compile(r"""<([A-Za-z][^\t\n\f\r />]*)(?:"[^"]*"|'[^']*'|[^'">]+)*+>?""")
_ATTRIBUTE = re.compile(
    r"""[\t\n\f\r /]*([^\t\n\f\r "'>/=]+)"""
    r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]*))?"""
)
_NOT_NEWLINE = re.compile(r"[^\n]")
#: Attribute names that hold a URL somewhere in HTML: never blanked.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "srcset", "cite", "data", "poster", "action", "background", "longdesc"}
)


def tame_attributes(text: str, limit: int = MAX_ATTRIBUTES) -> str:
    """``text`` with the attributes past ``limit`` of any start tag blanked out.

    Returns ``text`` itself (not a copy) when no tag is that long, which is
    every page anyone wrote by hand or by CMS.
    """
    if len(text) < 2 * limit or ">" not in text:
        return text
    pieces: list[str] = []
    last = 0
    for tag in _START_TAG.finditer(text):
        if tag.end() - tag.start() < 2 * limit:
            continue  # the common case: a short tag, not worth counting
        count = 0
        at, stop = tag.end(1), tag.end()
        while at < stop:
            attribute = _ATTRIBUTE.match(text, at, stop)
            if attribute is None or attribute.end() == at:
                break
            count += 1
            if count > limit and attribute.group(1).lower() not in URL_ATTRIBUTES:
                pieces.append(text[last : attribute.start()])
                pieces.append(_NOT_NEWLINE.sub(" ", attribute.group()))
                last = attribute.end()
            at = attribute.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)
