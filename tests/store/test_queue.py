"""The PostgreSQL work queue: claims by host, leases, shared back-off, due times;
and worker processes hammering it, checked from the store's own timestamps (the
database's clock) and from what the loopback target servers counted.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import make_result

from linkaudit import _aio as aio
from linkaudit.archive.base import ArchiveOptions
from linkaudit.archive.lookup import ArchiveSession
from linkaudit.check import CheckOptions
from linkaudit.model import CheckResult, Verdict
from linkaudit.store import DatabaseError, Store
from linkaudit.store.queue import (
    RECHECK_AFTER,
    HostLimits,
    PolitenessKey,
    WorkQueue,
    politeness_key,
)
from linkaudit.testing.server import LoopbackServer, Site, page
from linkaudit.worker import SharedRateLimiter, WorkerOptions, shared_archive_limiters, work

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}


@pytest.fixture
def store(pg_dsn: str) -> Iterator[Store]:
    with Store.open(pg_dsn) as opened:
        yield opened


@pytest.fixture
def queue(store: Store) -> WorkQueue:
    return WorkQueue(store.db, lease=timedelta(seconds=60))


def answer(
    key: str,
    verdict: Verdict = Verdict.OK,
    reason: str = "http_200",
    *,
    at: datetime | None = None,
    retry_after: datetime | None = None,
) -> CheckResult:
    return make_result(
        key, verdict, reason, checked_at=at or datetime.now(UTC), retry_after=retry_after
    )


def rows(store: Store, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return store.db.query(sql, params)


# --------------------------------------------------------------------------- one process


def test_politeness_keys() -> None:
    assert politeness_key("https://WWW.Example.org/a") == "www.example.org"
    assert politeness_key("http://127.0.0.2:8080/x") == "127.0.0.2:8080"
    assert politeness_key("https://news.bbc.co.uk/a", PolitenessKey.DOMAIN) == "bbc.co.uk"
    assert politeness_key("https://a.b.example.org/", PolitenessKey.DOMAIN) == "example.org"
    assert politeness_key("http://localhost:81/", PolitenessKey.IP) in {"127.0.0.1:81", "::1:81"}


def test_claims_take_one_url_per_host_up_to_each_hosts_limit(
    store: Store, queue: WorkQueue
) -> None:
    urls = [f"http://h{i % 3}.test/{i}" for i in range(12)]
    queue.enqueue(urls, limits=HostLimits(max_in_flight=2, min_interval=0))
    first = queue.claim("a", 10)
    assert sorted(lease.host for lease in first) == ["h0.test", "h1.test", "h2.test"]
    second = queue.claim("b", 10)
    assert len(second) == 3
    assert queue.claim("c", 10) == []  # every host has its 2 in flight
    assert {h["in_flight"] for h in queue.hosts().values()} == {2}
    # the database itself refuses more than the limit, whoever asks
    with pytest.raises(DatabaseError, match="hosts_in_flight_within_limit"):
        store.db.write(("UPDATE hosts SET in_flight = in_flight + 1", [()]))
    assert queue.complete(first[0], answer(first[0].key))
    (again,) = queue.claim("c", 10)
    assert again.host == first[0].host


def test_starts_of_one_host_are_spaced_by_its_interval_on_the_database_clock(
    store: Store, queue: WorkQueue
) -> None:
    queue.enqueue([f"http://slow.test/{i}" for i in range(3)], limits=HostLimits(5, 0.3))
    claimed = []
    deadline = time.monotonic() + 30
    while len(claimed) < 3 and time.monotonic() < deadline:
        claimed += queue.claim("a", 5)
        time.sleep(0.02)
    assert len(claimed) == 3
    times = [t for (t,) in rows(store, "SELECT leased_at FROM queue ORDER BY leased_at")]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.3


def test_a_completion_from_a_reaped_lease_is_refused(store: Store, pg_dsn: str) -> None:
    short = WorkQueue(store.db, lease=timedelta(seconds=1))
    short.enqueue(["http://h.test/a"], limits=HostLimits(1, 0))
    (dead,) = short.claim("dead-worker", 1)
    assert short.claim("other", 1) == []  # the host's one slot is taken
    time.sleep(1.2)
    assert short.reap() == 1
    (alive,) = short.claim("other", 1)
    assert alive.token != dead.token
    late = answer(dead.key, Verdict.BROKEN, "http_404")
    assert not short.complete(dead, late)  # stale: refused, nothing written
    assert short.complete(alive, answer(alive.key))
    assert rows(store, "SELECT verdict FROM results") == [("ok",)]
    assert short.hosts()["h.test"]["in_flight"] == 0


def test_retry_after_backs_the_whole_host_off_and_defers_the_url(
    store: Store, queue: WorkQueue
) -> None:
    queue.enqueue(
        ["http://busy.test/a", "http://busy.test/b", "http://calm.test/c"],
        limits=HostLimits(2, 0),
    )
    leases = {lease.host: lease for lease in queue.claim("a", 10)}
    now = datetime.now(UTC)
    refused = answer(
        leases["busy.test"].key,
        Verdict.BLOCKED,
        "rate_limited",
        at=now,
        retry_after=now + timedelta(seconds=120),
    )
    assert queue.complete(leases["busy.test"], refused)
    assert rows(store, "SELECT count(*) FROM results") == [(0,)]  # not an answer
    backoff = queue.hosts()["busy.test"]["backoff_until"]
    assert backoff > datetime.now(UTC) + timedelta(seconds=100)
    assert [lease.host for lease in queue.claim("b", 10)] == []  # calm.test's one URL is out
    queue.enqueue(["http://calm.test/d"])
    assert [lease.host for lease in queue.claim("b", 10)] == ["calm.test"]


def test_due_times_follow_the_verdict_on_the_database_clock(store: Store, queue: WorkQueue) -> None:
    keys = ["http://a.test/ok", "http://b.test/dead", "http://c.test/slow"]
    queue.enqueue(keys, limits=HostLimits(1, 0))
    verdicts = {
        "http://a.test/ok": (Verdict.OK, "http_200"),
        "http://b.test/dead": (Verdict.BROKEN, "http_404"),
        "http://c.test/slow": (Verdict.UNREACHABLE, "timeout"),
    }
    for lease in queue.claim("a", 10):
        verdict, reason = verdicts[lease.key]
        # a worker whose clock is a year off changes nothing: times are the database's
        wrong = answer(lease.key, verdict, reason, at=datetime(2020, 1, 1, tzinfo=UTC))
        assert queue.complete(lease, wrong)
    due = dict(rows(store, "SELECT key, due_at - checked_at FROM queue"))
    assert due == {
        "http://a.test/ok": RECHECK_AFTER["ok"],
        "http://b.test/dead": RECHECK_AFTER["failing"],
        "http://c.test/slow": RECHECK_AFTER["transient"],
    }
    assert queue.pending() == 0
    queue.enqueue(["http://a.test/ok"])  # asked for again: due now
    assert queue.pending() == 1


# --------------------------------------------------------------------------- many processes


def hosts_with_limits(server: LoopbackServer, count: int, latency: float) -> list[Site]:
    sites = []
    for i in range(count):
        site = server.add_site(f"127.0.0.{i + 1}", latency=latency)
        site.fallback = page("<title>fine</title><p>" + "text " * 50 + "</p>")
        sites.append(site)
    return sites


def start_worker(dsn: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "linkaudit", "worker", "--store", dsn, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def test_worker_processes_keep_every_hosts_limit_and_interval(store: Store, pg_dsn: str) -> None:
    per_host, interval = 2, 0.05
    with LoopbackServer() as server:
        sites = hosts_with_limits(server, 3, latency=0.1)
        urls = [site.url(f"/page/{n}") for site in sites for n in range(12)]
        queue = WorkQueue(store.db)
        queue.enqueue(urls, limits=HostLimits(per_host, interval))
        workers = [start_worker(pg_dsn, "--idle-exit", "1") for _ in range(3)]
        for worker in workers:
            _, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
    answered = rows(store, "SELECT count(*) FROM results")
    assert answered == [(len(urls),)]
    for site in sites:  # what the targets saw
        assert site.stats.requests == 12  # each URL asked once
        assert 1 <= site.stats.max_in_flight <= per_host
    by_host: dict[str, list[datetime]] = {}
    for host, leased in rows(store, "SELECT host, leased_at FROM queue ORDER BY leased_at"):
        by_host.setdefault(host, []).append(leased)
    for times in by_host.values():  # the store's own record of the starts
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert min(gaps) >= interval
    assert {h["in_flight"] for h in queue.hosts().values()} == {0}


def test_a_killed_workers_leases_are_run_again(store: Store, pg_dsn: str) -> None:
    with LoopbackServer() as server:
        (site,) = hosts_with_limits(server, 1, latency=1.0)
        urls = [site.url(f"/slow/{n}") for n in range(4)]
        queue = WorkQueue(store.db)
        queue.enqueue(urls, limits=HostLimits(4, 0))
        doomed = start_worker(pg_dsn, "--lease", "1")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and site.stats.in_flight < 4:
            time.sleep(0.05)
        assert site.stats.in_flight == 4  # all four claimed and asked
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
        assert rows(store, "SELECT count(*) FROM results") == [(0,)]
        heir = start_worker(pg_dsn, "--idle-exit", "1")
        out, err = heir.communicate(timeout=120)
        assert heir.returncode == 0, err
        assert "4 checked" in out + err
        assert "leases reaped" in out + err
    assert rows(store, "SELECT count(*) FROM results") == [(4,)]
    assert all(site.stats.count(f"/slow/{n}") == 2 for n in range(4))  # asked again
    assert queue.hosts()[politeness_key(urls[0])]["in_flight"] == 0


def test_a_real_429_with_retry_after_backs_every_worker_off(store: Store) -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.fallback = page("slow down", status=429, headers=[("Retry-After", "90")])
        urls = [site.url("/a"), site.url("/b"), site.url("/c")]
        queue = WorkQueue(store.db)
        queue.enqueue(urls, limits=HostLimits(1, 0))
        rounds = iter(range(40))
        stats = aio.run(
            work(store, CheckOptions(), WorkerOptions(poll=0.01), stop=lambda: next(rounds) >= 39)
        )
        assert site.stats.requests == 1  # the host said wait: nobody asked again
    assert stats.checked == 1
    (host,) = queue.hosts().values()
    assert host["backoff_until"] > datetime.now(UTC) + timedelta(seconds=80)
    assert host["in_flight"] == 0
    assert rows(store, "SELECT count(*) FROM results") == [(0,)]  # deferred, not answered
    assert rows(store, "SELECT count(*) FROM queue WHERE due_at > now() + interval '80 s'") == [
        (1,)
    ]


def test_archive_budgets_are_shared_by_every_process(pg_dsn: str) -> None:
    """Two auditing processes (two stores here) asking the Wayback Machine get start
    slots one interval apart between them, on the database's clock; a 429 one of
    them meets pauses the other."""
    options = ArchiveOptions(requests_per_minute=600, timegates=())  # one per 0.1 s
    with Store.open(pg_dsn) as first, Store.open(pg_dsn) as second:
        (a, _), (b, _) = (shared_archive_limiters(s)(options) for s in (first, second))
        assert isinstance(a, SharedRateLimiter)
        assert isinstance(b, SharedRateLimiter)

        async def both() -> None:
            await asyncio.gather(*(limiter.acquire() for limiter in (a, b, a, b, a, b)))

        aio.run(both())
        slots = sorted(a.slots + b.slots)
        assert len(slots) == 6
        assert min((y - x).total_seconds() for x, y in itertools.pairwise(slots)) >= 0.1
        a.pause(30)  # a 429 with Retry-After: 30 seen by the first process
        _, wait = WorkQueue(second.db).take_slot("archive:wayback")
        assert wait > 25
        # Save Page Now's budget travels with the session, as a host row too
        shared = shared_archive_limiters(first)
        session = ArchiveSession.open(options, limiters=shared)
        try:
            assert isinstance(session.saves, SharedRateLimiter)
            assert session.saves.key == "archive:save"
        finally:
            aio.run(session.aclose())
