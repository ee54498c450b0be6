"""The httpx paths (CDX, Availability, TimeGate) against pytest-httpx responses."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
from pytest_httpx import HTTPXMock

from linkaudit.archive import ArchiveOptions, find_copy
from linkaudit.archive.memento import timegate_lookup

TARGET = datetime(2023, 4, 18, 11, 5, 53, tzinfo=UTC)
URL = "https://news.example/story"
OPTIONS = ArchiveOptions(
    wayback_url="https://wb.test", timegates=(("gate", "https://gate.test/timegate/"),)
)


def starts(prefix: str) -> re.Pattern[str]:
    return re.compile(re.escape(prefix) + ".*")


def cdx_body(*rows: tuple[str, str]) -> str:
    header = ["timestamp", "original", "statuscode", "mimetype", "digest"]
    return json.dumps([header, *[[ts, URL, code, "text/html", "D"] for ts, code in rows]])


async def test_cdx_query_shape_and_before_preference(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        text=cdx_body(("20230418120000", "200"), ("20230410000000", "200")),
        headers={"Content-Type": "application/json"},
    )
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    request = httpx_mock.get_requests()[0]
    assert request.url.path == "/cdx/search/cdx"
    query = parse_qs(urlsplit(str(request.url)).query)
    assert query["url"] == [URL]
    assert query["closest"] == ["20230418110553"]
    assert query["sort"] == ["closest"]
    assert query["filter"] == ["statuscode:2.."]
    assert query["output"] == ["json"]
    assert query["fl"] == ["timestamp,original,statuscode,mimetype,digest"]
    assert int(query["limit"][0]) >= 20
    assert lookup.copy is not None
    assert lookup.copy.url == f"https://wb.test/web/20230410000000/{URL}"
    assert lookup.copy.before
    assert lookup.copy.archive == "wayback"
    assert lookup.copy.status == 200
    assert lookup.tried == ("wayback-cdx",)  # a before copy ends the search


async def test_cdx_text_rows_are_read(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(text=f"20230101000000 {URL} 200 text/html D\n")
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    assert lookup.copy is not None
    assert lookup.copy.captured_at == datetime(2023, 1, 1, tzinfo=UTC)


async def test_availability_fallback_when_cdx_answers_503(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):  # the first answer and both retries
        httpx_mock.add_response(url=starts("https://wb.test/cdx"), status_code=503)
    httpx_mock.add_response(
        url=starts("https://wb.test/wayback/available"),
        json={
            "url": URL,
            "archived_snapshots": {
                "closest": {
                    "status": "200",
                    "available": True,
                    "url": f"http://web.archive.org/web/20230301000000/{URL}",
                    "timestamp": "20230301000000",
                }
            },
        },
    )
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, replace(OPTIONS, retry_backoff=0.001))
    assert lookup.copy is not None
    assert lookup.copy.url == f"https://wb.test/web/20230301000000/{URL}"
    assert lookup.tried == ("wayback-cdx", "wayback-availability")
    assert lookup.transient


async def test_timegate_after_redirect_but_link_names_a_before(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=starts("https://wb.test/cdx"), text="[]")
    memento = "https://archive.ph/20230420000000/" + URL
    before = "https://archive.ph/20230401000000/" + URL
    httpx_mock.add_response(
        url=f"https://gate.test/timegate/{URL}",
        status_code=302,
        headers={
            "Location": memento,
            "Link": (
                f'<{URL}>; rel="original", '
                f'<{before}>; rel="first prev memento"; datetime="Sat, 01 Apr 2023 00:00:00 GMT", '
                f'<{memento}>; rel="memento last"; datetime="Thu, 20 Apr 2023 00:00:00 GMT"'
            ),
        },
    )
    httpx_mock.add_response(url=before, method="HEAD", status_code=200)  # the status, asked
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    gate_request = next(r for r in httpx_mock.get_requests() if "timegate" in str(r.url))
    assert gate_request.headers["Accept-Datetime"] == "Tue, 18 Apr 2023 11:05:53 GMT"
    assert lookup.copy is not None
    assert lookup.copy.url == before
    assert lookup.copy.status == 200
    assert lookup.copy.archive == "archive.today"
    assert lookup.copy.before
    assert lookup.tried == ("wayback-cdx", "gate")


async def test_timegate_memento_datetime_read_by_head(httpx_mock: HTTPXMock) -> None:
    memento = "https://mementos.test/m/abc"
    httpx_mock.add_response(
        url=f"https://gate.test/timegate/{URL}", status_code=302, headers={"Location": memento}
    )
    httpx_mock.add_response(
        url=memento,
        method="HEAD",
        headers={"Memento-Datetime": "Mon, 10 Apr 2023 08:00:00 GMT"},
    )
    async with httpx.AsyncClient() as client:
        result = await timegate_lookup(
            URL, TARGET, client, OPTIONS, "gate", "https://gate.test/timegate/"
        )
    assert not result.failed
    assert [c.captured_at for c in result.captures] == [datetime(2023, 4, 10, 8, tzinfo=UTC)]
    assert result.captures[0].archive == "mementos.test"


async def test_timeouts_and_garbage_become_notes(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=starts("https://wb.test/cdx"))
    httpx_mock.add_response(url=starts("https://wb.test/wayback"), text="<html>oops</html>")
    httpx_mock.add_response(url=starts("https://gate.test/"), status_code=404)
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    assert lookup.copy is None
    assert "Wayback CDX: CDX server did not answer within the timeout" in lookup.note
    assert "Wayback Availability: archive answered HTML instead of JSON" in lookup.note
    assert "gate: no memento" in lookup.note
    assert lookup.transient


async def test_clean_no_capture_anywhere(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=starts("https://wb.test/cdx"), text="[]")
    httpx_mock.add_response(url=starts("https://gate.test/"), status_code=404)
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    assert lookup.copy is None
    assert lookup.note == "no capture in any archive asked"
    assert not lookup.transient


def cdx_rows(*rows: tuple[str, str]) -> str:
    """CDX JSON with explicit originals: ``(timestamp, original)``, all 200s."""
    header = ["timestamp", "original", "statuscode", "mimetype", "digest"]
    return json.dumps([header, *[[ts, orig, "200", "text/html", "D"] for ts, orig in rows]])


async def test_captures_of_other_pages_are_dropped_with_a_note(httpx_mock: HTTPXMock) -> None:
    """A broken or hostile mirror answering about another page must never become the
    copy offered (and so never the repair fix writes into the article)."""
    httpx_mock.add_response(
        url=starts("https://wb.test/cdx"),
        text=cdx_rows(
            ("20230417000000", "https://evil.example/phishing"),
            ("20230410000000", "https://news.example/other-story"),
        ),
    )
    httpx_mock.add_response(
        url=f"https://gate.test/timegate/{URL}",
        status_code=302,
        headers={
            "Location": "https://archive.ph/20230401000000/https://evil.example/x",
            "Link": '<https://evil.example/x>; rel="original"',
        },
    )
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(URL, TARGET, client, OPTIONS)
    assert lookup.copy is None
    assert "Wayback: dropped 2 captures of another page (https://evil.example/phishing)" in (
        lookup.note
    )
    assert "gate: dropped 1 captures of another page (https://evil.example/x)" in lookup.note


async def test_the_archives_own_spellings_of_the_url_are_the_same_page(
    httpx_mock: HTTPXMock,
) -> None:
    asked = "https://news.example/story/?b=2&a=1"
    httpx_mock.add_response(
        url=starts("https://wb.test/cdx"),
        text=cdx_rows(("20230410000000", "http://www.news.example:80/story?a=1&b=2")),
    )
    async with httpx.AsyncClient() as client:
        lookup = await find_copy(asked, TARGET, client, replace(OPTIONS, timegates=()))
    assert lookup.copy is not None
    assert lookup.copy.captured_at == datetime(2023, 4, 10, tzinfo=UTC)
