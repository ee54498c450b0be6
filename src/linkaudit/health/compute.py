"""Compute a :class:`HealthReport` from the stored history (no network).

The site today is the union of the documents of the recent full audits, each as
the newest run that saw it left it (a ``check`` of one file or a
``--changed-since`` run updates its documents and does not replace the site), and
each cited URL's standing comes from its whole history (confirmed deaths need
several runs).  Counting happens per *citation* (what readers meet) except for the
standing summary and hosts, which count distinct URLs (what needs fixing).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from linkaudit.health.model import (
    DEFAULT_NEAR_DAYS,
    DEFAULT_SITE_DAYS,
    Capture,
    ChangedSource,
    CitationHealth,
    Coverage,
    DocumentHealth,
    HealthReport,
    HostRot,
    RunKind,
    RunPoint,
    SiteScope,
    YearRot,
)
from linkaudit.history import (
    UNKNOWN,
    ConfirmPolicy,
    LinkState,
    LinkStatus,
    Observation,
    link_state,
)
from linkaudit.model import CheckResult, Verdict, as_utc
from linkaudit.recording import diff_runs
from linkaudit.store import CitationRow, DocumentRow, KnownCopy, RunRecord, Store
from linkaudit.store.history import RunHistory, match_key

_BAD = (LinkStatus.CONFIRMED_DEAD, LinkStatus.FAILING)


def _nearest(copies: Sequence[KnownCopy], target: datetime, near_days: int) -> Capture | None:
    """The capture closest to the citation date; on a tie, the one on or before it
    (what the author saw)."""
    best: tuple[float, int, KnownCopy] | None = None
    for copy in copies:
        delta = (as_utc(copy.captured_at) - as_utc(target)).total_seconds() / 86400
        rank = (abs(delta), 0 if delta <= 0 else 1, copy)
        if best is None or rank[:2] < best[:2]:
            best = rank
    if best is None:
        return None
    distance, _, copy = best
    return Capture(
        copy.archive, copy.archive_url, copy.captured_at, distance, distance <= near_days
    )


#: The "host" of every local link (a file of the repository): one row, not one per file.
LOCAL_FILES = "(local files)"


def _host(url: str) -> str:
    if url.startswith("file:"):
        return LOCAL_FILES
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url


def _severity(item: CitationHealth) -> tuple[int, str, int, int]:
    order = {LinkStatus.CONFIRMED_DEAD: 0, LinkStatus.FAILING: 2}
    rank = 1 if item.lost else order.get(item.status, 3) if item.status else 3
    return (rank, item.document, item.line, item.column)


def run_kind(run: RunRecord) -> RunKind:
    """What a run covered, from its recorded settings: ``settings.plan_run`` records
    the command and ``--changed-since`` (a run recorded before it did counts as a
    full audit)."""
    settings = run.settings
    if settings.get("changed_since"):
        return RunKind.CHANGED
    if settings.get("command") in ("check", "fix"):
        return RunKind.CHECK
    return RunKind.FULL


@dataclass
class _Site:
    """The site today: each document as the newest run in the window left it."""

    scope: SiteScope
    documents: dict[str, DocumentRow] = field(default_factory=dict)
    citations: list[CitationRow] = field(default_factory=list)
    results: dict[int, dict[str, CheckResult]] = field(default_factory=dict)
    anchor: RunRecord | None = None  # the latest full audit (else the latest run)
    previous: RunRecord | None = None  # the full audit before it


def build_health(
    store: Store,
    *,
    policy: ConfirmPolicy | None = None,
    near_days: int = DEFAULT_NEAR_DAYS,
    top_hosts: int = 10,
    max_runs: int = 60,
    store_name: str = "",
    site_days: int = DEFAULT_SITE_DAYS,
) -> HealthReport:
    """Everything the health formats show, from the store alone ("now" is the store's
    clock).  The site is the union of the recent full audits' documents, each as the
    newest run that saw it left it (:class:`SiteScope`)."""
    policy = policy or ConfirmPolicy()
    db = store.history
    latest = db.latest_run()
    if latest is None:
        return _empty_report(store, policy, near_days, store_name, site_days)
    warnings: list[str] = []
    if latest.finished_at is None:
        warnings.append(f"run {latest.id} was interrupted; its results may be partial")
    points, site = _points_and_site(db, latest, max_runs, site_days)
    histories = db.observations({c.key for c in site.citations if c.key})
    items = _citation_health(
        site.citations,
        site.results,
        _states_as_of(latest, histories, policy),
        site.documents,
        db.known_copies(),
        latest.started_at,
        near_days,
    )
    url_states = _url_states(items)
    tally = Counter(url_states.values())
    points = _with_drift(points, store)
    return HealthReport(
        generated_at=store.now(),
        store=store_name,
        policy=policy,
        run_id=latest.id,
        run_at=latest.started_at,
        runs=tuple(p for p in points if p.kind is RunKind.FULL) or points,
        states={s.value: tally.get(s, 0) for s in LinkStatus},
        diff=diff_runs(db, site.anchor, policy, previous=site.previous),
        rot_by_year=_rot_by_year(items, site.documents),
        top_hosts=_host_rot(url_states, top_hosts),
        coverage=_coverage(items, near_days),
        documents=_document_health(items, site.citations, site.documents),
        citations=len(site.citations),
        warnings=tuple(warnings),
        scope=site.scope,
        most_changed=tuple(
            ChangedSource(r.key, r.level, r.reason, r.similarity, r.baseline_url)
            for r in store.drift.most_changed(latest.id, top_hosts * 2)
        ),
    )


def _with_drift(points: tuple[RunPoint, ...], store: Store) -> tuple[RunPoint, ...]:
    """The runs with their drift counts (``--drift`` runs only have any)."""
    if not points:
        return points
    counts = store.drift.run_counts(min(p.run_id for p in points))
    if not counts:
        return points
    return tuple(replace(p, drift=counts.get(p.run_id, {})) for p in points)


def _points_and_site(
    db: RunHistory, latest: RunRecord, max_runs: int, site_days: int
) -> tuple[tuple[RunPoint, ...], _Site]:
    """The runs worth plotting and the site they describe (finished runs only, unless
    none finished)."""
    runs = [r for r in db.runs() if r.finished_at is not None] or [latest]
    points = _run_points(db, runs, max_runs)
    return points, _site(db, runs, points, site_days)


def _url_states(items: Sequence[tuple[CitationRow, CitationHealth]]) -> dict[str, LinkStatus]:
    """Each cited URL's standing (distinct URLs: what needs fixing)."""
    return {
        item.key: item.status
        for _, item in items
        if item.key is not None and item.status is not None
    }


