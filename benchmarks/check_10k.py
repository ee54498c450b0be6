"""Benchmark: check 10,000 links across 100 loopback hosts with injected latency.

    .venv/bin/python benchmarks/check_10k.py                # the full run
    .venv/bin/python benchmarks/check_10k.py --links 1000   # a quick one

Every host is a real HTTP server on 127.0.0.2-127.0.0.9 (its own port), reached
through invented names resolved by a ``StaticResolver``; each answer is delayed
by ``--latency``.  The mix is mostly live pages, with 404s, permanent redirects
and binary files (HEAD) as on a real article archive.  Prints wall time, the
requests the servers counted (which should be close to the number of links: one
fetch per URL, one soft-404 probe per host and directory), the verdicts, and the
peak resident memory of the checking process (the servers run in another).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.testing.server import Conn, LoopbackServer, Request
from linkaudit.testing.zoo import LOOPBACK, StaticResolver


def _page(n: int) -> bytes:
    words = " ".join(f"word{(n * 7 + i) % 997}" for i in range(150))
    return (
        f"<!doctype html><html><head><title>Story {n}</title></head><body>"
        f"<article><h1 id='story'>Story {n}</h1><p>{words}</p></article></body></html>"
    ).encode()


async def _handler(request: Request, conn: Conn) -> None:
    """/p/N: a page; /gone/N: 404; /old/N: 301 to /p/N; /f/N.pdf: a PDF; else 404."""
    path = request.path
    if path.startswith("/p/"):
        await conn.send(request, 200, _page(int(path[3:] or 0)))
    elif path.startswith("/old/"):
        await conn.send(request, 301, b"", (("Location", "/p/" + path[5:]),), content_type=None)
    elif path.startswith("/f/"):
        await conn.send(request, 200, b"%PDF-1.4\n" + b"0" * 4096, content_type="application/pdf")
    else:
        await conn.send(request, 404, b"<h1>Not Found</h1>")


def _link(host: str, port: int, n: int) -> str:
    kind = n % 100
    if kind < 90:
        path = f"/p/{n}"
    elif kind < 95:
        path = f"/gone/{n}"
    elif kind < 98:
        path = f"/old/{n}"
    else:
        path = f"/f/{n}.pdf"
    return f"http://{host}:{port}{path}"


def _serve(conn: Connection, hosts: int, latency: float) -> None:
    """The servers' process: start the sites, report their ports, then their counts."""
    with LoopbackServer() as server:
        sites = []
        for i in range(hosts):
            site = server.add_site(LOOPBACK[i % len(LOOPBACK)], latency=latency)
            site.fallback = _handler
            sites.append(site)
        conn.send([(site.host, site.port) for site in sites])
        conn.recv()  # the client is done
        conn.send([(site.stats.requests, site.stats.max_in_flight) for site in sites])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=4)
    args = parser.parse_args(argv)

    # The servers get their own process so that the client's time and memory are its own.
    parent, child = multiprocessing.Pipe()
    servers = multiprocessing.Process(
        target=_serve, args=(child, args.hosts, args.latency), daemon=True
    )
    servers.start()
    addresses: list[tuple[str, int]] = parent.recv()
    resolver = StaticResolver()
    names = []
    for i, (address, port) in enumerate(addresses):
        name = f"host{i}.bench.test"
        resolver.add(name, address)
        names.append((name, port))
    links = [_link(*names[n % len(names)], n) for n in range(args.links)]
    options = CheckOptions(
        concurrency=args.concurrency,
        per_host=args.per_host,
        timeout_connect=5,
        timeout_read=5,
        deadline=30,
    )
    done = 0

    def progress(_: object) -> None:
        nonlocal done
        done += 1

    started = time.monotonic()
    results = check_urls_sync(links, options, resolver=resolver, progress=progress)
    wall = time.monotonic() - started
    parent.send("done")
    counts: list[tuple[int, int]] = parent.recv()
    servers.join(timeout=10)
    requests = sum(n for n, _ in counts)
    peak_per_host = max(peak for _, peak in counts)

    verdicts = Counter(f"{r.verdict.value}/{r.reason}" for r in results.values())
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"links checked     {len(results):>8} ({done} progress callbacks)")
    print(f"hosts             {args.hosts:>8} (latency {args.latency * 1000:.0f} ms per answer)")
    print(f"limits            concurrency {args.concurrency}, per host {args.per_host}")
    print(f"wall time         {wall:>8.2f} s ({len(results) / wall:.0f} links/s)")
    print(f"requests sent     {requests:>8} (server-counted)")
    print(f"peak per host     {peak_per_host:>8} requests in flight (server-counted)")
    print(f"peak RSS          {peak_rss_mb:>8.1f} MB (the checking process; servers run apart)")
    for verdict, count in sorted(verdicts.items()):
        print(f"  {verdict:<28} {count:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
