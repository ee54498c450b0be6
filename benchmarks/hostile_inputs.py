"""Benchmark: hostile and huge inputs, time and peak memory of one linkaudit process each.

    .venv/bin/python benchmarks/hostile_inputs.py                 # inputs through `extract`
    .venv/bin/python benchmarks/hostile_inputs.py --audit 100000  # + a 100k-link audit

Each case runs ``linkaudit`` in a child process that reads its own peak resident
memory from ``/proc/self/status`` (``VmHWM``) as it exits; ``ru_maxrss`` of
children is not used because it survives ``exec`` and would report the parent's
peak.  Inputs are generated into a temporary directory:

* a WordPress post whose ``content.rendered`` is 30 MB, and one with a 5 MB
  number (Python refuses to convert ints of more than 4,300 digits);
* a 20 MB single-line page with 400,000 links;
* 300 KB of unclosed ``<a>`` tags; one element with 100,000 attributes;
* with ``--audit N``: an article of N links over 500 loopback hosts (servers
  in another process, as in ``check_10k.py``), audited with the default
  reports (HTML, JSON, Markdown): the run the issue measured at 1,968 MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from linkaudit.testing.memory import run_measured
from linkaudit.testing.server import LoopbackServer
from linkaudit.testing.zoo import LOOPBACK


def run(args: list[str], cwd: Path) -> tuple[float, int, int, str]:
    """(seconds, peak MB, exit code, last stderr line) of one ``linkaudit`` run."""
    done = run_measured(args, cwd, timeout=None)
    said = [line for line in done.stderr.splitlines() if line.strip()]
    peak = done.peak_kb // 1024 if done.peak_kb >= 0 else -1
    return done.seconds, peak, done.code, (said[-1] if said else "")[:100]


def _wordpress_big_content(path: Path) -> None:
    body = "<p>" + "word " * 6_000_000 + '<a href="https://example.com/x">x</a></p>'
    post = {"id": 1, "link": "https://site.example/p", "content": {"rendered": body}}
    path.write_text(json.dumps(post))


def _wordpress_big_number(path: Path) -> None:
    body = '"<p><a href=\\"https://example.com/x\\">x</a></p>"'
    path.write_text('{"id": ' + "7" * 5_000_000 + ', "content": {"rendered": ' + body + "}}")


def _links_one_line(path: Path) -> None:
    links = "".join(f'<a href="https://h{i % 500}.example/p{i}">l{i}</a> ' for i in range(400_000))
    path.write_text(f"<html><body><p>{links}</p></body></html>")


def _unclosed_anchors(path: Path) -> None:
    path.write_text("<html><body><p>" + "<a>" * 100_000 + "</p></body></html>")


def _many_attributes(path: Path) -> None:
    attributes = " ".join(f"data-a{i}=x" for i in range(100_000))
    path.write_text(f'<html><body><p {attributes}><a href="https://e.example/">x</a></p>')


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "wordpress 30 MB content": ("big_content.json", _wordpress_big_content),
    "wordpress 5 MB number": ("big_number.json", _wordpress_big_number),
    "400k links, one 20 MB line": ("links400k.html", _links_one_line),
    "300 KB unclosed <a>": ("unclosed.html", _unclosed_anchors),
    "100k attributes": ("attributes.html", _many_attributes),
}


def _serve(conn: Connection, hosts: int) -> None:
    from benchmarks.check_10k import _handler

    with LoopbackServer() as server:
        sites = []
        for i in range(hosts):
            site = server.add_site(LOOPBACK[i % len(LOOPBACK)])
            site.fallback = _handler
            sites.append(site)
        conn.send([(site.host, site.port) for site in sites])
        conn.recv()


def _audit(links: int, hosts: int, work: Path) -> None:
    parent, child = multiprocessing.Pipe()
    servers = multiprocessing.Process(target=_serve, args=(child, hosts), daemon=True)
    servers.start()
    addresses: list[tuple[str, int]] = parent.recv()
    from benchmarks.check_10k import _link

    paragraphs = []
    for start in range(0, links, 10):
        sentences = (
            f'A claim, see <a href="{_link(*addresses[n % hosts], n)}">source {n}</a>.'
            for n in range(start, min(links, start + 10))
        )
        paragraphs.append("<p>" + " ".join(sentences) + "</p>")
    article = work / "article.html"
    article.write_text(
        "<html><head><title>Big</title></head><body><article><h1>Big</h1>"
        + "\n".join(paragraphs)
        + "</article></body></html>"
    )
    wall, peak, code, _said = run(
        [
            "audit",
            str(article),
            "--no-cache",
            "--no-archive",
            "--per-host",
            "8",
            "--concurrency",
            "128",
            "-q",
            "--output-dir",
            str(work / "reports"),
            "--force",
        ],
        work,
    )
    parent.send("done")
    servers.join(timeout=10)
    sizes = {p.name: p.stat().st_size for p in (work / "reports").iterdir() if p.is_file()}
    print(f"{'audit ' + str(links) + ' links':<32} {wall:>7.1f} s {peak:>6} MB  exit {code}")
    for name, size in sorted(sizes.items()):
        print(f"    {name:<28} {size / 1e6:>8.1f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", type=int, default=0, help="links in the audited article")
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, (filename, make) in CASES.items():
            if args.only and args.only not in name:
                continue
            path = work / filename
            make(path)
            wall, peak, code, said = run(["extract", str(path), "--format", "json"], work)
            print(f"{name:<32} {wall:>7.1f} s {peak:>6} MB  exit {code}  {said}")
        if args.audit:
            _audit(args.audit, args.hosts, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
