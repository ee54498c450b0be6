"""Several worker processes and one PostgreSQL over a multi-host loopback corpus (issue 23).

    .venv/bin/python -m benchmarks.pg_workers [--urls-per-host 150] [--workers 4] [--kill]

A throw-away cluster (``linkaudit.testing.postgres``), a database, and loopback
hosts with different limits, each counting what it sees:

* ``fast-N`` (``--fast-hosts``): answer in 20 ms; at most 4 in flight, no interval.
* ``paced-0``, ``paced-1``: answer in 20 ms; at most 2 in flight, starts 50 ms apart.
* ``slow``: answers in 400 ms; at most 4 in flight, no interval.
* ``strict``: answers in 20 ms; one at a time, starts 250 ms apart (30 URLs).
* ``refusing``: its first three requests get ``429 Retry-After: 2``, then 200s (30 URLs).

The URLs are enqueued with those limits (host rows), ``--workers`` processes run
``linkaudit worker --store postgresql://…``; with ``--kill`` one worker is killed
(SIGKILL) once a third of the URLs are answered.  Measured **by the target
servers**: requests per host, the most in flight at once, the smallest gap
between request starts, and after a 429 the time until the host is asked again;
**by the store**: results, the smallest gap between claims on the database's
clock, leases reaped.  Then throughput and the database's size.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from linkaudit.store import Store
from linkaudit.store.queue import HostLimits, WorkQueue, politeness_key
from linkaudit.testing.postgres import TempCluster
from linkaudit.testing.server import Conn, Handler, LoopbackServer, Request, page

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
BODY = "<html><head><title>Story</title></head><body>" + "<p>words</p>" * 40 + "</body></html>"


@dataclass
class Seen:
    """What one target host saw (mutated on the server's thread)."""

    arrivals: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    refusals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def counting(seen: Seen, delay: float, refuse_first: int = 0) -> Handler:
    ok = page(BODY)
    refused = page("slow down", status=429, headers=[("Retry-After", "2")])

    async def handler(request: Request, conn: Conn) -> None:
        with seen.lock:
            now = time.monotonic()
            seen.arrivals.append(now)
            seen.in_flight += 1
            seen.max_in_flight = max(seen.max_in_flight, seen.in_flight)
            refuse = len(seen.arrivals) <= refuse_first
        try:
            await asyncio.sleep(delay)
            await (refused if refuse else ok)(request, conn)
            if refuse:  # the back-off counts from when the refusal was sent
                with seen.lock:
                    seen.refusals.append(time.monotonic())
        finally:
            with seen.lock:
                seen.in_flight -= 1

    return handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--urls-per-host", type=int, default=300)
    parser.add_argument("--fast-hosts", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill", action="store_true", help="SIGKILL one worker a third in")
    args = parser.parse_args()

    n = args.urls_per_host
    hosts: dict[str, tuple[float, HostLimits, int, int]] = {  # delay, limits, refusals, URLs
        **{f"fast-{i}": (0.02, HostLimits(4, 0.0), 0, n) for i in range(args.fast_hosts)},
        **{f"paced-{i}": (0.02, HostLimits(2, 0.05), 0, n // 2) for i in range(2)},
        "slow": (0.4, HostLimits(4, 0.0), 0, n // 2),
        "strict": (0.02, HostLimits(1, 0.25), 0, 30),
        "refusing": (0.02, HostLimits(2, 0.05), 3, 30),
    }
    with TempCluster(name="bench") as cluster, LoopbackServer() as server:
        dsn = cluster.new_database("bench")
        seen: dict[str, Seen] = {}
        urls: list[str] = []
        limits: dict[str, HostLimits] = {}
        keys: dict[str, str] = {}
        for number, (name, (delay, limit, refuse, count)) in enumerate(hosts.items(), start=1):
            site = server.add_site(f"127.0.0.{number}")
            seen[name] = Seen()
            site.fallback = counting(seen[name], delay, refuse)
            host_urls = [site.url(f"/story/{i}") for i in range(count)]
            urls += host_urls
            keys[name] = politeness_key(host_urls[0])
            limits[name] = limit
        with Store.open(dsn) as store:
            queue = WorkQueue(store.db)
            for name, limit in limits.items():
                queue.set_limits(keys[name], limit)
            since = queue.enqueue(urls)
            started = time.monotonic()
            workers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "linkaudit",
                        "worker",
                        "--store",
                        dsn,
                        "--idle-exit",
                        "3",
                        "--lease",
                        "5",
                    ],
                    env=ENV,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _ in range(args.workers)
            ]
            killed = None
            while True:
                answered = len(queue.answered(urls, since))
                if args.kill and killed is None and answered >= len(urls) // 3:
                    victim = workers[0]
                    held = store.db.query_one(
                        "SELECT count(*) FROM queue WHERE lease_owner LIKE ?",
                        (f"%:{victim.pid}:%",),
                    )
                    if held is not None and held[0] >= 3:  # kill it holding leases
                        os.kill(victim.pid, signal.SIGKILL)
                        killed = victim
                        print(
                            f"killed worker pid {victim.pid} at {answered} answered,"
                            f" holding {held[0]} leases"
                        )
                if answered == len(urls):
                    break
                if all(w.poll() is not None for w in workers):
                    break
                time.sleep(0.01 if args.kill and killed is None else 0.2)
            finished = time.monotonic()
            outputs = [w.communicate(timeout=60)[0].strip() for w in workers]
            results = store.db.query_one("SELECT count(*), count(DISTINCT key) FROM results")
            lease_gaps = dict(
                store.db.query(
                    "SELECT host, min(gap) FROM (SELECT host, extract(epoch FROM leased_at"
                    " - lag(leased_at) OVER (PARTITION BY host ORDER BY leased_at)) AS gap"
                    " FROM queue) AS g GROUP BY host"
                )
            )
            size = store.db.query_one("SELECT pg_database_size(current_database())")
            tables = store.db.query(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class"
                " WHERE relname IN ('results', 'queue', 'hosts') ORDER BY relname"
            )
    wall = finished - started
    print(f"{len(urls)} URLs on {len(hosts)} hosts, {args.workers} worker processes")
    print(f"killed: {'one worker, mid-run' if killed else 'none'}")
    reaped = sum(
        int(o.split(" leases reaped")[0].rsplit(" ", 1)[1]) for o in outputs if "reaped" in o
    )
    print(f"leases reaped by the other workers: {reaped}")
    print(f"answered: {answered} in {wall:.1f} s ({answered / wall:.0f} URLs/s)")
    assert results is not None
    print(f"results stored: {results[0]} rows, {results[1]} distinct URLs")
    print()
    print(
        f"{'host':<10} {'limit':>5} {'interval':>8} {'requests':>8} {'max in flight':>13}"
        f" {'min gap (server)':>16} {'min gap (store)':>15}"
    )
    for name, limit in limits.items():
        s = seen[name]
        arrivals = sorted(s.arrivals)
        gaps = sorted(b - a for a, b in itertools.pairwise(arrivals))
        gap = gaps[0] if gaps else 0.0
        short = sum(g < limit.min_interval for g in gaps)
        store_gap = float(lease_gaps.get(keys[name]) or 0.0)
        print(
            f"{name:<10} {limit.max_in_flight:>5} {limit.min_interval:>8.2f}"
            f" {len(s.arrivals):>8} {s.max_in_flight:>13} {gap * 1000:>13.1f} ms"
            f" {store_gap * 1000:>12.1f} ms"
        )
        if limit.min_interval and gaps:
            print(f"{'':<10} gaps shorter than the interval (server clock): {short} of {len(gaps)}")
        for refusal in s.refusals:
            after = [a for a in arrivals if a > refusal]
            if after:
                wait = after[0] - refusal
                print(f"{'':<10} 429 (Retry-After: 2) sent; next new request {wait:.2f} s later")
    print()
    for out in outputs:
        print("worker:", out.splitlines()[-1] if out else "(killed, no output)")
    assert size is not None
    print(
        f"database: {size[0] / 1e6:.1f} MB in all; "
        + ", ".join(f"{name} {bytes_ / 1e6:.2f} MB" for name, bytes_ in tables)
        + f" ({sum(b for _, b in tables) / len(urls):.0f} bytes per URL)"
    )


if __name__ == "__main__":
    main()
