"""How long before the first request leaves: linkaudit's start-up against lychee's.

    .venv/bin/python -m benchmarks.startup [--runs 10]

An editor's ``linkaudit check`` cannot finish before its slowest link has answered,
and that link cannot be asked before the process has started, read the article and
planned its requests.  On the benchmark's editor article (``benchmarks.compare``,
seed 2) the slowest host answers in 1.78 s, so whatever start-up costs is added to
that almost whole.  This measures the parts, each as a new process, best of
``--runs`` (the machine's noise only ever adds):

* **interpreter**: ``python -c pass``;
* **libraries**: importing what ``check`` cannot do without (asyncio, httpx, click,
  lxml.html, orjson): no Python checker using them starts sooner;
* **linkaudit imports**: ``import linkaudit.cli`` and exit, which waits for the trust
  store its import starts loading on a thread of its own (a ``check`` goes on
  meanwhile, so its first request can leave before this row's time);
* **first request, linkaudit / lychee**: from starting the process to the first
  request reaching a loopback server, for a one-paragraph HTML article citing two
  pages of it (``check --no-cache --format json``, as the editor benchmark runs it).

Prints milliseconds; the floor a Python checker on these libraries cannot go under
is the "libraries" row.  Nothing touches the internet.
"""

from __future__ import annotations

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import peers

PYTHON = sys.executable
LIBRARIES = "import asyncio, httpx, click, lxml.html, orjson"
#: What users run: cached byte code (a ``PYTHONDONTWRITEBYTECODE`` environment would
#: compile every changed module again on every run).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


class _FirstRequest(http.server.BaseHTTPRequestHandler):
    """Answers 200 and notes when the first request of a trial arrived."""

    arrived: float | None = None

    def do_GET(self) -> None:
        if type(self).arrived is None:
            type(self).arrived = time.monotonic()
        body = b"<html><head><title>ok</title></head><body><p>ok</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


def _best(runs: int, trial: Callable[[], float | None]) -> float | None:
    times = [t for t in (trial() for _ in range(runs)) if t is not None]
    return min(times) if times else None


def _process(argv: Sequence[str]) -> float:
    started = time.monotonic()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=_ENV
    )
    return time.monotonic() - started


def _first_request(argv: Sequence[str]) -> float | None:
    _FirstRequest.arrived = None
    started = time.monotonic()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=_ENV
    )
    arrived = _FirstRequest.arrived
    return None if arrived is None else arrived - started


def measure(runs: int, *, lychee: bool = True) -> list[tuple[str, float | None]]:
    """Each row's best time in seconds (None: the tool could not be run, or
    ``lychee`` is false)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FirstRequest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        with tempfile.TemporaryDirectory() as scratch:
            article = Path(scratch) / "article.html"
            article.write_text(
                "<html><head><title>Note</title></head><body><article><p>"
                f'<a href="http://127.0.0.1:{port}/one">one</a> and '
                f'<a href="http://127.0.0.1:{port}/two">two</a>.'
                "</p></article></body></html>\n"
            )
            linkaudit = [
                str(peers.VENV_BIN / "linkaudit"),
                "check",
                str(article),
                "--no-cache",
                "--format",
                "json",
            ]
            lychee_bin = peers.lychee_bin()
            rows: list[tuple[str, float | None]] = [
                ("interpreter", _best(runs, lambda: _process([PYTHON, "-c", "pass"]))),
                ("libraries", _best(runs, lambda: _process([PYTHON, "-c", LIBRARIES]))),
                (
                    "linkaudit imports",
                    _best(runs, lambda: _process([PYTHON, "-c", "import linkaudit.cli"])),
                ),
                ("first request, linkaudit", _best(runs, lambda: _first_request(linkaudit))),
            ]
            if lychee and lychee_bin.exists():
                argv = [str(lychee_bin), "--no-progress", "--format", "json", str(article)]
                rows.append(("first request, lychee", _best(runs, lambda: _first_request(argv))))
            else:
                rows.append(("first request, lychee", None))
            return rows
    finally:
        server.shutdown()
        server.server_close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="trials per row (best is kept)")
    args = parser.parse_args(argv)
    rows = measure(max(1, args.runs))
    print(f"best of {args.runs}, milliseconds (python {sys.version.split()[0]})\n")
    print("| start-up | ms |")
    print("|---|---|")
    for name, seconds in rows:
        shown = "not run (lychee not installed)" if seconds is None else f"{seconds * 1000:.0f}"
        print(f"| {name} | {shown} |")


if __name__ == "__main__":
    main()
