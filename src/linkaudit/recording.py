"""What a run leaves in the store's history, and what later runs and the health
report learn back from it.

:func:`record_audit` files a finished audit as one run; :func:`diff_runs` says
what changed since the run before (the paragraph every report of a run shows);
:func:`failing_keys` and :class:`RecheckFailing` make the next run re-check the
URLs on their way to confirmation.  The rules themselves (what counts as a
failure, when failing becomes confirmed dead) are pure, in
:mod:`linkaudit.history`; the queries are the store's
(:class:`~linkaudit.store.history.RunHistory`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from linkaudit.history import (
    ArchiveMark,
    ConfirmPolicy,
    LinkStatus,
    Observation,
    RunDiff,
    counts_as,
    diff_states,
    link_states,
    newly_archived,
)
from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    Finding,
    Findings,
    ReusedFindings,
    Verdict,
    as_utc,
)
from linkaudit.store import RunRecord, Store
from linkaudit.store.drift import DriftRow
from linkaudit.store.history import RunHistory, match_key
from linkaudit.store.results import CachedResults, ResultStore

if TYPE_CHECKING:  # types only (the pipeline never imports this; a warm run never saves)
    from linkaudit.archive.save import SaveOutcome
    from linkaudit.pipeline import AuditRun
    from linkaudit.reuse import Reuse


# --------------------------------------------------------------------------- recording


def _effective_cited_at(
    settings: Mapping[str, object], cited_at: datetime | None
) -> datetime | None:
    """The date archive lookups aimed at: ``--cited-at`` overrides the document's."""
    forced = settings.get("cited_at")
    if isinstance(forced, str) and forced:
        try:
            return as_utc(datetime.fromisoformat(forced))
        except ValueError:
            return cited_at
    return cited_at


def archive_marks_of(
    findings: Sequence[Finding],
    target_days: Mapping[str, date],
    saves: Iterable[SaveOutcome] = (),
) -> list[tuple[str, date, ArchiveMark, str]]:
    """What each citation's archive stage found (and what ``--save`` created).

    A finding was looked up when it carries a copy or a note (the archive stage
    writes a note whenever it looked and found nothing); ``ok`` links are usually
    not looked up at all and get no row.
    """
    out: list[tuple[str, date, ArchiveMark, str]] = []
    cited: list[tuple[str, date]] = []  # what a save may apply to, in finding order
    for finding in findings:
        cit = finding.citation
        if cit.key is None or cit.verdict is not None:
            continue
        day = target_days.get(cit.document)
        if day is None:
            continue
        cited.append((cit.key, day))
        copy: ArchiveCopy | None = finding.archive
        if copy is None and not finding.archive_note:
            continue  # not looked up: no row (absence says so)
        mark = ArchiveMark(
            True,
            copy.url if copy else None,
            copy.captured_at if copy else None,
            copy.archive if copy else None,
        )
        out.append((cit.key, day, mark, finding.archive_note))
    saved = [save for save in saves if save.archive_url]
    if not saved:
        return out
    # match_key normalises: once per distinct URL, not once per citation
    matches: dict[str, str] = {}
    by_match: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for key, day in cited:
        if key not in matches:
            matches[key] = match_key(key)
        by_match[matches[key]].append((key, day))
    for save in saved:
        mark = ArchiveMark(True, save.archive_url, save.captured_at, "wayback")
        for key, day in by_match.get(match_key(save.url), []):
            out.append((key, day, mark, "saved"))
    return out


