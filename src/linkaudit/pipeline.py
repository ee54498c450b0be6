"""The whole audit as one library call: documents -> citations -> checks -> archives -> Report.

The CLI, the demo and the GitHub Action all go through here, so the policy that
turns raw check results into findings (what is internal, what is excluded, which
citations deserve an archive lookup, how a lost link's restoration is checked)
lives in exactly one place.  Network parts are injected through ``Services`` so the
same code runs against the real web, the loopback zoo of the tests, or the demo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from linkaudit.archive import ArchiveLookup, ArchiveOptions, find_copies
from linkaudit.archive.base import WAYBACK
from linkaudit.archive.lookup import ArchiveSession, MemoryArchiveCache
from linkaudit.archive.restore import restore_lost
from linkaudit.archive.save import SaveOutcome, save_live
from linkaudit.check import CheckOptions, Resolver, check_urls
from linkaudit.check.limiter import Clock
from linkaudit.check.options import USER_NAMES
from linkaudit.extract.parallel import extract_many
from linkaudit.hosts import match_host
from linkaudit.model import (
    DEFAULT_FAIL_ON,
    NO_SELECTORS,
    BodySelectors,
    CheckResult,
    Citation,
    Document,
    Finding,
    Relation,
    Report,
    Restoration,
    Scope,
    Verdict,
)
from linkaudit.reasons import Reason
from linkaudit.sources.changed import citations_on_changed_lines
from linkaudit.store.base import ArchiveCache, ExtractCache, ResultCache
from linkaudit.urls import defragment, normalize

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
    # statuses declared fine per host (config ``hosts.<name>.accept``), host -> statuses
    accept: Mapping[str, frozenset[int]] = field(default_factory=dict)
    # where the article body is on named sites (config ``sites.<name>.body``)
    bodies: BodySelectors = NO_SELECTORS


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
    check_clock: Clock | None = None  # the engine's clock (tests and the demo scale waits)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class AuditRun:
    """A report plus what ``--save`` did (kept apart: saving is not a verdict)."""

    report: Report
    saves: tuple[SaveOutcome, ...] = ()
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


def extract_all(
    documents: Sequence[Document], options: AuditOptions, cache: ExtractCache | None = None
) -> list[tuple[Document, list[Citation]]]:
    """Citations of every document, with the run's skip policy applied.

    ``cache`` holds raw extraction output only: the skip policy and the
    ``--changed-since`` filter depend on the run, so they apply after it.
    """
    excluded = _compile(options.exclude)
    scope, bodies = options.scope, options.bodies
    found = [None if cache is None else cache.get(doc, scope, bodies=bodies) for doc in documents]
    missing = [doc for doc, citations in zip(documents, found, strict=True) if citations is None]
    extracted = iter(extract_many(missing, scope, bodies=bodies))
    out: list[tuple[Document, list[Citation]]] = []
    for doc, cached in zip(documents, found, strict=True):
        citations = cached
        if citations is None:
            citations = next(extracted)
            if cache is not None:
                cache.put(doc, scope, citations, bodies=bodies)
        if options.changed_lines is not None:
            citations = citations_on_changed_lines(citations, options.changed_lines)
        out.append((doc, [apply_policy(c, options, excluded) for c in citations]))
    if cache is not None:
        cache.flush()
    return out


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


async def audit_documents(
    documents: Sequence[Document],
    options: AuditOptions | None = None,
    services: Services | None = None,
) -> AuditRun:
    """Audit already-loaded documents, stage by stage: extract, restore lost links,
    check, date, build findings, find archived copies, save.  Each stage is a
    function of its own below, over the previous stages' data."""
    options = options or AuditOptions()
    services = services or Services()
    started = services.clock()
    extracted = extract_all(documents, options, services.extract_cache)
    archive = None if options.offline else options.archive
    session = None if archive is None else ArchiveSession.open(archive, services.archive_transport)
    saves: tuple[SaveOutcome, ...] = ()
    try:
        restorations = await restore_links(extracted, options, session)
        checked = await check_citations(extracted, restorations, options, services)
        targets, warnings = citation_dates(extracted, options, services.clock())
        findings = build_findings(extracted, checked, restorations)
        if session is not None:
            findings = await find_archived_copies(
                findings, targets, options, session, services.archive_cache
            )
            if options.save:
                saves = await save_live_citations(findings, session, services.clock())
    finally:
        if session is not None:
            await session.aclose()
    report = Report(
        documents=tuple(documents),
        findings=tuple(sorted(findings, key=_order)),
        started_at=started,
        finished_at=services.clock(),
        settings=audit_settings(options),
        warnings=tuple(f"{doc.origin}: {w}" for doc in documents for w in doc.warnings)
        + tuple(warnings),
    )
    return AuditRun(report=report, saves=saves)


async def restore_links(
    extracted: Sequence[tuple[Document, list[Citation]]],
    options: AuditOptions,
    session: ArchiveSession | None,
) -> dict[Position, Restoration]:
    """The original href of each lost citation, from the article's archived copy
    (when archives are asked and restoring is on).  Lost links go first: their
    restored hrefs join the same check batch as everything else."""
    restorations: dict[Position, Restoration] = {}
    if session is None or not options.restore_lost:
        return restorations
    for d_index, (doc, citations) in enumerate(extracted):
        lost_positions = [i for i, c in enumerate(citations) if c.verdict is Verdict.LOST]
        if not lost_positions:
            continue
        found = await restore_lost(
            doc,
            [citations[i] for i in lost_positions],
            session.options,
            client=session.client,
            limiter=session.wayback,
        )
        for k, restoration in found.items():
            restorations[(d_index, lost_positions[k])] = restoration
    return restorations


