"""Lost links: anchor text whose ``<a href>`` is gone, found from closing tags alone.

When a sanitiser or a bad copy-paste strips opening tags, the reader still sees
the anchor text, but it links nowhere; HTML parsers drop the orphaned ``</a>``
without a trace.  So this works on the source tokens: an ``</a>`` that closes no
``<a>`` marks the end of a lost link, and its anchor text is the text run just
before it (behind any inline closing tags that wrapped the text inside the link,
as in ``recently </span>floated the idea</span></a>``).
"""

from __future__ import annotations

import bisect
import html
import re

from linkaudit.extract.common import Env, lost_citation
from linkaudit.extract.context import SENTENCE_BREAKS, collapse, sentence_around
from linkaudit.extract.source import SourceIndex, Tag
from linkaudit.model import Citation, Location
from linkaudit.reasons import Reason

#: Closing tags that can sit inside a link around its text.
INLINE = frozenset(
    [
        "span",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "small",
        "mark",
        "sub",
        "sup",
        "font",
        "abbr",
        "cite",
        "code",
        "time",
        "bdi",
        "bdo",
    ]
)
_CONTEXT_WINDOW = 600
_MAX_ANCHOR = 80
_TAG_RE = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*>|<[^>]*$|^[^<]*>")
_SEP = "\x00"


def _strip_tags(markup: str) -> str:
    """Visible text of a markup window, block tags turned into separators."""

    def replace(match: re.Match[str]) -> str:
        name = (match.group(2) or "").lower()
        return _SEP if name in SENTENCE_BREAKS else ""

    return html.unescape(_TAG_RE.sub(replace, markup))


def _anchor_run(index: SourceIndex, position: int) -> tuple[int, int]:
    """Source span of the lost anchor text ending at tag number ``position``."""
    tags, text = index.tags, index.text
    k = position
    while k > 0:
        previous = tags[k - 1]
        if (
            previous.end
            and previous.name in INLINE
            and not text[previous.stop : tags[k].start].strip()
        ):
            k -= 1
        else:
            break
    run_start = tags[k - 1].stop if k > 0 else 0
    return run_start, tags[k].start


def _trim_run(raw: str) -> tuple[int, str]:
    """The anchor text of a run, and how many source chars were cut from its start.

    When the opening tags are gone a run can reach back over whole sentences;
    keep the last clause, which is what was most likely linked.
    """
    if len(raw) <= _MAX_ANCHOR:
        return 0, raw
    cut = len(raw) - _MAX_ANCHOR
    for mark in (". ", "; ", ", "):
        found = raw.rfind(mark, 0, len(raw) - 1)
        if found != -1 and found + len(mark) >= cut - _MAX_ANCHOR:
            return found + len(mark), raw[found + len(mark) :]
    space = raw.find(" ", cut)
    start = cut if space == -1 else space + 1
    return start, raw[start:]


def _paragraph_counter(tags: list[Tag]) -> tuple[list[int], list[int]]:
    starts = [t.start for t in tags if not t.end and t.name in SENTENCE_BREAKS and t.name != "br"]
    ends = [t.start for t in tags if t.end and t.name in SENTENCE_BREAKS and t.name != "br"]
    return starts, ends


def stray_link_ends(index: SourceIndex, env: Env) -> list[Citation]:
    """One lost citation per ``</a>`` that closes no ``<a>``, in source order."""
    tags, text = index.tags, index.text
    found: list[Citation] = []
    counters: tuple[list[int], list[int]] | None = None
    open_link = False
    for position, tag in enumerate(tags):
        if tag.name != "a":
            continue
        if not tag.end:
            open_link = True  # a new <a> also closes any open one, as in browsers
            continue
        if open_link:
            open_link = False
            continue
        run_start, run_end = _anchor_run(index, position)
        raw = text[run_start:run_end]
        skip, raw = _trim_run(raw)
        run_start += skip
        lead = len(raw) - len(raw.lstrip())
        anchor = collapse(html.unescape(raw))
        offset = run_start + lead if anchor else tag.start
        if counters is None:
            counters = _paragraph_counter(tags)
        paragraph = max(
            bisect.bisect_right(counters[0], offset), bisect.bisect_right(counters[1], offset) + 1
        )
        left = _strip_tags(text[max(0, run_start - _CONTEXT_WINDOW) : run_start])
        right = _strip_tags(text[tag.stop : tag.stop + _CONTEXT_WINDOW])
        flat = left + anchor + right
        context = sentence_around(flat, len(left), len(left) + len(anchor), separator=_SEP)
        line, column = index.position(offset)
        found.append(
            lost_citation(
                env,
                text=anchor,
                context=context,
                location=Location(line, column, paragraph, offset + index.base_offset),
                reason=Reason.STRIPPED_LINK,
                attribute="",
            )
        )
    return found
