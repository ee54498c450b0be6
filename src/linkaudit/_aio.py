"""``asyncio.run`` for results that are large (a whole run's report), and a
deadline on Ctrl-C for the command line.

On CPython 3.11, ``asyncio.run`` restores the SIGINT handler on exit; the
``signal`` module then tries to read the previous handler (a ``partial`` holding
the main task) as an enum, fails, and formats an error message with ``repr()``
of it, which includes the finished task's *result*.  For a 20,000-citation run
that built a ~114 MB string and cost ~1.7 s, only to be thrown away.  Returning
the result inside a box whose repr is constant avoids it.

Ctrl-C cancels the run (asyncio's own handling); the command line then says
"interrupted" and exits 130.  A run whose cancellation does not end it (a part that
keeps working, or a shutdown that waits for one) would leave the user's Ctrl-C
unanswered, and it did, rarely, under load in ``test_shards_cli``: with
:func:`exit_after_interrupt` set, the process ends itself that long after the first
Ctrl-C, its child processes first, whatever the run is still doing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Box(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coro: Coroutine[Any, Any, T]) -> _Box[T]:
    ours = None
    if threading.current_thread() is threading.main_thread():
        theirs = signal.getsignal(signal.SIGINT)  # asyncio.run's: it cancels the run
        ours = _armed(theirs)
        if ours is not None:
            signal.signal(signal.SIGINT, ours)
    try:
        return _Box(await coro)
    finally:
        if ours is not None and signal.getsignal(signal.SIGINT) is ours:
            signal.signal(signal.SIGINT, theirs)  # for asyncio.run to restore


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, without ever formatting the result."""
    return asyncio.run(_boxed(coro)).value


#: Seconds after the first Ctrl-C at which the process ends itself, and what it
#: says then; None: never (the library's default: a program using it decides).
_deadline: float | None = None
_last_words: Callable[[], None] | None = None


def exit_after_interrupt(seconds: float | None, last_words: Callable[[], None]) -> None:
    """From now on, a Ctrl-C during a run ends the process ``seconds`` later if the
    run has not ended by then: ``last_words`` (the command line's one line), then
    exit 130, child processes terminated first.  For the command line only."""
    global _deadline, _last_words
    _deadline, _last_words = seconds, last_words


def _armed(handler: Any) -> Callable[[int, Any], Any] | None:
    """asyncio's Ctrl-C handler for this run (it cancels the run), arming the
    deadline first; None when there is nothing to wrap."""
    if _deadline is None or not callable(handler):
        return None
    deadline = _deadline

    def on_interrupt(signum: int, frame: Any) -> Any:
        timer = threading.Timer(deadline, _end_now)
        timer.daemon = True
        timer.start()
        return handler(signum, frame)

    return on_interrupt


def _end_now() -> None:
    """The run did not end after Ctrl-C: end its child processes, then this one."""
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=2)
        if child.is_alive():
            child.kill()
    try:
        if _last_words is not None:
            _last_words()
        sys.stderr.flush()
    finally:
        os._exit(130)
