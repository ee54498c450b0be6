"""Time to the first verdicts: the editor's desk (``linkaudit serve``) against a cold
``linkaudit check``, for one 30-link article on loopback.

    .venv/bin/python -m benchmarks.desk_first_verdict [--runs 5] [--links 30] [--latency 0.02]

The article cites ``--links`` pages on a loopback site (each answering after
``--latency`` seconds; three of them 404).  Each run:

* **cold check**: ``linkaudit check article.html --no-cache`` as a new process, as
  an editor would type it; its verdicts appear when it prints, at its end, so the
  first verdict and the last arrive together;
* **desk**: the same article pasted into a desk that has already audited one other
  article (so it is warm: interpreter started, every stage imported, configuration
  read), no cache either, polled every 10 ms: the first verdict is the first
  link result the page can show, the last is the finished audit (archive lookups
  for the three broken links included, against the local archive stand-in);
* **desk, store warm**: the same article again with the desk's store on: links
  checked within ``max_age`` are answered from it.

Prints the median (and min) of each, in milliseconds.  Nothing touches the internet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from linkaudit.serve.app import Running
from linkaudit.serve.desk import Desk
from linkaudit.settings import RunInputs
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, Site, page

LINKAUDIT = Path(sys.executable).with_name("linkaudit")


def article(site: Site, links: int) -> str:
    items = []
    for n in range(links):
        path = f"/gone-{n}" if n % 10 == 9 else f"/page-{n}"
        items.append(f'<li>Source {n}: <a href="{site.url(path)}">the report, part {n}</a></li>')
    body = "\n".join(items)
    return f"<!doctype html><html><body><article><h1>Thirty sources</h1><ul>\n{body}\n</ul>"


def cold_check(workdir: Path, path: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(LINKAUDIT), "check", str(path), "--no-cache", "--color", "never"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if "30 citations" not in result.stdout:
        raise SystemExit(f"check did not audit the article:\n{result.stdout}\n{result.stderr}")
    return elapsed


class DeskClient:
    def __init__(self, running: Running) -> None:
        self.http = httpx.Client(base_url=running.url)
        home = self.http.get("/").text
        self.csrf = home.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]

    def audit(self, text: str) -> tuple[float, float]:
        """(seconds to the first verdict, seconds to the finished audit)."""
        started = time.perf_counter()
        job = self.http.post(
            "/api/audits",
            json={"kind": "html", "text": text},
            headers={"X-CSRF-Token": self.csrf},
        ).json()["id"]
        first = None
        while True:
            status: dict[str, Any] = self.http.get(f"/api/audits/{job}").json()
            now = time.perf_counter() - started
            if first is None and (status["live"] or status["state"] == "done"):
                first = now
            if status["state"] == "done":
                assert first is not None
                return first, now
            if status["state"] == "failed":
                raise SystemExit(f"the desk failed: {status['error']}")
            time.sleep(0.01)


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.0f} ms (min {min(values) * 1000:.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as temp,
        LoopbackServer() as server,
        ArchiveStandIn() as archive,
    ):
        workdir = Path(temp)
        (workdir / "linkaudit.toml").write_text('archives = ["wayback"]\n', encoding="utf-8")
        os.chdir(workdir)
        site = server.add_site("127.0.0.5", latency=args.latency)
        for n in range(args.links):
            site.route(f"/page-{n}", page(f"<html><body><p>Part {n}.</p></body></html>"))
        text = article(site, args.links)
        path = workdir / "article.html"
        path.write_text(text, encoding="utf-8")
        cold: list[float] = []
        desk_first: list[float] = []
        desk_done: list[float] = []
        warm_first: list[float] = []
        warm_done: list[float] = []
        uncached = Desk(RunInputs(wayback_url=archive.base_url, overrides={"no_cache": True}))
        cached = Desk(
            RunInputs(wayback_url=archive.base_url, overrides={"cache": workdir / "desk.sqlite"})
        )
        try:
            with Running(uncached) as plain, Running(cached) as warm:
                plain_client, warm_client = DeskClient(plain), DeskClient(warm)
                warm_up = "<p><a href='" + site.url("/page-0") + "'>warm-up</a></p>"
                plain_client.audit(warm_up)
                warm_client.audit(text)  # fills the store
                runs: list[tuple[str, Callable[[], None]]] = [
                    ("cold", lambda: cold.append(cold_check(workdir, path))),
                    ("desk", lambda: _pair(plain_client.audit(text), desk_first, desk_done)),
                    ("warm", lambda: _pair(warm_client.audit(text), warm_first, warm_done)),
                ]
                for _ in range(args.runs):
                    for _name, step in runs:
                        step()
        finally:
            uncached.close()
            cached.close()
    print(f"article: {args.links} links on loopback ({args.latency * 1000:.0f} ms per answer)")
    print(f"runs: {args.runs}, medians")
    print(f"cold `linkaudit check`          first = all verdicts {_ms(cold)}")
    print(f"desk (warm process, no cache)   first verdict        {_ms(desk_first)}")
    print(f"                                all verdicts+archive {_ms(desk_done)}")
    print(f"desk (warm process and store)   first verdict        {_ms(warm_first)}")
    print(f"                                all verdicts+archive {_ms(warm_done)}")


def _pair(times: tuple[float, float], firsts: list[float], dones: list[float]) -> None:
    firsts.append(times[0])
    dones.append(times[1])


if __name__ == "__main__":
    main()
