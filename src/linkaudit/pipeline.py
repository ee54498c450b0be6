"""The whole audit as one library call: documents -> citations -> checks -> archives -> Report.

The CLI, the demo and the GitHub Action all go through here, so the policy that
turns raw check results into findings (what is internal, what is excluded, which
citations deserve an archive lookup, how a lost link's restoration is checked)
lives in exactly one place.  Network parts are injected through ``Services`` so the
same code runs against the real web, the loopback zoo of the tests, or the demo.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from linkaudit.addresses import address_kind, is_internal
from linkaudit.archive.base import WAYBACK, ArchiveOptions
from linkaudit.archive.reach import NOT_RESTORED, NOT_SENT
from linkaudit.check.feed import KeyFeed
from linkaudit.check.local import LocalOptions, is_file_document, local_results, mark_local
from linkaudit.check.options import USER_NAMES, CheckOptions
from linkaudit.hosts import match_host
from linkaudit.model import (
    DEFAULT_FAIL_ON,
    NO_SELECTORS,
    BodySelectors,
    CheckResult,
    Citation,
    Document,
    DocumentKind,
    Finding,
    Findings,
    Outage,
    OutageKind,
    Relation,
    Report,
    Restoration,
    ReusedFindings,
    Scope,
    Verdict,
    as_utc,
)
from linkaudit.reasons import Reason
from linkaudit.report.base import counts, document_warnings
from linkaudit.urls import defragment, normalize

# What only some runs need is imported where it is used (archive lookups, saving,
# drift, sharding, the browser, --changed-since, git dates): a plain ``check`` of
# one article should not pay for importing it (issue 17).  The checking engine and
# its HTTP client, and the extractors, too: a warm run that reuses every document
# extracts and checks nothing.
if TYPE_CHECKING:
    import httpx

    from linkaudit.archive.lookup import ArchiveSession
    from linkaudit.archive.ratelimit import RateLimiter
    from linkaudit.archive.save import SaveOutcome
    from linkaudit.check.client import Resolver
    from linkaudit.check.drift_stage import LivePage, PageCollector
    from linkaudit.check.limiter import Clock
    from linkaudit.model import ArchiveLookup
    from linkaudit.sources.changed import Removed
    from linkaudit.sources.gitdates import LineDate
    from linkaudit.store.base import ArchiveCache, ExtractCache, ResultCache
    from linkaudit.store.drift import DriftStore

#: Verdicts that need no archive copy: the reader already gets the page, or we chose
#: not to look.
_FINE = frozenset({Verdict.OK, Verdict.SKIPPED})


@dataclass(frozen=True)
class AuditOptions:
    """What to audit and how; every field has a command-line option of the same name."""

    scope: Scope = Scope.ARTICLE
    include_internal: bool = False
    exclude: tuple[str, ...] = ()  # URL regexes; matches are ``skipped`` / ``excluded``
    cited_at: datetime | None = None  # overrides every document's own date
    check: CheckOptions = field(default_factory=CheckOptions)
    archive: ArchiveOptions | None = field(default_factory=ArchiveOptions)  # None: no lookups
    archive_all: bool = False  # look up copies of ``ok`` citations too
    restore_lost: bool = True  # recover lost links from the article's archived copy
    save: bool = False  # submit live, not recently archived citations to Save Page Now
    offline: bool = False  # no network at all: extraction and lost links only
    # --changed-since: only citations on these lines of these files (None: whole file)
    changed_lines: Mapping[Path, set[int] | None] | None = None
    # --changed-since: files and anchors the change removed (local links to them count)
    removed: Removed | None = None
    # statuses declared fine per host (config ``hosts.<name>.accept``), host -> statuses
    accept: Mapping[str, frozenset[int]] = field(default_factory=dict)
    browser: bool = False  # re-check bot-walled citations in headless Chromium
    # --deadline: seconds the whole run may take; what is not done by then is said so
    run_deadline: float | None = None
    # where the article body is on named sites (config ``sites.<name>.body``)
    bodies: BodySelectors = NO_SELECTORS
    # local links (files beside a document read from disk): root and anchor rules
    local: LocalOptions = field(default_factory=LocalOptions)
    drift: bool = False  # --drift: compare ok/moved pages with the version cited
    # keep a fingerprint of each ok page seen for the first time (``audit`` does):
    # the baseline of later drift checks, with no archive request
    first_observations: bool = False


#: A function with ``check_urls``'s signature (see ``Services.check``).
CheckUrls = Callable[..., Awaitable[dict[str, CheckResult]]]


@dataclass(frozen=True)
class Services:
    """The injectable network and storage parts of a run (tests, demo, production)."""

    resolver: Resolver | None = None
    transport: httpx.AsyncBaseTransport | None = None
    cache: ResultCache | None = None
    archive_cache: ArchiveCache | None = None
    extract_cache: ExtractCache | None = None  # citations of unchanged documents
    archive_transport: httpx.AsyncBaseTransport | None = None
    progress: Callable[[CheckResult], None] | None = None
    on_total: Callable[[int], None] | None = None  # told how many URLs will be checked
    on_archive: Callable[[int, int], None] | None = None  # archive lookups (done, total)
    check_clock: Clock | None = None  # the engine's clock (tests and the demo scale waits)
    #: What checks the run's URLs (``check_urls``'s signature): a shared store's
    #: work queue (``worker.QueueChecker``) instead of this process alone.
    check: CheckUrls | None = None
    #: The archives' rate budgets when shared between processes (``ArchiveSession.open``).
    archive_limiters: (
        Callable[[ArchiveOptions], tuple[RateLimiter, dict[str, RateLimiter]]] | None
    ) = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    drift_store: DriftStore | None = None  # --drift: first observations and comparisons
    #: Told of each document whose every URL was decided while the run was still
    #: checking others, with its findings in the report's order (``Completion``).
    on_complete: Callable[[Document, Sequence[Finding]], None] | None = None


@dataclass(frozen=True)
class AuditRun:
    """A report plus what ``--save`` did (kept apart: saving is not a verdict)."""

    report: Report
    saves: tuple[SaveOutcome, ...] = ()
    #: Why the audit could not run (no network, a resolver that resolves nothing):
    #: its verdicts are meaningless, so nothing is recorded and the exit code is 3.
    network_down: str | None = None
    #: Each finding's JSON line where the run already encoded it (for the store), so
    #: printing the JSON report does not encode it again; see ``report.json_format``.
    finding_lines: Callable[[Finding], str] | None = field(default=None, compare=False)


def _compile(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def apply_policy(
    citation: Citation, options: AuditOptions, excluded: Sequence[re.Pattern[str]]
) -> Citation:
    """Mark citations the run will not check: internal links and excluded URLs."""
    if citation.verdict is not None or citation.url is None:
        return citation
    if citation.relation is Relation.INTERNAL and not options.include_internal:
        return replace(citation, verdict=Verdict.SKIPPED, reason=Reason.INTERNAL)
    for pattern in excluded:
        if pattern.search(citation.url):
            return replace(citation, verdict=Verdict.SKIPPED, reason=Reason.EXCLUDED)
    return citation


def cached_extracts(
    documents: Sequence[Document], options: AuditOptions, cache: ExtractCache | None
) -> list[list[Citation] | None]:
    """Each document's raw citations from ``cache``; None where it must be extracted."""
    if cache is None:
        return [None] * len(documents)
    return cache.get_many(documents, options.scope, bodies=options.bodies)