async def check_citations(
    extracted: Sequence[tuple[Document, list[Citation]]],
    restorations: Mapping[Position, Restoration],
    options: AuditOptions,
    services: Services,
) -> Checked:
    """Check every distinct URL of the run once (restored hrefs included), and
    apply the statuses the configuration accepts per host.  Offline: nothing."""
    keys = {c.key for _, cits in extracted for c in cits if c.needs_check and c.key}
    restored_keys = {pos: normalize(r.url) for pos, r in restorations.items()}
    keys.update(restored_keys.values())
    if not keys or options.offline:
        return Checked({}, restored_keys)
    if services.on_total is not None:
        services.on_total(len(keys))
    results = await check_urls(
        sorted(keys),
        options.check,
        resolver=services.resolver,
        transport=services.transport,
        cache=services.cache,
        progress=services.progress,
        clock=services.check_clock,
    )
    if options.accept:
        results = {k: _accepted(r, options.accept) for k, r in results.items()}
    return Checked(results, restored_keys)


def citation_dates(
    extracted: Sequence[tuple[Document, list[Citation]]], options: AuditOptions, now: datetime
) -> tuple[dict[str, datetime], list[str]]:
    """When each document's sources were cited (what archive lookups aim at), by
    origin, and a warning naming the documents that say nowhere."""
    targets: dict[str, datetime] = {}
    undated: list[str] = []
    for doc, _ in extracted:
        targets[doc.origin] = citation_date(doc, options, now)
        if options.cited_at is None and doc.cited_at is None:
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


def build_findings(
    extracted: Sequence[tuple[Document, list[Citation]]],
    checked: Checked,
    restorations: Mapping[Position, Restoration],
) -> list[Finding]:
    """One finding per citation, in document order: its verdict, reason and evidence."""
    return [
        _finding(
            citation,
            checked.results,
            restorations.get((d_index, c_index)),
            checked.restored_keys.get((d_index, c_index)),
        )
        for d_index, (_doc, citations) in enumerate(extracted)
        for c_index, citation in enumerate(citations)
    ]


async def find_archived_copies(
    findings: Sequence[Finding],
    targets: Mapping[str, datetime],
    options: AuditOptions,
    session: ArchiveSession,
    cache: ArchiveCache | None,
) -> list[Finding]:
    """Archive copies for what is not fine, nearest to each document's citation date."""
    wanted = [
        (url, targets[finding.citation.document])
        for finding in findings
        if (url := _lookup_url(finding, options)) is not None
    ]
    if not wanted:
        return list(findings)
    lookups = await find_copies(
        wanted,
        session.options,
        client=session.client,
        cache=cache or MemoryArchiveCache(),
        limiter=session.wayback,
        timegate_limiters=session.timegates,
    )
    return [_with_archive(f, lookups, targets[f.citation.document], options) for f in findings]


async def save_live_citations(
    findings: Sequence[Finding], session: ArchiveSession, now: datetime
) -> tuple[SaveOutcome, ...]:
    """Archive live citations whose newest capture is missing or old (``--save``)."""
    live = sorted(
        {u for f in findings if f.verdict is Verdict.OK and (u := _archive_url(f.citation))}
    )
    if not live:
        return ()
    latest = await find_copies(
        [(u, now) for u in live],
        session.options,
        client=session.client,
        limiter=session.wayback,
        timegate_limiters=session.timegates,
    )
    pairs = [
        (u, (lk.copy.captured_at if (lk := latest.get((u, now))) and lk.copy else None))
        for u in live
    ]
    return tuple(await save_live(pairs, session.options, now=now))


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
    target: datetime,
    options: AuditOptions,
) -> Finding:
    url = _lookup_url(finding, options)
    if url is None:
        return finding
    lookup = lookups.get((url, target))
    if lookup is None:
        return finding
    return replace(finding, archive=lookup.copy, archive_note=lookup.note)


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
        "archive_all": options.archive_all,
        "save": options.save,
        **{name: getattr(check, attribute) for name, attribute in USER_NAMES.items()},
        "verify_tls": check.verify_tls,
    }


def network_down(report: Report) -> str | None:
    """Why the run's verdicts are meaningless, when not one host gave any answer.

    With two or more hosts tried and every check ``unreachable`` (no status, no
    definitive DNS answer), the likeliest cause is our own network, not the
    links: DESIGN.md's exit code 3.  Cached results count as answers.
    """
    results = {f.result.key: f.result for f in report.findings if f.result is not None}
    fresh = [r for r in results.values() if not r.from_cache]
    if not fresh or len(fresh) != len(results):
        return None
    if not all(_no_answer(r) for r in fresh):
        return None
    hosts = {urlsplit(r.url).hostname for r in fresh}
    if len(hosts) < 2:
        return None
    return (
        f"no network: none of the {len(hosts)} hosts answered ({len(fresh)} URLs unreachable); "
        "check the connection or proxy, then run again"
    )


def _no_answer(result: CheckResult) -> bool:
    """Whether nothing usable came back: a failure of our path to the host, not of
    the link."""
    reason = Reason.of(result.reason)
    return result.verdict is Verdict.UNREACHABLE and reason is not None and reason.no_answer


def exit_code(report: Report, fail_on: Collection[Verdict] = DEFAULT_FAIL_ON) -> int:
    """DESIGN.md exit codes: 1 when any finding's verdict is in ``fail_on``, else 0."""
    return 1 if any(f.verdict in fail_on for f in report.findings) else 0