def _site(
    db: RunHistory, runs: Sequence[RunRecord], points: Sequence[RunPoint], days: int
) -> _Site:
    """The documents of the recent full audits (those within ``days`` of the latest),
    updated by every later run that saw them, newest first: a ``check`` of one file
    replaces that file's citations, not the site.  Without a full audit, every run of
    the last ``days`` days counts.  Empty runs are no part of it."""
    full, recent, window = _window(runs, points, days)
    anchor = full[-1] if full else runs[-1]
    owner, documents = _owners(db, window)
    scope = SiteScope(
        days,
        tuple(p for p in points if p.run_id in recent),
        _updates(points, owner, anchor if full else None),
        len(documents),
    )
    site = _Site(scope, documents, anchor=anchor, previous=full[-2] if len(full) > 1 else None)
    _read_citations(db, site, owner)
    return site


def _window(
    runs: Sequence[RunRecord], points: Sequence[RunPoint], days: int
) -> tuple[list[RunRecord], set[int], list[RunRecord]]:
    """The full audits, the ids of the recent ones (within ``days`` of the latest),
    and the runs from the first recent one on that saw citations (every run of the
    last ``days`` days when there is no full audit)."""
    kinds = {p.run_id: p.kind for p in points}
    full = [r for r in runs if kinds.get(r.id) is RunKind.FULL]
    since = (full[-1] if full else runs[-1]).started_at - timedelta(days=days)
    recent = [r for r in full if r.started_at >= since]
    start = recent[0].started_at if recent else since
    return (
        full,
        {r.id for r in recent},
        [r for r in runs if r.started_at >= start and r.id in kinds],
    )


def _owners(
    db: RunHistory, window: Sequence[RunRecord]
) -> tuple[dict[str, RunRecord], dict[str, DocumentRow]]:
    """Each document of the window's runs, and the newest run that saw it."""
    owner: dict[str, RunRecord] = {}
    documents: dict[str, DocumentRow] = {}
    for run in reversed(window):
        for row in db.documents(run.id):
            if row.origin not in owner:
                owner[row.origin] = run
                documents[row.origin] = row
    return owner, documents