def extract_all(
    documents: Sequence[Document],
    options: AuditOptions,
    cache: ExtractCache | None = None,
    found: Sequence[list[Citation] | None] | None = None,
) -> list[tuple[Document, list[Citation]]]:
    """Citations of every document, with the run's skip policy applied.

    ``cache`` holds raw extraction output only: the skip policy and the
    ``--changed-since`` filter depend on the run, so they apply after it.
    ``found``: what ``cached_extracts`` gave, when the caller looked already.
    """
    excluded = _compile(options.exclude)
    scope, bodies = options.scope, options.bodies
    if found is None:
        found = cached_extracts(documents, options, cache)
    missing = [doc for doc, citations in zip(documents, found, strict=True) if citations is None]
    extracted: Iterator[list[Citation]] = iter(())
    if missing:
        from linkaudit.extract.parallel import extract_many

        extracted = iter(extract_many(missing, scope, bodies=bodies))
    out: list[tuple[Document, list[Citation]]] = []
    for doc, cached in zip(documents, found, strict=True):
        citations = cached
        if citations is None:
            citations = next(extracted)
            if cache is not None:
                cache.put(doc, scope, citations, bodies=bodies)
        out.append((doc, _prepare(doc, citations, options, excluded)))
    if cache is not None:
        cache.flush()
    return out


async def extract_streaming(
    documents: Sequence[Document],
    options: AuditOptions,
    cache: ExtractCache | None,
    on_document: Callable[[list[Citation]], None],
    found: Sequence[list[Citation] | None] | None = None,
    on_each: Callable[[int, list[Citation]], None] | None = None,
) -> list[tuple[Document, list[Citation]]]:
    """``extract_all``, telling ``on_document`` each document's citations as they come
    (documents from the cache first, then the others as the workers finish them),
    so that checking overlaps extraction (``check.feed``); ``on_each`` is told them
    too, after ``on_document``, with the document's index."""
    excluded = _compile(options.exclude)
    scope, bodies = options.scope, options.bodies
    if found is None:
        found = cached_extracts(documents, options, cache)
    out: list[list[Citation] | None] = [None] * len(documents)
    missing: list[int] = []
    for index, (doc, cached) in enumerate(zip(documents, found, strict=True)):
        if cached is None:
            missing.append(index)
            continue
        out[index] = _prepare(doc, cached, options, excluded)
    from linkaudit.extract.parallel import extract_each

    fresh = extract_each([documents[i] for i in missing], scope, bodies=bodies)
    for index in (i for i, cits in enumerate(out) if cits is not None):
        on_document(out[index] or [])
        if on_each is not None:
            on_each(index, out[index] or [])
    position = iter(missing)
    async for citations in fresh:
        index = next(position)
        doc = documents[index]
        if cache is not None:
            cache.put(doc, scope, citations, bodies=bodies)
        prepared = out[index] = _prepare(doc, citations, options, excluded)
        on_document(prepared)
        if on_each is not None:
            on_each(index, prepared)
    if cache is not None:
        cache.flush()
    return [(doc, cits or []) for doc, cits in zip(documents, out, strict=True)]


def _prepare(
    doc: Document,
    citations: list[Citation],
    options: AuditOptions,
    excluded: Sequence[re.Pattern[str]],
) -> list[Citation]:
    """One document's extracted citations as the run sees them: placed in their file,
    local ones marked, ``--changed-since`` applied, the skip policy applied."""
    if doc.in_file is not None:  # a post's body: its file position (JSON exports only)
        from linkaudit.sources.jsonspan import place_in_file

        citations = place_in_file(doc, citations)
    citations = mark_local(doc, citations, options.local)  # checked on disk, not fetched
    if options.changed_lines is not None:
        from linkaudit.sources.changed import citations_on_changed_lines, definition_lines

        definitions = definition_lines(doc.text) if doc.kind is DocumentKind.MARKDOWN else None
        citations = citations_on_changed_lines(
            citations, options.changed_lines, definitions=definitions, removed=options.removed
        )
    return [apply_policy(c, options, excluded) for c in citations]


def citation_date(document: Document, options: AuditOptions, now: datetime) -> datetime:
    return options.cited_at or document.cited_at or now


#: The detail sentence of a citation decided before any request (its help sentence
#: when not here).
_PRECHECK_DETAIL: Mapping[Reason, str] = {
    Reason.INTERNAL: "Not checked: a link within the article's own site (use --include-internal).",
    Reason.EXCLUDED: "Not checked: the URL matches an --exclude pattern.",
    Reason.STRIPPED_LINK: Reason.STRIPPED_LINK.help,
    Reason.EMPTY_HREF: Reason.EMPTY_HREF.help,
    Reason.PLACEHOLDER_HREF: Reason.PLACEHOLDER_HREF.help,
    Reason.OUTSIDE_ROOT: Reason.OUTSIDE_ROOT.help,
}


