"""Peak memory of one ``linkaudit`` run, measured in a child process.

The child reads its own ``VmHWM`` (peak resident set) from ``/proc/self/status``
as it exits.  ``ru_maxrss`` of children is not used: it survives ``exec`` and
would report whatever the forking test process had reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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
    peak_kb: int
    code: int
    stdout: str
    stderr: str


def run_measured(args: list[str], cwd: Path) -> Run:
    """``linkaudit ARGS`` in a child; its peak resident memory and what it said."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc/self/status (Linux)")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=600,
    )
    peak = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("VMHWM ")]
    assert peak, done.stderr
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("VMHWM "))
    return Run(peak[-1], done.returncode, done.stdout, stderr)