def _read_citations(db: RunHistory, site: _Site, owner: dict[str, RunRecord]) -> None:
    """Each document's citations and their results, from the run that owns it."""
    by_run: dict[int, set[str]] = defaultdict(set)
    for origin, run in owner.items():
        by_run[run.id].add(origin)
    for run_id, mine in by_run.items():
        site.citations += [c for c in db.citations(run_id) if c.document in mine]
        site.results[run_id] = db.run_results(run_id)
    site.citations.sort(key=lambda c: (c.document, c.line, c.column))


def _updates(
    points: Sequence[RunPoint], owner: dict[str, RunRecord], anchor: RunRecord | None
) -> tuple[RunPoint, ...]:
    """The partial runs whose view of a document the site shows: those after the
    latest full audit (every one, when there is none)."""
    owning = {run.id for run in owner.values()}
    return tuple(
        p
        for p in points
        if p.kind is not RunKind.FULL
        and p.run_id in owning
        and (anchor is None or p.started_at > anchor.started_at)
    )


def _empty_report(
    store: Store, policy: ConfirmPolicy, near_days: int, store_name: str, site_days: int
) -> HealthReport:
    """The report of a store with no run yet: zeros, and a warning saying what to do."""
    return HealthReport(
        generated_at=store.now(),
        store=store_name,
        policy=policy,
        run_id=None,
        run_at=None,
        runs=(),
        states={s.value: 0 for s in LinkStatus},
        diff=diff_runs(store.history, None, policy),
        rot_by_year=(),
        top_hosts=(),
        coverage=Coverage(near_days, 0, 0, 0, 0),
        documents=(),
        warnings=("no runs recorded yet: run `linkaudit audit` with a cache first",),
        scope=SiteScope(site_days),
    )


def _run_points(db: RunHistory, runs: Sequence[RunRecord], max_runs: int) -> tuple[RunPoint, ...]:
    """Citations by verdict for each recent run that saw any (an empty run, a hook
    with nothing to do, is no point on a trend)."""
    shown = runs[-4 * max_runs :]
    counts = db.verdict_counts(min(r.id for r in shown)) if shown else {}
    points = [
        RunPoint(
            run.id,
            run.started_at,
            run.finished_at is not None,
            {v.value: counts.get(run.id, {}).get(v.value, 0) for v in Verdict},
            run_kind(run),
        )
        for run in shown
        if sum(counts.get(run.id, {}).values())
    ]
    full = [p for p in points if p.kind is RunKind.FULL][-max_runs:]
    keep = {p.run_id for p in full} | {p.run_id for p in points if p.kind is not RunKind.FULL}
    return tuple(p for p in points if p.run_id in keep)


def _states_as_of(
    run: RunRecord, histories: dict[str, list[Observation]], policy: ConfirmPolicy
) -> dict[str, LinkState]:
    """Each URL's standing as of ``run``: later runs (a report of an older run) are
    not seen."""
    cutoff = (run.started_at, run.id)
    return {
        key: link_state([o for o in obs if (o.at, o.run_id or 0) <= cutoff], policy)
        for key, obs in histories.items()
    }


def _citation_health(
    citations: Sequence[CitationRow],
    results: dict[int, dict[str, CheckResult]],
    states: dict[str, LinkState],
    documents: dict[str, DocumentRow],
    copies: dict[str, list[KnownCopy]],
    run_at: datetime,
    near_days: int,
) -> list[tuple[CitationRow, CitationHealth]]:
    """Every citation that has a standing to report, with its row (and its result
    from the run it was last seen in)."""
    items: list[tuple[CitationRow, CitationHealth]] = []
    for row in citations:
        found = results.get(row.run_id, {})
        item = _citation(row, found, states, documents, copies, run_at, near_days)
        if item is not None:
            items.append((row, item))
    return items


def _rot_by_year(
    items: Sequence[tuple[CitationRow, CitationHealth]], documents: dict[str, DocumentRow]
) -> tuple[YearRot, ...]:
    """Citations by the year their sources were cited, and how many have rotted."""
    years: dict[str, Counter[str]] = defaultdict(Counter)
    for row, item in items:
        doc = documents.get(row.document)
        year = str(as_utc(doc.cited_at).year) if doc and doc.cited_at else "unknown"
        bucket = years[year]
        bucket["citations"] += 1
        bucket["lost" if item.lost else (item.status or LinkStatus.UNKNOWN).value] += 1
    return tuple(
        YearRot(
            year,
            c["citations"],
            c[LinkStatus.ALIVE.value],
            c[LinkStatus.FAILING.value],
            c[LinkStatus.CONFIRMED_DEAD.value],
            c[LinkStatus.UNKNOWN.value],
            c["lost"],
        )
        for year, c in sorted(years.items(), key=lambda kv: (kv[0] == "unknown", kv[0]))
    )