def _precheck_detail(citation: Citation) -> str:
    reason = Reason.of(citation.reason)
    if reason is not None and reason in _PRECHECK_DETAIL:
        return _PRECHECK_DETAIL[reason]
    if reason is Reason.SCHEME:
        scheme = citation.reason.removeprefix(f"{Reason.SCHEME}_")
        return f"Not checked: {scheme}: links are not web pages."
    if citation.verdict is Verdict.INVALID:
        return f"Not a usable URL: {citation.url_as_written!r}."
    return citation.reason


def _archive_url(citation: Citation) -> str | None:
    if citation.url is None:
        return None
    return defragment(citation.url)[0]


#: A citation's place in the run: (document index, citation index).
Position = tuple[int, int]


@dataclass(frozen=True)
class Checked:
    """The network's answers for a run: each URL's result by key, and, for each lost
    citation whose href was restored, the key its restored URL was checked as."""

    results: Mapping[str, CheckResult]
    restored_keys: Mapping[Position, str]
    warnings: tuple[str, ...] = ()  # what the run could not do while checking
    pages: Mapping[str, LivePage] = field(default_factory=dict)  # --drift: live texts by URL


async def audit_documents(
    documents: Sequence[Document],
    options: AuditOptions | None = None,
    services: Services | None = None,
    reused: Mapping[str, ReusedFindings] | None = None,
) -> AuditRun:
    """Audit already-loaded documents, stage by stage: extract, restore lost links,
    check, date, build findings, find archived copies, save.  Each stage is a
    function of its own below, over the previous stages' data.

    ``reused``: by origin, documents whose findings a previous run stored and that
    are still true (``linkaudit.reuse``): listed in the report, not audited again.
    """
    options = options or AuditOptions()
    services = services or Services()
    started = services.clock()
    until = None if options.run_deadline is None else time.monotonic() + options.run_deadline
    early: EarlyCheck | None = None
    audited = [d for d in documents if d.origin not in reused] if reused else documents
    completion: Completion | None = None
    if services.on_complete is not None:
        completion = Completion(audited, services.on_complete, services.progress)
        services = replace(services, progress=completion.decided)
    found = cached_extracts(audited, options, services.extract_cache)
    if _overlaps(sum(f is None for f in found), options, services):
        early = EarlyCheck.start(options, services, until)
        try:
            extracted = await extract_streaming(
                audited,
                options,
                services.extract_cache,
                early.put,
                found,
                completion.extracted if completion is not None else None,
            )
        except BaseException:
            early.task.cancel()
            raise
        early.feed.close()
    else:
        extracted = extract_all(audited, options, services.extract_cache, found)
        if completion is not None:
            for index, (_doc, citations) in enumerate(extracted):
                completion.extracted(index, citations)
    archive = None if options.offline else options.archive
    session = None
    if archive is not None:
        from linkaudit.archive.lookup import ArchiveSession  # archive lookups: not for check

        session = ArchiveSession.open(
            archive, services.archive_transport, services.archive_limiters
        )
    if options.drift and services.archive_cache is None:  # drift's lookups serve the report's
        from linkaudit.archive.lookup import MemoryArchiveCache

        services = replace(services, archive_cache=MemoryArchiveCache())
    saves: tuple[SaveOutcome, ...] = ()
    banner: tuple[str, ...] = ()
    try:
        restored = await restore_links(extracted, options, session, until)
        checked = await check_citations(extracted, restored, options, services, until, early)
        down = await judge_network(checked.results, services.resolver)
        warnings = list(checked.warnings)
        built = completion.built if completion is not None else None
        findings = build_findings(extracted, checked, restored, built)
        if options.drift and session is None and down is None:  # first observations only
            findings = await _drift(findings, checked, options, services, None, {}, started)
        elif options.first_observations and services.drift_store is not None and down is None:
            from linkaudit.check.drift_stage import keep_first_observations  # audit only

            keep_first_observations(findings, checked.pages, services.drift_store)
        if session is not None and down is None:  # no network: nothing to look up either
            inside: frozenset[str] = frozenset()
            if session.options.reaches_outside:
                inside = await internal_hosts(
                    checked.results.values(),
                    services.resolver,
                    resolve=services.resolver is not None or services.transport is None,
                )
            from linkaudit.check.drift_stage import compared_url as drift_url

            # dates matter (and are warned about) only for lookups; git dates each
            # line of a file in a repository, for the documents that need a lookup
            wanted = {
                f.citation.document
                for f in findings
                if _lookup_url(f, options) or (options.drift and drift_url(f))
            }
            lines = {} if options.cited_at else git_line_dates(extracted, wanted)
            targets, undated = citation_dates(
                extracted, options, services.clock(), line_dates=lines, wanted=wanted
            )
            sources = {
                date_key(c): dated.source
                for doc, cits in extracted
                for c in cits
                if (dated := lines.get(doc.origin, {}).get(c.location.line)) is not None
            }
            warnings += undated
            if options.drift:
                findings = await _drift(
                    findings, checked, options, services, session, targets, started
                )
            findings = await find_archived_copies(
                findings,
                targets,
                options,
                session,
                services.archive_cache,
                services.on_archive,
                until=until,
                inside=inside,
                sources=sources,
            )
            if options.save:
                saves = await save_live_citations(findings, session, services.clock(), until)
            unreachable = session.reach.summary(restoring=options.restore_lost)
            if unreachable is not None:  # said once, first: it explains every empty copy
                banner = (unreachable,)
    finally:
        if session is not None:
            await session.aclose()
    ordered: Sequence[Finding] = tuple(sorted(findings, key=_order))
    if reused:
        parts = [reused[d.origin] for d in documents if d.origin in reused]
        ordered = Findings(ordered, parts, _order)
    report = Report(
        documents=tuple(documents),
        findings=ordered,
        started_at=started,
        finished_at=services.clock(),
        settings=audit_settings(options),
        warnings=(*banner, *document_warnings(documents), *warnings),
    )
    report = replace(report, outages=outages(down, banner))
    return AuditRun(report=report, saves=saves, network_down=down)


