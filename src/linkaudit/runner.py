"""One audit run end to end: collect sources, open the store, audit, record history.

This is what ``linkaudit check`` and ``linkaudit audit`` do, as a library call, so
the CLI stays a parser and the GitHub Action, the demo and tests run the exact same
sequence.  The store is optional and never fatal: if it cannot be opened the run
goes on uncached and says so.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from linkaudit import _aio as aio
from linkaudit.errors import InputError, LinkauditError
from linkaudit.model import Citation, ConfirmPolicy, Document, Finding, Findings, Report
from linkaudit.pipeline import (
    AuditOptions,
    AuditRun,
    CheckUrls,
    Services,
    audit_documents,
    audit_settings,
)
from linkaudit.report.base import PROBLEMS, location_sort_key, place_in_document
from linkaudit.report.json_format import FindingLines, compact, report_header
from linkaudit.reuse import (
    Basis,
    Context,
    Reuse,
    Unparsed,
    basis_of,
    find_reusable,
    lines_digest,
    reuse_allowed,
)
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.collect import Collection, collect, describe, skipped
from linkaudit.sources.loader import load_source
from linkaudit.store.base import CachePolicy
from linkaudit.store.location import is_server

# The store (SQLite and its parts) and the run history's recording are imported by
# runs with a cache: ``check --no-cache`` needs neither (issue 17).
if TYPE_CHECKING:
    from linkaudit.archive.base import ArchiveOptions
    from linkaudit.archive.ratelimit import RateLimiter
    from linkaudit.store.reports import DocumentReport
    from linkaudit.store.store import Store


@dataclass(frozen=True)
class RunRequest:
    """Everything one run needs besides the injectable network parts."""

    collection: Collection
    sources: SourceOptions = field(default_factory=SourceOptions)
    audit: AuditOptions = field(default_factory=AuditOptions)
    cache_path: Path | str | None = None  # None: no cache and no history; str: a DSN
    policy: CachePolicy = field(default_factory=CachePolicy)
    #: What the run used, as its report shows it and its history stores it
    #: (``settings.run_settings``); empty: the audit's own account of its options.
    settings: Mapping[str, Any] = field(default_factory=dict)
    confirm: ConfirmPolicy = field(default_factory=ConfirmPolicy)  # when failing becomes dead
    #: On a shared store's work queue, what one host row covers ("host", "domain", "ip").
    politeness_key: str = "host"


def run(request: RunRequest, services: Services | None = None) -> AuditRun:
    """Audit what ``request`` names; store warnings end up in the report's warnings."""
    services = services or Services()
    store: Store | None = None
    said: list[str] = []  # why the store is not used, if it is not
    context: Context | None = None
    if request.cache_path is not None and reuse_allowed(request.audit):
        context = Context(_settings(request), request.audit, request.sources)
    unparsed: Unparsed | None = None
    if context is not None and _reusing(request, services):
        # a store that exists is opened first: its bases tell which files need no parsing
        store = _open_store(request, said)
        unparsed = Unparsed() if store is not None else None
    reuse: Reuse | None = None
    try:
        documents, warnings = collect(request.collection, request.sources, unparsed)
        if store is None and not said and request.cache_path and not request.audit.offline:
            store = _open_store(request, said)
        warnings.extend(said)
        if store is not None:
            from linkaudit.recording import RecheckFailing, failing_keys

            # links on their way to confirmation, or that failed lately, are checked
            # for real every run: a reused result is not a new observation
            failing = failing_keys(store.history, request.confirm, store.now())
            if services.cache is None and services.check is None:
                # whole unchanged documents whose stored findings are still true
                reuse = find_reusable(
                    store,
                    documents,
                    _settings(request),
                    request.audit,
                    failing,
                    context=context,
                    unparsed=unparsed,
                )
                if unparsed is not None:  # what is not reused is audited: loaded for real
                    documents = unparsed.loaded(documents, reuse, _loader(request, warnings))
            services = replace(
                services,
                check=services.check or _shared_checker(store, request),
                archive_limiters=services.archive_limiters or _shared_archives(store, request),
                cache=services.cache or RecheckFailing(store.results, failing),
                archive_cache=services.archive_cache or store.archives,
                extract_cache=services.extract_cache or store.extracts,
                drift_store=services.drift_store or store.drift,
            )
        reused = reuse.documents if reuse is not None else None
        lines = FindingLines()
        early: dict[str, _Early] = {}
        if store is not None and context is not None and services.on_complete is None:
            services = replace(services, on_complete=_preparing(early, lines, context))
        outcome = aio.run(audit_documents(documents, request.audit, services, reused))
        if request.settings:  # the run's full account of what it used (``plan_run``'s)
            report = replace(outcome.report, settings=dict(request.settings))
            outcome = replace(outcome, report=report)
        if store is not None and outcome.network_down is not None:
            # Nothing this run saw is knowledge: keep it out of the history and the
            # cache (its NXDOMAINs would otherwise be reused as "broken").
            report = outcome.report
            keys = [f.result.key for f in report.findings if f.result and not f.result.from_cache]
            store.results.forget(keys, report.started_at)
            warnings.extend(store.warnings)
        elif store is not None:
            from linkaudit.recording import diff_latest, record_audit

            run_id = record_audit(store, outcome, sources=describe(request.collection), reuse=reuse)
            _keep_document_reports(store, run_id, outcome.report, lines, context, reuse, early)
            changes = diff_latest(store, request.confirm).text()
            outcome = replace(
                outcome,
                report=replace(outcome.report, changes=changes),
                finding_lines=lines,
            )
            warnings.extend(store.warnings)
            warnings.extend(store.notes)
    finally:
        if store is not None:
            store.close()
    if warnings:
        report = replace(outcome.report, warnings=(*outcome.report.warnings, *warnings))
        outcome = replace(outcome, report=report)
    return outcome


