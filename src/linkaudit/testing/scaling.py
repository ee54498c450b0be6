"""Scaling checks without wall-clock limits: work that must stay linear is timed at
two sizes and the ratio compared, so a loaded machine slows both alike.

A linear step is ``times`` slower for ``times`` the input; a quadratic one is
``times**2`` slower.  The check passes below ``times * slack`` (3 by default),
well under ``times**2`` for ``times`` of 8 or more.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def _best(work: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, with the cyclic garbage collector paused: its
    passes cost in proportion to everything else alive in the process (in a test
    suite, every module and cache loaded before), which is not the work measured."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def assert_linear(
    make: Callable[[int], Callable[[], object]],
    size: int,
    *,
    times: int = 8,
    slack: float = 3.0,
    repeats: int = 3,
) -> None:
    """``make(n)`` gives the work for an input of size ``n``; it must scale linearly."""
    small = _best(make(size), repeats)
    large = _best(make(size * times), repeats)
    ratio = large / max(small, 1e-6)
    assert ratio < times * slack, f"{times}x the input took {ratio:.1f}x the time"
