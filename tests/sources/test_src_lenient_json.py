"""The lenient JSON reader: exact on valid JSON, forgiving and precise on broken JSON."""

from __future__ import annotations

import json

import pytest

from linkaudit.sources.lenient_json import LenientJsonError, format_path, parse_lenient

VALID = [
    '{"a": 1, "b": [true, false, null], "c": {"d": -1.5e3}}',
    '"\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"',
    "[]",
    "{}",
    "[0, -0, 12.25, 1E2, 3e-2]",
    '{"nested": [[[{"x": [1]}]]]}',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_json_parses_as_the_standard_library_does(text: str) -> None:
    result = parse_lenient(text)
    assert result.value == json.loads(text)
    assert result.warnings == ()
    assert result.truncated_path is None


def test_raw_control_characters_are_kept_and_counted() -> None:
    text = '{"a": "x\ny\tz",\n "b": "\n"}'
    result = parse_lenient(text)
    assert result.value == {"a": "x\ny\tz", "b": "\n"}
    [warning] = result.warnings
    assert "3 raw control characters inside strings" in warning
    assert "2 newlines" in warning
    assert "1 tab" in warning
    assert "first at line 1, byte 8" in warning


def test_byte_offsets_count_utf8_bytes_not_characters() -> None:
    text = '{"é€": "\u2014\n"}'
    [warning] = parse_lenient(text).warnings
    # 9 characters precede the newline; é, € and — take 1, 2 and 2 extra bytes.
    assert "byte 14" in warning
    [shifted] = parse_lenient(text, byte_base=3).warnings
    assert "byte 17" in shifted


@pytest.mark.parametrize(
    ("text", "value", "place"),
    [
        ('{"a": {"b": "unfinished', {"a": {"b": "unfinished"}}, "inside the string a.b"),
        ('{"a": [1, 2', {"a": [1, 2]}, "inside the number a[1]"),
        ('{"a": [1, 2, ', {"a": [1, 2]}, "inside the array a"),
        ('{"a": 1, "b', {"a": 1}, "inside a key of the top-level value"),
        ('{"a": 1, "b": ', {"a": 1, "b": None}, "where the value of b should be"),
        ('{"a": tr', {"a": None}, "where the value of a should be"),
        ('{"a": "x\\u00', {"a": "x"}, "inside the string a"),
        ('{"a": "x\\', {"a": "x"}, "inside the string a"),
        ('[{"content": {"rendered": "<p>hi', [{"content": {"rendered": "<p>hi"}}], "[0].content"),
    ],
)
def test_truncation_closes_what_is_open_and_says_where(
    text: str, value: object, place: str
) -> None:
    result = parse_lenient(text)
    assert result.value == value
    [warning] = result.warnings
    assert warning.startswith("truncated: input ends ")
    assert place in warning
    assert f"byte {len(text.encode())}" in warning


def test_truncated_body_warning_mentions_the_article() -> None:
    result = parse_lenient('{"content": {"rendered": "<p>cut')
    assert result.truncated_path == ("content", "rendered")
    assert "article body may be incomplete" in result.warnings[0]


def test_forgiven_syntax_faults_are_reported() -> None:
    result = parse_lenient('{"a": "\\q" "b": [1 2,],} trailing')
    assert result.value == {"a": "q", "b": [1, 2]}
    joined = " | ".join(result.warnings)
    assert "1 invalid escape" in joined
    assert "2 missing commas (first at line 1, byte 11)" in joined
    assert "2 trailing commas" in joined
    assert "extra data after the JSON value at line 1, byte 25" in joined


def test_lone_surrogates_become_replacement_characters() -> None:
    result = parse_lenient('["\\ud800", "\\udc00x"]')
    assert result.value == ["\ufffd", "\ufffdx"]
    assert "2 unpaired surrogate escapes" in result.warnings[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no JSON value at line 1, byte 0"),
        ("   \n ", "no JSON value"),
        ('{"a" 1}', "expected ':' after the key 'a' but found '1' at line 1, byte 5"),
        ('{"a": ]', "expected a JSON value but found ']'"),
        ("{1: 2}", "expected a key string or '}'"),
        ("[" * 500, "nested more than 200 levels deep"),
        ('{"a": 1 ]', "expected ',' or '}'"),
    ],
)
def test_unrecoverable_input_raises_with_a_position(text: str, message: str) -> None:
    with pytest.raises(LenientJsonError) as info:
        parse_lenient(text)
    assert message in str(info.value)


def test_format_path() -> None:
    assert format_path(()) == "the top-level value"
    assert format_path(("content", "rendered")) == "content.rendered"
    assert format_path((2, "title", "rendered")) == "[2].title.rendered"