def _reusing(request: RunRequest, services: Services) -> bool:
    """Whether the run may reuse stored documents from a store that exists (a run
    with a store still to be made has nothing to reuse, and makes it after reading
    its inputs, so a mistyped input leaves no empty store behind)."""
    location = request.cache_path
    if location is None or request.audit.offline:
        return False
    if services.cache is not None or services.check is not None:
        return False
    return is_server(location) or Path(location).exists()


def _open_store(request: RunRequest, said: list[str]) -> Store | None:
    """The run's store; None, said in ``said``, when it cannot be opened."""
    from linkaudit.store.store import Store

    assert request.cache_path is not None
    try:
        return Store.open(request.cache_path, policy=request.policy)
    except LinkauditError as exc:
        said.append(f"cache not used: {exc}")
        return None


def _loader(request: RunRequest, warnings: list[str]) -> Callable[[str], Document | None]:
    """Loads one file named by its origin, as ``collect`` loaded it; a file that
    cannot be loaded any more (changed since it was read) is skipped, as ``collect``
    skips a folder's unreadable file, with a warning."""

    def load(origin: str) -> Document | None:
        try:
            return load_source(origin, request.sources)[0]
        except InputError as exc:
            warnings.append(skipped(Path(origin), exc))
            return None

    return load


def _shared_checker(store: Store, request: RunRequest) -> CheckUrls | None:
    """On a PostgreSQL store the run's URLs go through the work queue (this process
    works it too, with any ``linkaudit worker`` running), so every host's politeness
    is the one the database keeps; on SQLite, None: this process checks alone."""
    if not is_server(request.cache_path):
        return None
    from linkaudit.store.queue import HostLimits, PolitenessKey
    from linkaudit.worker import QueueChecker, WorkerOptions

    check = request.audit.check
    limits = HostLimits(max_in_flight=check.per_host, min_interval=check.host_interval)
    worker = WorkerOptions(
        concurrency=check.concurrency,
        limits=limits,
        politeness=PolitenessKey(request.politeness_key),
    )
    return QueueChecker(store, worker)


def _shared_archives(
    store: Store, request: RunRequest
) -> Callable[[ArchiveOptions], tuple[RateLimiter, dict[str, RateLimiter]]] | None:
    """On a PostgreSQL store the archives' budgets are host rows shared by every
    auditing process; on SQLite, None: this process's own buckets."""
    if not is_server(request.cache_path):
        return None
    from linkaudit.worker import shared_archive_limiters

    return shared_archive_limiters(store)


def _settings(request: RunRequest) -> Mapping[str, Any]:
    """The run's settings as its report shows them (``audit_documents`` and ``run``)."""
    return dict(request.settings) if request.settings else audit_settings(request.audit)


@dataclass(frozen=True)
class _Early:
    """A document's stored report, prepared while the run was still checking."""

    findings: Sequence[Finding]  # in the order its report lists them
    lines: list[str]
    basis: Basis | None
    kept: str | None  # the basis as stored


def _preparing(
    early: dict[str, _Early], lines: Callable[[Finding], str], context: Context
) -> Callable[[Document, Sequence[Finding]], None]:
    """``Services.on_complete``: the costly part of a complete document's stored
    report (its findings' lines and its basis), made while the run's last hosts
    are still answering rather than after them (a 2,000-file cold run spent 0.8 to
    1.3 s on these after its last answer)."""

    def prepare(document: Document, findings: Sequence[Finding]) -> None:
        # ``findings``: in the report's order; its report lists them by place
        own = sorted(findings, key=place_in_document)
        own_lines = [lines(f) for f in own]
        cited = [f.citation for f in findings]
        basis = basis_of(context.of(document), own, own_lines, cited, document)
        kept = basis.to_json() if basis is not None else None
        early[document.origin] = _Early(own, own_lines, basis, kept)

    return prepare


