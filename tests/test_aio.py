"""``_aio.run`` and the command line's deadline on Ctrl-C: a run that does not end
when cancelled still ends the process, its child processes first."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linkaudit import _aio

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="no Ctrl-C here")

STUBBORN = """
import asyncio, multiprocessing, os, signal, sys, time
from linkaudit import _aio

def last_words():
    print("linkaudit: error: interrupted", file=sys.stderr)

_aio.exit_after_interrupt({deadline}, last_words)

async def stubborn():
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    child.start()
    print(child.pid, flush=True)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
    while True:  # a part of the run that does not end when cancelled
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass

try:
    _aio.run(stubborn())
except KeyboardInterrupt:
    print("linkaudit: error: interrupted", file=sys.stderr)
    sys.exit(130)
"""


def test_a_run_that_ignores_its_cancellation_still_ends_after_ctrl_c() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", STUBBORN.format(deadline=0.5)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "linkaudit: error: interrupted"
    assert "Traceback" not in done.stderr
    child = int(done.stdout.split()[0])
    assert not Path(f"/proc/{child}").exists() or _zombie(child)  # ended first
    assert took < 30  # the deadline, not the child's 60 s sleep


def test_without_the_deadline_a_library_run_is_asyncios() -> None:
    """The library's default: no deadline, Ctrl-C is asyncio's alone, and the
    handler is asyncio's to restore."""
    assert _aio._deadline is None

    async def answer() -> int:
        return 42

    assert _aio.run(answer()) == 42
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_deadline_is_disarmed_and_the_handler_restored_after_a_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_aio, "_deadline", 0.5)
    seen: list[object] = []

    async def look() -> None:
        seen.append(signal.getsignal(signal.SIGINT))

    _aio.run(look())
    assert callable(seen[0])
    assert seen[0] is not signal.default_int_handler  # asyncio's, wrapped
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
