"""The selection rule and the small parsers, as pure data."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from linkaudit.archive.base import (
    ArchiveOptions,
    archive_name,
    parse_wayback_timestamp,
    select_capture,
    to_copy,
)
from linkaudit.archive.memento import parse_link_header
from linkaudit.archive.ratelimit import retry_after_seconds
from linkaudit.archive.wayback import MalformedAnswer, parse_availability, parse_cdx
from linkaudit.model import Capture

TARGET = datetime(2023, 4, 18, 11, 5, 53, tzinfo=UTC)


def cap(ts: str, status: int | None = 200) -> Capture:
    when = parse_wayback_timestamp(ts)
    assert when is not None
    return Capture(
        "wayback", f"https://web.archive.org/web/{ts}/x", "x", when, status, timestamp=ts
    )


def test_prefers_nearest_before_even_when_an_after_capture_is_closer() -> None:
    chosen = select_capture(
        [cap("20230418120000"), cap("20230301000000"), cap("20230417000000")], TARGET
    )
    assert chosen is not None
    assert chosen.timestamp == "20230417000000"


def test_falls_back_to_nearest_after() -> None:
    chosen = select_capture([cap("20240101000000"), cap("20230601000000")], TARGET)
    assert chosen is not None
    assert chosen.timestamp == "20230601000000"
    copy = to_copy(chosen, TARGET)
    assert not copy.before
    assert copy.distance_days == pytest.approx(43.54, abs=0.01)


def test_non_2xx_captures_are_never_chosen() -> None:
    chosen = select_capture(
        [cap("20230417000000", 404), cap("20230418000000", 301), cap("20230101000000")], TARGET
    )
    assert chosen is not None
    assert chosen.timestamp == "20230101000000"
    assert select_capture([cap("20230417000000", 503)], TARGET) is None
    assert select_capture([], TARGET) is None


def test_capture_at_the_exact_moment_counts_as_before() -> None:
    chosen = select_capture([cap("20230418110553")], TARGET)
    assert chosen is not None
    assert to_copy(chosen, TARGET).before


@pytest.mark.parametrize("zone", ["EST+05", "IST-05:30", "UTC0"])
def test_naive_target_is_utc(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A naive citation date means UTC wherever the process runs: read as local
    time, 11:30 would pick 13:00 in New York (16:30 UTC) and 10:00 in Kolkata
    (06:00 UTC, before every capture) instead of the 11:00 capture."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        captures = [cap("20230418100000"), cap("20230418110000"), cap("20230418130000")]
        chosen = select_capture(captures, datetime(2023, 4, 18, 11, 30))
        assert chosen is not None
        assert chosen.timestamp == "20230418110000"
        copy = to_copy(chosen, datetime(2023, 4, 18, 11, 30))
        assert copy.before
        assert copy.distance_days == pytest.approx(30 / 1440)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_parse_cdx_json_text_and_empty() -> None:
    body = '[["timestamp","original","statuscode"],["20230101000000","http://a/","200"]]'
    assert parse_cdx(body) == [
        {"timestamp": "20230101000000", "original": "http://a/", "statuscode": "200"}
    ]
    assert parse_cdx("[]") == []
    assert parse_cdx("") == []
    text = "20230101000000 http://a/ 200 text/html ABC\n20230102000000 http://a/ 200 text/html D\n"
    rows = parse_cdx(text)
    assert [r["timestamp"] for r in rows] == ["20230101000000", "20230102000000"]
    assert rows[0]["mimetype"] == "text/html"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[["timestamp","original"],["2023', "malformed JSON"),
        ("<html><body>Error</body></html>", "HTML instead of CDX rows"),
        ('{"error": "x"}', "unexpected shape"),
        ('[["a","b"],["1","2"]]', "without a timestamp/original header"),
        ("this is not cdx", "unreadable CDX text"),
    ],
)
def test_parse_cdx_malformed(body: str, expected: str) -> None:
    with pytest.raises(MalformedAnswer, match=expected):
        parse_cdx(body)


def test_parse_availability_found_and_empty() -> None:
    options = ArchiveOptions()
    found = parse_availability(
        '{"url":"example.com","archived_snapshots":{"closest":{"status":"200","available":true,'
        '"url":"http://web.archive.org/web/20130919044612/http://example.com/",'
        '"timestamp":"20130919044612"}}}',
        options,
    )
    assert len(found) == 1
    assert found[0].url == "https://web.archive.org/web/20130919044612/http://example.com/"
    assert found[0].original_url == "http://example.com/"
    assert found[0].status == 200
    assert parse_availability('{"url":"example.com","archived_snapshots":{}}', options) == []
    with pytest.raises(MalformedAnswer, match="HTML instead of JSON"):
        parse_availability("<html>busy</html>", options)
    with pytest.raises(MalformedAnswer, match="without archived_snapshots"):
        parse_availability("[]", options)


def test_parse_link_header_with_commas_in_dates() -> None:
    header = (
        '<http://a.example/>; rel="original", '
        '<http://arch.example/web/20200101000000/http://a.example/>; rel="first memento"; '
        'datetime="Wed, 01 Jan 2020 00:00:00 GMT", '
        '<http://arch.example/timemap/link/http://a.example/>; rel="timemap"; '
        'type="application/link-format"'
    )
    entries = parse_link_header(header)
    assert [e.rels for e in entries] == [("original",), ("first", "memento"), ("timemap",)]
    assert entries[1].datetime == datetime(2020, 1, 1, tzinfo=UTC)


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:01:00 GMT", now=now) == 60.0


def test_archive_names() -> None:
    assert archive_name("https://web.archive.org/web/2020/x", "tt", "http://tt/") == "wayback"
    assert archive_name("https://archive.ph/2020/x", "tt", "http://tt/") == "archive.today"
    assert archive_name("https://arquivo.pt/wayback/x", "tt", "http://tt/") == "arquivo.pt"
    assert archive_name("http://tt/web/x", "tt", "http://tt/timegate/") == "tt"


def test_short_timestamps_parse() -> None:
    assert parse_wayback_timestamp("20230418") == datetime(2023, 4, 18, tzinfo=UTC)
    assert parse_wayback_timestamp("2023") == datetime(2023, 1, 1, tzinfo=UTC)
    assert parse_wayback_timestamp("nope") is None