def outages(network_down: str | None, banner: Sequence[str]) -> tuple[Outage, ...]:
    """What the run could not reach, for the reports' banner: no host at all (the
    audit could not run: exit 3), or an archive (every empty copy then means "not
    asked").  The archive line also stays the run's first warning, as it was."""
    found = []
    if network_down is not None:
        found.append(Outage(OutageKind.NETWORK, f"{network_down[:1].upper()}{network_down[1:]}."))
    found += [Outage(OutageKind.ARCHIVES, line) for line in banner]
    return tuple(found)


@dataclass(frozen=True)
class Restored:
    """Lost links' original hrefs by position, and, per document (by index), why
    restoring could not run at all."""

    restorations: Mapping[Position, Restoration] = field(default_factory=dict)
    failures: Mapping[int, str] = field(default_factory=dict)


async def restore_links(
    extracted: Sequence[tuple[Document, list[Citation]]],
    options: AuditOptions,
    session: ArchiveSession | None,
    until: float | None = None,
) -> Restored:
    """The original href of each lost citation, from the article's archived copy
    (when archives are asked and restoring is on).  Lost links go first: their
    restored hrefs join the same check batch as everything else.  Past ``until``
    (the run's deadline) the remaining documents are said not restored."""
    restorations: dict[Position, Restoration] = {}
    failures: dict[int, str] = {}
    if session is None or not options.restore_lost:
        return Restored()
    from linkaudit.archive.restore import restore_lost  # archive lookups: not for check

    for d_index, (doc, citations) in enumerate(extracted):
        lost_positions = [i for i, c in enumerate(citations) if c.verdict is Verdict.LOST]
        if not lost_positions:
            continue
        try:
            async with asyncio.timeout_at(_loop_time(until)):
                outcome = await restore_lost(
                    doc,
                    [citations[i] for i in lost_positions],
                    session.options,
                    client=session.client,
                    limiter=session.wayback,
                    reach=session.reach,
                )
        except TimeoutError:
            failures[d_index] = "the run's deadline passed"
            continue
        if outcome.failure:
            failures[d_index] = outcome.failure
        for k, restoration in outcome.restored.items():
            restorations[(d_index, lost_positions[k])] = restoration
    return Restored(restorations, failures)


def _keys(citations: Iterable[Citation]) -> set[str]:
    """The keys of ``citations`` that need a request."""
    return {
        c.key for c in citations if c.needs_check and c.key and c.relation is not Relation.LOCAL
    }


def _overlaps(missing: int, options: AuditOptions, services: Services) -> bool:
    """Whether checking starts while the documents are still being extracted: when
    extraction of the ``missing`` documents (not in the cache) is parallel (so this
    process's core is free for the checker) and this process does the checking
    itself (not a shared store's queue).  A warm run extracts nothing, and its
    URLs are mostly answered from the cache: it starts no checking process."""
    if not missing or services.check is not None or options.offline:
        return False
    from linkaudit.extract.parallel import parallel

    return parallel(missing)


@dataclass
class EarlyCheck:
    """Checking under way while extraction goes on (``check.feed``): the keys put so
    far, and the task that checks them."""

    feed: KeyFeed
    task: asyncio.Task[dict[str, CheckResult]]
    collector: PageCollector | None
    on_total: Callable[[int], None] | None
    keys: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, options: AuditOptions, services: Services, until: float | None) -> EarlyCheck:
        feed = KeyFeed()
        collector = _page_collector(options, services)
        task = asyncio.ensure_future(_check(feed, options, services, until, collector))
        return cls(feed, task, collector, services.on_total)

    def put(self, citations: list[Citation]) -> None:
        new = _keys(citations) - self.keys
        if new:
            self.keys |= new
            self.feed.put(sorted(new))
            if self.on_total is not None:
                self.on_total(len(self.keys))


def _check(
    keys: Iterable[str] | KeyFeed,
    options: AuditOptions,
    services: Services,
    until: float | None,
    collector: PageCollector | None,
) -> Awaitable[dict[str, CheckResult]]:
    """The checking of ``keys``, its processes forked now (before the caller's next
    ``await``, while no thread has been started yet) when the run is worth several."""
    processes = _processes(keys, services)
    if processes > 1:
        from linkaudit.check.shards import ShardedCheck  # forking: large runs only

        try:
            sharded = ShardedCheck.start(
                processes,
                options.check,
                resolver=services.resolver,
                until=until,
                pages=collector,
            )
        except OSError:  # no shared semaphore or no fork here (some sandboxes): one process
            pass
        else:
            return sharded.check(keys, cache=services.cache, progress=services.progress)
    from linkaudit.check.engine import check_urls

    return (services.check or check_urls)(
        keys,
        options.check,
        resolver=services.resolver,
        transport=services.transport,
        cache=services.cache,
        progress=services.progress,
        clock=services.check_clock,
        until=until,
        on_page=collector,
    )


def _processes(keys: Iterable[str] | KeyFeed, services: Services) -> int:
    """How many processes check the run (``check.shards``): one wherever a service
    given to the run must see every request (a shared store's queue, an injected
    transport or clock)."""
    if services.check is not None or services.transport is not None:
        return 1
    if services.check_clock is not None:
        return 1
    urls = None if isinstance(keys, KeyFeed) else len(set(map(_page_of, keys)))
    from linkaudit.check.shards import shard_count  # imports no forking machinery itself

    return shard_count(urls)


def _page_of(key: str) -> str:
    return defragment(key)[0]


