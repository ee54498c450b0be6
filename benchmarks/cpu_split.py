"""Where a cold content run's CPU goes, process by process (issue 17).

``benchmarks.compare`` reports one CPU figure per run, the sum over the whole
process tree.  A cold run of the content corpus is spread over the parent (which
extracts through workers, saves, and reports), two forked extraction workers,
and the shard children that check (``check.shards``); on a 2-core machine their
CPU contends for the same cores, so the wall depends on all of it.  This runs
the corpus cold with a ``sitecustomize`` hook on ``PYTHONPATH`` that makes each
process write its own CPU seconds at exit (``os.register_at_fork`` in the forked
children, whose ``os._exit`` and ``SIGTERM`` are wrapped), and optionally a
``cProfile`` dump per process.  Variants are ``src`` directories put first on
``PYTHONPATH`` (e.g. an older commit's ``git archive``), run alternately, so that
a busy machine weighs on each alike; CPU seconds are steadier than the wall, and
the profiles' function calls per response steadier still.

    .venv/bin/python -m benchmarks.cpu_split --runs 3 /tmp/base/src,src
    .venv/bin/python -m benchmarks.cpu_split --runs 1 --profile /tmp/prof src
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import corpora, peers
from benchmarks.compare import SETTINGS
from benchmarks.servers import CorpusServer

HOOK = """
import atexit, os, signal
_times = os.environ.get("CPU_SPLIT_TIMES")
_profiles = os.environ.get("CPU_SPLIT_PROFILES")
_state = {"profile": None, "role": "parent", "done": False}

def _start():
    if _profiles:
        import cProfile
        _state["profile"] = cProfile.Profile()
        _state["profile"].enable()

def _role():
    if _state["role"] != "child":
        return _state["role"]
    import multiprocessing
    target = getattr(multiprocessing.current_process(), "_target", None)
    return "shard" if getattr(target, "__name__", "") == "_child_main" else "worker"

def _finish():
    if _state["done"]:
        return
    _state["done"] = True
    role = _role()
    if _state["profile"] is not None:
        _state["profile"].disable()
        _state["profile"].dump_stats(os.path.join(_profiles, f"{role}-{os.getpid()}.prof"))
    t = os.times()
    with open(os.path.join(_times, f"{role}-{os.getpid()}.json"), "w") as out:
        json_text = '{"role": "%s", "cpu": %.3f}' % (role, t.user + t.system)
        out.write(json_text)

if _times:
    _exit = os._exit

    def _exit_after_finish(code, _exit=_exit):
        try:
            _finish()
        finally:
            _exit(code)

    os._exit = _exit_after_finish

    def _in_child():
        _state.update(role="child", done=False)
        if _state["profile"] is not None:
            _state["profile"].disable()
            _state["profile"] = None
        signal.signal(signal.SIGTERM, lambda *_: _exit_after_finish(143))
        _start()

    os.register_at_fork(after_in_child=_in_child)
    atexit.register(_finish)
    _start()
"""


def one_run(src: Path, hook: Path, profiles: Path | None, seed: int) -> dict[str, object]:
    """One cold run of the content corpus with ``src`` first on ``PYTHONPATH``."""
    with tempfile.TemporaryDirectory(prefix="cpu-split-") as tmp:
        root = Path(tmp)
        with CorpusServer("content", seed=seed) as web:
            served = web.served
            documents = corpora.write_documents(served, root / "docs", files=2000)
            ca_file = None
            if served.ca_pem:
                ca_file = root / "ca.pem"
                ca_file.write_text(served.ca_pem)
            (root / "work").mkdir()
            run = peers.linkaudit_run(
                documents,
                SETTINGS["content"],
                root / "work",
                ca_file=ca_file,
                cache=root / "cache.sqlite",
            )
            argv = [sys.executable, "-m", "linkaudit", *list(run.argv)[1:]]
            times = root / "times"
            times.mkdir()
            env = dict(run.env or os.environ)
            env.update(PYTHONPATH=f"{src.resolve()}:{hook}", CPU_SPLIT_TIMES=str(times))
            if profiles is not None:
                profiles.mkdir(parents=True, exist_ok=True)
                env["CPU_SPLIT_PROFILES"] = str(profiles)
            before = web.stats().requests
            started, cpu_before = time.monotonic(), os.times()
            done = subprocess.run(
                argv, cwd=root / "work", env=env, stdout=subprocess.DEVNULL, check=False
            )
            wall = time.monotonic() - started
            cpu_after = os.times()
            requests = web.stats().requests - before
        by_role: dict[str, list[float]] = {}
        for path in times.glob("*.json"):
            try:
                record = json.loads(path.read_text())
            except ValueError:  # a child ended while writing
                continue
            by_role.setdefault(record["role"], []).append(record["cpu"])
    total = (cpu_after.children_user + cpu_after.children_system) - (
        cpu_before.children_user + cpu_before.children_system
    )
    return {
        "src": str(src),
        "exit": done.returncode,
        "wall": round(wall, 2),
        "cpu": round(total, 2),
        "parent": round(sum(by_role.get("parent", [])), 2),
        "shards": sorted(round(c, 2) for c in by_role.get("shard", [])),
        "workers": round(sum(by_role.get("worker", [])), 2),
        "requests": requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("srcs", help="comma-separated src directories to run alternately")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="write a cProfile dump per process here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cpu-split-hook-") as hook:
        (Path(hook) / "sitecustomize.py").write_text(HOOK)
        sources = [Path(s) for s in args.srcs.split(",")]
        for run, (_, src) in enumerate(itertools.product(range(args.runs), sources)):
            profiles = args.profile / f"{run:02d}" if args.profile else None
            print(json.dumps(one_run(src, Path(hook), profiles, args.seed)), flush=True)


if __name__ == "__main__":
    main()
