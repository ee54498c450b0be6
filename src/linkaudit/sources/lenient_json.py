"""A JSON reader for the JSON that scrapers and exports actually save.

``json.loads`` rejects the two faults that real WordPress dumps have: raw
newlines inside strings, and files cut off in the middle of the article.
Rejecting them would leave the user with nothing; this reader accepts them,
builds as much of the value as the input holds, and says precisely what it
forgave and where (line and byte offset), so partial input can be audited as far
as it goes and nobody mistakes it for a complete article.

Faults it recovers from: raw control characters in strings, invalid escapes,
missing or trailing commas, extra data after the value, and end of input
anywhere (open strings, objects and arrays are closed).  Damage in the middle (a
stray byte, a deleted quote, a spliced fragment) is read up to the fault and,
when the caller names the keys that begin a record (``resync_keys``: a WordPress
post's ``id``, ``content``, ``link`` ...), resynchronised where the rest can still
be read: the next such key of the record, or the next record of a list.  What was
skipped is said by byte range and line.  Anything else is a ``LenientJsonError``
with a position.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))
_CONTROL_NAMES = {"\n": "newline", "\r": "carriage return", "\t": "tab"}
MAX_DEPTH = 200
#: Python's default limit on the digits of an int read from text (sys.int_info).
_MAX_INT_DIGITS = 4300

Path = tuple[str | int, ...]


class LenientJsonError(ValueError):
    """The input is not recoverable as JSON; the message names the position."""


class _Broken(Exception):
    """A fault inside a container: carries what the container held before it, so a
    record above can keep it and resynchronise after the fault."""

    def __init__(self, partial: Any, error: LenientJsonError) -> None:
        super().__init__(str(error))
        self.partial = partial
        self.error = error


@dataclass(frozen=True)
class _Skip:
    """A damaged stretch read past: from the fault to where reading resumed."""

    path: Path  # the record it was in
    start: int
    end: int
    resumed: str  # "key 'excerpt'", "the next record", or "" at the end of input
    error: str


@dataclass
class _Truncation:
    what: str  # "string", "key", "object", "array", "number", "value"
    path: Path
    position: int


@dataclass
class _Faults:
    controls: Counter[str] = field(default_factory=Counter)
    first_control: int | None = None
    bad_escapes: int = 0
    first_bad_escape: int | None = None
    missing_commas: int = 0
    first_missing_comma: int | None = None
    trailing_commas: int = 0
    first_trailing_comma: int | None = None
    lone_surrogates: int = 0
    long_numbers: int = 0
    first_long_number: int | None = None
    truncation: _Truncation | None = None
    extra_data_at: int | None = None


def format_path(path: Path) -> str:
    """``("content", "rendered")`` -> ``content.rendered``; list indexes as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "the top-level value"


