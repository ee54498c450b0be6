"""Find the archived copy of a URL nearest to a date, across archives.

Order: Wayback CDX, then (only if CDX failed) the Availability API, then each
configured Memento TimeGate.  The search stops as soon as a copy on or before the
target is known (what the author saw), unless ``use_all_archives`` asks every
archive; an after-only copy keeps the search going in the hope of a before one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import httpx

from linkaudit.archive.base import ArchiveOptions, same_resource, select_capture, to_copy
from linkaudit.archive.memento import UNVERIFIED, memento_status, timegate_lookup
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.archive.reach import NOT_LOOKED_UP, WAYBACK_SERVER, Reachability
from linkaudit.archive.wayback import EndpointResult, availability_lookup, cdx_lookup
from linkaudit.model import ArchiveLookup, Capture, as_utc
from linkaudit.store.base import ArchiveCache


class MemoryArchiveCache:
    """The run's own cache: keeps every outcome, failures included, so one run never
    asks an archive the same question twice (a failed answer will not improve within
    minutes, and asking again is what gets clients banned)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, date], ArchiveLookup] = {}

    def get(self, url: str, target_day: date) -> ArchiveLookup | None:
        return self._data.get((url, target_day))

    def put(self, url: str, target_day: date, lookup: ArchiveLookup) -> None:
        self._data[(url, target_day)] = lookup

    def __len__(self) -> int:
        return len(self._data)


