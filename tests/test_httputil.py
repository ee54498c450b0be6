"""The one ``Retry-After`` parser, shared by the checker and the archive clients (RFC 9110)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from linkaudit.archive import ratelimit
from linkaudit.httputil import MAX_RETRY_AFTER, response_text, retry_after_seconds

NOW = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def local_time_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Put the process in a zone 5.5 hours from UTC, so a date read as local time shows."""
    monkeypatch.setenv("TZ", "XST-05:30")
    time.tzset()
    assert time.timezone == -(5 * 3600 + 30 * 60)
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        ("120", 120.0),
        ("  30\t", 30.0),
        ("0042", 42.0),
    ],
)
def test_delta_seconds(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 2024 00:01:00 GMT",  # IMF-fixdate, the preferred form
        "Monday, 01-Jan-24 00:01:00 GMT",  # obsolete RFC 850 form
        "Mon Jan  1 00:01:00 2024",  # obsolete asctime form: no zone written, GMT all the same
        "Mon, 01 Jan 2024 00:01:00 -0000",  # "zone unknown" in RFC 5322; HTTP says GMT
        "Mon, 01 Jan 2024 00:01:00 UTC",
        "Mon, 01 Jan 2024 01:01:00 +0100",  # not HTTP, but an explicit offset is honoured
    ],
)
def test_http_dates_are_gmt(value: str, local_time_far_from_utc: None) -> None:
    """A minute after ``NOW`` in every form; read as local time it would be 0 (or 5.5 h off)."""
    assert retry_after_seconds(value, now=NOW) == 60.0


def test_a_date_without_a_zone_is_neither_ignored_nor_local(local_time_far_from_utc: None) -> None:
    # The checker used to ignore this form (and fall back on its own backoff);
    # read in the local zone it would lie 5.5 hours in the past, so 0.
    assert retry_after_seconds("Mon Jan  1 02:00:00 2024", now=NOW) == 7200.0


def test_a_date_in_the_past_means_now() -> None:
    assert retry_after_seconds("Sun, 31 Dec 2023 23:59:00 GMT", now=NOW) == 0.0
    assert retry_after_seconds("Mon, 01 Jan 2024 00:00:00 GMT", now=NOW) == 0.0


def test_now_is_the_callers_clock() -> None:
    later = NOW + timedelta(seconds=45)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:01:00 GMT", now=later) == 15.0
    in_paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert retry_after_seconds("Mon, 01 Jan 2024 00:01:00 GMT", now=in_paris) == 60.0


def test_a_naive_now_is_utc(local_time_far_from_utc: None) -> None:
    naive = datetime(2024, 1, 1, 0, 0)
    assert retry_after_seconds("Mon, 01 Jan 2024 00:01:00 GMT", now=naive) == 60.0


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "soon",
        "-5",  # negative
        "+5",
        "1.5",  # delta-seconds has no fraction
        "1e3",
        "\u00b2",  # str.isdigit() says yes; float() would raise
        "\u0661\u0662",  # Arabic-Indic twelve: a digit to Python, not to HTTP
        "120, 120",  # two headers folded into one
        "Mon, 32 Jan 2024 00:00:00 GMT",
        "Mon, 01 Jan 2024 25:00:00 GMT",
        "Mon, 01 Jan 99999 00:00:00 GMT",
    ],
)
def test_garbage_is_none(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None


def test_the_archive_clients_use_the_same_parser(local_time_far_from_utc: None) -> None:
    asctime = "Mon Jan  1 00:01:00 2024"
    assert ratelimit.retry_after_seconds(asctime, now=NOW) == 60.0
    assert ratelimit.retry_after_seconds("\u0661\u0662", now=NOW) is None
    # Without ``now`` the archive side waits by the wall clock.
    soon = datetime.now(UTC) + timedelta(hours=1)
    wait = ratelimit.retry_after_seconds(soon.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert wait is not None
    assert 3590.0 <= wait <= 3600.0


@pytest.mark.parametrize("value", ["999999999999999999999", "9" * 5_000_000, "31536001"])
def test_an_absurd_wait_is_capped_at_a_year_and_never_overflows(value: str) -> None:
    seconds = retry_after_seconds(value, now=NOW)
    assert seconds == MAX_RETRY_AFTER
    assert NOW + timedelta(seconds=seconds) > NOW  # a date can be computed from it


def test_a_far_date_is_capped_too() -> None:
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now=NOW) == MAX_RETRY_AFTER


def test_a_response_naming_a_codec_that_is_no_charset_is_read_as_utf8() -> None:
    for label in ("idna", "undefined", "punycode", "rot13"):
        response = httpx.Response(
            200,
            headers={"content-type": f"application/json; charset={label}"},
            content=b'["\xc3\xa9"]',
        )
        assert response_text(response) == '["\u00e9"]'