def record_audit(
    store: Store,
    run: AuditRun,
    *,
    sources: Sequence[str],
    reuse: Reuse | None = None,
) -> int:
    """Record a finished audit as one run (``--save`` outcomes count as captures),
    with the settings its report shows.

    Documents are stored with the citation date archive lookups aimed at (the
    ``--cited-at`` override when given), which is what coverage is measured
    against.  Returns the run id.

    Documents the run reused whole (``reuse``) are recorded from what was reused,
    their findings never decoded: their citations borrowed by digest, their
    results as repeats of the stored rows.
    """
    report = run.report
    history = store.history
    run_id = history.begin_run(sources, report.settings)
    documents = []
    for doc in report.documents:
        cited_at = _effective_cited_at(report.settings, doc.cited_at)
        documents.append(doc if cited_at is doc.cited_at else replace(doc, cited_at=cited_at))
    findings: Sequence[Finding] = report.findings
    reused: Mapping[str, ReusedFindings] = {}
    if isinstance(findings, Findings):
        reused = {part.document: part for part in findings.reused}
        findings = findings.fresh

    def fallback(origin: str) -> list[Citation]:
        """A reused document's citations, in the report's order, when the history
        cannot borrow them by their digest (its last run recorded others)."""
        decoded = reused[origin].findings()
        if isinstance(report.findings, Findings):
            decoded.sort(key=report.findings.order)
        return [f.citation for f in decoded]

    history.record_citations(
        run_id,
        [f.citation for f in findings],
        documents,
        known=reuse.citations if reuse is not None and reused else None,
        fallback=fallback,
    )
    results: dict[str, CheckResult] = {}
    for finding in findings:
        result = finding.result
        if result is not None and (result.key not in results or not result.from_cache):
            results[result.key] = result
    store.results.record(run_id, results.values())
    if reuse is not None and reused:
        store.results.record_rows(run_id, reuse.rows.values(), skip=results.keys())
    started = as_utc(report.started_at)
    days = {
        doc.origin: as_utc(doc.cited_at).date() if doc.cited_at else started.date()
        for doc in documents
    }
    history.record_archives(run_id, archive_marks_of(findings, days, run.saves))
    store.drift.record_run(run_id, drift_rows(findings))
    history.finish_run(run_id)
    return run_id


def drift_rows(findings: Sequence[Finding]) -> list[DriftRow]:
    """One row per compared URL (``--drift``): its worst finding's level and reason."""
    rows: dict[str, DriftRow] = {}
    for finding in findings:
        d, key = finding.drift, finding.citation.key
        if d is None or key is None:
            continue
        row = DriftRow(key, d.level, str(finding.reason), d.similarity, d.baseline_url)
        if key not in rows or finding.verdict is Verdict.STALE:
            rows[key] = row
    return list(rows.values())


# --------------------------------------------------------------------------- diff


def diff_runs(
    db: RunHistory,
    run: RunRecord | None = None,
    policy: ConfirmPolicy | None = None,
    histories: Mapping[str, Sequence[Observation]] | None = None,
    previous: RunRecord | None = None,
) -> RunDiff:
    """What changed between ``run`` (default: the latest finished) and the run before
    (or ``previous``: the health report compares a full audit with the full audit
    before it, not with a ``check`` of one file in between).

    ``histories`` (from :meth:`RunHistory.observations`, covering at least the URLs
    cited in ``run``) saves loading them twice when the caller has them.
    """
    policy = policy or ConfirmPolicy()
    run = run or db.latest_run()
    if run is None:
        return RunDiff(policy=policy)
    previous = previous or db.previous_run(run)
    if previous is None:
        return RunDiff(run.id, run.started_at, policy=policy)
    latest_marks = db.archive_marks(run.id)
    found = {key for key, mark in latest_marks.items() if mark.found}
    cited, upto = _decisive_histories(db, run, found, histories)
    failing, confirmed, recovered = diff_states(
        {key: cited[key] for key in upto}, upto, run.started_at, policy, run_id=run.id
    )
    archived = newly_archived(
        {key: cited[key] for key in found if key in cited},
        latest_marks,
        db.archive_marks(previous.id) if found else {},
        db.cited(previous.id, found) if found else {},
        previous.started_at,
    )
    return RunDiff(
        run.id,
        run.started_at,
        previous.id,
        previous.started_at,
        tuple(failing),
        tuple(confirmed),
        tuple(recovered),
        tuple(archived),
        policy,
    )


