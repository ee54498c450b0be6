"""Three weeks of daily runs of the real pipeline against a loopback site: a server
that resets every connection is confirmed dead ("unreachable since"), a bot wall
never is, and a link flapping between 404 and 200 is checked for real and seen
failing on every day it fails, though the cache holds its last 200."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from linkaudit.check import CheckOptions, SystemClock
from linkaudit.history import ConfirmPolicy, LinkStatus, Observation, link_state, link_states
from linkaudit.model import Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.recording import RecheckFailing, failing_keys, record_audit
from linkaudit.store import Store
from linkaudit.testing.server import Conn, LoopbackServer, Request
from linkaudit.testing.zoo import StaticResolver
from tests.history.helpers import DEAD_PAGE, LIVE_PAGE, T0, Clock, article

HOST = "days.history.test"
POLICY = ConfirmPolicy()  # 3 runs over 3 days; unreachable: 5 runs over 14 days


class DayClock(SystemClock):
    """The engine's clock on the simulated calendar (results are stamped with it)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock()


def day(n: int) -> datetime:
    return T0 + timedelta(days=n - 1)


def obs(*seen: tuple[int, Verdict]) -> list[Observation]:
    return [Observation(day(n), verdict, run_id=n) for n, verdict in seen]


U, B, OK, W = Verdict.UNREACHABLE, Verdict.BROKEN, Verdict.OK, Verdict.BLOCKED


def test_unreachable_in_every_run_for_weeks_is_death() -> None:
    three_weeks = obs(*((n, U) for n in (1, 5, 9, 13, 17, 21)))
    state = link_state(three_weeks, POLICY)
    assert state.status is LinkStatus.CONFIRMED_DEAD
    assert state.cause == f"unreachable since {day(1):%Y-%m-%d}"
    assert state.since == day(1)
    assert state.confirmed_at == day(17)  # the 5th run on the 17th day: 16 days spanned


@pytest.mark.parametrize(
    "history",
    [
        pytest.param(obs(*((n, U) for n in range(1, 11))), id="ten-runs-over-ten-days"),
        pytest.param(obs((1, U), (8, U), (15, U), (22, U)), id="four-runs-over-three-weeks"),
        pytest.param(obs((1, U), (5, U), (9, W), (13, U), (17, U), (21, U)), id="a-wall-between"),
        pytest.param(obs(*((n, W) for n in range(1, 60, 3))), id="walled-for-two-months"),
    ],
)
def test_what_is_not_yet_death(history: list[Observation]) -> None:
    assert link_state(history, POLICY).status is not LinkStatus.CONFIRMED_DEAD


def test_a_reused_unreachable_result_does_not_count_and_a_pass_revives() -> None:
    history = obs(*((n, U) for n in (1, 5, 9, 13)))
    history.append(Observation(day(21), U, run_id=21, reused=True))
    assert link_state(history, POLICY).status is not LinkStatus.CONFIRMED_DEAD
    dead = obs(*((n, U) for n in (1, 5, 9, 13, 17)))
    assert link_state(dead, POLICY).status is LinkStatus.CONFIRMED_DEAD
    revived = link_state([*dead, *obs((18, OK))], POLICY)
    assert revived.status is LinkStatus.ALIVE
    assert revived.cause == ""


class Site:
    """/down resets every connection; /walled is a 403 wall; /flaps answers 404 on
    odd days and 200 on even ones; /steady is always fine."""

    def __init__(self, server: LoopbackServer, clock: Clock) -> None:
        self.clock = clock
        self.site = server.add_site("127.0.0.1")
        self.site.route("/down", self._down)
        self.site.route("/walled", self._walled)
        self.site.route("/flaps", self._flaps)
        self.site.route("/steady", self._steady)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.site.port}{path}"

    async def _down(self, request: Request, conn: Conn) -> None:
        await conn.reset()

    async def _walled(self, request: Request, conn: Conn) -> None:
        await conn.send(request, 403, b"<html><body>Forbidden</body></html>")

    async def _flaps(self, request: Request, conn: Conn) -> None:
        odd = (self.clock().date() - T0.date()).days % 2 == 0  # day 1, 3, 5, ...
        await conn.send(request, 404 if odd else 200, DEAD_PAGE if odd else LIVE_PAGE)

    async def _steady(self, request: Request, conn: Conn) -> None:
        await conn.send(request, 200, LIVE_PAGE)


@pytest.fixture
def weeks(tmp_path: Path) -> Iterator[tuple[Site, Store, Clock]]:
    clock = Clock()
    with LoopbackServer() as server, Store.open(tmp_path / "cache.sqlite", now=clock) as store:
        yield Site(server, clock), store, clock


def test_three_weeks_of_daily_runs(weeks: tuple[Site, Store, Clock]) -> None:
    site, store, clock = weeks
    paths = ("/down", "/walled", "/flaps", "/steady")
    document = article("a.html", [site.url(p) for p in paths], day(1), "Three weeks")
    options = AuditOptions(archive=None, check=CheckOptions(max_retries=0, soft404=False))
    flaps = site.url("/flaps")
    down = site.url("/down")
    for n in range(1, 23):
        clock.now = day(n).replace(hour=6)
        recheck = failing_keys(store.history, POLICY, clock())
        services = Services(
            resolver=StaticResolver({HOST: "127.0.0.1"}),
            cache=RecheckFailing(store.results, recheck),
            clock=clock,
            check_clock=DayClock(clock),
        )
        run = asyncio.run(audit_documents([document], options, services))
        record_audit(store, run, sources=["a.html"])
        seen = {f.citation.key: f for f in run.report.findings}
        # the flapping link is checked for real every day, so its 404 days are seen
        assert not seen[flaps].result or not seen[flaps].result.from_cache, n
        assert seen[flaps].verdict is (Verdict.BROKEN if n % 2 else Verdict.OK), n
        states = link_states(store.history.observations(), POLICY)
        assert states[site.url("/walled")].status is LinkStatus.UNKNOWN  # never dead
        dead = states[down].status is LinkStatus.CONFIRMED_DEAD
        assert dead is (n >= 15), n  # 15 daily runs: at least 5 runs over 14 days
    assert states[down].cause == f"unreachable since {day(1):%Y-%m-%d}"
    assert states[site.url("/steady")].status is LinkStatus.ALIVE
    assert site.site.stats.count("/flaps") == 22  # one real request a day


@pytest.mark.parametrize("reason", ["run_deadline", "internal_error"])
def test_unreachable_for_reasons_of_our_own_is_never_death(reason: str) -> None:
    ours = [Observation(day(n), U, reason, run_id=n) for n in range(1, 60, 3)]
    assert link_state(ours, POLICY).status is not LinkStatus.CONFIRMED_DEAD
    # ...nor does it break a streak the host's own silence started
    mixed = obs(*((n, U) for n in (1, 5, 9)))
    mixed += [Observation(day(11), U, reason, run_id=11)]
    mixed += obs(*((n, U) for n in (13, 17)))
    assert link_state(mixed, POLICY).status is LinkStatus.CONFIRMED_DEAD