async def check_citations(
    extracted: Sequence[tuple[Document, list[Citation]]],
    restored: Restored,
    options: AuditOptions,
    services: Services,
    until: float | None = None,
    early: EarlyCheck | None = None,
) -> Checked:
    """Check every distinct URL of the run once (restored hrefs included), and
    apply the statuses the configuration accepts per host.  Offline: nothing.
    ``until`` is the run's deadline (``time.monotonic()``); what it stops is said.
    ``early`` is the checking that started during extraction: its results are
    awaited here, and only what it was not given is checked now."""
    local = local_results((c for _, cits in extracted for c in cits), options.local)
    keys = _keys(c for _, cits in extracted for c in cits)
    restored_keys = {pos: normalize(r.url) for pos, r in restored.restorations.items()}
    keys.update(restored_keys.values())
    results: dict[str, CheckResult] = {}
    if early is not None:
        early.feed.close()
        results = await early.task
        keys -= results.keys()
        collector = early.collector
    else:
        collector = _page_collector(options, services)
    if not results and (not keys or options.offline):
        return Checked(dict(local), restored_keys)
    if keys:
        if services.on_total is not None:
            services.on_total(len(keys) + len(results))
        # recent answers first: how many processes check the rest depends on how many
        # are left (a warm run has none to fork for)
        from linkaudit.check.engine import unanswered

        ask = list(unanswered(sorted(keys), set(), services.cache, services.progress, results))
        if ask:
            results.update(await _check(ask, options, services, until, collector))
    pages = collector.pages if collector is not None else {}
    said: tuple[str, ...] = ()
    stopped = sum(r.reason == Reason.RUN_DEADLINE for r in results.values())
    if stopped:
        said = (
            f"the run's deadline ({options.run_deadline:g} s) passed: {stopped} of "
            f"{len(results)} links were not checked to the end (unreachable, run_deadline)",
        )
    if options.browser and not _past(until):
        from linkaudit.check.browser import BrowserOptions, recheck_in_browser  # --browser

        results, why_not = await recheck_in_browser(
            results, BrowserOptions(budget=options.check.deadline / 2), services.resolver
        )
        said += (why_not,) if why_not else ()
    if options.accept:
        results = {k: _accepted(r, options.accept) for k, r in results.items()}
    return Checked({**results, **local}, restored_keys, said, pages)


def _page_collector(options: AuditOptions, services: Services) -> PageCollector | None:
    """What reads the live pages' text: every page for ``--drift``; for first
    observations alone, only the pages of URLs never observed before (reading a
    page's article text costs ~35 ms of CPU on a real page, so a URL pays it once)."""
    store = services.drift_store
    if not options.drift and (not options.first_observations or store is None):
        return None
    from linkaudit.check.drift_stage import PageCollector  # --drift and audit only

    if options.drift or store is None:
        return PageCollector()
    return PageCollector(skip=lambda url: store.baseline(url) is not None)


async def _drift(
    findings: list[Finding],
    checked: Checked,
    options: AuditOptions,
    services: Services,
    session: ArchiveSession | None,
    targets: Mapping[str, datetime],
    started: datetime,
) -> list[Finding]:
    """The content-drift stage (``linkaudit.check.drift_stage``), each URL aimed at the
    earliest date it is cited on."""
    from linkaudit.check.drift_stage import compared_url as drift_url
    from linkaudit.check.drift_stage import judge_drift

    by_url: dict[str, datetime] = {}
    for finding in findings:
        url = drift_url(finding)
        if url is not None and targets:
            when = _target(targets, finding.citation)
            by_url[url] = min(when, by_url.get(url, when))
    return await judge_drift(
        findings,
        checked.pages,
        by_url,
        store=services.drift_store,
        session=session,
        archive_cache=services.archive_cache,
        run_started=started,
    )


def citation_dates(
    extracted: Sequence[tuple[Document, list[Citation]]],
    options: AuditOptions,
    now: datetime,
    *,
    line_dates: Mapping[str, Mapping[int, LineDate]] | None = None,
    wanted: Collection[str] | None = None,
) -> tuple[dict[str, datetime], list[str]]:
    """When each document's sources were cited (what archive lookups aim at), by
    origin, and a warning naming the documents that say nowhere.

    A document with no date of its own (and no ``--cited-at``) whose lines git
    dates (``line_dates``, by origin) gets a date per citation instead, under
    :func:`date_key`: the day the citation's line was committed.  Only documents
    in ``wanted`` (those with an archive lookup to make; None: all) are warned
    about: a date nothing is looked up for does not matter.
    """
    targets: dict[str, datetime] = {}
    undated: list[str] = []
    for doc, citations in extracted:
        targets[doc.origin] = citation_date(doc, options, now)
        if options.cited_at is None and doc.cited_at is None:
            lines = (line_dates or {}).get(doc.origin, {})
            for citation in citations:
                found = lines.get(citation.location.line)
                if found is not None:
                    targets[date_key(citation)] = found.when
            if not lines and (wanted is None or doc.origin in wanted):
                undated.append(doc.origin)
    warnings: list[str] = []
    if len(undated) == 1:
        warnings.append(
            f"{undated[0]}: no citation date found; archive copies are chosen nearest "
            "to now (use --cited-at)"
        )
    elif undated:
        named = ", ".join(undated[:3]) + (", ..." if len(undated) > 3 else "")
        warnings.append(
            f"{len(undated)} documents have no citation date ({named}); archive copies "
            "for them are chosen nearest to now (use --cited-at)"
        )
    return targets, warnings


def date_key(citation: Citation) -> str:
    """The key of a citation's own date among a run's citation dates (by line)."""
    return f"{citation.document}\n{citation.location.line}"


def _target(targets: Mapping[str, datetime], citation: Citation) -> datetime:
    """The date a citation's archive lookup aims at: its own, else its document's."""
    return targets.get(date_key(citation)) or targets[citation.document]