def _host_rot(url_states: dict[str, LinkStatus], top_hosts: int) -> tuple[HostRot, ...]:
    """Hosts by dead, then failing, distinct URLs: where rot concentrates."""
    hosts: dict[str, Counter[LinkStatus]] = defaultdict(Counter)
    for key, status in url_states.items():
        if status in _BAD:
            hosts[_host(key)][status] += 1
    ranked = sorted(
        hosts.items(),
        key=lambda kv: (-kv[1][LinkStatus.CONFIRMED_DEAD], -kv[1][LinkStatus.FAILING], kv[0]),
    )
    return tuple(
        HostRot(host, c[LinkStatus.CONFIRMED_DEAD], c[LinkStatus.FAILING])
        for host, c in ranked[:top_hosts]
    )


def _coverage(items: Sequence[tuple[CitationRow, CitationHealth]], near_days: int) -> Coverage:
    """How many checked citations have an archived copy near their citation date
    (local links are files of the repository: no archive holds them, none is asked)."""
    considered = [
        item
        for _, item in items
        if item.key is not None and not item.lost and not item.key.startswith("file:")
    ]
    near = sum(1 for i in considered if i.capture is not None and i.capture.near)
    far = sum(1 for i in considered if i.capture is not None and not i.capture.near)
    candidates = tuple(i for i in considered if i.status is LinkStatus.ALIVE and i.capture is None)
    return Coverage(near_days, len(considered), near, far, len(considered) - near - far, candidates)


def _document_health(
    items: Sequence[tuple[CitationRow, CitationHealth]],
    citations: Sequence[CitationRow],
    documents: dict[str, DocumentRow],
) -> tuple[DocumentHealth, ...]:
    """Each document's problems, worst documents first."""
    by_doc: dict[str, list[CitationHealth]] = defaultdict(list)
    for row, item in items:
        by_doc[row.document].append(item)
    per_doc = Counter(row.document for row in citations)
    health = [
        _one_document(origin, documents.get(origin), by_doc.get(origin, []), per_doc[origin])
        for origin in sorted(set(documents) | set(per_doc))
    ]
    health.sort(key=lambda d: (-d.rotten, -d.failing, d.origin))
    return tuple(health)


def _one_document(
    origin: str, doc: DocumentRow | None, items: Sequence[CitationHealth], citations: int
) -> DocumentHealth:
    problems = sorted((i for i in items if i.lost or i.status in _BAD), key=_severity)
    return DocumentHealth(
        origin,
        doc.title if doc else None,
        doc.canonical_url if doc else None,
        doc.cited_at if doc else None,
        citations,
        sum(1 for i in items if i.status is LinkStatus.CONFIRMED_DEAD),
        sum(1 for i in items if i.lost),
        sum(1 for i in items if i.status is LinkStatus.FAILING),
        tuple(problems),
    )


def _citation(
    row: CitationRow,
    results: dict[str, CheckResult],
    states: dict[str, LinkState],
    documents: dict[str, DocumentRow],
    copies: dict[str, list[KnownCopy]],
    run_at: datetime,
    near_days: int,
) -> CitationHealth | None:
    """A citation's health, or None for what has no standing to report (skipped,
    invalid: not checked by design)."""
    if row.verdict is Verdict.LOST:
        return CitationHealth(
            row.document,
            row.line,
            row.column,
            row.anchor_text,
            row.url,
            None,
            "lost",
            row.reason,
            None,
        )
    if row.verdict is not None or row.key is None:
        return None
    result = results.get(row.key)
    state = states.get(row.key, UNKNOWN)
    doc = documents.get(row.document)
    cited_at = (doc.cited_at if doc else None) or run_at
    capture = _nearest(copies.get(match_key(row.key), []), cited_at, near_days)
    return CitationHealth(
        row.document,
        row.line,
        row.column,
        row.anchor_text,
        row.url or row.key,
        row.key,
        result.verdict.value if result else None,
        result.reason if result else "not checked in this run",
        state.status,
        state.since,
        state.failures,
        capture,
        state.confirmed_at,
    )
