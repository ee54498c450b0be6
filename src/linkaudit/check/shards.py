"""A large run checked by several processes, each owning some of its hosts.

Checking is CPU-bound on a large run: about 2 ms of this process's CPU per
request (half of it in httpx, httpcore and h11), so a 2,000-file repository's
7,000 requests kept one core busy for most of the run while the other, once
extraction was done, sat idle, and the run took 1.6 times its politeness bound.

Here the run's URLs are checked by ``processes`` children forked before the
first ``await`` (while this process has no other thread), each running
``check_urls`` on its own event loop.  This process keeps all that touches the
run's state: it answers keys from the cache before any child sees them, saves
every new result, tells ``progress``, and decides which pages drift reads.
Keys go to the children through pipes as they arrive (a ``KeyFeed`` still being
filled by extraction works as well as a list), and results come back as they
are decided.

A host belongs to one child, the one with the fewest URLs when the host is
first seen, so everything politeness knows of a host (its pacing, its
refusals, its soft-404 probes, the redirect targets its pages share) lives in
one place, as in a single process.  The run's ``concurrency`` is split between
the children.  A redirect may still lead a child to a host another child owns;
``HostGate`` holds every host to its limit of requests in flight across the
processes.  What is not shared across processes: the pacing of a host that
only redirects lead to from two children's hosts, and a redirect target cited
through hosts of two children, which both ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from linkaudit.check.client import Resolver
from linkaudit.check.engine import Saving, _result, check_urls, unanswered
from linkaudit.check.evidence import Evidence, FetchError
from linkaudit.check.feed import KeyFeed
from linkaudit.check.options import CheckOptions
from linkaudit.errors import LinkauditError
from linkaudit.model import CheckResult
from linkaudit.store.base import ResultCache
from linkaudit.urls import defragment, split_url

# multiprocessing, pickle and the shared gate are imported by the runs that fork:
# ``shard_count`` is asked by every run, most of which stay in one process.
if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from linkaudit.check.drift_stage import LivePage, PageCollector
    from linkaudit.check.hostgate import HostGate

#: Distinct URLs from which a run is worth more than one process (below it, the
#: children's start costs more than they save).
SHARD_MIN_URLS = 1000
#: Most processes a run is checked by.
MAX_PROCESSES = 4

_LENGTH = struct.Struct(">I")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def shard_count(urls: int | None = None) -> int:
    """How many processes should check a run of ``urls`` distinct URLs (None: a run
    already known to be large); 1: this process alone.  More than one only where
    there are cores to spare and forking is safe (Linux, no other thread yet)."""
    if urls is not None and urls < SHARD_MIN_URLS:
        return 1
    # fork is the only start that inherits the run's options, resolver and gate as
    # they are; macOS has it but its system libraries are not safe across it
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    return max(1, min(_cores(), MAX_PROCESSES))


@dataclass
class _Child:
    process: BaseProcess
    keys_out: int  # this end of the pipe the child reads keys from
    results_in: int  # this end of the pipe the child writes its results to
    writer: asyncio.StreamWriter | None = None
    urls: int = 0  # URLs given it, to place new hosts
    reading: bool = False  # ``results_in`` belongs to a read transport now


class ShardedCheck:
    """The children of one run's check (forked by :meth:`start`), then :meth:`check`."""

    def __init__(self, children: list[_Child], pages: PageCollector | None = None) -> None:
        self._children = children
        self._pages = pages
        self._owner: dict[str, _Child] = {}  # host -> the child checking it

    @classmethod
    def start(
        cls,
        processes: int,
        options: CheckOptions,
        *,
        resolver: Resolver | None = None,
        until: float | None = None,
        pages: PageCollector | None = None,
    ) -> ShardedCheck:
        """Fork ``processes`` children now, before this process starts any thread.
        ``pages`` (drift's) is given the pages it wants, read where they were fetched."""
        import multiprocessing

        from linkaudit.check.hostgate import HostGate

        read_pages = pages is not None
        context = multiprocessing.get_context("fork")
        gate = HostGate(context)
        own = replace(options, concurrency=max(1, math.ceil(options.concurrency / processes)))
        children: list[_Child] = []
        try:
            for _ in range(processes):
                keys_in, keys_out = os.pipe()
                results_in, results_out = os.pipe()
                # the pipes of the children forked before it are not its to hold open
                theirs = [fd for c in children for fd in (c.keys_out, c.results_in)]
                plan = _Plan(own, resolver, until, read_pages, gate)
                process = context.Process(
                    target=_child_main, args=(keys_in, results_out, theirs, plan), daemon=True
                )
                process.start()
                os.close(keys_in)
                os.close(results_out)
                children.append(_Child(process, keys_out, results_in))
        except BaseException:
            cls(children).stop()
            raise
        return cls(children, pages)

    def stop(self) -> None:
        """End every child still running (the run was cancelled or failed) and close
        the pipes."""
        for child in self._children:
            if child.process.is_alive():
                child.process.terminate()
        for child in self._children:
            child.process.join(timeout=5)
            if child.writer is not None:
                child.writer.close()
            else:
                _close(child.keys_out)
            if not child.reading:
                _close(child.results_in)

    async def check(
        self,
        keys: Iterable[str] | KeyFeed,
        *,
        cache: ResultCache | None = None,
        progress: Callable[[CheckResult], None] | None = None,
    ) -> dict[str, CheckResult]:
        """``check_urls`` over the children: one result per key."""
        import pickle

        pages = self._pages
        feed = keys if isinstance(keys, KeyFeed) else KeyFeed.of(keys)
        results: dict[str, CheckResult] = {}
        saving = Saving(cache)
        asked: dict[int, set[str]] = {id(child): set() for child in self._children}
        failures: list[BaseException] = []
        crashes: dict[int, str] = {}
        try:
            loop = asyncio.get_running_loop()
            for child in self._children:
                child.writer = await _writer(loop, child.keys_out)

            def took(child: _Child, message: Any) -> None:
                kind = message[0]
                if kind == "results":
                    for result in message[1]:
                        asked[id(child)].discard(result.key)
                        results[result.key] = result
                        saving.save(result)
                        if progress is not None:
                            progress(result)
                elif kind == "page" and pages is not None:
                    live: LivePage = message[1]
                    pages.pages[live.url] = live
                elif kind == "fatal":
                    failures.append(message[1])
                elif kind == "crash":
                    crashes[id(child)] = message[1]

            async def send() -> None:
                seen: set[str] = set()
                while True:
                    batches = feed.take()
                    out: dict[int, list[str]] = {}
                    wanted: dict[int, list[str]] = {}
                    for batch in batches:
                        for key in unanswered(batch, seen, cache, progress, results):
                            url = defragment(key)[0]
                            child = self._child_for(url)
                            asked[id(child)].add(key)
                            out.setdefault(id(child), []).append(key)
                            if pages is not None and pages.wants(url):
                                wanted.setdefault(id(child), []).append(url)
                    for child in self._children:
                        if id(child) in out and child.writer is not None:
                            _frame(child.writer, (out[id(child)], wanted.get(id(child), [])))
                    if feed.closed:
                        for child in self._children:
                            if child.writer is not None:
                                _frame(child.writer, None)
                        return
                    if not batches:
                        await feed.changed()

            async def receive(child: _Child) -> None:
                reader = await _reader(loop, child.results_in)
                child.reading = True
                while True:
                    try:
                        head = await reader.readexactly(_LENGTH.size)
                        body = await reader.readexactly(_LENGTH.unpack(head)[0])
                    except asyncio.IncompleteReadError:
                        return  # the child ended (at its "done", or died: see below)
                    message = pickle.loads(body)
                    if message[0] == "done":
                        return
                    took(child, message)

            await asyncio.gather(send(), *(receive(child) for child in self._children))
        finally:
            self.stop()
        if failures:
            raise failures[0]
        saving.flush()
        # a child that died took its keys with it: said as ours, never as the link's
        for child in self._children:
            for key in asked[id(child)]:
                if key not in results:
                    why = crashes.get(id(child)) or f"exit code {child.process.exitcode}"
                    results[key] = _lost(key, why)
                    if progress is not None:
                        progress(results[key])
        return results

    def _child_for(self, url: str) -> _Child:
        host = split_url(url).netloc
        child = self._owner.get(host)
        if child is None:
            child = self._owner[host] = min(self._children, key=lambda c: c.urls)
        child.urls += 1
        return child


