"""Extraction of many documents on several cores.

A content repository's cold run spends a fifth of its CPU extracting (the
benchmark's 2,000 files: 5 s of 27), all of it before the first request, while
the machine's other cores sit idle.  Documents are independent, so chunks of
them go to worker processes and their citations come back in document order:
the same lists, element for element, as extracting them in turn.

Workers are forked when this process has no other thread (the cheapest start,
and safe then); otherwise they come from a fork server, which never forks a
process whose threads might hold locks.  Workers ignore Ctrl-C, which stays
this process's to handle, as when it extracts alone.  Anything that stops the
workers from starting or answering falls back to extracting here: slower, never
different.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from linkaudit.extract import extract
from linkaudit.model import NO_SELECTORS, BodySelectors, Citation, Document, Scope

# The process pool and its pickling are imported by the runs that start workers:
# a run of a few documents (an editor's article) extracts here and needs neither.
if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

#: Fewer documents than this are extracted here: starting workers would cost more.
PARALLEL_MIN = 200
#: Documents per task: large enough that sending them costs little, small enough
#: that the last task does not leave the other workers idle for long.
CHUNK = 25
#: No more workers than this, however many cores: the run's requests come next.
MAX_WORKERS = 8


def available_cores() -> int:
    """Cores this process may run on (its affinity where the OS says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def extract_many(
    documents: Sequence[Document],
    scope: Scope,
    *,
    bodies: BodySelectors = NO_SELECTORS,
    workers: int | None = None,
) -> list[list[Citation]]:
    """``extract(document, scope=scope, bodies=bodies)`` for each document, in order,
    on ``workers`` cores."""
    if not parallel(len(documents), workers):
        return _extract_chunk(documents, scope, bodies)
    import pickle
    from concurrent.futures.process import BrokenProcessPool

    try:
        return _in_workers(documents, scope, bodies, _workers(workers))
    except (OSError, BrokenProcessPool, pickle.PickleError, RuntimeError):
        return _extract_chunk(documents, scope, bodies)


def _in_workers(
    documents: Sequence[Document], scope: Scope, bodies: BodySelectors, count: int
) -> list[list[Citation]]:
    from concurrent.futures import ProcessPoolExecutor

    chunks = [documents[i : i + CHUNK] for i in range(0, len(documents), CHUNK)]
    workers = min(count, len(chunks))
    with ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_ignore_interrupts
    ) as pool:
        n = len(chunks)
        parts = pool.map(_extract_chunk, chunks, [scope] * n, [bodies] * n)
        return [citations for part in parts for citations in part]


def _workers(workers: int | None) -> int:
    return min(available_cores() if workers is None else workers, MAX_WORKERS)


def parallel(count: int, workers: int | None = None) -> bool:
    """Whether ``count`` documents are extracted on worker processes."""
    return _workers(workers) >= 2 and count >= PARALLEL_MIN


async def extract_each(
    documents: Sequence[Document],
    scope: Scope,
    *,
    bodies: BodySelectors = NO_SELECTORS,
    workers: int | None = None,
) -> AsyncIterator[list[Citation]]:
    """``extract_many``'s lists one by one, in order, each as soon as its chunk is
    done, so the caller works on the first documents while the others are
    extracted (the event loop runs meanwhile).

    The workers are started (forked) before the first ``await``, while this process
    may still have no other thread.  A pool that breaks leaves the chunks it did
    not finish to be extracted here.
    """
    if not parallel(len(documents), workers):
        for document in documents:
            yield extract(document, scope=scope, bodies=bodies)
        return
    import pickle
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    count = _workers(workers)
    chunks = [documents[i : i + CHUNK] for i in range(0, len(documents), CHUNK)]
    futures: list[Future[list[list[Citation]]]] = []
    pool: ProcessPoolExecutor | None = None
    try:
        pool = ProcessPoolExecutor(
            min(count, len(chunks)), mp_context=_context(), initializer=_ignore_interrupts
        )
        futures = [pool.submit(_extract_chunk, chunk, scope, bodies) for chunk in chunks]
    except (OSError, BrokenProcessPool, pickle.PickleError, RuntimeError):
        futures = []
    try:
        for index, chunk in enumerate(chunks):
            part: list[list[Citation]] | None = None
            if index < len(futures):
                try:
                    part = await asyncio.wrap_future(futures[index])
                except (OSError, BrokenProcessPool, pickle.PickleError, RuntimeError):
                    futures = futures[:index]  # the pool is gone: the rest are done here
            for citations in part if part is not None else _extract_chunk(chunk, scope, bodies):
                yield citations
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Ctrl-C is this process's to handle: a worker killed by it would only make the
    run fall back to extracting everything again here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _extract_chunk(
    documents: Sequence[Document], scope: Scope, bodies: BodySelectors
) -> list[list[Citation]]:
    return [extract(document, scope=scope, bodies=bodies) for document in documents]


def _context() -> BaseContext:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")