def make_client(
    options: ArchiveOptions, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """A client for archive lookups; honest User-Agent, bounded timeouts.
    ``transport`` replaces the network (tests, the demo)."""
    return httpx.AsyncClient(
        headers={"User-Agent": options.user_agent},
        timeout=httpx.Timeout(options.read_timeout, connect=options.connect_timeout),
        follow_redirects=False,
        transport=transport,
    )


def make_limiters(options: ArchiveOptions) -> tuple[RateLimiter, dict[str, RateLimiter]]:
    """One bucket for the Wayback Machine (CDX and Availability share a server) and
    one per TimeGate."""
    wayback = RateLimiter(options.requests_per_minute, options.burst)
    gates = {
        name: RateLimiter(options.timegate_requests_per_minute, options.burst)
        for name, _ in options.timegates
    }
    return wayback, gates


@dataclass
class ArchiveSession:
    """One run's way to the archives: one client and one rate budget per archive,
    shared by lost-link restoration, lookups and Save Page Now, so the run as a
    whole stays within each archive's limits."""

    options: ArchiveOptions
    client: httpx.AsyncClient
    wayback: RateLimiter
    timegates: dict[str, RateLimiter]
    reach: Reachability = field(default_factory=Reachability)
    #: Save Page Now's budget when shared between processes (else ``save_live``'s own).
    saves: RateLimiter | None = None

    @classmethod
    def open(
        cls,
        options: ArchiveOptions,
        transport: httpx.AsyncBaseTransport | None = None,
        limiters: Callable[[ArchiveOptions], tuple[RateLimiter, dict[str, RateLimiter]]]
        | None = None,
    ) -> ArchiveSession:
        """``limiters``: the archives' budgets when they are not this process's own
        (a shared store's host rows, ``worker.shared_archive_limiters``)."""
        wayback, timegates = (limiters or make_limiters)(options)
        session = cls(options, make_client(options, transport), wayback, timegates)
        session.saves = getattr(limiters, "saves", None)  # see worker.shared_archive_limiters
        return session

    async def aclose(self) -> None:
        await self.client.aclose()


_CLEAN = ("no capture", "no memento")


def _answering(url: str, captures: Sequence[Capture]) -> tuple[list[Capture], list[Capture]]:
    """The captures that answer the question asked (a capture of ``url`` itself, as
    archives compare URLs, with a timestamp), and the rest: a broken or hostile
    archive's captures of other pages must never become an article's repair."""
    kept: list[Capture] = []
    dropped: list[Capture] = []
    for capture in captures:
        good = same_resource(url, capture.original_url) and capture.captured_at is not None
        (kept if good else dropped).append(capture)
    return kept, dropped


def _describe_choice(capture: Capture, target: datetime) -> str:
    side = "on or before" if as_utc(capture.captured_at) <= as_utc(target) else "after"
    lead = "" if side == "on or before" else "no capture on or before the date; "
    return f"{lead}{capture.archive} capture {side} the citation date"


@dataclass
class _Search:
    """One lookup's progress through the archives: what was asked, found and said."""

    url: str
    target: datetime
    tried: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidates: list[Capture] = field(default_factory=list)
    failed: bool = False
    asked: bool = False  # at least one archive was reachable and asked

    def best(self) -> Capture | None:
        return select_capture(self.candidates, self.target)

    def has_before(self) -> bool:
        best = self.best()
        return best is not None and as_utc(best.captured_at) <= as_utc(self.target)

    def heard(
        self, name: str, result: EndpointResult, reach: Reachability, archive: str, says: str
    ) -> None:
        """Take in one endpoint's answer, its note prefixed with who ``says`` it (and
        trip the ``archive``'s breaker when it could not be reached)."""
        self.tried.append(name)
        kept, dropped = _answering(self.url, result.captures)
        self.candidates.extend(kept)
        if dropped:
            self.notes.append(
                f"{says}: dropped {len(dropped)} captures of another page "
                f"({dropped[0].original_url}) or with no readable date"
            )
        self.failed = self.failed or result.failed
        if result.unreachable:
            reach.trip(archive, result.note)
        else:
            self.asked = True
        if result.note:
            self.notes.append(f"{says}: {result.note}")

    def lookup(self) -> ArchiveLookup:
        best = self.best()
        candidates = tuple(self.candidates)
        if best is None:
            errors = sorted({str(c.status) for c in self.candidates if c.status})
            if not self.asked:
                note = NOT_LOOKED_UP
            elif errors and not self.failed:
                note = f"only captures of errors exist ({', '.join(errors)}): none to offer"
            elif not self.failed and all(n.endswith(_CLEAN) for n in self.notes):
                note = "no capture in any archive asked"
            else:
                note = "; ".join(self.notes) if self.notes else "no capture"
            return ArchiveLookup(
                None, note, tuple(self.tried), transient=self.failed or not self.asked,
                candidates=candidates,
            )  # fmt: skip
        note = _describe_choice(best, self.target)
        if self.failed:  # say what went wrong on the way, an editor may want to retry later
            note += " (" + "; ".join(n for n in self.notes if not n.endswith(_CLEAN)) + ")"
        return ArchiveLookup(
            to_copy(best, self.target), note, tuple(self.tried), transient=self.failed,
            candidates=candidates,
        )  # fmt: skip


async def find_copy(
    url: str,
    target: datetime,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    *,
    limiter: RateLimiter | None = None,
    timegate_limiters: Mapping[str, RateLimiter] | None = None,
    reach: Reachability | None = None,
) -> ArchiveLookup:
    """The archived copy of ``url`` a reader should get for a citation dated ``target``.

    Never raises for anything an archive does: errors become the lookup's ``note``.
    An archive ``reach`` says is unreachable in this run is not asked again.
    """
    reach = reach if reach is not None else Reachability()
    search = _Search(url, target)
    if not reach.is_down(WAYBACK_SERVER):
        await _ask_wayback(search, url, client, options, limiter, reach)
    for name, gate in options.timegates:
        if search.has_before() and not options.use_all_archives:
            break
        if reach.is_down(name):
            continue
        gate_limiter = (timegate_limiters or {}).get(name)
        result = await timegate_lookup(
            url, target, client, options, name, gate, limiter=gate_limiter
        )
        search.heard(name, result, reach, name, name)
    limiters = dict(timegate_limiters or {})
    await _verify_statuses(search, client, options, lambda c: limiters.get(c.archive, limiter))
    return search.lookup()


async def _verify_statuses(
    search: _Search,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    limiter_for: Callable[[Capture], RateLimiter | None],
) -> None:
    """Ask the best candidate for its status while the archive did not say it (a
    TimeGate's mementos carry none), so that only a capture known to be a 2xx is
    offered: an archived 404 or 301 is no copy of what the author saw.  At most
    ``verify_mementos`` questions; a candidate left unverified is not offered."""
    for _ in range(max(0, options.verify_mementos)):
        best = search.best()
        if best is None or best.status is not None:
            return
        status = await memento_status(client, best, options, limiter_for(best))
        search.candidates = [
            replace(c, status=status) if c.url == best.url else c for c in search.candidates
        ]
    search.candidates = [
        replace(c, status=UNVERIFIED) if c.status is None else c for c in search.candidates
    ]


async def _ask_wayback(
    search: _Search,
    url: str,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    limiter: RateLimiter | None,
    reach: Reachability,
) -> None:
    """CDX first; the Availability API when CDX failed (not when it was rate limited:
    it is the same server, let it rest; nor when it was unreachable: so is it)."""
    cdx = await cdx_lookup(url, search.target, client, options, limiter=limiter)
    says = "Wayback CDX" if cdx.failed else "Wayback"
    search.heard("wayback-cdx", cdx, reach, WAYBACK_SERVER, says)
    if cdx.failed and not cdx.rate_limited and not cdx.unreachable:
        avail = await availability_lookup(url, search.target, client, options, limiter=limiter)
        search.heard("wayback-availability", avail, reach, WAYBACK_SERVER, "Wayback Availability")


async def find_copies(
    requests: Sequence[tuple[str, datetime]],
    options: ArchiveOptions,
    *,
    client: httpx.AsyncClient | None = None,
    cache: ArchiveCache | None = None,
    limiter: RateLimiter | None = None,
    timegate_limiters: Mapping[str, RateLimiter] | None = None,
    reach: Reachability | None = None,
    progress: Callable[[], None] | None = None,
    until: float | None = None,
) -> dict[tuple[str, datetime], ArchiveLookup]:
    """Look many ``(url, target)`` pairs up, each distinct (url, target day) once.

    The result is keyed by the request pairs as given.  ``cache`` (persistent) is
    consulted first and receives every outcome that was not caused by an error; pass
    a :class:`MemoryArchiveCache` shared across calls to de-duplicate a whole run.
    Pass ``limiter`` too when calling repeatedly, so the budget spans the run, and
    ``reach`` so an archive found unreachable is not asked again.  ``progress`` is
    called once per distinct lookup done.
    """
    reach = reach if reach is not None else Reachability()
    if limiter is None or timegate_limiters is None:
        made_wayback, made_gates = make_limiters(options)
        limiter = limiter or made_wayback
        timegate_limiters = timegate_limiters if timegate_limiters is not None else made_gates
    own_client = client is None
    http = client or make_client(options)
    semaphore = asyncio.Semaphore(max(1, options.concurrency))
    unique: dict[tuple[str, date], datetime] = {}
    for url, target in requests:
        unique.setdefault((url, as_utc(target).date()), target)
    outcomes: dict[tuple[str, date], ArchiveLookup] = {}

    async def one(key: tuple[str, date], target: datetime) -> None:
        url, day = key
        if cache is not None:
            hit = cache.get(url, day)
            if hit is not None:
                outcomes[key] = hit
                if progress is not None:
                    progress()
                return
        async with semaphore:
            try:
                lookup = await find_copy(
                    url,
                    target,
                    http,
                    options,
                    limiter=limiter,
                    timegate_limiters=timegate_limiters,
                    reach=reach,
                )
            except Exception as exc:  # a bug must cost one link, not the run
                lookup = ArchiveLookup(
                    None, f"archive lookup failed: {type(exc).__name__}: {exc}", transient=True
                )
        outcomes[key] = lookup
        if cache is not None and not lookup.transient:
            cache.put(url, day, lookup)
        if progress is not None:
            progress()

    tasks = [asyncio.ensure_future(one(key, target)) for key, target in unique.items()]
    try:
        if tasks:
            timeout = None if until is None else max(until - time.monotonic(), 0)
            await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if own_client:
            await http.aclose()
    late = ArchiveLookup(None, "not looked up: the run's deadline passed", transient=True)
    return {
        (url, target): outcomes.get((url, as_utc(target).date()), late) for url, target in requests
    }
