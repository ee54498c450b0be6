"""The sentence around a citation: what an editor needs to recognise it in a report.

Works on a window of flat text around the citation, never on the whole document,
so it costs the same for the first link and the five-thousandth.
"""

from __future__ import annotations

import re

#: Roughly how long a context may grow on each side of the cited text.
SIDE = 100
#: How much text either side is looked at: a sentence boundary further away than
#: SIDE would be cut anyway, so a little more than SIDE is enough.
WINDOW = SIDE + 40

_SPACE_RE = re.compile(r"\s+")
_SENTENCE_END_RE = re.compile(r"""[.!?。！？]['"’”)\]]*(?=\s)""")


#: Text longer than this is collapsed a piece at a time (see ``collapse``).
COLLAPSE_CHUNK = 1 << 20


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed: how a reader sees the text.

    ``re.sub`` holds every piece of its result in a list before joining them, one
    string object per word: for a 30 MB paragraph that was 400 MB.  Long text is
    therefore collapsed a megabyte at a time, so the peak is a few copies of the text.
    """
    if len(text) <= COLLAPSE_CHUNK:
        return _SPACE_RE.sub(" ", text).strip()
    pieces: list[str] = []
    for start in range(0, len(text), COLLAPSE_CHUNK):
        piece = _SPACE_RE.sub(" ", text[start : start + COLLAPSE_CHUNK])
        if pieces and pieces[-1].endswith(" ") and piece.startswith(" "):
            piece = piece[1:]  # a run of whitespace across the cut
        if piece:
            pieces.append(piece)
    return "".join(pieces).strip()


def _left(text: str) -> str:
    """The part of the current sentence before the citation, at most about SIDE chars."""
    ends = list(_SENTENCE_END_RE.finditer(text))
    if ends:
        text = text[ends[-1].end() :]
    if len(text) > SIDE:
        text = text[-SIDE:]
        space = text.find(" ")
        if 0 <= space < SIDE // 2:
            text = text[space + 1 :]
        text = "…" + text
    return text


def _right(text: str) -> str:
    """The rest of the current sentence after the citation, at most about SIDE chars."""
    end = _SENTENCE_END_RE.search(text)
    if end is not None:
        text = text[: end.end()]
    if len(text) > SIDE:
        text = text[:SIDE]
        space = text.rfind(" ")
        if space > SIDE // 2:
            text = text[:space]
        text += "…"
    return text


def sentence_around(flat: str, start: int, end: int, *, separator: str = "\x00") -> str:
    """The sentence of ``flat`` containing ``flat[start:end]``, without crossing ``separator``.

    ``separator`` marks block boundaries (paragraphs, list items), which a
    sentence never spans.
    """
    lo = max(0, start - WINDOW)
    hi = min(len(flat), end + WINDOW)
    before = flat[lo:start]
    cut = before.rfind(separator)
    if cut != -1:
        before = before[cut + 1 :]
    after = flat[end:hi]
    cut = after.find(separator)
    if cut != -1:
        after = after[:cut]
    middle = flat[start:end].replace(separator, " ")
    if len(middle) > 2 * SIDE:
        middle = middle[: 2 * SIDE].rstrip() + "…"
        after = ""
    return collapse(_left(before) + middle + _right(after))


#: Elements whose text is a paragraph of its own (``Location.paragraph``, context).
PARAGRAPHS = frozenset(
    {"p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "td", "th"}
    | {f"h{n}" for n in range(1, 7)}
)
#: Every element that starts a new block: paragraphs plus containers (boundaries only).
BLOCKS = PARAGRAPHS | frozenset(
    {
        "address",
        "article",
        "aside",
        "details",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)
#: Boundaries of a sentence for stripped-link text (a ``<br>`` ends a line too).
SENTENCE_BREAKS = (PARAGRAPHS - {"caption"}) | {"div", "br"}
