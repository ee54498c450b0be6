"""Charset labels: the WHATWG table, and only it, decides what a label means."""

from __future__ import annotations

import codecs

import pytest

from linkaudit import charsets


@pytest.mark.parametrize(
    ("label", "name", "codec"),
    [
        ("ISO-8859-1", "windows-1252", "cp1252"),
        ("latin1", "windows-1252", "cp1252"),
        ("us-ascii", "windows-1252", "cp1252"),
        ('"utf8"', "UTF-8", "utf-8"),
        (" Shift_JIS\t", "Shift_JIS", "cp932"),
        ("gb2312", "GBK", "gb18030"),
        ("ks_c_5601-1987", "EUC-KR", "cp949"),
        ("x-user-defined", "x-user-defined", "x-user-defined"),
        ("utf-16", "UTF-16LE", "utf-16-le"),
    ],
)
def test_labels_mean_what_they_mean_to_a_browser(label: str, name: str, codec: str) -> None:
    assert charsets.lookup(label) == charsets.Charset(name, codec)


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "rot13", "base64", "", None])
def test_python_codecs_that_are_no_web_charset_are_unknown(label: str | None) -> None:
    assert charsets.lookup(label) is None


def test_every_encoding_of_the_table_decodes_every_byte_without_raising() -> None:
    data = bytes(range(256)) * 2
    names = {charsets.lookup(label) for label in charsets._labels()}
    names.discard(None)
    assert len(names) == 39  # 40 encodings in the standard, less "replacement"
    for charset in names:
        assert charset is not None
        if charset.codec != "x-user-defined":
            assert codecs.lookup(charset.codec).name
        text = charset.decode(b"ab" + data)
        assert text.startswith("ab") or charset.name.startswith("UTF-16")


def test_windows_1252_keeps_undefined_bytes_as_c1_controls() -> None:
    assert charsets.WINDOWS_1252.decode(b"\x80\x81\x9d") == "\u20ac\x81\x9d"


def test_x_user_defined_maps_high_bytes_to_the_private_use_area() -> None:
    charset = charsets.lookup("x-user-defined")
    assert charset is not None
    assert charset.decode(b"a\x80\xff") == "a\uf780\uf7ff"


def test_strict_decoding_reports_damage_and_lenient_replaces_it() -> None:
    with pytest.raises(UnicodeDecodeError):
        charsets.UTF8.decode(b"ok \xff", strict=True)
    assert charsets.UTF8.decode(b"ok \xff") == "ok \ufffd"