def _decisive_histories(
    db: RunHistory,
    run: RunRecord,
    found: set[str],
    histories: Mapping[str, Sequence[Observation]] | None,
) -> tuple[dict[str, tuple[str, tuple[str, ...]]], dict[str, list[Observation]]]:
    """The URLs cited in ``run`` (``(url, documents)`` by key) and, for those whose
    standing ``run`` can have changed, their histories up to it.

    Only a URL whose observation in this run counts (a fresh, non-neutral check)
    can change standing: without one, its state before and after the run is the
    same.  Only a URL with a copy found this run (``found``) can be newly archived.
    On a warm run that is almost none, so only their citations and histories are
    read, unless the caller already holds every history.
    """
    loaded: Mapping[str, Sequence[Observation]]
    if histories is None:
        decisive = db.decisive_keys(run.id)
        cited = db.cited(run.id, decisive | found)
        loaded = db.observations(key for key in decisive if key in cited)
    else:
        cited = db.cited(run.id)
        loaded = histories
    cutoff = (run.started_at, run.id)
    upto: dict[str, list[Observation]] = {}
    for key in cited:
        history = [o for o in loaded.get(key, ()) if (o.at, o.run_id or 0) <= cutoff]
        if any(o.run_id == run.id and counts_as(o) != "neutral" for o in history):
            upto[key] = history
    return cited, upto


def diff_latest(store: Store, policy: ConfirmPolicy | None = None) -> RunDiff:
    """The latest run's changes, for the audit's reports (``diff.text()`` is one paragraph)."""
    return diff_runs(store.history, policy=policy)


# --------------------------------------------------------------------------- rechecks


def failing_keys(
    db: RunHistory, policy: ConfirmPolicy | None = None, now: datetime | None = None
) -> frozenset[str]:
    """URLs every run must check for real: those whose current streak is failing but
    not yet confirmed dead, and (with ``now``) those that failed within the
    confirmation window, even if they answered since, so a link that flaps between
    404 and 200 is seen failing on the days it fails instead of being served from
    the cache as alive.

    Only URLs that ever failed a fresh check can be either, so only their histories
    are read.
    """
    policy = policy or ConfirmPolicy()
    histories = db.observations(db.ever_failed())
    window = None if now is None else as_utc(now) - timedelta(days=max(policy.days, 1))
    keys: set[str] = set()
    for key, state in link_states(histories, policy).items():
        if state.status is LinkStatus.FAILING or (
            window is not None
            and state.status is not LinkStatus.CONFIRMED_DEAD
            and any(counts_as(o) == "fail" and as_utc(o.at) >= window for o in histories[key])
        ):
            keys.add(key)
    return frozenset(keys)


class RecheckFailing:
    """A result cache that re-checks URLs on the way to confirmation once a day.

    A reused result is not a new observation, so a failing URL whose 404 the
    cache keeps serving (daily runs a few minutes short of ``--max-age``) would
    take twice as long to confirm, or recover.  Confirmation counts runs spanning
    calendar days, so only a result from an *earlier day* is refused: a failing
    URL is checked for real on the first run of each day, while repeated runs on
    the same day (CI on every push) still reuse it and send nothing.  "Today" is
    the store's clock.  Usage:
    ``Services(cache=RecheckFailing(store.results, failing_keys(store.history)))``.
    """

    def __init__(self, results: ResultStore, keys: Collection[str]) -> None:
        self.results = results
        self.keys = frozenset(keys)
        self._snapshot: CachedResults | None = None
        self._snapshot_taken = False
        self._put: set[str] = set()  # keys written since the snapshot

    def get(self, key: str) -> CheckResult | None:
        # Every key's latest result is read in one query on the first call (the
        # engine asks for all of a run's URLs at once, before it checks any); a
        # key put since is asked for again.
        if not self._snapshot_taken:
            self._snapshot_taken = True
            self._snapshot = self.results.snapshot()  # None if it cannot be read
        if self._snapshot is None or key in self._put:
            result = self.results.get(key)
        else:
            result = self._snapshot.get(key)
        if result is None or key not in self.keys:
            return result
        checked = result.checked_at
        if checked is None or as_utc(checked).date() < as_utc(self.results.now()).date():
            return None
        return result

    def put(self, result: CheckResult) -> None:
        self._put.add(result.key)
        self.results.put(result)

    def put_many(self, results: Sequence[CheckResult]) -> None:
        self._put.update(r.key for r in results)
        self.results.put_many(results)