def git_line_dates(
    extracted: Sequence[tuple[Document, list[Citation]]], wanted: Collection[str]
) -> dict[str, Mapping[int, LineDate]]:
    """For the documents in ``wanted`` that are files with no date of their own: the
    date git gives each of their lines (one ``git blame`` per file, reused while
    the file's bytes are the same).  The blames run side by side, one git process
    per core: on a big repository with many failing files they are the cost."""
    files = [
        (doc.origin, str(Path(doc.origin).resolve()), doc.sha256)
        for doc, _ in extracted
        if doc.origin in wanted and doc.cited_at is None and is_file_document(doc)
    ]
    if not files:
        return {}
    from concurrent.futures import ThreadPoolExecutor  # archive lookups' dates only

    with ThreadPoolExecutor(max_workers=min(len(files), os.cpu_count() or 1)) as pool:
        found = list(pool.map(lambda f: _blame(f[1], f[2]), files))
    return {origin: dates for (origin, _, _), dates in zip(files, found, strict=True) if dates}


@lru_cache(maxsize=512)
def _blame(path: str, sha256: str | None) -> Mapping[int, LineDate]:
    """``blame_dates``, cached by the file's content (its sha256): one blame per file."""
    from linkaudit.sources.gitdates import blame_dates  # archive lookups' dates only

    return MappingProxyType(blame_dates(Path(path)))


def build_findings(
    extracted: Sequence[tuple[Document, list[Citation]]],
    checked: Checked,
    restored: Restored,
    built: Mapping[int, Sequence[Finding]] | None = None,
) -> list[Finding]:
    """One finding per citation, in document order: its verdict, reason and evidence
    (for a lost link whose restoration could not run, why).

    ``built``: documents' findings built while the run was checking (``Completion``),
    by index, in document order; taken as they are where they still hold."""
    findings: list[Finding] = []
    for d_index, (_doc, citations) in enumerate(extracted):
        early = built.get(d_index) if built else None
        if early is not None and _still_hold(early, d_index, citations, checked, restored):
            findings.extend(early)
            continue
        failure = restored.failures.get(d_index)
        for c_index, citation in enumerate(citations):
            finding = _finding(
                citation,
                checked.results,
                restored.restorations.get((d_index, c_index)),
                checked.restored_keys.get((d_index, c_index)),
            )
            if failure and finding.verdict is Verdict.LOST and finding.restoration is None:
                finding = replace(finding, archive_note=f"{NOT_RESTORED}: {failure}")
            findings.append(finding)
    return findings


def _still_hold(
    early: Sequence[Finding],
    d_index: int,
    citations: Sequence[Citation],
    checked: Checked,
    restored: Restored,
) -> bool:
    """Whether findings built early are what :func:`build_findings` would build now:
    the same citations, nothing restored, and each result the very object the run
    ended with (a status the configuration accepts, a browser's second look or a
    local file's answer replaces it)."""
    if len(early) != len(citations) or d_index in restored.failures:
        return False
    for c_index, (finding, citation) in enumerate(zip(early, citations, strict=True)):
        if finding.citation is not citation:
            return False
        position = (d_index, c_index)
        if position in restored.restorations or position in checked.restored_keys:
            return False
        if citation.verdict is not None or citation.key is None:
            if finding.result is not None:
                return False
        elif finding.result is not checked.results.get(citation.key):
            return False
    return True


class Completion:
    """Documents whose every URL is decided while the run still checks others.

    On a repository the run's last minutes belong to a few slow or rate-limited
    hosts, and most documents cite none of them: their findings are final long
    before the run ends.  Each one's findings are built as its last URL is decided
    and handed to ``on_complete`` (the runner prepares the document's stored report
    then, instead of after the last answer); :func:`build_findings` takes them where
    they still hold.  Documents with a local link wait for the end (other files
    decide them), as does any document named twice in the run.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        on_complete: Callable[[Document, Sequence[Finding]], None],
        progress: Callable[[CheckResult], None] | None,
    ) -> None:
        self._documents = documents
        self._on_complete = on_complete
        self._progress = progress
        self._results: dict[str, CheckResult] = {}
        self._waiting: dict[str, list[int]] = {}  # key -> documents still waiting for it
        self._pending: dict[int, int] = {}  # document -> its keys not decided yet
        self._citations: dict[int, list[Citation]] = {}
        named: dict[str, int] = {}
        for document in documents:
            named[document.origin] = named.get(document.origin, 0) + 1
        self._twice = {origin for origin, n in named.items() if n > 1}
        #: each document's findings, by index, in document order
        self.built: dict[int, list[Finding]] = {}

    def extracted(self, index: int, citations: list[Citation]) -> None:
        """A document's citations, as the run will audit them."""
        if self._documents[index].origin in self._twice:
            return
        if any(c.relation is Relation.LOCAL for c in citations):
            return
        keys = _keys(citations) - self._results.keys()
        self._citations[index] = citations
        if not keys:
            self._complete(index)
            return
        self._pending[index] = len(keys)
        for key in keys:
            self._waiting.setdefault(key, []).append(index)

    def decided(self, result: CheckResult) -> None:
        """``Services.progress``: told of every key's result as it is decided."""
        if self._progress is not None:
            self._progress(result)
        self._results[result.key] = result
        for index in self._waiting.pop(result.key, ()):
            self._pending[index] -= 1
            if self._pending[index] == 0:
                del self._pending[index]
                self._complete(index)

    def _complete(self, index: int) -> None:
        citations = self._citations.pop(index)
        findings = [_finding(c, self._results, None, None) for c in citations]
        self.built[index] = findings
        try:
            self._on_complete(self._documents[index], sorted(findings, key=_order))
        except Exception:  # an early start that failed is no start: the end does it all
            del self.built[index]


