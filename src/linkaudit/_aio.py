"""``asyncio.run`` for results that are large (a whole run's report).

On CPython 3.11, ``asyncio.run`` restores the SIGINT handler on exit; the
``signal`` module then tries to read the previous handler (a ``partial`` holding
the main task) as an enum, fails, and formats an error message with ``repr()``
of it, which includes the finished task's *result*.  For a 20,000-citation run
that built a ~114 MB string and cost ~1.7 s, only to be thrown away.  Returning
the result inside a box whose repr is constant avoids it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Box(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coro: Coroutine[Any, Any, T]) -> _Box[T]:
    return _Box(await coro)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, without ever formatting the result."""
    return asyncio.run(_boxed(coro)).value
