"""A run with many documents checks the first documents' links while the others are
still being extracted (``check.feed``), and ends with the same report as a run
that extracts everything first, each page asked once."""

from __future__ import annotations

import asyncio

import pytest

from linkaudit import pipeline
from linkaudit.check import CheckOptions, shards
from linkaudit.check import hostgate as hostgate_module
from linkaudit.check.shards import ShardedCheck
from linkaudit.extract import parallel
from linkaudit.model import Document, DocumentKind, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.testing.caches import MemoryResults
from linkaudit.testing.server import LoopbackServer, page

TITLE = "River works begin on the east bank"
ARTICLE = (
    f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
    "<h2 id='budget'>Budget</h2><p>The council met to hear residents.</p></body></html>"
)


def notes(base: str, count: int) -> list[Document]:
    """Markdown files citing pages (some dead, some with fragments) of one site; the
    same pages recur across files, with and without fragments."""
    docs = []
    for n in range(count):
        text = (
            f"# Note {n}\n\nSee [the works]({base}/p{n % 7}) and [the budget]"
            f"({base}/p{(n + 3) % 7}#budget), [gone]({base}/gone{n % 3}) and "
            f"[an anchor that is not there]({base}/p{n % 5}#nowhere).\n"
        )
        docs.append(Document(text=text, kind=DocumentKind.MARKDOWN, origin=f"notes/{n}.md"))
    return docs


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process counts the run's sharded checks were started with."""
    counts: list[int] = []
    start = ShardedCheck.start.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ShardedCheck], processes: int, *args: object, **kw: object) -> object:
        counts.append(processes)
        return start(cls, processes, *args, **kw)

    monkeypatch.setattr(ShardedCheck, "start", classmethod(counted))
    return counts


@pytest.fixture
def few_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "CHUNK", 4)


@pytest.mark.usefixtures("few_needed")
def test_checking_overlaps_extraction_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no archive lookups: the loopback server is the whole web here
    options = AuditOptions(check=CheckOptions(max_retries=0, soft404=False), archive=None)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for n in range(7):
            site.route(f"/p{n}", page(ARTICLE))
        base = site.url("").rstrip("/")
        docs = notes(base, 40)

        def run() -> tuple[list[tuple[str, str, str]], list[int], dict[str, int]]:
            server.reset_stats()
            totals: list[int] = []
            services = Services(on_total=totals.append)
            outcome = asyncio.run(audit_documents(docs, options, services))
            rows = sorted(
                (f.citation.document, f.citation.url or "", f.verdict.value)
                for f in outcome.report.findings
            )
            asked = {path: n for (_, path), n in site.stats.by_path.items()}
            return rows, totals, asked

        overlapped, totals, asked = run()
        monkeypatch.setattr(pipeline, "_overlaps", lambda *args: False)
        in_turn, totals_in_turn, asked_in_turn = run()

    assert overlapped == in_turn
    assert len(totals) > 1
    assert totals == sorted(totals)
    assert totals[-1] == totals_in_turn[-1]
    assert asked == asked_in_turn
    assert set(asked.values()) == {1}
    verdicts = {(url.rsplit("/", 1)[1], verdict) for _, url, verdict in overlapped}
    assert ("p1#budget", Verdict.OK.value) in verdicts
    assert ("p1#nowhere", Verdict.FRAGMENT_MISSING.value) in verdicts
    assert ("gone1", Verdict.BROKEN.value) in verdicts


@pytest.mark.usefixtures("few_needed")
@pytest.mark.parametrize("overlap", [True, False])
def test_a_run_checked_by_two_processes_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, overlap: bool, started: list[int]
) -> None:
    """The same findings and the same requests per page whether one process checks
    or two (``check.shards``), with checking overlapping extraction or after it."""
    options = AuditOptions(check=CheckOptions(max_retries=0, soft404=False), archive=None)
    monkeypatch.setattr(pipeline, "_overlaps", lambda *args: overlap)
    with LoopbackServer() as server:
        sites = [server.add_site(f"127.0.0.{n}") for n in (2, 3, 4)]
        docs: list[Document] = []
        for site in sites:
            for n in range(7):
                site.route(f"/p{n}", page(ARTICLE))
            docs += notes(site.url("").rstrip("/"), 14)

        def run(processes: int) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
            monkeypatch.setattr(shards, "shard_count", lambda urls=None: processes)
            server.reset_stats()
            outcome = asyncio.run(audit_documents(docs, options, Services()))
            rows = sorted(
                (f.citation.document, f.citation.url or "", f.verdict.value)
                for f in outcome.report.findings
            )
            asked = {
                f"{site.url('')}{path}": n
                for site in sites
                for (_, path), n in site.stats.by_path.items()
            }
            return rows, asked

        alone, asked_alone = run(1)
        together, asked_together = run(2)
    assert started == [2]
    assert together == alone
    assert asked_together == asked_alone
    assert set(asked_together.values()) == {1}
    assert {verdict for _, _, verdict in together} >= {"ok", "broken", "fragment_missing"}


@pytest.mark.usefixtures("few_needed")
def test_a_run_answered_from_the_cache_starts_no_checking_process(
    monkeypatch: pytest.MonkeyPatch, started: list[int]
) -> None:
    """A warm run: every key answered from the cache before any process is forked
    (forking two to check nothing cost a 2,000-file warm run ~0.4 s)."""
    options = AuditOptions(check=CheckOptions(max_retries=0, soft404=False), archive=None)
    monkeypatch.setattr(shards, "shard_count", lambda urls=None: 2 if urls else 1)
    # a warm run extracts nothing (every document in the extraction cache): no overlap
    assert not pipeline._overlaps(0, options, Services())
    assert pipeline._overlaps(14, options, Services())
    monkeypatch.setattr(pipeline, "_overlaps", lambda *args: False)
    cache = MemoryResults()
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.2")
        for n in range(7):
            site.route(f"/p{n}", page(ARTICLE))
        docs = notes(site.url("").rstrip("/"), 14)
        cold = asyncio.run(audit_documents(docs, options, Services(cache=cache)))
        server.reset_stats()
        warm = asyncio.run(audit_documents(docs, options, Services(cache=cache)))
        asked = sum(site.stats.by_path.values())
    assert started == [2]  # the cold run only
    assert asked == 0
    assert [f.verdict for f in warm.report.findings] == [f.verdict for f in cold.report.findings]


@pytest.mark.usefixtures("few_needed")
def test_where_processes_cannot_be_started_one_process_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sandbox without shared semaphores (or fork): the run is checked here, alone."""

    def refused(*args: object, **kw: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(hostgate_module.HostGate, "__init__", refused)
    monkeypatch.setattr(shards, "shard_count", lambda urls=None: 2)
    options = AuditOptions(check=CheckOptions(max_retries=0, soft404=False), archive=None)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.2")
        for n in range(7):
            site.route(f"/p{n}", page(ARTICLE))
        docs = notes(site.url("").rstrip("/"), 14)
        outcome = asyncio.run(audit_documents(docs, options, Services()))
    verdicts = {f.verdict.value for f in outcome.report.findings}
    assert verdicts == {"ok", "broken", "fragment_missing"}
