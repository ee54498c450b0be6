"""Start-up of an editor's ``linkaudit check`` of one article: what imports cost.

An editor waits for ``check`` before its first request is sent (issue 17), and
most of that wait is Python importing modules.  This measures, for a plain
``check --no-cache --format json`` of a two-link HTML file whose links point at
127.0.0.1:9 (refused at once, so the run is all start-up):

- the summed self time of linkaudit's modules under ``python -X importtime``
  (the best of ``--runs`` runs, module by module);
- the best-of-``--runs`` wall and CPU times of ``python -c "import linkaudit.cli"``, of
  the ``check`` command itself, and of importing the libraries it cannot do
  without (httpx, asyncio, click, lxml.html): the floor;
- with ``--callgrind`` (valgrind installed), the instructions the ``check``
  command executes: the one number here a busy machine does not blur.

``--src DIR`` measures another checkout's ``src`` (put first on ``PYTHONPATH``),
e.g. ``git archive main src | tar -x -C /tmp/main`` for a before/after.  Byte
code is written on a first run, so every measured run reads cached ``.pyc``.

    python -m benchmarks.import_cost --runs 10 [--src /tmp/main/src] [--callgrind]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ARTICLE = (
    "<!doctype html><title>t</title><article><p>"
    '<a href="http://127.0.0.1:9/a">a</a> <a href="http://127.0.0.1:9/b">b</a>'
    "</p></article>\n"
)
FLOOR = "import httpx, asyncio, click, lxml.html"
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what users run: cached byte code
    if src is not None:
        env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
    return env


def _check(python: str, article: Path) -> list[str]:
    return [python, "-m", "linkaudit", "check", "--no-cache", "--format", "json", str(article)]


def best_times(
    argv: Sequence[str], env: dict[str, str], cwd: Path, runs: int
) -> tuple[float, float]:
    """The best wall time and the best CPU time (user + system) of ``runs`` runs.

    On a machine others share, the wall time mostly measures them; the child's
    CPU time much less so."""
    wall = cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
        wall = min(wall, time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu = min(cpu, used)
    return wall, cpu


def importtime(argv: Sequence[str], env: dict[str, str], cwd: Path, runs: int) -> dict[str, int]:
    """Each module's best self time (microseconds) over ``runs`` runs."""
    best: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in done.stderr.splitlines():
            found = _IMPORTTIME.match(line)
            if found:
                name, took = found.group(2), int(found.group(1))
                best[name] = min(best.get(name, took), took)
    return best


def instructions(argv: Sequence[str], env: dict[str, str], cwd: Path) -> int | None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        return None
    out = cwd / "callgrind.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=False,
    )
    summary = subprocess.run(
        ["callgrind_annotate", str(out)], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", summary)
    return int(found.group(1).replace(",", "")) if found else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", type=Path, help="measure this src directory instead")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--callgrind", action="store_true", help="count instructions too")
    args = parser.parse_args(argv)
    env = _env(args.src)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # no linkaudit.toml or pyproject.toml here
        article = cwd / "article.html"
        article.write_text(ARTICLE, encoding="utf-8")
        check = _check(args.python, article)
        subprocess.run(check, env=env, cwd=cwd, capture_output=True, check=False)  # .pyc
        selves = importtime(check, env, cwd, args.runs)
        ours = {name: t for name, t in selves.items() if name.split(".")[0] == "linkaudit"}
        print(f"linkaudit modules imported by check: {len(ours)}")
        print(f"their importtime self time, summed: {sum(ours.values()) / 1000:.1f} ms")
        for name, took in sorted(ours.items(), key=lambda item: -item[1])[:10]:
            print(f"  {took / 1000:6.2f} ms  {name}")
        print(f"best of {args.runs}: wall, CPU (user + system)")
        for label, command in (
            ("import linkaudit.cli", [args.python, "-c", "import linkaudit.cli"]),
            ("check (2 links)", check),
            (f"floor: {FLOOR}", [args.python, "-c", FLOOR]),
        ):
            wall, cpu = best_times(command, env, cwd, args.runs)
            print(f"  {wall:.3f} s  {cpu:.3f} s  {label}")
        if args.callgrind:
            counted = instructions(check, env, cwd)
            shown = "valgrind not found" if counted is None else f"{counted / 1e6:,.0f} M"
            print(f"instructions (callgrind) of check: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
