"""Workers: processes that check what a PostgreSQL store's queue says is due.

``linkaudit worker --store postgresql://…`` runs :func:`work` until stopped; many
may run per machine and on many machines, and ``linkaudit audit … --store
postgresql://…`` enqueues its URLs and works the queue too while it follows them
(:class:`QueueChecker`), so a run never waits on workers that are not there and
finishes sooner for every worker that is.

A worker asks the queue (:class:`~linkaudit.store.queue.WorkQueue`) for URLs by
host and checks each the moment it is claimed.  One claim is one request: the
checker runs with one request at a time and no in-process retries, soft-404
probes or back-off, because each of those would be a request the host's row did
not grant (the row's ``in_flight`` and ``min_interval`` are the politeness, for
every worker at once).  A "come back later" answer goes back to the host row, so
every worker backs off; the queue's due time is the retry.

The price, today: through the queue a soft 404 (an error page served with 200) is
not recognised, and a transient answer (a timeout, a reset) is the run's answer
after one try, due again within the hour.  Sharing each host's soft-404 probe
through its row, so one probe serves every worker, is the way to get them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx

from linkaudit.archive.base import ArchiveOptions
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.check import CheckOptions, Evidence, Resolver, build_client, check_urls
from linkaudit.check import Clock as CheckClock
from linkaudit.check.classify import classify
from linkaudit.check.engine import answer_from_cache
from linkaudit.model import CheckResult, Verdict
from linkaudit.reasons import Reason
from linkaudit.store.base import DatabaseError, ResultCache
from linkaudit.store.codec import result_from_row
from linkaudit.store.queue import HostLimits, Lease, PolitenessKey, WorkQueue, owner_id
from linkaudit.store.results import REPEATED, RESULT_VALUES
from linkaudit.store.store import Store


@dataclass(frozen=True)
class WorkerOptions:
    """How one worker works.  ``concurrency``: URLs it checks at once (over all
    hosts; each host's own limit is its row's).  ``slack``: how long a claimed URL
    may wait to be started before it is given back.  ``poll``: the pause after a
    claim that found nothing.  ``lease``: how long a claim lasts without an answer
    before another worker may take it (longer than any one check may take)."""

    concurrency: int = 32
    slack: float = 0.1
    poll: float = 0.05
    reap_every: float = 2.0
    lease: timedelta = timedelta(minutes=2)
    limits: HostLimits = field(default_factory=HostLimits)
    politeness: PolitenessKey = PolitenessKey.HOST


@dataclass
class WorkerStats:
    """What a worker did, for its closing line and the benchmarks."""

    checked: int = 0
    released: int = 0
    stale: int = 0
    reaped: int = 0
    errors: list[str] = field(default_factory=list)


def claim_options(options: CheckOptions) -> CheckOptions:
    """The checker's options for one claimed URL: one request at a time, nothing the
    host row did not grant (see the module docstring)."""
    return replace(options, concurrency=1, per_host=1, max_retries=0, soft404=False)


async def work(
    store: Store,
    options: CheckOptions,
    worker: WorkerOptions = WorkerOptions(),
    *,
    owner: str | None = None,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: CheckClock | None = None,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[CheckResult], None] | None = None,
    on_page: Callable[[str, Evidence], None] | None = None,
) -> WorkerStats:
    """Claim, check and complete until ``stop()`` says so (``on_page``: as for
    ``check_urls``, told of each page this process fetched)."""
    queue = WorkQueue(store.db, lease=worker.lease)
    me = owner or owner_id()
    stats = WorkerStats()
    checker = claim_options(options)
    running: set[asyncio.Task[None]] = set()
    last_reap = float("-inf")

    async def one(lease: Lease, claimed: float) -> None:
        try:
            if time.monotonic() - claimed > worker.slack:  # too late to start politely
                queue.release(lease)
                stats.released += 1
                return
            results = await check_urls(
                [lease.key],
                checker,
                resolver=resolver,
                transport=transport,
                clock=clock,
                on_page=on_page,
            )
            result = results[lease.key]
            if queue.complete(lease, result):
                stats.checked += 1
                if progress is not None:
                    progress(result)
            else:
                stats.stale += 1
        except DatabaseError as exc:  # the lease runs out and the URL is run again
            stats.errors.append(str(exc))

    # A process's first check loads the trust store and the classifier's modules
    # (~0.1 s): done before the first claim, so no claimed start is late for it.
    async with build_client(checker, resolver=resolver, transport=transport):
        classify(Evidence(url="http://warm.invalid/", status=200))
    try:
        while not stop():
            now = time.monotonic()
            if now - last_reap >= worker.reap_every:
                last_reap = now
                try:
                    stats.reaped += queue.reap()
                except DatabaseError as exc:
                    stats.errors.append(str(exc))
            free = worker.concurrency - len(running)
            claimed = time.monotonic()  # before the database's now(): the slack is conservative
            try:
                leases = queue.claim(me, free, slack=worker.slack)
            except DatabaseError as exc:
                stats.errors.append(str(exc))
                leases = []
            for lease in leases:
                task = asyncio.ensure_future(one(lease, claimed))
                running.add(task)
                task.add_done_callback(running.discard)
            if leases and len(leases) == free:
                await asyncio.sleep(0)  # let them start before claiming more
            if running and (not leases or len(running) >= worker.concurrency):
                await asyncio.wait(running, timeout=worker.poll, return_when="FIRST_COMPLETED")
            elif not leases:
                await asyncio.sleep(worker.poll)
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return stats


class QueueChecker:
    """``check_urls`` for a run on a PostgreSQL store: what the cache cannot answer is
    enqueued and checked by the workers, this process among them, and each answer
    comes back as a fresh result (the run records it as its own observation)."""

    def __init__(self, store: Store, worker: WorkerOptions = WorkerOptions()) -> None:
        self._store = store
        self._worker = worker

    @property
    def options(self) -> WorkerOptions:
        """How this run enqueues and works: host limits and the politeness key."""
        return self._worker

    async def __call__(
        self,
        keys: Iterable[str],
        options: CheckOptions,
        *,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        cache: ResultCache | None = None,
        progress: Callable[[CheckResult], None] | None = None,
        clock: CheckClock | None = None,
        until: float | None = None,
        on_page: Callable[[str, Evidence], None] | None = None,
    ) -> dict[str, CheckResult]:
        """As ``check_urls``; ``on_page`` hears of the pages this process fetched only
        (another worker's pages stay there: drift skips those URLs in this run)."""
        results: dict[str, CheckResult] = {}
        wanted: list[str] = []
        for key in dict.fromkeys(keys):
            cached = answer_from_cache(cache, key, progress)
            if cached is not None:
                results[key] = cached
            else:
                wanted.append(key)
        if not wanted:
            return results
        queue = WorkQueue(self._store.db, lease=self._worker.lease)
        since = queue.enqueue(wanted, limits=self._worker.limits, mode=self._worker.politeness)
        left = set(wanted)

        def done() -> bool:
            if until is not None and time.monotonic() >= until:
                return True
            answered = queue.answered(sorted(left), since)
            for key in answered:
                result = self._latest(key)
                if result is not None:
                    results[key] = result
                    if progress is not None:
                        progress(result)
            left.difference_update(answered)
            return not left

        polled = [0.0]

        def stop() -> bool:
            now = time.monotonic()
            if now - polled[0] < 0.2:
                return False
            polled[0] = now
            return done()

        await work(
            self._store,
            options,
            self._worker,
            resolver=resolver,
            transport=transport,
            clock=clock,
            stop=stop,
            on_page=on_page,
        )
        for key in sorted(left):  # the run's deadline passed first
            results[key] = _stopped(key)
        return results

    def _latest(self, key: str) -> CheckResult | None:
        row = self._store.db.query_one(
            f"SELECT {RESULT_VALUES} FROM results AS r {REPEATED}"
            " WHERE r.key = ? ORDER BY r.checked_at DESC, r.id DESC LIMIT 1",
            (key,),
        )
        if row is None:
            return None
        try:
            return result_from_row(*row[1:], from_cache=False)
        except (ValueError, KeyError, TypeError):
            return None


class SharedRateLimiter(RateLimiter):
    """An archive's budget kept in its ``hosts`` row, so every process auditing
    against one store shares it (the archives are politeness keys like any host):
    each acquisition takes the row's next start slot, one ``min_interval`` after
    the previous one on the database's clock (after a burst of ``burst`` for an
    idle row, as the in-process bucket allows), and waits for it here; a 429's pause
    moves the row's ``backoff_until`` for everyone.  ``slots`` are the database
    times handed out (for tests and reports)."""

    def __init__(self, queue: WorkQueue, key: str, per_minute: float, burst: int = 1) -> None:
        super().__init__(per_minute, burst)
        self._burst = burst
        self._queue = queue
        self.key = key
        queue.set_limits(key, HostLimits(max_in_flight=1, min_interval=60.0 / per_minute))
        self.slots: list[datetime] = []

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        # if the store is away, this process still pauses; the others learn at their 429
        with contextlib.suppress(DatabaseError):
            self._queue.back_off(self.key, seconds)

    async def acquire(self) -> None:
        try:
            slot, wait = self._queue.take_slot(self.key, self._burst)
        except DatabaseError:  # the store is away: this process's own bucket
            await super().acquire()
            return
        self.slots.append(slot)
        self.acquired += 1
        if wait > 0:
            await self._wait(wait)


class SharedArchiveLimiters:
    """``ArchiveSession.open``'s limiters for a PostgreSQL store: the Wayback Machine,
    each TimeGate and Save Page Now as host rows (``archive:wayback``,
    ``archive:timegate:<name>``, ``archive:save``).  ``saves`` is set once called."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.saves: RateLimiter | None = None

    def __call__(self, options: ArchiveOptions) -> tuple[RateLimiter, dict[str, RateLimiter]]:
        queue = WorkQueue(self._store.db)
        burst = options.burst
        wayback = SharedRateLimiter(queue, "archive:wayback", options.requests_per_minute, burst)
        gates: dict[str, RateLimiter] = {
            name: SharedRateLimiter(
                queue, f"archive:timegate:{name}", options.timegate_requests_per_minute, burst
            )
            for name, _ in options.timegates
        }
        self.saves = SharedRateLimiter(queue, "archive:save", options.saves_per_minute)
        return wayback, gates


def shared_archive_limiters(store: Store) -> SharedArchiveLimiters:
    """The archives' budgets as the store's host rows (see :class:`SharedArchiveLimiters`)."""
    return SharedArchiveLimiters(store)


def _stopped(key: str) -> CheckResult:
    return CheckResult(
        key=key,
        url=key,
        verdict=Verdict.UNREACHABLE,
        reason=Reason.RUN_DEADLINE.value,
        detail="the run's deadline passed before a worker answered for this URL",
        checked_at=datetime.now(UTC),
    )
