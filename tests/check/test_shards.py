"""A run checked by several processes (``check.shards``): the verdicts one process
gives, every host held to its limit across the processes (as its server counts
requests in flight), the cache and progress kept here, and a child's death said as
ours, never as the link's.

The children are real forked processes talking to real loopback servers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from linkaudit.check import CheckOptions, check_urls, shards
from linkaudit.check import hostgate as hostgate_module
from linkaudit.check.drift_stage import PageCollector
from linkaudit.check.feed import KeyFeed
from linkaudit.check.hostgate import HostGate
from linkaudit.check.shards import ShardedCheck, shard_count
from linkaudit.errors import LinkauditError
from linkaudit.model import CheckResult, Verdict
from linkaudit.reasons import Reason
from linkaudit.testing.caches import MemoryResults
from linkaudit.testing.server import Conn, LoopbackServer, Request, Site, page, redirect

PROSE = " ".join(f"The council met on day {n} to hear the residents speak." for n in range(30))
OPTIONS = CheckOptions(max_retries=0, per_host=2, concurrency=8)


def article(title: str) -> str:
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><h1>{title}</h1><p>{PROSE}</p></body></html>"


def slow(body: str, delay: float = 0.05) -> Callable[[Request, Conn], object]:
    async def handler(request: Request, conn: Conn) -> None:
        await asyncio.sleep(delay)
        await conn.send(request, 200, body.encode())

    return handler


def build_web(server: LoopbackServer, hosts: int = 4) -> tuple[list[Site], list[str]]:
    """Hosts of pages, 404s, same-host moves and fragments; the keys citing them."""
    sites, keys = [], []
    for n in range(hosts):
        site = server.add_site(f"127.0.0.{n + 2}")
        for i in range(5):
            site.route(f"/story-{i}", slow(article(f"Story {n}-{i} on the river works")))
            keys.append(site.url(f"/story-{i}"))
        site.route("/gone", page("<h1>Not here</h1>", status=404))
        site.route("/old", redirect("/story-0"))
        keys += [site.url("/gone"), site.url("/old"), site.url("/story-1") + "#nowhere"]
        sites.append(site)
    return sites, keys


def slow_and_quick(server: LoopbackServer, count: int, delay: float) -> tuple[Site, list[str]]:
    """A host answering its ``/sN`` pages after ``delay`` and one answering ``/oN`` at
    once; the slow host, and the keys of both."""
    slow_site = server.add_site("127.0.0.2")
    quick = server.add_site("127.0.0.3")
    keys = []
    for i in range(count):
        slow_site.route(f"/s{i}", slow(article(f"Slow story {i}"), delay=delay))
        quick.route(f"/o{i}", page(article(f"Quick story {i}")))
        keys += [slow_site.url(f"/s{i}"), quick.url(f"/o{i}")]
    return slow_site, keys


def sharded(
    keys: list[str] | KeyFeed,
    options: CheckOptions = OPTIONS,
    pages: PageCollector | None = None,
) -> dict[str, CheckResult]:
    async def go() -> dict[str, CheckResult]:
        return await ShardedCheck.start(2, options, pages=pages).check(keys)

    return asyncio.run(go())


def verdicts(results: dict[str, CheckResult]) -> dict[str, tuple[object, ...]]:
    return {k: (r.verdict, r.reason, r.status, r.final_url) for k, r in results.items()}


def test_two_processes_give_the_verdicts_of_one() -> None:
    with LoopbackServer() as server:
        sites, keys = build_web(server)
        alone = asyncio.run(check_urls(keys, OPTIONS))
        before = sum(sum(s.stats.by_path.values()) for s in sites)
        together = sharded(keys)
        asked = sum(sum(s.stats.by_path.values()) for s in sites) - before
    assert verdicts(together) == verdicts(alone)
    assert together[sites[0].url("/gone")].verdict is Verdict.BROKEN
    assert together[sites[0].url("/story-1") + "#nowhere"].verdict is Verdict.FRAGMENT_MISSING
    # no URL asked twice for being split: one GET per page, a soft-404 probe per host
    assert asked <= len({k.split("#")[0] for k in keys}) + 2 * len(sites)


def test_hosts_are_shared_between_the_processes() -> None:
    """Each host goes to the process with the fewest URLs when it is first seen."""
    with LoopbackServer() as server:
        _, keys = build_web(server)

        async def go() -> set[int]:
            check = ShardedCheck.start(2, OPTIONS)
            await check.check(keys)
            return {id(child) for child in check._owner.values()}

        owners = asyncio.run(go())
    assert len(owners) == 2


@pytest.mark.parametrize("gated", [True, False])
def test_a_host_reached_by_redirects_from_both_processes_keeps_its_limit(
    monkeypatch: pytest.MonkeyPatch, gated: bool
) -> None:
    """Hosts a and b (one per process) redirect everything to host c: c never sees
    more than ``per_host`` requests at once.  Without the shared gate it would, which
    shows the test can tell."""
    if not gated:
        monkeypatch.setattr(hostgate_module.HostGate, "take", lambda self, key, limit: True)
        monkeypatch.setattr(hostgate_module.HostGate, "give_back", lambda self, key: None)
    with LoopbackServer() as server:
        a, b, c = (server.add_site(f"127.0.0.{n}") for n in (2, 3, 4))
        keys = []
        for i in range(8):
            c.route(f"/p{i}", slow(article(f"Target {i} of the harbour"), delay=0.15))
            c.route(f"/q{i}", slow(article(f"Other target {i} of the harbour"), delay=0.15))
            a.route(f"/p{i}", redirect(c.url(f"/p{i}")))
            b.route(f"/q{i}", redirect(c.url(f"/q{i}")))
            keys += [a.url(f"/p{i}"), b.url(f"/q{i}")]
        results = sharded(keys, CheckOptions(max_retries=0, per_host=2, soft404=False))
        peak = c.stats.max_in_flight
    assert {r.reason for r in results.values()} == {Reason.MOVED_PERMANENTLY.value}
    if gated:
        assert peak <= 2
    else:
        assert peak > 2


def test_keys_fed_while_checking_and_the_cache_kept_here() -> None:
    """Keys arrive in batches; cached ones are answered here, with no request; every
    new result is saved and told to ``progress`` once."""
    with LoopbackServer() as server:
        sites, keys = build_web(server, hosts=3)
        known = sites[0].url("/story-3")
        cache = MemoryResults()
        cache.put(_ok(known))
        told: list[str] = []

        async def go() -> dict[str, CheckResult]:
            check = ShardedCheck.start(2, OPTIONS)
            feed = KeyFeed()
            task = asyncio.ensure_future(
                check.check(feed, cache=cache, progress=lambda r: told.append(r.key))
            )
            for start in range(0, len(keys), 4):
                feed.put(keys[start : start + 4])
                await asyncio.sleep(0.01)
            feed.put(keys[:3])  # repeats
            feed.close()
            return await task

        results = asyncio.run(go())
        asked_known = sum(
            n for (_, path), n in sites[0].stats.by_path.items() if path == "/story-3"
        )
    assert set(results) == set(keys)
    assert sorted(told) == sorted(keys)
    assert results[known].from_cache
    assert asked_known == 0
    assert set(cache.stored) == set(keys)


def test_a_child_that_dies_leaves_its_links_undecided_not_broken() -> None:
    with LoopbackServer() as server:
        site, keys = slow_and_quick(server, 6, delay=2.0)

        async def go() -> dict[str, CheckResult]:
            check = ShardedCheck.start(2, OPTIONS)
            killed: list[int] = []

            def progress(result: CheckResult) -> None:
                if not killed:  # the quick host's first answer: end the slow host's process
                    child = check._owner[site.url("/")[len("http://") :].rstrip("/")]
                    os.kill(child.process.pid or 0, signal.SIGKILL)
                    killed.append(1)

            return await check.check(keys, progress=progress)

        results = asyncio.run(go())
    slow_ones = [results[k] for k in keys if "/s" in k]
    assert {r.reason for r in slow_ones} == {Reason.INTERNAL_ERROR.value}
    assert all(r.verdict is not Verdict.BROKEN for r in slow_ones)
    assert all(results[k].verdict is Verdict.OK for k in keys if "/o" in k)


def test_a_run_that_cannot_go_on_fails_as_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    keys = ["https://127.0.0.2:1/a", "https://127.0.0.3:1/b"]
    with pytest.raises(LinkauditError) as alone:
        asyncio.run(check_urls(keys, OPTIONS))
    with pytest.raises(LinkauditError) as together:
        sharded(keys)
    assert type(together.value) is type(alone.value)
    assert str(together.value) == str(alone.value)


def test_pages_for_drift_are_read_where_they_were_fetched() -> None:
    with LoopbackServer() as server:
        sites, keys = build_web(server, hosts=2)
        skipped = sites[0].url("/story-2")
        pages = PageCollector(skip=lambda url: url == skipped)
        sharded(keys, pages=pages)
    assert sites[0].url("/story-3") in pages.pages
    assert "council met" in pages.pages[sites[0].url("/story-3")].text.article
    assert skipped not in pages.pages
    assert sites[0].url("/gone") not in pages.pages


def test_the_gate_counts_across_processes() -> None:
    gate = HostGate()
    assert gate.take("a.example:443", 2)
    pid = os.fork()
    if pid == 0:  # the child takes the second place and keeps it
        os._exit(0 if gate.take("a.example:443", 2) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not gate.take("a.example:443", 2)  # both places are taken
    assert gate.take("b.example:443", 2)  # another host is counted apart
    gate.give_back("a.example:443")
    assert gate.in_flight("a.example:443") == 1
    assert gate.take("a.example:443", 2)


def test_a_full_gate_shares_counts_and_so_is_stricter() -> None:
    gate = HostGate(slots=2)
    assert gate.take("a:80", 1)
    assert gate.take("b:80", 1) or gate.in_flight("b:80") == 1
    assert gate.take("c:80", 5)  # no place of its own: shares one
    assert gate.in_flight("c:80") >= 2


def test_small_runs_and_threaded_processes_stay_in_one_process() -> None:
    assert shard_count(10) == 1
    with LoopbackServer():  # a thread of its own: forking now is not safe
        assert shard_count(None) == 1


def _ok(key: str) -> CheckResult:
    from datetime import UTC, datetime

    return CheckResult(
        key=key, url=key, verdict=Verdict.OK, reason="ok", detail="", checked_at=datetime.now(UTC)
    )


def test_the_run_deadline_holds_in_every_process() -> None:
    """What a silent host still holds when the run's deadline passes is said to be
    stopped by it, in whichever process checks it; the rest are decided as usual."""
    with LoopbackServer() as server:
        _, keys = slow_and_quick(server, 4, delay=30.0)

        async def go() -> dict[str, CheckResult]:
            until = time.monotonic() + 1.0
            return await ShardedCheck.start(2, OPTIONS, until=until).check(keys)

        results = asyncio.run(go())
    assert {results[k].reason for k in keys if "/s" in k} == {Reason.RUN_DEADLINE.value}
    assert {results[k].verdict for k in keys if "/o" in k} == {Verdict.OK}


def test_a_childs_last_frame_reaches_a_parent_slow_to_read() -> None:
    """A child's last results are written as the loop it runs on ends, and what the
    transport still holds then is dropped: on a loaded machine the parent read
    slowly, the child's last frame was cut short and all 519 results in it were said
    lost.  Here the pipe is full when the last frame is written and the parent reads
    only once the child waits for it (or, failing that, once the child has ended):
    the whole frame must arrive."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"\0" * 65536)  # the pipe is full: nobody has read yet
    frame = os.urandom(20_000)  # under the transport's high-water mark
    go = threading.Event()

    async def child() -> None:
        writer = await shards._writer(asyncio.get_running_loop(), write_end)
        protocol = writer.transport.get_protocol()
        pause = protocol.pause_writing

        def paused() -> None:  # the child waits for the pipe: the parent may read
            go.set()
            pause()

        protocol.pause_writing = paused  # type: ignore[method-assign]
        writer.write(frame)
        await shards._flushed(writer)
        writer.close()

    got = bytearray()

    def parent() -> None:
        go.wait(timeout=30)
        with os.fdopen(read_end, "rb") as pipe:
            while chunk := pipe.read(4096):
                got.extend(chunk)

    reading = threading.Thread(target=parent)
    reading.start()
    asyncio.run(child())  # the loop ends here, as a child's does
    go.set()
    reading.join(timeout=30)
    assert bytes(got[65536:]) == frame
