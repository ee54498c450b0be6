"""Decoding like a browser, and refusing what is not an article."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from linkaudit.errors import InputError
from linkaudit.sources import SourceOptions, load_source, load_stream
from linkaudit.sources._decode import binary_kind, decode

TITLE = "Caf\u00e9 \u201cquotes\u201d"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("utf8_bom.html", "utf-8"),
        ("utf16le_bom.html", "utf-16-le"),
        ("utf16be_bom.html", "utf-16-be"),
        ("meta_latin1.html", "cp1252"),
    ],
)
def test_declared_encodings_decode_cleanly(
    fixtures: Path, options: SourceOptions, name: str, encoding: str
) -> None:
    [doc] = load_source(str(fixtures / name), options)
    assert doc.encoding == encoding
    assert doc.title == TITLE
    assert "Na\u00efve \u2014 " in doc.text
    assert not doc.text.startswith("\ufeff")
    assert doc.warnings == ()


def test_undeclared_legacy_page_falls_back_to_windows_1252(
    fixtures: Path, options: SourceOptions
) -> None:
    path = fixtures / "undeclared_cp1252.html"
    [doc] = load_source(str(path), options)
    assert doc.encoding == "cp1252"
    assert doc.title == TITLE
    [warning] = doc.warnings
    first_high = next(i for i, byte in enumerate(path.read_bytes()) if byte > 0x7F)
    assert warning == (
        f"not valid UTF-8 (first invalid byte at offset {first_high}) and no charset "
        "declared; decoded as Windows-1252"
    )


def test_damaged_utf8_is_decoded_with_replacement_and_located(
    fixtures: Path, options: SourceOptions
) -> None:
    path = fixtures / "invalid_utf8.html"
    [doc] = load_source(str(path), options)
    assert doc.encoding == "utf-8"
    assert doc.title == TITLE  # the good UTF-8 is not garbled by a legacy fallback
    assert "\ufffd\ufffdNa\u00efve" in doc.text
    [warning] = doc.warnings
    offset = path.read_bytes().index(b"\xff\xfe")
    assert "2 bytes could not be decoded" in warning
    assert f"first at byte offset {offset}" in warning
    assert "utf-8" in warning


def test_nul_bytes_are_stripped_with_a_warning(fixtures: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(fixtures / "nul_bytes.html"), options)
    assert "\x00" not in doc.text
    assert "<article><p>" in doc.text
    [warning] = doc.warnings
    column = (fixtures / "nul_bytes.html").read_text("utf-8").index("\x00") + 1  # characters
    assert warning == f"removed 2 NUL characters from the text (first at line 1, column {column})"


def test_http_charset_beats_meta_and_bom_beats_both() -> None:
    page = '<meta charset="utf-8"><title>\u00e9</title>'
    assert decode(page.encode("cp1252"), "x", declared="windows-1252", sniff_meta=True).text == page
    bom = b"\xef\xbb\xbf" + page.encode("utf-8")
    decoded = decode(bom, "x", declared="iso-8859-2", sniff_meta=True)
    assert (decoded.text, decoded.encoding) == (page, "utf-8")


def test_unknown_declared_charset_is_ignored_with_a_warning() -> None:
    decoded = decode(b"<meta charset='x-klingon'><p>hi", "x", sniff_meta=True)
    assert decoded.encoding == "utf-8"
    assert decoded.warnings == (
        "charset 'x-klingon' in the page's <meta charset> is not a text encoding browsers "
        "know; ignored",
    )


def test_bomless_utf16_is_recognised() -> None:
    decoded = decode("<p>hello world</p>".encode("utf-16-le"), "x")
    assert decoded.text == "<p>hello world</p>"
    assert "look like UTF-16-LE" in decoded.warnings[0]


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "rot13", "zlib", "uu", "x"])
@pytest.mark.parametrize("where", ["http", "meta"])
def test_a_label_that_is_no_browser_charset_is_ignored_with_a_warning(
    label: str, where: str
) -> None:
    page = "<p>caf\u00e9 <a href='https://example.org/'>x</a></p>".encode()
    if where == "meta":
        page = f"<meta charset={label}>".encode() + page
    decoded = decode(page, "t.html", declared=label if where == "http" else None, sniff_meta=True)
    assert "caf\u00e9" in decoded.text
    assert decoded.encoding == "utf-8"
    assert any(f"charset {label!r}" in w and "ignored" in w for w in decoded.warnings)


def test_ascii_label_with_non_ascii_bytes_reads_as_windows_1252() -> None:
    decoded = decode(b"<p>\x93quoted\x94 \x81</p>", "t.html", declared="ascii")
    assert decoded.text == "<p>\u201cquoted\u201d \x81</p>"
    assert decoded.warnings == ()


def test_a_refused_encoding_is_not_honoured() -> None:
    decoded = decode(b"<p>plain</p>", "t.html", declared="iso-2022-kr")
    assert decoded.text == "<p>plain</p>"
    assert "browsers refuse to decode" in decoded.warnings[0]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF document"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip-compressed data"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP image"),
        (bytes(range(32)) * 40, "% control bytes"),
    ],
)
def test_binary_input_is_refused(data: bytes, kind: str, options: SourceOptions) -> None:
    with pytest.raises(InputError, match=r"^<stdin>: looks like binary data \(") as info:
        load_stream(io.BytesIO(data), "<stdin>", options)
    assert kind in str(info.value)


def test_binary_file_is_named(fixtures: Path, options: SourceOptions) -> None:
    path = fixtures / "image.png"
    with pytest.raises(InputError) as info:
        load_source(str(path), options)
    assert str(info.value) == f"{path}: looks like binary data (PNG image), not an article"


def test_text_with_a_few_control_bytes_is_not_binary() -> None:
    assert binary_kind(b"<p>" + b"word " * 200 + b"\x01\x02</p>") is None


@pytest.mark.parametrize(
    ("data", "message"), [(b"", "empty input"), (b" \n\t ", "contains only whitespace")]
)
def test_empty_input_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: SourceOptions,
    data: bytes,
    message: str,
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"^{path}: {message}$"):
        load_source(str(path), options)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(InputError, match=f"^<stdin>: {message}$"):
        load_source("-", options)


class CountingStream(io.RawIOBase):
    """An endless stream that records how much was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        buffer[:size] = b"a" * size
        self.served += size
        return size


def test_oversized_input_is_refused_after_reading_one_byte_too_many() -> None:
    stream = CountingStream()
    with pytest.raises(
        InputError, match=r"larger than the limit of 1000 bytes \(see --max-bytes\)"
    ):
        load_stream(stream, "<stdin>", SourceOptions(max_bytes=1000))  # type: ignore[arg-type]
    assert stream.served == 1001


def test_input_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>" + b"x" * 93 + b"</p>")
    assert len(path.read_bytes()) == 100
    [doc] = load_source(str(path), SourceOptions(max_bytes=100))
    assert doc.text.startswith("<p>xxx")
    with pytest.raises(InputError, match="larger than the limit of 99 bytes"):
        load_source(str(path), SourceOptions(max_bytes=99))


def test_missing_file_and_directory(tmp_path: Path, options: SourceOptions) -> None:
    missing = tmp_path / "nope.html"
    with pytest.raises(InputError, match=r": no such file$"):
        load_source(str(missing), options)
    with pytest.raises(InputError, match="is a directory, not a file"):
        load_source(str(tmp_path), options)