def _lost(key: str, why: str) -> CheckResult:
    evidence = Evidence(
        url=key,
        error=FetchError.INTERNAL,
        error_detail=f"internal error: the process checking it failed ({why})",
    )
    return _result(key, evidence, datetime.now(UTC))


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):  # closed already
        os.close(fd)


def _frame(writer: asyncio.StreamWriter, message: Any) -> None:
    import pickle

    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(_LENGTH.pack(len(body)) + body)


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader


async def _flushed(writer: asyncio.StreamWriter) -> None:
    """Until everything written has gone into the pipe.

    ``drain`` alone waits only until less than the transport's high-water mark (64 KiB)
    is left, and what is left when the event loop ends is dropped: a child whose
    parent was slow to read (a loaded machine) ended with its last, largest frame
    cut short, and all 519 results in it were reported as lost (``internal_error``).
    """
    writer.transport.set_write_buffer_limits(high=0)
    await writer.drain()


async def _writer(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamWriter:
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(fd, "wb", buffering=0)
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)


# --- in the child ------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What a child checks with, the same for every child of the run."""

    options: CheckOptions  # its share of the run's concurrency
    resolver: Resolver | None
    until: float | None  # the run's deadline
    read_pages: bool  # whether drift wants pages read
    gate: HostGate


