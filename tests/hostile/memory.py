"""Peak memory of one ``linkaudit`` run, for the tests (``linkaudit.testing.memory``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.testing import memory
from linkaudit.testing.memory import Run


def run_measured(args: list[str], cwd: Path) -> Run:
    """``linkaudit ARGS`` in a child; its peak resident memory and what it said."""
    if not memory.AVAILABLE:
        pytest.skip("needs /proc/self/status (Linux)")
    run = memory.run_measured(args, cwd)
    assert run.peak_kb >= 0, run.stderr
    return run