def _keep_document_reports(
    store: Store,
    run_id: int,
    report: Report,
    lines: Callable[[Finding], str],
    context: Context | None = None,
    reuse: Reuse | None = None,
    early: Mapping[str, _Early] | None = None,
) -> None:
    """One JSON report per document, so ``fix`` can repair from this audit later.

    Each carries only its own findings and warnings (a tree of thousands of files
    must not store the run's warnings thousands of times) and is encoded finding
    by finding, so no dict tree of the whole run is ever held in memory; the store
    writes them a few megabytes per transaction.
    """
    store.reports.record(run_id, _document_reports(report, lines, context, reuse, early))


#: What a document's report says about when it was made, not what it found: left
#: out of its digest, so an unchanged document's stored report is kept.  (How each
#: result reached the run is not what was found either: ``reuse.lines_digest``.)
_WHEN = frozenset({"generated_at", "started_at", "finished_at", "changes"})


#: Verdict values that are problems (a document report's ``totals``).
_PROBLEMS = frozenset(v.value for v in PROBLEMS)

#: The header's parts each document's report has of its own.
_OWN = ("warnings", "documents", "summary", "totals")


def _same(prepared: Sequence[Finding], final: Sequence[Finding]) -> bool:
    """Whether the run's findings of a document are those it was prepared with."""
    return len(prepared) == len(final) and all(a is b for a, b in zip(prepared, final, strict=True))


def _document_reports(
    report: Report,
    lines: Callable[[Finding], str],
    context: Context | None = None,
    reuse: Reuse | None = None,
    early: Mapping[str, _Early] | None = None,
) -> Iterator[DocumentReport]:
    from linkaudit.store.reports import DocumentReport, document_key

    early = early or {}
    reused = reuse.documents if reuse is not None else {}
    known = reuse.keys if reuse is not None else {}
    findings = report.findings
    fresh = findings.fresh if isinstance(findings, Findings) else findings

    header = report_header(report)
    shared = {key: value for key, value in header.items() if key not in _WHEN and key not in _OWN}
    said_by_all = hashlib.blake2b(digest_size=20)
    said_by_all.update(orjson.dumps(shared, default=str))
    by_document: dict[str, list[Finding]] = {}
    cited: dict[str, list[Citation]] = {}  # in the report's order, as the history hashes them
    for finding in fresh:
        cited.setdefault(finding.citation.document, []).append(finding.citation)
    for finding in sorted(fresh, key=location_sort_key(report)):
        by_document.setdefault(finding.citation.document, []).append(finding)
    for document, data in zip(report.documents, header["documents"], strict=True):
        tally = dict.fromkeys(header["summary"], 0)
        part = reused.get(document.origin)
        basis: Basis | None
        kept: str | None
        if part is not None and reuse is not None:  # its stored findings, as they were
            own_lines = [part.block] if part.block else []
            count = len(part.lengths)
            basis = reuse.bases[document.origin]
            kept = basis.to_json()
            tally.update(basis.tally)
            said_lines = basis.lines
        else:
            own = by_document.get(document.origin, [])
            for finding in own:
                tally[finding.verdict.value] += 1
            ready = early.get(document.origin)
            if ready is not None and _same(ready.findings, own):  # prepared while checking
                own_lines, basis, kept = ready.lines, ready.basis, ready.kept
            else:
                own_lines = [lines(f) for f in own]
                basis = (
                    None
                    if context is None
                    else basis_of(
                        context.of(document),
                        own,
                        own_lines,
                        cited.get(document.origin, []),
                        document,
                    )
                )
                kept = basis.to_json() if basis is not None else None
            count = len(own_lines)
            said_lines = basis.lines if basis is not None else lines_digest(own_lines)
        prefix = f"{document.origin}: "
        own_header = {
            **header,
            "warnings": [w for w in header["warnings"] if w.startswith(prefix)],
            "documents": [data],
            "summary": tally,
            "totals": {
                "citations": count,
                "problems": sum(n for v, n in tally.items() if v in _PROBLEMS),
            },
        }
        digest = said_by_all.copy()
        said = [own_header[key] for key in _OWN]
        digest.update(orjson.dumps(said, default=str))
        digest.update(said_lines.encode())
        digest.update(f"\n{kept}".encode())  # a report stored without its basis is not kept
        yield DocumentReport(
            known.get(document.origin) or document_key(document.origin),
            document.sha256,
            functools.partial(compact, own_header, own_lines),
            digest.hexdigest(),
            kept,
        )
