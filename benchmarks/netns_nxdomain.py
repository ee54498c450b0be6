"""A real run whose resolver answers NXDOMAIN for every name: exit 3, said, nothing kept.

Tests simulate a failing resolver through an injected one; this runs the real
command line and the real system resolver (glibc), inside a network namespace of
its own whose ``/etc/resolv.conf`` points at a tiny DNS server on the namespace's
loopback that answers every question with NXDOMAIN (a captive portal, split DNS
or a VPN down look like this).  Nothing leaves the namespace: it has no other
interface.

    sudo .venv/bin/python -m benchmarks.netns_nxdomain

Needs root and iproute2 (``ip netns``).  Prints what the run printed, its exit code,
and what the store holds afterwards; exits 0 when the run exited 3, named the
network or resolver, and recorded nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NAMESPACE = f"linkaudit-nx-{os.getpid()}"
LINKAUDIT = Path(sys.executable).with_name("linkaudit")

#: Answers every UDP question with the question and RCODE 3 (NXDOMAIN).
DNS_SERVER = textwrap.dedent(
    """
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    print("ready", flush=True)
    while True:
        query, peer = sock.recvfrom(4096)
        if len(query) < 12:
            continue
        flags = 0x8000 | (query[2] & 0x79) << 8 | 0x0080 | 3  # QR, opcode+RD, RA, NXDOMAIN
        header = query[:2] + flags.to_bytes(2, "big") + query[4:6] + bytes(6)
        sock.sendto(header + query[12:], peer)
    """
)

ARTICLE = """<!doctype html><html><head><title>A story</title></head><body><article>
<p>According to <a href="https://www.census.example.gov/data/2021">the census</a>,
the <a href="https://news.example.org/2021/05/rivers">river report</a> and
<a href="https://university.example.edu/papers/123.pdf">a paper</a>, it rained.</p>
</article></body></html>
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


def main() -> int:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("needs root and iproute2 (ip netns)", file=sys.stderr)
        return 2
    etc = Path("/etc/netns") / NAMESPACE
    work = Path(tempfile.mkdtemp(prefix="linkaudit-nx-"))
    server: subprocess.Popen[str] | None = None
    try:
        _ip("netns", "add", NAMESPACE)
        _ip("netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up")
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n", encoding="utf-8")
        server = subprocess.Popen(
            ["ip", "netns", "exec", NAMESPACE, sys.executable, "-c", DNS_SERVER],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        article = work / "article.html"
        article.write_text(ARTICLE, encoding="utf-8")
        cache = work / "cache.sqlite"
        started = time.monotonic()
        done = subprocess.run(
            ["ip", "netns", "exec", NAMESPACE, str(LINKAUDIT), "check", str(article),
             "--cache", str(cache), "--max-retries", "0"],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        print(f"exit code: {done.returncode} after {elapsed:.2f} s")
        print(f"stderr: {done.stderr.strip()}")
        with sqlite3.connect(cache) as db:
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
            results = db.execute("SELECT count(*) FROM results").fetchone()[0]
        print(f"store: {runs} runs, {results} results")
        good = (
            done.returncode == 3
            and "network/resolver is not working" in done.stderr
            and runs == 0
            and results == 0
        )
        print("as intended" if good else "NOT as intended")
        return 0 if good else 1
    finally:
        if server is not None:
            server.kill()
            server.wait()
        subprocess.run(["ip", "netns", "del", NAMESPACE], check=False)
        shutil.rmtree(etc, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
