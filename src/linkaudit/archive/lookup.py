"""Find the archived copy of a URL nearest to a date, across archives.

Order: Wayback CDX, then (only if CDX failed) the Availability API, then each
configured Memento TimeGate.  The search stops as soon as a copy on or before the
target is known (what the author saw), unless ``use_all_archives`` asks every
archive; an after-only copy keeps the search going in the hope of a before one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import httpx

from linkaudit.archive.base import ArchiveOptions, select_capture, to_copy
from linkaudit.archive.memento import timegate_lookup
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.archive.wayback import availability_lookup, cdx_lookup
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

    @classmethod
    def open(
        cls, options: ArchiveOptions, transport: httpx.AsyncBaseTransport | None = None
    ) -> ArchiveSession:
        wayback, timegates = make_limiters(options)
        return cls(options, make_client(options, transport), wayback, timegates)

    async def aclose(self) -> None:
        await self.client.aclose()


_CLEAN = ("no capture", "no memento")


def _describe_choice(capture: Capture, target: datetime) -> str:
    side = "on or before" if as_utc(capture.captured_at) <= as_utc(target) else "after"
    lead = "" if side == "on or before" else "no capture on or before the date; "
    return f"{lead}{capture.archive} capture {side} the citation date"


async def find_copy(
    url: str,
    target: datetime,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    *,
    limiter: RateLimiter | None = None,
    timegate_limiters: Mapping[str, RateLimiter] | None = None,
) -> ArchiveLookup:
    """The archived copy of ``url`` a reader should get for a citation dated ``target``.

    Never raises for anything an archive does: errors become the lookup's ``note``.
    """
    tried: list[str] = []
    notes: list[str] = []
    candidates: list[Capture] = []
    failed = False

    cdx = await cdx_lookup(url, target, client, options, limiter=limiter)
    tried.append("wayback-cdx")
    candidates.extend(cdx.captures)
    if cdx.failed:
        failed = True
        notes.append(f"Wayback CDX: {cdx.note}")
        if not cdx.rate_limited:  # the Availability API is the same server: let it rest
            avail = await availability_lookup(url, target, client, options, limiter=limiter)
            tried.append("wayback-availability")
            candidates.extend(avail.captures)
            if avail.note:
                notes.append(f"Wayback Availability: {avail.note}")
    elif cdx.note:
        notes.append(f"Wayback: {cdx.note}")

    best = select_capture(candidates, target)
    for name, gate in options.timegates:
        have_before = best is not None and as_utc(best.captured_at) <= as_utc(target)
        if have_before and not options.use_all_archives:
            break
        gate_limiter = (timegate_limiters or {}).get(name)
        result = await timegate_lookup(
            url, target, client, options, name, gate, limiter=gate_limiter
        )
        tried.append(name)
        candidates.extend(result.captures)
        if result.failed:
            failed = True
        if result.note:
            notes.append(f"{name}: {result.note}")
        best = select_capture(candidates, target)

    if best is None:
        note = "; ".join(notes) if notes else "no capture"
        if not failed and all(n.endswith(_CLEAN) for n in notes):
            note = "no capture in any archive asked"
        return ArchiveLookup(
            None, note, tuple(tried), transient=failed, candidates=tuple(candidates)
        )
    note = _describe_choice(best, target)
    if failed:  # say what went wrong on the way, an editor may want to retry later
        note += " (" + "; ".join(n for n in notes if not n.endswith(_CLEAN)) + ")"
    return ArchiveLookup(
        to_copy(best, target), note, tuple(tried), transient=failed, candidates=tuple(candidates)
    )


async def find_copies(
    requests: Sequence[tuple[str, datetime]],
    options: ArchiveOptions,
    *,
    client: httpx.AsyncClient | None = None,
    cache: ArchiveCache | None = None,
    limiter: RateLimiter | None = None,
    timegate_limiters: Mapping[str, RateLimiter] | None = None,
) -> dict[tuple[str, datetime], ArchiveLookup]:
    """Look many ``(url, target)`` pairs up, each distinct (url, target day) once.

    The result is keyed by the request pairs as given.  ``cache`` (persistent) is
    consulted first and receives every outcome that was not caused by an error; pass
    a :class:`MemoryArchiveCache` shared across calls to de-duplicate a whole run.
    Pass ``limiter`` too when calling repeatedly, so the budget spans the run.
    """
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
                )
            except Exception as exc:  # a bug must cost one link, not the run
                lookup = ArchiveLookup(
                    None, f"archive lookup failed: {type(exc).__name__}: {exc}", transient=True
                )
        outcomes[key] = lookup
        if cache is not None and not lookup.transient:
            cache.put(url, day, lookup)

    try:
        await asyncio.gather(*(one(key, target) for key, target in unique.items()))
    finally:
        if own_client:
            await http.aclose()
    return {(url, target): outcomes[(url, as_utc(target).date())] for url, target in requests}
