"""Lookups end to end against the loopback stand-in: real HTTP, no internet."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from linkaudit.archive import MemoryArchiveCache, find_copies, find_copy, make_client
from linkaudit.testing.archive import ArchiveStandIn, Fault
from tests.archive.conftest import FakeClock

TARGET = datetime(2023, 4, 18, 11, 5, 53, tzinfo=UTC)
URL = "https://news.example/story"


async def lookup(stand_in: ArchiveStandIn, clock: FakeClock, url: str = URL, **opts: object):  # type: ignore[no-untyped-def]
    options = stand_in.options(**opts)
    async with make_client(options) as client:
        return await find_copy(url, TARGET, client, options, limiter=clock.limiter())


async def test_nearest_before_is_preferred_over_a_closer_after(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230418120000")  # 1 hour after
    stand_in.add_capture(URL, "20230401000000")  # 17 days before
    stand_in.add_capture(URL, "20220101000000")
    result = await lookup(stand_in, clock)
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 4, 1, tzinfo=UTC)
    assert result.copy.before
    assert result.copy.url == f"{stand_in.base_url}/web/20230401000000/{URL}"
    assert result.note == "wayback capture on or before the citation date"
    assert stand_in.counts == {"cdx": 1}


async def test_after_fallback_then_timegates_are_asked(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230601000000")
    stand_in.add_capture(URL, "20240601000000")
    result = await lookup(stand_in, clock)
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 6, 1, tzinfo=UTC)
    assert not result.copy.before
    assert result.tried == ("wayback-cdx", "standin")  # looked for a before copy elsewhere
    assert "no capture on or before" in result.note


async def test_non_2xx_captures_skipped(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.add_capture(URL, "20230418000000", status=404)
    stand_in.add_capture(URL, "20230417000000", status=302)
    stand_in.add_capture(URL, "20230101000000", status=200)
    result = await lookup(stand_in, clock)
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 1, 1, tzinfo=UTC)
    assert result.copy.status == 200


async def test_no_capture_at_all(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.add_capture(URL, "20230418000000", status=404)
    result = await lookup(stand_in, clock)
    assert result.copy is None
    assert result.note == "no capture in any archive asked"
    assert not result.transient
    assert stand_in.counts == {"cdx": 1, "timegate": 1}


async def test_cdx_text_output_from_stand_in(stand_in: ArchiveStandIn) -> None:
    stand_in.add_capture(URL, "20230101000000")
    async with httpx.AsyncClient() as client:
        answer = await client.get(stand_in.base_url + "/cdx/search/cdx", params={"url": URL})
    assert answer.headers["content-type"].startswith("text/plain")
    fields = answer.text.split()
    assert fields[1:3] == ["20230101000000", URL]


async def test_availability_fallback_when_cdx_fails(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.unavailable(), times=3)  # past the retries
    result = await lookup(stand_in, clock)
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 3, 1, tzinfo=UTC)
    assert result.tried == ("wayback-cdx", "wayback-availability")
    assert result.note.startswith("wayback capture on or before the citation date")
    assert "Wayback CDX: CDX server answered HTTP 503 Service Unavailable" in result.note
    assert stand_in.counts == {"cdx": 3, "available": 1}
    assert 2.0 in clock.sleeps  # backed off ...
    assert 4.0 in clock.sleeps  # ... doubling


async def test_a_passing_503_is_waited_out_and_asked_again(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.unavailable())
    result = await lookup(stand_in, clock, timegates=())
    assert result.copy is not None
    assert not result.transient  # the second answer was clean
    assert stand_in.counts == {"cdx": 2}
    assert 2.0 in clock.sleeps


async def test_malformed_json_is_asked_again_then_in_the_text_format(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.malformed_json(), times=3)  # every JSON attempt truncated
    result = await lookup(stand_in, clock, timegates=())
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 3, 1, tzinfo=UTC)
    cdx = [path for endpoint, path, _ in stand_in.requests if endpoint == "cdx"]
    assert len(cdx) == 4
    assert all("output=json" in path for path in cdx[:3])
    assert "output=" not in cdx[3]  # the plain-text format


async def test_availability_empty_answer(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.fail("cdx", Fault.html_error(), times=6)  # JSON and text attempts alike
    result = await lookup(stand_in, clock, timegates=())
    assert result.copy is None
    assert "archive answered HTML instead of CDX rows" in result.note
    assert "Wayback Availability: no capture" in result.note
    assert result.transient


async def test_memento_timegate_through_stand_in(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    # CDX knows nothing (malformed), Availability is down: the TimeGate answers.
    stand_in.add_capture(URL, "20230301000000")
    stand_in.add_capture(URL, "20230419000000")  # closest: the TimeGate redirects here
    stand_in.fail("cdx", Fault.malformed_json(), times=6)
    stand_in.fail("available", Fault.unavailable(), times=3)
    result = await lookup(stand_in, clock)
    assert result.copy is not None
    assert result.copy.archive == "standin"
    # the 302 pointed after the date; the Link header's prev memento is before it
    assert result.copy.captured_at == datetime(2023, 3, 1, tzinfo=UTC)
    assert result.copy.before
    gate = next(r for r in stand_in.requests if r[0] == "timegate")
    assert gate[2]["accept-datetime"] == "Tue, 18 Apr 2023 11:05:53 GMT"
    assert "Wayback CDX: archive answered malformed JSON" in result.note
    assert "Wayback Availability: Availability API answered HTTP 503" in result.note


async def test_malformed_answers_become_notes(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.fail("cdx", Fault.malformed_json(), times=6)
    stand_in.fail("available", Fault(200, '{"archived_snapshots": ', "application/json"))
    stand_in.fail("timegate", Fault.html_error())
    result = await lookup(stand_in, clock)
    assert result.copy is None
    assert "Wayback CDX: archive answered malformed JSON" in result.note
    assert "Wayback Availability: archive answered malformed JSON" in result.note
    assert "standin: TimeGate standin answered without a redirect" in result.note
    assert result.transient


async def test_slow_answer_times_out_into_a_note(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.slow(2.0))
    result = await lookup(stand_in, clock, read_timeout=0.2, connect_timeout=0.2)
    assert "CDX server did not answer within the timeout" in result.note
    assert result.copy is not None  # the Availability API still answered
    assert result.copy.captured_at == datetime(2023, 3, 1, tzinfo=UTC)


async def test_429_pauses_for_retry_after_then_retries(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.too_many_requests(retry_after=7))
    limiter = clock.limiter()
    options = stand_in.options()
    async with make_client(options) as client:
        result = await find_copy(URL, TARGET, client, options, limiter=limiter)
    assert result.copy is not None
    assert stand_in.counts["cdx"] == 2
    assert clock.sleeps == [7.0]


async def test_persistent_429_gives_up_with_a_note(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.fail("cdx", Fault.too_many_requests(retry_after=5), times=10)
    result = await lookup(stand_in, clock, timegates=(), retries_on_429=2)
    assert result.copy is None
    assert "rate limited by the CDX server (429)" in result.note
    assert stand_in.counts["cdx"] == 3  # first try + two retries, never more
    assert clock.sleeps == [5.0, 5.0]
    assert result.tried == ("wayback-cdx",)  # the Availability API is the same server
    assert stand_in.counts["available"] == 0


async def test_429_without_retry_after_waits_default(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.add_capture(URL, "20230301000000")
    stand_in.fail("cdx", Fault.too_many_requests(retry_after=None))
    result = await lookup(stand_in, clock, default_retry_after=45.0)
    assert result.copy is not None
    assert clock.sleeps == [45.0]


async def test_rate_budget_spaces_requests(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    urls = [f"https://news.example/{i}" for i in range(8)]
    for url in urls:
        stand_in.add_capture(url, "20230301000000")
    options = stand_in.options(concurrency=4)
    limiter = clock.limiter(per_minute=30, burst=2)
    results = await find_copies(
        [(u, TARGET) for u in urls], options, limiter=limiter, timegate_limiters={}
    )
    assert all(r.copy is not None for r in results.values())
    assert stand_in.counts["cdx"] == 8
    # 2 at once, then one every 2 s: 6 more requests cost 12 s of waiting
    assert sum(clock.sleeps) == 12.0
    assert clock.now - 1000.0 == 12.0


async def test_find_copies_dedupes_and_caches(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.add_capture(URL, "20230301000000")
    other_time = datetime(2023, 4, 18, 23, 0, tzinfo=UTC)  # same day: same lookup
    cache = MemoryArchiveCache()
    options = stand_in.options()
    limiter = clock.limiter()
    first = await find_copies(
        [(URL, TARGET), (URL, other_time), (URL, TARGET)], options, cache=cache, limiter=limiter
    )
    assert stand_in.counts["cdx"] == 1
    assert first[(URL, TARGET)] == first[(URL, other_time)]
    again = await find_copies([(URL, TARGET)], options, cache=cache, limiter=limiter)
    assert stand_in.counts["cdx"] == 1
    assert again[(URL, TARGET)].copy == first[(URL, TARGET)].copy
    assert len(cache) == 1


async def test_transient_failures_are_not_cached(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.fail("cdx", Fault.unavailable(), times=3)
    stand_in.fail("available", Fault.unavailable(), times=3)
    cache = MemoryArchiveCache()
    results = await find_copies(
        [(URL, TARGET)], stand_in.options(timegates=()), cache=cache, limiter=clock.limiter()
    )
    assert results[(URL, TARGET)].transient
    assert len(cache) == 0


async def test_use_all_archives_asks_every_gate(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    stand_in.add_capture(URL, "20230301000000")
    gates = (("one", stand_in.timegate_url), ("two", stand_in.timegate_url))
    result = await lookup(stand_in, clock, timegates=gates, use_all_archives=True)
    assert result.tried == ("wayback-cdx", "one", "two")
    assert result.copy is not None
    assert result.copy.before


async def test_stand_in_rejects_a_bad_timestamp(stand_in: ArchiveStandIn) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            stand_in.base_url + "/cdx/search/cdx",
            params={"url": URL, "closest": "yesterday", "sort": "closest"},
        )
    assert answer.status_code == 400
    assert stand_in.counts["cdx"] == 1


async def test_a_memento_of_an_error_is_never_offered(clock: FakeClock) -> None:
    """A TimeGate says nothing of a memento's status; aggregators lead to captures of
    404s and redirects too.  Each candidate is asked before it is offered."""
    with ArchiveStandIn(timegate_errors=True) as stand_in:
        stand_in.add_capture(URL, "20230301000000", 200)
        stand_in.add_capture(URL, "20230410000000", 404)  # nearest before: an archived 404
        stand_in.add_capture(URL, "20230415000000", 301)  # nearer still: an archived redirect
        options = stand_in.options(cdx_endpoint=stand_in.base_url + "/nothing/")
        async with make_client(options) as client:
            result = await find_copy(URL, TARGET, client, options, limiter=clock.limiter())
        heads = [path for endpoint, path, _ in stand_in.requests if endpoint == "web"]
    assert result.copy is not None
    assert result.copy.captured_at == datetime(2023, 3, 1, tzinfo=UTC)
    assert result.copy.status == 200
    assert heads == [
        f"/web/20230415000000/{URL}",
        f"/web/20230410000000/{URL}",
        f"/web/20230301000000/{URL}",
    ]


async def test_only_error_captures_are_said_to_be_so(clock: FakeClock) -> None:
    with ArchiveStandIn(timegate_errors=True) as stand_in:
        stand_in.add_capture(URL, "20230410000000", 404)
        options = stand_in.options(cdx_endpoint=stand_in.base_url + "/nothing/")
        async with make_client(options) as client:
            result = await find_copy(URL, TARGET, client, options, limiter=clock.limiter())
    assert result.copy is None
    assert "only captures of errors exist (404): none to offer" in result.note
