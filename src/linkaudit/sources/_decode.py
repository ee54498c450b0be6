"""Bytes to text the way a reader's browser would, and refusal of what is not text.

Precedence follows the HTML standard: a byte-order mark beats everything, then
the HTTP ``charset``, then ``<meta charset>`` (or an XML declaration), then
UTF-8.  Where the bytes are not what they claim, the text is still decoded (an
audit of a slightly damaged page beats no audit) and a warning says exactly
where the damage is.  Binary files are refused up front, because "0 links" on
a PDF would be a lie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linkaudit import charsets
from linkaudit.errors import InputError

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "ZIP archive or Office/EPUB file"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x7fELF", "ELF executable"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x00asm", "WebAssembly module"),
    (b"OggS", "Ogg media"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM video"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
    (b"\xca\xfe\xba\xbe", "Java class or Mach-O binary"),
)

_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)
_MAGIC_PREFIXES = tuple(magic for magic, _ in _MAGIC)

_RIFF_KINDS = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}

# Bytes that never occur in real text: C0 controls other than tab, LF, VT, FF,
# CR and ESC (which old pages do contain), plus NUL.
_CONTROL_BYTES = frozenset(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B})
_CONTROL_DELETE = bytes(sorted(_CONTROL_BYTES))  # for bytes.translate: counted in C
_SNIFF_BYTES = 8192
_BINARY_SHARE = 0.10

_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:+-]+)""")
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass(frozen=True)
class Decoded:
    """Decoded text with the codec used and what went wrong on the way."""

    text: str
    encoding: str
    warnings: tuple[str, ...]


def binary_kind(data: bytes) -> str | None:
    """Name the kind of binary data, or None if the bytes could be text."""
    if data.startswith(_MAGIC_PREFIXES):  # one test for the common case, text
        for magic, kind in _MAGIC:
            if data.startswith(magic):
                return kind
    if data[:4] == b"RIFF" and data[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[data[8:12]]
    if data[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if data.startswith(_BOM_PREFIXES):
        return None
    sample = data[:_SNIFF_BYTES]
    if not sample or _utf16_without_bom(sample):
        return None
    controls = len(sample) - len(sample.translate(None, _CONTROL_DELETE))
    if controls / len(sample) > _BINARY_SHARE:
        return f"{round(100 * controls / len(sample))}% control bytes"
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """Recognise BOM-less UTF-16 of mostly-ASCII text by its alternating NUL bytes."""
    if len(sample) < 4 or b"\x00" not in sample:  # no NUL, no UTF-16 of ASCII text
        return None
    even, odd = sample[0::2], sample[1::2]
    pairs = min(len(even), len(odd))
    even_nul = even[:pairs].count(0) / pairs
    odd_nul = odd[:pairs].count(0) / pairs
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def bom_length(data: bytes) -> int:
    """Bytes taken by a byte-order mark, so positions can point into the original file."""
    return next((len(bom) for bom, _ in _BOMS if data.startswith(bom)), 0)


def refuse_unreadable(data: bytes, origin: str) -> None:
    """Raise InputError for input that is empty or binary."""
    if not data:
        raise InputError(f"{origin}: empty input")
    kind = binary_kind(data)
    if kind is not None:
        raise InputError(f"{origin}: looks like binary data ({kind}), not an article")


def sniff_meta_charset(data: bytes) -> str | None:
    """The charset a page declares about itself in its first bytes, if any."""
    head = data[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _replace_decode(
    data: bytes, charset: charsets.Charset, offset: int, what: str
) -> tuple[str, str]:
    text = charset.decode(data)
    replaced = text.count("\ufffd")
    if charset.codec == "utf-8":
        replaced -= data.count(b"\xef\xbf\xbd")  # genuine U+FFFD in the input
    try:
        charset.decode(data, strict=True)
        first = 0
    except UnicodeDecodeError as exc:
        first = exc.start
    noun = "byte" if replaced == 1 else "bytes"
    return text, (
        f"invalid {what}: {max(replaced, 1)} {noun} could not be decoded and were "
        f"replaced with U+FFFD (first at byte offset {first + offset})"
    )


def decode(
    data: bytes, origin: str, *, declared: str | None = None, sniff_meta: bool = False
) -> Decoded:
    """Decode input bytes to text; refuse binary or empty input with InputError.

    ``declared`` is a transport-level charset (HTTP ``Content-Type``);
    ``sniff_meta`` enables ``<meta charset>`` for HTML.  NUL characters are
    removed (no article means them, and they break downstream parsers).
    """
    refuse_unreadable(data, origin)
    warnings: list[str] = []
    text: str | None = None
    codec = ""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            codec = bom_codec
            body = data[len(bom) :]
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                text, warning = _replace_decode(
                    body, charsets.Charset(codec, codec), len(bom), f"{codec.upper()} data"
                )
                warnings.append(warning)
            break
    if text is None:
        text, codec = _decode_without_bom(data, declared, sniff_meta, warnings)
    text = _strip_nuls(text, warnings)
    if not text.strip():
        raise InputError(f"{origin}: contains only whitespace")
    return Decoded(text=text, encoding=codec, warnings=tuple(warnings))


def _decode_without_bom(
    data: bytes, declared: str | None, sniff_meta: bool, warnings: list[str]
) -> tuple[str, str]:
    utf16 = _utf16_without_bom(data[:_SNIFF_BYTES])
    if utf16:
        warnings.append(f"no byte-order mark, but the bytes look like {utf16.upper()}; decoded so")
        text = data.decode(utf16, errors="replace")
        return text, utf16
    candidates: list[tuple[str, str]] = []
    if declared:
        candidates.append((declared, "the HTTP charset"))
    if sniff_meta:
        meta = sniff_meta_charset(data)
        if meta:
            candidates.append((meta, "the page's <meta charset>"))
    for label, where in candidates:
        charset = charsets.lookup(label)
        if charset is None:
            reason = charsets.why_ignored(label)
            warnings.append(f"charset {label!r} in {where} is {reason}; ignored")
            continue
        if where != "the HTTP charset" and charset.codec.startswith("utf-16"):
            # HTML: a <meta> can only be read if the page is ASCII-compatible.
            charset = charsets.UTF8
        try:
            return charset.decode(data, strict=True), charset.codec
        except UnicodeDecodeError:
            what = f"{label} data (charset from {where})"
            text, warning = _replace_decode(data, charset, 0, what)
            warnings.append(warning)
            return text, charset.codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    valid_multibyte = len(_UTF8_MULTIBYTE.findall(data))
    text, warning = _replace_decode(data, charsets.UTF8, 0, "UTF-8")
    invalid = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if valid_multibyte >= max(invalid, 1):
        # Mostly UTF-8 with some damage: legacy decoding would garble the good part.
        warnings.append(warning)
        return text, "utf-8"
    warnings.append(
        f"not valid UTF-8 (first invalid byte at offset {first_bad}) and no charset "
        "declared; decoded as Windows-1252"
    )
    return charsets.WINDOWS_1252.decode(data), "cp1252"


def _strip_nuls(text: str, warnings: list[str]) -> str:
    first = text.find("\x00")
    if first < 0:
        return text
    count = text.count("\x00")
    line = text.count("\n", 0, first) + 1
    column = first - (text.rfind("\n", 0, first) + 1) + 1
    noun = "character" if count == 1 else "characters"
    warnings.append(
        f"removed {count} NUL {noun} from the text (first at line {line}, column {column})"
    )
    return text.replace("\x00", "")