class _Reader:
    def __init__(self, text: str, resync_keys: frozenset[str] = frozenset()) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.faults = _Faults()
        self.resync_keys = resync_keys
        self.skips: list[_Skip] = []
        self._record_key = (
            re.compile(r'(?:,|\{)\s*"(' + "|".join(map(re.escape, sorted(resync_keys))) + r')"\s*:')
            if resync_keys
            else None
        )

    # -- helpers ---------------------------------------------------------------
    def _ws(self) -> None:
        match = _WHITESPACE.match(self.text, self.i)
        if match:
            self.i = match.end()

    def _truncate(self, what: str, path: Path) -> None:
        if self.faults.truncation is None:
            self.faults.truncation = _Truncation(what, path, self.n)
        self.i = self.n

    @property
    def truncated(self) -> bool:
        return self.faults.truncation is not None

    def _fail(self, expected: str) -> LenientJsonError:
        found = repr(self.text[self.i]) if self.i < self.n else "end of input"
        return LenientJsonError(f"expected {expected} but found {found}@{self.i}")

    # -- grammar ---------------------------------------------------------------
    def value(self, path: Path, depth: int) -> Any:
        self._ws()
        if self.i >= self.n:
            self._truncate("value", path)
            return None
        char = self.text[self.i]
        if char == "{":
            return self._object(path, depth + 1)
        if char == "[":
            return self._array(path, depth + 1)
        if char == '"':
            return self._string(path, "string")
        match = _NUMBER.match(self.text, self.i)
        if match:
            self.i = match.end()
            if self.i >= self.n and path:
                # A number at end of input inside a container may be cut short.
                self._truncate("number", path)
            token = match.group()
            if any(c in token for c in ".eE"):
                return float(token)
            if len(token) > _MAX_INT_DIGITS:
                # Python refuses to convert such an int (CVE-2020-10735); no field an
                # audit reads is a number, so keep the record and say what was dropped.
                self.faults.long_numbers += 1
                if self.faults.first_long_number is None:
                    self.faults.first_long_number = match.start()
                return None
            return int(token)
        for word, literal in _LITERALS:
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return literal
            rest = self.text[self.i : self.i + len(word)]
            if self.i + len(rest) >= self.n and word.startswith(rest):
                self._truncate("value", path)
                return None  # which literal was meant cannot be known
        raise self._fail("a JSON value")

    def _object(self, path: Path, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise LenientJsonError(f"nested more than {MAX_DEPTH} levels deep@{self.i}")
        self.i += 1
        result: dict[str, Any] = {}
        while True:
            try:
                if not self._member(result, path, depth):
                    return result
            except (LenientJsonError, _Broken) as fault:
                error = fault.error if isinstance(fault, _Broken) else fault
                if not self._is_record(path):
                    raise _Broken(result, error) from None
                if not self._resync_object(result, path, error):
                    return result

    def _member(self, result: dict[str, Any], path: Path, depth: int) -> bool:
        """One ``"key": value`` of an object and what follows it; False at its end."""
        self._ws()
        if self.i >= self.n:
            self._truncate("object", path)
            return False
        if self.text[self.i] == "}":
            self.i += 1
            return False
        if self.text[self.i] != '"':
            raise self._fail("a key string or '}'")
        key = self._string(path, "key")
        if self.truncated:
            return False
        self._ws()
        if self.i >= self.n:
            self._truncate("object", path)
            return False
        if self.text[self.i] != ":":
            raise self._fail(f"':' after the key {key!r}")
        self.i += 1
        try:
            result[key] = self.value((*path, key), depth)
        except _Broken as broken:
            result[key] = broken.partial  # what the value held before its fault
            raise
        if self.truncated:
            return False
        return self._separator("}", path, "object")

    def _array(self, path: Path, depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise LenientJsonError(f"nested more than {MAX_DEPTH} levels deep@{self.i}")
        self.i += 1
        result: list[Any] = []
        while True:
            try:
                if not self._item(result, path, depth):
                    return result
            except (LenientJsonError, _Broken) as fault:
                error = fault.error if isinstance(fault, _Broken) else fault
                if path or not self.resync_keys:  # only a list of records resynchronises
                    raise _Broken(result, error) from None
                if not self._resync_array(path, error):
                    return result

    def _item(self, result: list[Any], path: Path, depth: int) -> bool:
        """One value of an array and what follows it; False at its end."""
        self._ws()
        if self.i >= self.n:
            self._truncate("array", path)
            return False
        if self.text[self.i] == "]":
            self.i += 1
            return False
        try:
            result.append(self.value((*path, len(result)), depth))
        except _Broken as broken:
            result.append(broken.partial)
            raise
        if self.truncated:
            return False
        return self._separator("]", path, "array")

    # -- resynchronising after damage -------------------------------------------
    def _is_record(self, path: Path) -> bool:
        """A record is the top-level object, or an object of the top-level list."""
        return bool(self.resync_keys) and (
            path == () or (len(path) == 1 and isinstance(path[0], int))
        )

    def _fault_at(self, error: LenientJsonError) -> int:
        _, _, index = str(error).rpartition("@")
        return int(index) if index.isdigit() else self.i

    def _resync_object(self, result: dict[str, Any], path: Path, error: LenientJsonError) -> bool:
        """Resume at the next record key not yet read; at the end when there is none
        (the record is kept as far as it was read).  True when reading resumes."""
        assert self._record_key is not None
        start = self._fault_at(error)
        message = str(error).rpartition("@")[0]
        for match in self._record_key.finditer(self.text, start + 1):
            key = match.group(1)
            if key in result:
                continue
            self.skips.append(_Skip(path, start, match.start(), f"key {key!r}", message))
            self.i = match.start() + 1  # past the "," or "{": at the key's quote
            self._ws()
            return True
        self.skips.append(_Skip(path, start, self.n, "", message))
        self.i = self.n
        return False

    def _resync_array(self, path: Path, error: LenientJsonError) -> bool:
        """Resume at the next record of the list: a ``{`` opening a record key."""
        start = self._fault_at(error)
        message = str(error).rpartition("@")[0]
        record = re.compile(
            r',\s*\{\s*"(?:' + "|".join(map(re.escape, sorted(self.resync_keys))) + r')"\s*:'
        )
        match = record.search(self.text, start + 1)
        if match is None:
            self.skips.append(_Skip(path, start, self.n, "", message))
            self.i = self.n
            return False
        self.skips.append(_Skip(path, start, match.start(), "the next record", message))
        self.i = match.start() + 1  # past the ",": at the record's "{"
        return True

    def _separator(self, closer: str, path: Path, what: str) -> bool:
        """Consume ``,`` (or forgive its absence); False when the container ended."""
        self._ws()
        if self.i >= self.n:
            self._truncate(what, path)
            return False
        char = self.text[self.i]
        if char == closer:
            self.i += 1
            return False
        if char == ",":
            self.i += 1
            self._ws()
            if self.i < self.n and self.text[self.i] == closer:
                self.faults.trailing_commas += 1
                if self.faults.first_trailing_comma is None:
                    self.faults.first_trailing_comma = self.i - 1
            return True
        if char in '"{[' or (what == "array" and (char.isdigit() or char in "-tfn")):
            self.faults.missing_commas += 1
            if self.faults.first_missing_comma is None:
                self.faults.first_missing_comma = self.i
            return True
        raise self._fail(f"',' or '{closer}'")

    def _string(self, path: Path, what: str) -> str:
        text, n = self.text, self.n
        self.i += 1
        parts: list[str] = []
        while True:
            match = _CHUNK.match(text, self.i)
            if match is not None and match.end() > self.i:
                parts.append(match.group())
                self.i = match.end()
            if self.i >= n:
                self._truncate(what, path)
                break
            char = text[self.i]
            if char == '"':
                self.i += 1
                break
            if char == "\\":
                parts.append(self._escape(path, what))
                continue
            # A raw control character: forbidden by JSON, meant literally by the writer.
            self.faults.controls[char] += 1
            if self.faults.first_control is None:
                self.faults.first_control = self.i
            parts.append(char)
            self.i += 1
        return "".join(parts)

    def _escape(self, path: Path, what: str) -> str:
        text, start = self.text, self.i
        if start + 1 >= self.n:
            self._truncate(what, path)
            return ""
        code = text[start + 1]
        if code in _SIMPLE_ESCAPES:
            self.i += 2
            return _SIMPLE_ESCAPES[code]
        if code == "u":
            hex_digits = text[start + 2 : start + 6]
            if _HEX4.fullmatch(hex_digits):
                self.i += 6
                value = int(hex_digits, 16)
                if 0xD800 <= value < 0xDC00:
                    low = text[self.i : self.i + 6]
                    if low.startswith("\\u") and _HEX4.fullmatch(low[2:]):
                        low_value = int(low[2:], 16)
                        if 0xDC00 <= low_value < 0xE000:
                            self.i += 6
                            return chr(0x10000 + ((value - 0xD800) << 10) + (low_value - 0xDC00))
                if 0xD800 <= value < 0xE000:
                    self.faults.lone_surrogates += 1
                    return "\ufffd"
                return chr(value)
            if start + 6 > self.n and all(c in "0123456789abcdefABCDEF" for c in hex_digits):
                self._truncate(what, path)
                return ""
        # Invalid escape: keep the character, as JavaScript does.
        self.faults.bad_escapes += 1
        if self.faults.first_bad_escape is None:
            self.faults.first_bad_escape = start
        self.i += 2
        return code


@dataclass(frozen=True)
class LenientResult:
    """The parsed value and one human sentence per kind of fault forgiven."""

    value: Any
    warnings: tuple[str, ...]
    truncated_path: Path | None


class _Positions:
    """Turns character indexes into "line L, byte B" in the original file's bytes."""

    def __init__(self, text: str, encoding: str, byte_base: int) -> None:
        self.text = text
        self.encoding = encoding
        self.byte_base = byte_base

    def __call__(self, index: int) -> str:
        line = self.text.count("\n", 0, index) + 1
        try:
            size = len(self.text[:index].encode(self.encoding, errors="surrogatepass"))
        except (LookupError, UnicodeError):
            size = index
        return f"line {line}, byte {size + self.byte_base}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; leave them to the lenient reader to refuse."""
    raise ValueError(name)


def parse_lenient(
    text: str,
    *,
    encoding: str = "utf-8",
    byte_base: int = 0,
    resync_keys: frozenset[str] = frozenset(),
) -> LenientResult:
    """Parse JSON leniently.  Raises ``LenientJsonError`` only for unrecoverable input.

    ``encoding`` and ``byte_base`` (the length of a stripped byte-order mark)
    let warnings give byte offsets into the original file, which is what a
    hex editor or ``dd`` shows.  ``resync_keys`` name the keys a record begins
    with: damage inside a record (the top-level object, or an object of the
    top-level list) is then read past, not fatal.
    """
    if not _SURROGATE_ESCAPE.search(text):
        # Valid JSON is the common case; the C parser reads it ~30x faster.
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            pass
        else:
            return LenientResult(value=value, warnings=(), truncated_path=None)
    reader = _Reader(text, resync_keys)
    where = _Positions(text, encoding, byte_base)
    try:
        reader._ws()
        if reader.i >= reader.n:
            raise LenientJsonError("no JSON value@0")
        try:
            value = reader.value((), 0)
        except _Broken as broken:
            if not reader.resync_keys or not broken.partial:
                raise broken.error from None
            value = broken.partial  # a list of records whose last one broke for good
            start = reader._fault_at(broken.error)
            message = str(broken.error).rpartition("@")[0]
            reader.skips.append(_Skip((), start, reader.n, "", message))
            reader.i = reader.n
        reader._ws()
    except LenientJsonError as exc:
        message, _, index = str(exc).rpartition("@")
        raise LenientJsonError(f"{message} at {where(int(index))}") from None
    except RecursionError:
        raise LenientJsonError("nested too deeply") from None
    faults = reader.faults
    warnings: list[str] = []
    if faults.first_control is not None:
        total = sum(faults.controls.values())
        kinds = ", ".join(
            _plural(count, _CONTROL_NAMES.get(char, f"U+{ord(char):04X}"))
            for char, count in faults.controls.most_common()
        )
        warnings.append(
            f"malformed JSON: {_plural(total, 'raw control character')} inside strings "
            f"({kinds}; first at {where(faults.first_control)})"
        )
    if faults.first_bad_escape is not None:
        warnings.append(
            f"malformed JSON: {_plural(faults.bad_escapes, 'invalid escape')} in strings, "
            f"kept as the escaped character (first at {where(faults.first_bad_escape)})"
        )
    if faults.lone_surrogates:
        warnings.append(
            f"malformed JSON: {_plural(faults.lone_surrogates, 'unpaired surrogate escape')} "
            "replaced with U+FFFD"
        )
    if faults.first_long_number is not None:
        warnings.append(
            f"malformed JSON: {_plural(faults.long_numbers, 'integer')} of more than "
            f"{_MAX_INT_DIGITS} digits read as null (first at {where(faults.first_long_number)})"
        )
    if faults.first_missing_comma is not None:
        warnings.append(
            f"malformed JSON: {_plural(faults.missing_commas, 'missing comma')} "
            f"(first at {where(faults.first_missing_comma)})"
        )
    if faults.first_trailing_comma is not None:
        warnings.append(
            f"malformed JSON: {_plural(faults.trailing_commas, 'trailing comma')} "
            f"(first at {where(faults.first_trailing_comma)})"
        )
    warnings.extend(_skip_warning(skip, text, where) for skip in reader.skips)
    truncation = faults.truncation
    if truncation is not None:
        warnings.append(_truncation_warning(truncation, where))
    elif reader.i < reader.n:
        warnings.append(
            f"malformed JSON: extra data after the JSON value at {where(reader.i)} was ignored"
        )
    return LenientResult(
        value=value,
        warnings=tuple(warnings),
        truncated_path=truncation.path if truncation else None,
    )


def _truncation_warning(truncation: _Truncation, where: _Positions) -> str:
    path = format_path(truncation.path)
    place = {
        "string": f"inside the string {path}",
        "key": f"inside a key of {path}",
        "number": f"inside the number {path}",
        "value": f"where the value of {path} should be",
        "object": f"inside the object {path}",
        "array": f"inside the array {path}",
    }[truncation.what]
    in_body = "content" in truncation.path and truncation.what in ("string", "value")
    consequence = (
        "the article body may be incomplete and closing keys are missing"
        if in_body
        else "later values and the closing brackets are missing"
    )
    return f"truncated: input ends {place} at {where(truncation.position)}; {consequence}"


def _skip_warning(skip: _Skip, text: str, where: _Positions) -> str:
    """Which bytes of a damaged record were read past, and what came back."""
    record = format_path(skip.path) if skip.path else "the record"
    field = _field_at(text, skip.start)
    inside = f" (in {field})" if field else ""
    if skip.resumed:
        then = f"resumed at {skip.resumed} at {where(skip.end)}"
    else:
        then = "nothing after it could be read"
    return (
        f"damaged JSON in {record}: {skip.error} at {where(skip.start)}{inside}; skipped "
        f"{skip.end - skip.start} characters, {then}; fields in that stretch are missing"
    )


_KEY_BEFORE = re.compile(r'"([A-Za-z_][\w-]*)"\s*:')


def _field_at(text: str, position: int) -> str:
    """The last key named before ``position``: which field the damage is in."""
    found = None
    for match in _KEY_BEFORE.finditer(text, max(0, position - 4096), position):
        found = match.group(1)
    return f"the field {found!r}" if found else ""