def _child_main(keys_in: int, results_out: int, theirs: list[int], plan: _Plan) -> None:
    """A child's whole life: check what comes through ``keys_in`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.set_wakeup_fd(-1)  # the parent's event loop's, inherited
    asyncio.events._set_running_loop(None)  # the parent's, inherited by the fork
    for fd in theirs:
        _close(fd)
    asyncio.run(_serve(keys_in, results_out, plan))


async def _serve(keys_in: int, results_out: int, plan: _Plan) -> None:
    import pickle

    from linkaudit.check.drift_stage import read_live_page

    loop = asyncio.get_running_loop()
    reader = await _reader(loop, keys_in)
    writer = await _writer(loop, results_out)
    feed = KeyFeed()
    wanted: set[str] = set()
    decided: list[CheckResult] = []

    def send_decided() -> None:
        if decided:
            _frame(writer, ("results", list(decided)))
            decided.clear()

    def progress(result: CheckResult) -> None:
        if not decided:
            loop.call_soon(send_decided)  # one message per turn of the loop
        decided.append(result)

    def on_page(url: str, evidence: Evidence) -> None:
        if url in wanted:
            live = read_live_page(url, evidence)
            if live is not None:
                _frame(writer, ("page", live))

    async def take_keys() -> None:
        while True:
            try:
                head = await reader.readexactly(_LENGTH.size)
                body = await reader.readexactly(_LENGTH.unpack(head)[0])
            except asyncio.IncompleteReadError:  # the parent is gone
                feed.close()
                return
            message = pickle.loads(body)
            if message is None:
                feed.close()
                return
            keys, pages = message
            wanted.update(pages)
            feed.put(keys)

    async def watch_parent(parent: int) -> None:
        while os.getppid() == parent:  # a parent killed outright sends no "stop"
            await asyncio.sleep(1.0)
        feed.close()
        os._exit(1)

    taking = asyncio.ensure_future(take_keys())
    orphan = asyncio.ensure_future(watch_parent(os.getppid()))
    try:
        await check_urls(
            feed,
            plan.options,
            resolver=plan.resolver,
            progress=progress,
            until=plan.until,
            on_page=on_page if plan.read_pages else None,
            host_gate=plan.gate,
        )
    except LinkauditError as exc:  # the run cannot go on (say, no trust store)
        _frame(writer, ("fatal", exc))
    except Exception as exc:  # a bug: its keys are said to have failed here, as ours
        _frame(writer, ("crash", repr(exc)))
    finally:
        taking.cancel()
        orphan.cancel()
    send_decided()
    _frame(writer, ("done",))
    await _flushed(writer)
    writer.close()
