"""Where each Markdown link target is in the source, to the character.

The extractor finds a link's position by searching for its href, which is good
enough to point a reader at a line but not to rewrite: a reference link's URL
lives in its definition, an href can also occur in the anchor text, and escapes
make the written form differ from the URL.  So this module parses the source
with the extractor's own parser (``linkaudit.extract.markdown_parser``), with
its ``link``, ``image`` and ``autolink`` rules wrapped to record source spans
as they succeed, and maps the positions in each inline token back to the
document through its line map.
Reference definitions are found from the ``map`` markdown-it keeps for them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.helpers import parseLinkDestination, parseLinkLabel

from linkaudit.extract.markdown_parser import markdown_parser

__all__ = ["MdTarget", "encode_destination", "markdown_targets"]

_NEWLINE = re.compile(r"\r\n?|\n")
_ENTITY_LIKE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")


@dataclass(frozen=True)
class MdTarget:
    """One link destination in the Markdown source.

    ``kind``: ``inline`` (``[t](dest)``), ``autolink`` (``<dest>``),
    ``definition`` (``[label]: dest``) or ``reference`` (a use such as
    ``[t][label]``, whose span is the part after the text, ``[label]``, ``[]``
    or empty).  ``start``/``end`` is the span a rewrite replaces (inside any
    ``<>``); ``angle`` says the destination was written ``<...>``.
    ``image`` is set for image uses, which ``fix`` never rewrites.
    """

    kind: str
    start: int
    end: int
    raw: str
    url: str
    angle: bool = False
    label: str = ""
    image: bool = False
    text: str = ""  # the raw link text
    title: str = ""  # a definition's title, kept when a use is made inline


@dataclass
class _Raw:
    kind: str
    token: Any  # the inline block token whose content the positions refer to
    start: int
    end: int
    dest_start: int
    dest_end: int
    url: str
    angle: bool
    label: str
    image: bool
    text: str


class _Recorder:
    """Collects link spans while markdown-it parses, tagged with their inline token."""

    def __init__(self) -> None:
        self.found: list[_Raw] = []
        self.current: Any = None

    def core_inline(self, state: Any) -> None:
        # markdown-it's own core "inline" rule, remembering which token is parsed.
        for token in state.tokens:
            if token.type == "inline":
                if token.children is None:
                    token.children = []
                self.current = token
                state.md.inline.parse(token.content, state.md, state.env, token.children)
        self.current = None

    def wrap(self, original: Callable[[Any, bool], bool], name: str) -> Callable[[Any, bool], bool]:
        def rule(state: Any, silent: bool) -> bool:
            start = state.pos
            ok = original(state, silent)
            if ok and not silent and self.current is not None:
                record = _describe(state, self.current, name, start, state.pos)
                if record is not None:
                    self.found.append(record)
            return ok

        return rule


def _describe(state: Any, token: Any, name: str, start: int, end: int) -> _Raw | None:
    src: str = state.src
    if name == "autolink":
        inner = src[start + 1 : end - 1]
        return _Raw(
            "autolink", token, start, end, start + 1, end - 1, inner, False, "", False, inner
        )
    image = name == "image"
    label_start = start + (2 if image else 1)
    saved = state.pos
    label_end = parseLinkLabel(state, label_start - 1, not image)
    state.pos = saved
    if label_end < 0:
        return None
    text = src[label_start:label_end]
    if src[end - 1] == ")" and label_end + 1 < end and src[label_end + 1] == "(":
        pos = label_end + 2
        while pos < end and src[pos] in " \t\n":
            pos += 1
        result = parseLinkDestination(src, pos, end)
        if result.ok:
            stop = result.pos
            angle = src[pos] == "<"
            lo, hi = (pos + 1, stop - 1) if angle else (pos, stop)
            return _Raw("inline", token, start, end, lo, hi, result.str, angle, "", image, text)
        return _Raw("inline", token, start, end, pos, pos, "", False, "", image, text)
    # A reference use: [text][label], [text][] or [text].
    label = text
    after = src[label_end + 1 : end]
    if after.startswith("[") and len(after) > 2:
        label = after[1:-1]
    return _Raw(
        "reference",
        token,
        start,
        end,
        label_end + 1,
        end,
        "",
        False,
        normalizeReference(label),
        image,
        text,
    )


def _parser(recorder: _Recorder) -> MarkdownIt:
    """The extractor's parser with ``recorder``'s hooks added, so both see the same links."""
    md = markdown_parser()
    for name in ("link", "image", "autolink"):
        rules = md.inline.ruler.__rules__
        original = next(r.fn for r in rules if r.name == name)
        md.inline.ruler.at(name, recorder.wrap(original, name))
    md.core.ruler.at("inline", recorder.core_inline)
    return md


class _Lines:
    """Line starts as markdown-it counts lines (CR, LF and CRLF all end one)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for match in _NEWLINE.finditer(text):
            self.ends.append(match.start())
            self.starts.append(match.end())
        self.ends.append(len(text))

    def line(self, index: int) -> tuple[int, str]:
        if index >= len(self.starts):
            return len(self.text), ""
        return self.starts[index], self.text[self.starts[index] : self.ends[index]]


