"""Peak memory of one ``linkaudit`` run, measured in a child process.

The child reads its own ``VmHWM`` (peak resident set) from ``/proc/self/status``
as it exits.  ``ru_maxrss`` of children is not used: it survives ``exec`` and
would report whatever the forking process had reached.  Linux only; callers
check :data:`AVAILABLE`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Whether the peak can be measured here.
AVAILABLE = Path("/proc/self/status").exists()

_CHILD = """
import atexit, sys
def _hwm():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write(f"\\nVMHWM {line.split()[1]}\\n")
atexit.register(_hwm)
from linkaudit.cli import main
sys.argv = ["linkaudit", *sys.argv[1:]]
main()
"""


@dataclass(frozen=True)
class Run:
    peak_kb: int  # -1 when the child died before saying
    code: int
    stdout: str
    stderr: str  # without the measurement line
    seconds: float


def run_measured(args: list[str], cwd: Path, *, timeout: float | None = 600) -> Run:
    """``linkaudit ARGS`` in a child; its peak resident memory and what it said."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    lines = done.stderr.splitlines()
    peak = [int(line.split()[1]) for line in lines if line.startswith("VMHWM ")]
    stderr = "\n".join(line for line in lines if not line.startswith("VMHWM "))
    return Run(peak[-1] if peak else -1, done.returncode, done.stdout, stderr, seconds)
