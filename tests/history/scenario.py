"""A site audited on several days: links die, flap, hide behind a bot wall and recover.

The real pipeline (``audit_documents``) checks a loopback site through a static
resolver; a hand-moved clock dates the runs, which are recorded in a real store
with ``record_audit``.  No sleeps, no DNS, no internet.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType

from linkaudit.check import CheckOptions
from linkaudit.history import ArchiveMark, RunDiff
from linkaudit.model import ArchiveCopy, ArchiveLookup, Document
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.recording import diff_latest, record_audit
from linkaudit.store import Store
from linkaudit.testing.server import LoopbackServer
from linkaudit.testing.zoo import StaticResolver
from tests.history.helpers import Clock, SwitchableSite, article

HOST = "news.history.test"
DEAD_HOST_URL = "http://gone.history.invalid/report"  # NXDOMAIN: broken every run

#: Days with a run (day 1 is the first; nobody runs on day 3) and each path's mode then.
DAYS = (1, 2, 4, 5, 6)
MODES: dict[str, tuple[str, ...]] = {
    "/steady": ("live", "live", "live", "live", "live"),
    "/dies": ("dead", "dead", "gone", "dead", "dead"),
    "/flaps": ("dead", "live", "dead", "live", "dead"),
    "/recovers": ("dead", "dead", "live", "live", "live"),
    "/walled": ("dead", "blocked", "dead", "dead", "dead"),
}

OLD = "posts/2019-rivers.html"
MID = "posts/2022-glaciers.html"
NEW = "posts/2025-coasts.html"


class Scenario:
    """Owns the loopback server, the clock and the store of one simulated history."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.server = LoopbackServer()
        self.server.start()
        self.site = SwitchableSite(self.server.add_site("127.0.0.1"))
        for path in MODES:
            self.site.add(path)
        self.resolver = StaticResolver({HOST: "127.0.0.1"})
        self.clock = Clock()
        self.store = Store.open(db_path, now=self.clock)
        self.run_ids: dict[int, int] = {}

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.site.site.port}{path}"

    def key(self, path: str) -> str:
        return self.url(path)

    def documents(self) -> list[Document]:
        u = self.url
        return [
            article(
                OLD,
                [u("/dies"), DEAD_HOST_URL, u("/steady")],
                datetime(2019, 5, 1, tzinfo=UTC),
                "Rivers of 2019",
                lost=True,
            ),
            article(
                MID,
                [u("/flaps"), u("/recovers"), u("/steady")],
                datetime(2022, 1, 10, tzinfo=UTC),
                "Glaciers, revisited",
            ),
            article(
                NEW,
                [u("/walled"), u("/steady")],
                datetime(2025, 9, 1, tzinfo=UTC),
                "Coasts <script>alert(1)</script> & tides",
            ),
        ]

    def run_day(self, day: int) -> RunDiff:
        """Audit the articles on ``day`` with the site as MODES says; record it."""
        for path, modes in MODES.items():
            self.site.set(path, modes[DAYS.index(day)])
        self.clock.day(day)
        options = AuditOptions(archive=None, check=CheckOptions(max_retries=0))
        services = Services(resolver=self.resolver, cache=None, clock=self.clock)
        documents = self.documents()
        # A thread of its own: the caller may already run an event loop (Playwright).
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(asyncio.run, audit_documents(documents, options, services)).result(
                timeout=60
            )
        self.run_ids[day] = record_audit(self.store, run, sources=["posts/"])
        return diff_latest(self.store)

    def close(self) -> None:
        self.store.close()
        self.server.stop()

    def __enter__(self) -> Scenario:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def full_history(db_path: Path) -> Scenario:
    """Every run day, plus what archives know, for the health report tests.

    Archive knowledge: a capture of /dies near the 2019 article's date (cached
    lookup), a 2015 capture of /recovers (far from 2022), and /walled looked up in
    vain on day 5 and saved on day 6 (newly archived, near its 2025 date).  /steady
    has no capture at all: a ``--save`` candidate in each of its three articles.
    """
    scenario = Scenario(db_path)
    for day in DAYS[:-1]:
        scenario.run_day(day)
    db = scenario.store.history
    db.record_archives(
        scenario.run_ids[5],
        [(scenario.key("/walled"), date(2025, 9, 1), ArchiveMark(True), "no capture")],
    )
    scenario.run_day(DAYS[-1])
    saved_at = scenario.clock.now - timedelta(hours=1)
    db = scenario.store.history
    walled = ArchiveMark(True, _wayback(saved_at, scenario.url("/walled")), saved_at, "wayback")
    db.record_archives(
        scenario.run_ids[6], [(scenario.key("/walled"), date(2025, 9, 1), walled, "saved")]
    )
    for path, captured, target in (
        ("/dies", datetime(2019, 4, 20, tzinfo=UTC), date(2019, 5, 1)),
        ("/recovers", datetime(2015, 2, 1, tzinfo=UTC), date(2022, 1, 10)),
    ):
        url = scenario.url(path)
        copy = ArchiveCopy(
            "wayback",
            _wayback(captured, url),
            url,
            captured,
            abs((captured.date() - target).days),
            captured.date() <= target,
            200,
        )
        scenario.store.archives.put(url, target, ArchiveLookup(copy, "nearest capture"))
    return scenario


def _wayback(moment: datetime, url: str) -> str:
    return f"https://web.archive.org/web/{moment:%Y%m%d%H%M%S}/{url}"