def _inline_mapper(
    content: str, first_line: int, lines: _Lines, cursors: dict[int, int]
) -> Callable[[int], int | None]:
    """Map offsets in an inline token's content to offsets in the document.

    Paragraph content lines are suffixes of their source lines (markdown-it
    strips indentation and container markers); headings and table cells are
    found within their line, after any earlier match on the same line.
    """
    content_starts: list[int] = []
    doc_starts: list[int | None] = []
    offset = 0
    for i, piece in enumerate(content.split("\n")):
        content_starts.append(offset)
        offset += len(piece) + 1
        line_start, line_text = lines.line(first_line + i)
        stripped, tail = line_text.rstrip(), piece.rstrip()
        where: int | None = None
        if tail and stripped.endswith(tail) and len(content.split("\n")) > 1:
            where = len(stripped) - len(tail)
        else:
            found = line_text.find(piece, cursors.get(first_line + i, 0)) if piece else -1
            if found == -1 and piece:
                found = line_text.find(piece)
            if found != -1:
                where = found
                cursors[first_line + i] = found + len(piece)
        doc_starts.append(None if where is None else line_start + where)

    def mapper(position: int) -> int | None:
        index = bisect.bisect_right(content_starts, position) - 1
        base = doc_starts[index]
        return None if base is None else base + position - content_starts[index]

    return mapper


def _definitions(text: str, lines: _Lines, references: dict[str, Any]) -> list[MdTarget]:
    out: list[MdTarget] = []
    for label, ref in references.items():
        span = ref.get("map")
        if not isinstance(span, list | tuple) or len(span) != 2:
            continue
        first, last = int(span[0]), int(span[1])
        start, _ = lines.line(first)
        stop = lines.starts[last] if last < len(lines.starts) else len(text)
        chunk = text[start:stop]
        open_bracket = chunk.find("[")
        if open_bracket == -1:
            continue
        i = open_bracket + 1
        while i < len(chunk) and chunk[i] != "]":
            i += 2 if chunk[i] == "\\" else 1
        if not chunk.startswith("]:", i):
            continue
        i += 2
        while i < len(chunk) and chunk[i] in " \t\r\n>":
            i += 1
        result = parseLinkDestination(chunk, i, len(chunk))
        if not result.ok or result.str != ref.get("href"):
            continue
        angle = chunk[i] == "<"
        lo, hi = (i + 1, result.pos - 1) if angle else (i, result.pos)
        out.append(
            MdTarget(
                "definition",
                start + lo,
                start + hi,
                chunk[lo:hi],
                result.str,
                angle,
                label,
                title=str(ref.get("title") or ""),
            )
        )
    return out


def markdown_targets(text: str) -> list[MdTarget]:
    """Every link destination and reference use of a Markdown source, in source order.

    Spans whose mapping back to the document cannot be verified (the source
    text at the span differs from what the parser saw) are left out: a link
    ``fix`` cannot place exactly is reported as not repaired, never guessed.
    """
    recorder = _Recorder()
    md = _parser(recorder)
    env: dict[str, Any] = {}
    try:
        tokens = md.parse(text, env)
    except Exception:  # markdown-it has no documented error type; never crash on input
        return []
    lines = _Lines(text)
    by_tokens: dict[int, list[_Raw]] = {}
    for raw in recorder.found:
        by_tokens.setdefault(id(raw.token), []).append(raw)
    targets: list[MdTarget] = []
    cursors: dict[int, int] = {}
    for token in tokens:
        if token.type != "inline" or token.map is None or token.children is None:
            continue
        raws = by_tokens.get(id(token))
        if not raws:
            continue
        mapper = _inline_mapper(token.content, token.map[0], lines, cursors)
        for raw in raws:
            start, end = mapper(raw.dest_start), mapper(raw.dest_end)
            if start is None or end is None:
                continue
            piece = token.content[raw.dest_start : raw.dest_end]
            if text[start:end] != piece:
                continue
            targets.append(
                MdTarget(
                    raw.kind, start, end, piece, raw.url, raw.angle, raw.label, raw.image, raw.text
                )
            )
    targets.extend(_definitions(text, lines, env.get("references", {})))
    targets.sort(key=lambda t: (t.start, t.end))
    return targets


def _balanced(url: str) -> bool:
    depth = 0
    for char in url:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _percent(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def encode_destination(url: str, *, kind: str, angle: bool) -> str:
    """Write ``url`` as a Markdown destination of the same form, so it reads back as ``url``.

    Autolinks take no escapes, so what they cannot hold is percent-encoded;
    ``<...>`` destinations escape ``<``, ``>`` and backslashes; bare ones also
    escape parentheses when unbalanced.  An ``&`` that would be read as an
    entity is escaped.  Spaces and controls are percent-encoded everywhere.
    """
    out: list[str] = []
    balanced = _balanced(url)
    for index, char in enumerate(url):
        if char <= " " or char == "\x7f":
            out.append(_percent(char))
        elif kind == "autolink":
            out.append(_percent(char) if char in "<>" else char)
        elif char in "<>":
            out.append("\\" + char if angle else _percent(char))
        elif char == "\\":
            out.append("\\\\")
        elif char in "()" and not angle and not balanced:
            out.append("\\" + char)
        elif char == "&" and _ENTITY_LIKE.match(url, index):
            out.append("\\&")
        else:
            out.append(char)
    return "".join(out)
