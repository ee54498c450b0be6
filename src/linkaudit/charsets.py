"""Charset labels the way a browser reads them, and nothing else.

A page or an export names its charset in ``Content-Type`` or ``<meta charset>``,
and strangers write both.  Python's codec registry knows far more than text
encodings (``idna``, ``punycode``, ``rot13``, ``undefined``, compression codecs
reached through aliases), and some of those raise on any input or on any error
handler but ``strict``.  A browser honours only the labels of the WHATWG Encoding
Standard, so that is the list honoured here: the table is the standard's own
``encodings.json`` (``data/whatwg``), mapped onto the Python codec that decodes
the same way.  Any other label is ignored, and callers say so.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: WHATWG encoding name -> the Python codec that decodes as the standard does.
#: GBK pages are decoded with gb18030 and Shift_JIS/EUC-KR with Microsoft's
#: supersets, exactly as the standard's decoders do; Big5 is Big5-HKSCS.
_CODECS: dict[str, str] = {
    "UTF-8": "utf-8",
    "IBM866": "cp866",
    **{f"ISO-8859-{n}": f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
    "ISO-8859-8-I": "iso8859-8",
    "KOI8-R": "koi8-r",
    "KOI8-U": "koi8-u",
    "macintosh": "mac-roman",
    "windows-874": "cp874",
    **{f"windows-{n}": f"cp{n}" for n in range(1250, 1259)},
    "x-mac-cyrillic": "mac-cyrillic",
    "GBK": "gb18030",
    "gb18030": "gb18030",
    "Big5": "big5hkscs",
    "EUC-JP": "euc_jp",
    "ISO-2022-JP": "iso2022_jp",
    "Shift_JIS": "cp932",
    "EUC-KR": "cp949",
    "UTF-16BE": "utf-16-be",
    "UTF-16LE": "utf-16-le",
    "x-user-defined": "x-user-defined",
}
#: Encodings a browser refuses to decode at all (ISO-2022-KR, HZ, ...): the page
#: reads as one replacement character.  Honouring that would throw the article
#: away, so these count as "not a usable charset" like any unknown label.
_REFUSED = "replacement"

#: windows-1252 leaves five bytes undefined; WHATWG maps them to C1 controls.
_C1_HANDLER = "linkaudit-c1"
#: x-user-defined: ASCII as is, bytes 0x80-0xFF to U+F780-U+F7FF.
_USER_DEFINED = {byte: 0xF700 + byte for byte in range(0x80, 0x100)}


def _c1_passthrough(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return chr(exc.object[exc.start]), exc.start + 1


codecs.register_error(_C1_HANDLER, _c1_passthrough)


@dataclass(frozen=True)
class Charset:
    """A WHATWG encoding and the Python codec that decodes it."""

    name: str
    codec: str

    @property
    def never_fails(self) -> bool:
        """Single-byte tables that map every byte: no input is "invalid" for them."""
        return self.codec in ("cp1252", "x-user-defined")

    def decode(self, data: bytes, *, strict: bool = False) -> str:
        """Decode ``data``; damaged input becomes U+FFFD unless ``strict``.

        Only ``UnicodeDecodeError`` can come out, and only when ``strict``.
        """
        if self.codec == "x-user-defined":
            return data.decode("latin-1").translate(_USER_DEFINED)
        if self.codec == "cp1252":
            return data.decode("cp1252", errors=_C1_HANDLER)
        return data.decode(self.codec, errors="strict" if strict else "replace")

    def incremental(self) -> Callable[[bytes], str]:
        """A lenient decoder for a body read piece by piece (characters may straddle)."""
        if self.codec == "x-user-defined":
            return self.decode
        errors = _C1_HANDLER if self.codec == "cp1252" else "replace"
        decoder = codecs.getincrementaldecoder(self.codec)(errors=errors)
        return decoder.decode


@cache
def _labels() -> dict[str, str]:
    table = json.loads(
        resources.files("linkaudit").joinpath("data/whatwg/encodings.json").read_text("utf-8")
    )
    return {
        label: encoding["name"]
        for group in table
        for encoding in group["encodings"]
        for label in encoding["labels"]
    }


def _clean(label: str) -> str:
    # The standard strips ASCII whitespace; quotes come from sloppy markup.
    return label.strip(" \t\n\f\r\"'").lower()


def lookup(label: str | None) -> Charset | None:
    """The encoding a browser would use for ``label``, or None if it would ignore it."""
    if not label:
        return None
    name = _labels().get(_clean(label))
    if name is None or name == _REFUSED:
        return None
    return Charset(name, _CODECS[name])


def why_ignored(label: str) -> str:
    """Why ``label`` is not honoured, for a warning."""
    if _labels().get(_clean(label)) == _REFUSED:
        return "an encoding browsers refuse to decode"
    return "not a text encoding browsers know"


UTF8 = Charset("UTF-8", "utf-8")
WINDOWS_1252 = Charset("windows-1252", "cp1252")