async def find_archived_copies(
    findings: Sequence[Finding],
    targets: Mapping[str, datetime],
    options: AuditOptions,
    session: ArchiveSession,
    cache: ArchiveCache | None,
    progress: Callable[[int, int], None] | None = None,
    *,
    until: float | None = None,
    inside: Collection[str] = (),
    sources: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Archive copies for what is not fine, nearest to each citation's date (its line's,
    from git, when ``targets`` has one; else its document's); ``sources`` says, by
    :func:`date_key`, where a line's date came from, for the finding's note.
    ``progress(done, total)`` is told as each distinct lookup ends; lookups not done
    by ``until`` (the run's deadline) are said not looked up.  URLs inside the
    network (hosts in ``inside``, or so spelled) are never sent to an archive
    outside it: they get a note instead."""
    private = _private_lookups(findings, options, session.options, inside)
    wanted = [
        (url, _target(targets, finding.citation))
        for finding in findings
        if (url := _lookup_url(finding, options)) is not None and url not in private
    ]
    if not wanted:
        return [_with_private_note(f, private, options) for f in findings]
    total = len({(url, as_utc(target).date()) for url, target in wanted})
    done = 0

    def one_more() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    from linkaudit.archive.lookup import MemoryArchiveCache, find_copies

    lookups = await find_copies(
        wanted,
        session.options,
        client=session.client,
        cache=cache or MemoryArchiveCache(),
        limiter=session.wayback,
        timegate_limiters=session.timegates,
        reach=session.reach,
        progress=one_more,
        until=until,
    )
    return [
        _with_private_note(f, private, options)
        if _lookup_url(f, options) in private
        else _with_archive(f, lookups, targets, options, sources or {})
        for f in findings
    ]


def _private_lookups(
    findings: Sequence[Finding],
    options: AuditOptions,
    archive: ArchiveOptions,
    inside: Collection[str],
) -> dict[str, str]:
    """Lookup URLs that must not leave the network, with the note each gets."""
    if not archive.reaches_outside:
        return {}
    private: dict[str, str] = {}
    for finding in findings:
        url = _lookup_url(finding, options)
        host = urlsplit(url).hostname if url else None
        if url is not None and host and (host in inside or is_internal(host)):
            private[url] = f"{NOT_SENT}: {host} is inside the network"
    return private


def _with_private_note(
    finding: Finding, private: Mapping[str, str], options: AuditOptions
) -> Finding:
    url = _lookup_url(finding, options)
    if url is None or url not in private:
        return finding
    return replace(finding, archive_note=private[url])


#: Failures where a connection was tried: the name resolved, to an address that may
#: be inside the network.
_TRIED_TO_CONNECT = frozenset(
    {
        Reason.CONNECT_REFUSED,
        Reason.CONNECT_FAILED,
        Reason.TIMEOUT,
        Reason.RESET,
        Reason.PROTOCOL_ERROR,
        Reason.TLS_EXPIRED,
        Reason.TLS_SELF_SIGNED,
        Reason.TLS_HOSTNAME,
        Reason.TLS_OTHER,
    }
)


async def internal_hosts(
    results: Iterable[CheckResult], resolver: Resolver | None, *, resolve: bool
) -> frozenset[str]:
    """Hosts of the run that are inside the network: so spelled, answered from an
    internal address (``CheckResult.internal``), or, with ``resolve``, failing hosts
    whose name resolves to one (an intranet page that is down answers nothing, but
    its name still says where it lives).  ``resolve`` is off when the run reaches
    hosts through a transport of its own (tests), where DNS says nothing."""
    inside: set[str] = set()
    ask: set[str] = set()
    for result in results:
        host = urlsplit(result.url).hostname
        if not host:
            continue
        if result.internal or is_internal(host):
            inside.add(host)
        elif resolve and Reason.of(result.reason) in _TRIED_TO_CONNECT:
            ask.add(host)
    for host in sorted(ask - inside):
        if await _resolves_inside(host, resolver):
            inside.add(host)
    return frozenset(inside)


async def _resolves_inside(host: str, resolver: Resolver | None) -> bool:
    from linkaudit.check.client import ResolveError

    try:
        if resolver is not None:
            addresses = [await resolver.resolve(host)]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
            addresses = [str(info[4][0]) for info in infos]
    except (ResolveError, OSError):
        return False
    return any(address_kind(address) is not None for address in addresses)


async def save_live_citations(
    findings: Sequence[Finding], session: ArchiveSession, now: datetime, until: float | None = None
) -> tuple[SaveOutcome, ...]:
    """Archive live citations whose newest capture is missing or old (``--save``);
    nothing once the run's deadline (``until``) has passed, and never an internal
    URL to an archive outside the network."""
    outside = session.options.reaches_outside
    live = sorted(
        {
            u
            for f in findings
            if f.verdict is Verdict.OK
            and (u := _archive_url(f.citation))
            and not (outside and ((f.result is not None and f.result.internal) or _inside(u)))
        }
    )
    if not live or _past(until):
        return ()
    from linkaudit.archive.lookup import find_copies
    from linkaudit.archive.save import save_live  # --save only

    latest = await find_copies(
        [(u, now) for u in live],
        session.options,
        client=session.client,
        limiter=session.wayback,
        timegate_limiters=session.timegates,
        reach=session.reach,
        until=until,
    )
    pairs = [
        (u, (lk.copy.captured_at if (lk := latest.get((u, now))) and lk.copy else None))
        for u in live
    ]
    return tuple(await save_live(pairs, session.options, now=now, limiter=session.saves))


def _inside(url: str) -> bool:
    return is_internal(urlsplit(url).hostname)


def _past(until: float | None) -> bool:
    return until is not None and time.monotonic() >= until


def _loop_time(until: float | None) -> float | None:
    """``until`` (``time.monotonic()``) on the event loop's clock, for ``timeout_at``."""
    if until is None:
        return None
    return asyncio.get_running_loop().time() + (until - time.monotonic())


def _accepted(result: CheckResult, accept: Mapping[str, frozenset[int]]) -> CheckResult:
    """Honour statuses the user declared fine for a host (e.g. LinkedIn's 999)."""
    if result.verdict is Verdict.OK or result.status is None:
        return result
    host = (urlsplit(result.url).hostname or "").lower().rstrip(".")
    statuses = match_host(accept, host)
    if statuses is None or result.status not in statuses:
        return result
    return replace(
        result,
        verdict=Verdict.OK,
        reason=Reason.ACCEPTED_STATUS,
        detail=f"Answered {result.status}, which the configuration accepts for {host}.",
        notes=(*result.notes, f"would have been {result.verdict.value} ({result.reason})"),
    )


def _order(finding: Finding) -> tuple[int, str, int, int]:
    loc = finding.citation.location
    return (-finding.verdict.severity, finding.citation.document, loc.line, loc.column)


def _finding(
    citation: Citation,
    results: Mapping[str, CheckResult],
    restoration: Restoration | None,
    restored_key: str | None,
) -> Finding:
    if citation.verdict is Verdict.LOST:
        detail = _precheck_detail(citation)
        result = results.get(restored_key) if restored_key else None
        if restoration is not None:
            detail += f" The archived article linked it to {restoration.url}"
            if result is not None:
                detail += f", which is now {result.verdict.value} ({result.reason})"
            detail += "."
        return Finding(
            citation=citation,
            verdict=Verdict.LOST,
            reason=citation.reason,
            detail=detail,
            result=result,
            restoration=restoration,
        )
    if citation.verdict is not None or citation.key is None:
        verdict = citation.verdict or Verdict.INVALID
        return Finding(citation, verdict, citation.reason, _precheck_detail(citation))
    result = results.get(citation.key)
    if result is None:  # offline run: nothing was checked
        return Finding(citation, Verdict.SKIPPED, Reason.OFFLINE, "Not checked: offline run.")
    return Finding(citation, result.verdict, result.reason, result.detail, result=result)


def _lookup_url(finding: Finding, options: AuditOptions) -> str | None:
    if finding.citation.relation is Relation.LOCAL:
        return None  # a file in the repository: no archive has it
    if finding.verdict is Verdict.LOST:
        if finding.restoration is None:
            return None
        restored_fine = finding.result is not None and finding.result.verdict in _FINE
        return None if restored_fine and not options.archive_all else finding.restoration.url
    if finding.verdict is Verdict.INVALID or finding.verdict is Verdict.SKIPPED:
        return None
    if finding.verdict is Verdict.OK and not options.archive_all:
        return None
    return _archive_url(finding.citation)


def _with_archive(
    finding: Finding,
    lookups: dict[tuple[str, datetime], ArchiveLookup],
    targets: Mapping[str, datetime],
    options: AuditOptions,
    sources: Mapping[str, str],
) -> Finding:
    url = _lookup_url(finding, options)
    if url is None:
        return finding
    lookup = lookups.get((url, _target(targets, finding.citation)))
    if lookup is None:
        return finding
    note = lookup.note
    dated = sources.get(date_key(finding.citation))
    if dated:  # dated by git: say where the date came from
        note = f"{note}; aimed at the citation date ({dated})" if note else f"aimed at {dated}"
    return replace(finding, archive=lookup.copy, archive_note=note)


def audit_settings(options: AuditOptions) -> dict[str, object]:
    """What an audit used, by the names users give the settings (configuration
    keys), defaults included: the report's ``settings`` (and, with the run's own
    additions, what the history stores)."""
    check = options.check
    archive = None if options.offline else options.archive
    return {
        "scope": options.scope.value,
        "sites": {host: {"body": selector} for host, selector in options.bodies.by_host},
        "include_internal": options.include_internal,
        "exclude": list(options.exclude),
        "cited_at": options.cited_at.isoformat() if options.cited_at else None,
        "offline": options.offline,
        "archive": archive is not None,
        "archives": [WAYBACK, *(name for name, _ in archive.timegates)] if archive else [],
        "wayback_url": archive.wayback_url if archive else None,
        "archive_rate": archive.requests_per_minute if archive else None,
        "timegate_rate": archive.timegate_requests_per_minute if archive else None,
        "save_rate": archive.saves_per_minute if archive else None,
        "archive_all": options.archive_all,
        "save": options.save,
        "browser": options.browser,
        "drift": options.drift,
        "run_deadline": options.run_deadline,
        **{name: getattr(check, attribute) for name, attribute in USER_NAMES.items()},
        "verify_tls": check.verify_tls,
        "exclude_addresses": sorted(check.exclude_addresses),
    }


async def judge_network(
    results: Mapping[str, CheckResult], resolver: Resolver | None
) -> str | None:
    """Why the run's verdicts are meaningless, when not one host gave any answer;
    None when the run is sound.

    With two or more hosts tried and every fresh check failing before any answer
    (no status: timeouts, resets, refused connections) the likeliest cause is our
    own network; with every host failing name resolution (NXDOMAIN or a temporary
    failure) the likeliest cause is our resolver (a captive portal, split DNS, a VPN
    down) unless it still resolves names that surely exist, in which case the
    domains really are gone.  Either way it is DESIGN.md's exit code 3, and the
    run records nothing.  Cached results count as answers.
    """
    network = [r for r in results.values() if not r.url.startswith("file:")]  # not local ones
    fresh = [r for r in network if not r.from_cache]
    if not fresh or len(fresh) != len(network):
        return None
    hosts = {urlsplit(r.url).hostname for r in fresh}
    if len(hosts) < 2:
        return None
    if all(_no_answer(r) for r in fresh):
        return (
            f"no network: none of the {len(hosts)} hosts answered ({len(fresh)} URLs "
            "unreachable); check the connection or proxy, then run again"
        )
    from linkaudit.check.client import resolver_answers

    if all(_name_failed(r) for r in fresh) and not await resolver_answers(resolver):
        return (
            f"the network/resolver is not working: none of the {len(hosts)} hosts could be "
            "resolved, and neither could names that always exist; check DNS, the VPN or "
            "the proxy, then run again"
        )
    return None


def _no_answer(result: CheckResult) -> bool:
    """Whether nothing usable came back: a failure of our path to the host, not of
    the link."""
    reason = Reason.of(result.reason)
    return result.verdict is Verdict.UNREACHABLE and reason is not None and reason.no_answer


def _name_failed(result: CheckResult) -> bool:
    return Reason.of(result.reason) in (Reason.DNS_NOT_FOUND, Reason.DNS_TEMPORARY)


def exit_code(report: Report, fail_on: Collection[Verdict] = DEFAULT_FAIL_ON) -> int:
    """DESIGN.md exit codes: 1 when any finding's verdict is in ``fail_on``, else 0."""
    tally = counts(report)  # reused documents: from their stored tallies
    return 1 if any(tally.get(v, 0) for v in fail_on) else 0
