"""Save Page Now through the real waybackpy, pointed at the loopback stand-in."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from linkaudit.archive import SaveStatus, save_live
from linkaudit.testing.archive import ArchiveStandIn, Fault
from tests.archive.conftest import FakeClock

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def test_save_succeeds(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    url = "https://live.example/page"
    [outcome] = await save_live(
        [(url, None)], stand_in.options(), now=NOW, limiter=clock.limiter(4, 1)
    )
    assert outcome.status is SaveStatus.SAVED, outcome.reason
    assert outcome.archive_url is not None
    # on the archive that was asked, not the public one the answer names
    assert outcome.archive_url.startswith(stand_in.base_url + "/web/")
    assert outcome.archive_url.endswith("/" + url)
    assert outcome.captured_at is not None
    assert stand_in.counts["save"] == 1
    assert stand_in.requests[0][1] == "/save/" + url
    assert len(stand_in.captures(url)) == 1  # and the stand-in now has the capture


async def test_recent_capture_is_skipped_old_one_saved(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    fresh = ("https://live.example/fresh", NOW - timedelta(days=10))
    old = ("https://live.example/old", NOW - timedelta(days=400))
    outcomes = await save_live(
        [fresh, old], stand_in.options(), now=NOW, limiter=clock.limiter(4, 1)
    )
    assert [o.status for o in outcomes] == [SaveStatus.SKIPPED, SaveStatus.SAVED]
    assert "recent capture exists" in outcomes[0].reason
    assert stand_in.counts["save"] == 1


async def test_a_refusal_pauses_saving_then_it_resumes(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.fail("save", Fault.too_many_requests(retry_after=300))
    urls = [(f"https://live.example/{i}", None) for i in range(3)]
    outcomes = await save_live(
        urls, stand_in.options(save_workers=1), now=NOW, limiter=clock.limiter(4, 1)
    )
    assert [o.status for o in outcomes] == [SaveStatus.SAVED] * 3
    assert outcomes[0].reason == "saved after Save Page Now asked us to wait (429)"
    assert [o.reason for o in outcomes[1:]] == ["saved", "saved"]
    assert stand_in.counts["save"] == 4  # the refused one asked once more
    assert 60.0 in clock.sleeps  # the pause, before anything else was sent


async def test_saving_stops_after_repeated_refusals(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.fail("save", Fault.too_many_requests(retry_after=300), times=10)
    urls = [(f"https://live.example/{i}", None) for i in range(4)]
    outcomes = await save_live(
        urls, stand_in.options(save_workers=1), now=NOW, limiter=clock.limiter(4, 1)
    )
    assert all(o.status is SaveStatus.FAILED for o in outcomes)
    assert "saving paused 60 s" in outcomes[0].reason
    assert stand_in.counts["save"] == 3  # three refusals, then no more requests
    assert all("refused 3 saves in this run" in o.reason for o in outcomes[2:])


async def test_hung_save_is_abandoned_at_the_deadline(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.save_delay = 30.0
    started = time.monotonic()
    [outcome] = await save_live(
        [("https://live.example/hangs", None)],
        stand_in.options(save_deadline=0.2),
        now=NOW,
        limiter=clock.limiter(4, 1),
    )
    assert time.monotonic() - started < 2.0
    assert outcome.status is SaveStatus.FAILED
    assert outcome.reason.startswith("deadline: no answer within 0.2 s")


async def test_server_error_is_a_failure_not_an_exception(
    stand_in: ArchiveStandIn, clock: FakeClock
) -> None:
    stand_in.fail("save", Fault.unavailable())
    [outcome] = await save_live(
        [("https://live.example/x", None)],
        stand_in.options(),
        now=NOW,
        limiter=clock.limiter(4, 1),
    )
    assert outcome.status is SaveStatus.FAILED
    assert outcome.reason == "Save Page Now answered without a capture"


async def test_saves_respect_their_own_rate(stand_in: ArchiveStandIn, clock: FakeClock) -> None:
    urls = [(f"https://live.example/r{i}", None) for i in range(3)]
    outcomes = await save_live(urls, stand_in.options(), now=NOW, limiter=clock.limiter(4, 1))
    assert [o.status for o in outcomes] == [SaveStatus.SAVED] * 3
    assert sum(clock.sleeps) == 30.0  # 4 a minute: one every 15 s after the first
    assert stand_in.counts["save"] == 3


async def test_unreachable_save_endpoint(clock: FakeClock) -> None:
    from linkaudit.archive import ArchiveOptions

    [outcome] = await save_live(
        [("https://live.example/x", None)],
        ArchiveOptions(),
        save_url="http://127.0.0.1:9/save/",
        now=NOW,
        limiter=clock.limiter(4, 1),
    )
    assert outcome.status is SaveStatus.FAILED
    assert outcome.reason.startswith("error: ConnectionError")
