"""The exact source span of a JSON string, and a writer that matches its escaping.

A WordPress export is rewritten by replacing characters inside the
``content.rendered`` string only: each edit on the decoded article body is
mapped to the escape sequences that encode it, and new text is escaped the way
the file already escapes (``\\/`` for slashes and ``\\uXXXX`` for non-ASCII, as
PHP's ``json_encode`` writes, or not).  Everything outside the edited spans, the
rest of the string included, keeps its bytes; that also holds for the malformed,
truncated exports the lenient reader accepts, which ``json.dumps`` could not
reproduce at all.

The walker below accepts the same faults as ``linkaudit.sources.lenient_json``
(raw control characters, invalid escapes, missing commas, truncation) because
it must find the string in the same files that reader parsed.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from linkaudit.model import Citation, Document, TextInFile

__all__ = ["JsonString", "RawPositions", "find_strings", "in_file", "place_in_file"]

_WS = re.compile(r"[ \t\n\r]*")
_PLAIN = re.compile(r'[^"\\]*')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_OTHER = re.compile(r"[^ \t\n\r,:{}\[\]\"]+")

Path = tuple[str | int, ...]


class RawPositions:
    """Where each decoded character of a JSON string starts in the file, stored as runs.

    A tuple of one int per character cost ~36 bytes a character: a 30 MB post
    body took 1.1 GB for its positions alone.  Between escapes the raw text is
    the decoded text, so positions grow by one a character; only the starts of
    those runs (and of each escape) are kept, two machine integers a run, and a
    position is found by bisection.
    """

    __slots__ = ("_decoded", "_length", "_raw")

    def __init__(self) -> None:
        self._decoded = array("q")  # decoded index where a run starts
        self._raw = array("q")  # its raw position
        self._length = 0

    def add_run(self, raw_start: int, count: int) -> None:
        """``count`` decoded characters written verbatim from ``raw_start`` on."""
        if count <= 0:
            return
        last = len(self._raw) - 1
        if not (last >= 0 and self._raw[last] + self._length - self._decoded[last] == raw_start):
            self._decoded.append(self._length)
            self._raw.append(raw_start)
        self._length += count

    def add_one(self, raw_start: int) -> None:
        """One decoded character from the escape starting at ``raw_start``."""
        self._decoded.append(self._length)
        self._raw.append(raw_start)
        self._length += 1

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> int:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        run = bisect_right(self._decoded, index) - 1
        return self._raw[run] + index - self._decoded[run]

    def __iter__(self) -> Iterator[int]:
        return (self[k] for k in range(self._length))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawPositions):
            return list(self) == list(other)
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class JsonString:
    """A string value as written: decoded value and raw offset of each decoded character.

    ``positions[k]`` is where decoded character ``k`` starts in the file text;
    ``positions[len(value)]`` is where the string's content ends.
    """

    path: Path
    value: str
    positions: RawPositions
    escapes_slash: bool
    escapes_unicode: bool

    def escape(self, text: str) -> str:
        """``text`` written as this string writes its characters."""
        out: list[str] = []
        for char in text:
            if char in _SHORT:
                out.append(_SHORT[char])
            elif char < " ":
                out.append(f"\\u{ord(char):04x}")
            elif char == "/" and self.escapes_slash:
                out.append("\\/")
            elif char > "\x7f" and self.escapes_unicode:
                code = ord(char)
                if code > 0xFFFF:
                    code -= 0x10000
                    out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
                else:
                    out.append(f"\\u{code:04x}")
            else:
                out.append(char)
        return "".join(out)


class _Walker:
    def __init__(self, text: str, wanted: frozenset[str]) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.wanted = wanted
        self.found: list[JsonString] = []

    def ws(self) -> None:
        match = _WS.match(self.text, self.i)
        if match:
            self.i = match.end()

    def value(self, path: Path, depth: int) -> None:
        self.ws()
        if self.i >= self.n or depth > 200:
            self.i = self.n
            return
        char = self.text[self.i]
        if char == "{":
            self.container(path, depth, "}")
        elif char == "[":
            self.container(path, depth, "]")
        elif char == '"':
            self.string(path, record=bool(path) and str(path[-1]) in self.wanted)
        else:
            match = _OTHER.match(self.text, self.i)
            self.i = match.end() if match else self.i + 1

    def container(self, path: Path, depth: int, closer: str) -> None:
        self.i += 1
        index = 0
        while True:
            self.ws()
            if self.i >= self.n:
                return
            char = self.text[self.i]
            if char == closer:
                self.i += 1
                return
            if char == ",":
                self.i += 1
                continue
            if closer == "}":
                if char != '"':
                    self.i = self.n  # the lenient reader refuses this too
                    return
                key = self.string((), record=False)
                self.ws()
                if self.i < self.n and self.text[self.i] == ":":
                    self.i += 1
                self.value((*path, key), depth + 1)
            else:
                self.value((*path, index), depth + 1)
                index += 1

    def string(self, path: Path, *, record: bool) -> str:
        """Read the string starting at the opening quote; record it (with positions) if asked.

        Runs without escapes are taken whole (the common case); each escape is
        decoded by ``_escape``.  A string cut off by the end of the text ends there.
        """
        text, n = self.text, self.n
        self.i += 1
        chars: list[str] = []
        positions = RawPositions()
        slash = unicode = False
        while self.i < n:
            match = _PLAIN.match(text, self.i)
            if match and match.end() > self.i:
                chunk = match.group()
                if record:
                    positions.add_run(self.i, match.end() - self.i)
                chars.append(chunk)
                self.i = match.end()
                continue
            start = self.i
            if text[start] == '"':
                break
            escape = _escape(text, start)  # at a backslash
            if escape is None:
                self.i = n
                break
            decoded, self.i = escape
            code = text[start + 1]
            slash = slash or code == "/"
            unicode = unicode or (code == "u" and decoded > "\x7f")
            if record:
                positions.add_one(start)
            chars.append(decoded)
        end = min(self.i, n)
        if self.i < n:
            self.i += 1  # the closing quote
        decoded_text = "".join(chars)
        if record:
            positions.add_one(end)  # where the content ends: one past the last character
            self.found.append(JsonString(path, decoded_text, positions, slash, unicode))
        return decoded_text


def _escape(text: str, start: int) -> tuple[str, int] | None:
    """The escape at ``text[start]`` (a backslash): its character and where it ends.

    None if the text ends inside it (the lenient reader drops such a tail too).
    An unknown escape stands for the escaped character, as the reader reads it.
    """
    code = text[start + 1 : start + 2]
    if not code:
        return None
    if code in _SIMPLE:
        return _SIMPLE[code], start + 2
    if code == "u" and _HEX4.fullmatch(text[start + 2 : start + 6]):
        return _unicode_escape(text, start)
    if code == "u" and start + 6 > len(text):
        return None
    return code, start + 2


def _unicode_escape(text: str, start: int) -> tuple[str, int]:
    """A ``\\uXXXX`` escape, joined with a following low-surrogate escape into one character.

    A surrogate left unpaired becomes U+FFFD, as the lenient reader decodes it.
    """
    value = int(text[start + 2 : start + 6], 16)
    end = start + 6
    low = text[end : end + 6]
    if 0xD800 <= value < 0xDC00 and low.startswith("\\u") and _HEX4.fullmatch(low[2:]):
        low_value = int(low[2:], 16)
        if 0xDC00 <= low_value < 0xE000:
            end += 6
            value = 0x10000 + ((value - 0xD800) << 10) + (low_value - 0xDC00)
    return ("\ufffd" if 0xD800 <= value < 0xE000 else chr(value)), end


def find_strings(
    text: str, names: frozenset[str] = frozenset({"rendered", "raw"})
) -> list[JsonString]:
    """Every string value whose key is in ``names``, with its path and raw positions."""
    walker = _Walker(text, names)
    walker.ws()
    if walker.i < walker.n:
        walker.value((), 0)
    return walker.found


def in_file(text: str, string: JsonString) -> TextInFile:
    """Where ``string`` (found in the file ``text``) is: its raw text and start."""
    start, end = string.positions[0], string.positions[-1]
    line = text.count("\n", 0, start) + 1
    return TextInFile(text[start:end], line, start - text.rfind("\n", 0, start))


def place_in_file(document: Document, citations: list[Citation]) -> list[Citation]:
    """Citations of a post's body, located in its file as well (``Location``'s
    ``line``/``column`` become the file position inside the escaped string, the
    body position moving to ``body_line``/``body_column``); others unchanged.

    Extraction sees the decoded body, so ``seed.txt:11:121`` would name a line of
    ``content.rendered``, not of the file: in a JSON export that string is one
    line, each newline an escaped ``\\n``.
    """
    span = document.in_file
    if span is None or not citations:
        return citations
    walker = _Walker(f'"{span.raw}"', frozenset())
    walker.string(("body",), record=True)
    raw_at: RawPositions | tuple[int, ...] = walker.found[0].positions if walker.found else ()
    starts = [0, *(i + 1 for i, char in enumerate(document.text) if char == "\n")]
    out: list[Citation] = []
    for citation in citations:
        loc = citation.location
        line, column = loc.in_text
        at = starts[line - 1] + column - 1 if 0 < line <= len(starts) else -1
        if not 0 <= at < len(raw_at):
            out.append(citation)
            continue
        raw = raw_at[at] - 1  # the walker's text starts with the opening quote
        newline = span.raw.rfind("\n", 0, raw)
        file_line = span.line + span.raw.count("\n", 0, raw)
        file_column = raw - newline if newline >= 0 else span.column + raw
        located = replace(
            loc, line=file_line, column=file_column, body_line=line, body_column=column
        )
        out.append(replace(citation, location=located))
    return out
