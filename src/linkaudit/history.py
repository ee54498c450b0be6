"""Confirmed verdicts and run-to-run changes: pure logic over a URL's check history.

One failed check is not death (InternetArchiveBot's lesson): servers have bad
days, CDNs hiccup, a deploy 404s for ten minutes.  A URL is **confirmed dead**
only after failing in at least ``ConfirmPolicy.runs`` runs spanning at least
``ConfirmPolicy.days`` days; until then it is **failing since** its first failure.

How each verdict counts, and why:

- ``broken`` and ``stale`` are failures: the reader gets nothing, or not the cited
  content.
- ``blocked``, ``unreachable`` and ``skipped`` are *neutral*: they neither count
  toward death nor reset a failing streak.  A bot wall or a timeout says nothing
  about whether the content exists, so it must not kill a link; but it is not
  evidence of life either, so it must not wipe out two days of 404s.
- Except that **persistent unreachability is death**: a URL that is unreachable
  in every run of at least ``ConfirmPolicy.unreachable_runs`` runs spanning at
  least ``ConfirmPolicy.unreachable_days`` days, with no answer of any kind in
  between (a pass, a failure or a bot wall all break the streak), is confirmed
  dead, "unreachable since" the streak began.  A server that has timed out or
  reset every connection for weeks is gone for its readers.  ``blocked`` never
  counts: a bot wall says nothing about the page, however long it stands.
- A result the run *reused* from the cache is neutral too: it repeats an earlier
  observation, and counting it again would confirm a death on one real check.
- Everything else (``ok``, ``moved``, ``fragment_missing``, ``insecure``, and the
  never-checked ``invalid``/``lost``) is a pass: the server answered with a page,
  so the streak resets.

"Spanning N days" compares UTC calendar dates of the first and latest failing
observation, not elapsed seconds: a daily cron job that runs at 10:00 one day and
09:58 three days later has still failed over three days.

Observation times are the *run* times (``runs.started_at``), the clock schedules
care about, not each request's own timestamp.

Nothing here touches storage; :mod:`linkaudit.store.history` feeds it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from linkaudit.model import ConfirmPolicy as ConfirmPolicy  # its home until issue 17
from linkaudit.model import Verdict, as_utc
from linkaudit.reasons import Reason

#: Verdicts that count toward death.
FAILING: frozenset[Verdict] = frozenset({Verdict.BROKEN, Verdict.STALE})
#: Verdicts that neither count toward death nor reset a failing streak.
#: Unreachable for reasons of our own: they say nothing of the host, so they
#: neither start nor end a streak of unreachability.
_NOT_THE_HOSTS = frozenset({Reason.INTERNAL_ERROR, Reason.RUN_DEADLINE})
NEUTRAL: frozenset[Verdict] = frozenset({Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.SKIPPED})


class LinkStatus(enum.StrEnum):
    """Where a URL stands after its whole history (stable words: JSON consumers use them)."""

    ALIVE = "alive"
    FAILING = "failing"
    CONFIRMED_DEAD = "confirmed_dead"
    UNKNOWN = "unknown"  # never decisively observed (only neutral results, or none)


@dataclass(frozen=True)
class Observation:
    """One run's result for one URL."""

    at: datetime
    verdict: Verdict
    reason: str = ""
    run_id: int | None = None
    reused: bool = False  # the run reused a cached result instead of checking


@dataclass(frozen=True)
class LinkState:
    """A URL's standing.

    ``since`` is when the current condition began: the first failure of the
    current streak (``failing``, ``confirmed_dead``), or the first pass after the
    last failure (``alive``).  ``failures`` counts failing observations in the
    current streak.  ``last_verdict`` is the latest observation of any kind, so a
    report can say "alive, but blocked on the last check".
    """

    status: LinkStatus
    since: datetime | None = None
    failures: int = 0
    first_failure: datetime | None = None
    last_failure: datetime | None = None
    confirmed_at: datetime | None = None
    last_pass: datetime | None = None
    last_checked: datetime | None = None
    last_verdict: Verdict | None = None
    last_reason: str = ""
    observations: int = 0  # decisive (fresh, non-neutral) observations over all time
    cause: str = ""  # why a confirmed death: "" for failures, "unreachable since ..."

    @property
    def is_failing(self) -> bool:
        """Failing or confirmed dead: the URL's current streak is one of failures."""
        return self.status in (LinkStatus.FAILING, LinkStatus.CONFIRMED_DEAD)


UNKNOWN = LinkState(LinkStatus.UNKNOWN)


def counts_as(observation: Observation) -> str:
    """``"fail"``, ``"pass"`` or ``"neutral"``: the one rule every caller shares."""
    if observation.reused or observation.verdict in NEUTRAL:
        return "neutral"
    if observation.verdict in FAILING:
        return "fail"
    return "pass"


def span_days(first: datetime, last: datetime) -> int:
    """Whole UTC calendar days between two moments (see the module note)."""
    return (as_utc(last).date() - as_utc(first).date()).days


def link_state(
    observations: Iterable[Observation], policy: ConfirmPolicy | None = None
) -> LinkState:
    """Fold a URL's history (any order; sorted by time here) into its state."""
    fold = _Fold(policy or ConfirmPolicy())
    for obs in sorted(observations, key=lambda o: as_utc(o.at)):
        fold.see(obs)
    return fold.state()


class _Fold:
    """A URL's state so far while its history is read in time order.

    Plain attributes, not a LinkState per step: histories of thousands of URLs are
    folded on every report.
    """

    __slots__ = (
        "cause",
        "confirmed_at",
        "decisive",
        "failures",
        "first",
        "last",
        "last_at",
        "last_failure",
        "last_pass",
        "policy",
        "since",
        "status",
        "unreachable_first",
        "unreachable_runs",
    )

    def __init__(self, policy: ConfirmPolicy) -> None:
        self.policy = policy
        self.status = LinkStatus.UNKNOWN
        self.since: datetime | None = None
        self.first: datetime | None = None  # the current failing streak's start
        self.last_failure: datetime | None = None
        self.confirmed_at: datetime | None = None
        self.cause = ""
        self.last_pass: datetime | None = None
        self.last: Observation | None = None
        self.last_at: datetime | None = None
        self.failures = 0
        self.decisive = 0
        self.unreachable_first: datetime | None = None  # the current unreachable streak's
        self.unreachable_runs = 0

    def see(self, obs: Observation) -> None:
        at = as_utc(obs.at)
        kind = counts_as(obs)
        if kind == "pass":
            self._pass(at)
        elif kind == "fail":
            self._fail(at)
        elif not obs.reused and obs.verdict is Verdict.UNREACHABLE:
            if obs.reason not in _NOT_THE_HOSTS:
                self._unreachable(at)
        elif not obs.reused and obs.verdict is Verdict.BLOCKED:
            self._answered()  # the host answers: the unreachable streak is over
        self.last, self.last_at = obs, at

    def _answered(self) -> None:
        self.unreachable_first = None
        self.unreachable_runs = 0

    def _pass(self, at: datetime) -> None:
        if self.status is not LinkStatus.ALIVE:
            self.since = at
        self.status = LinkStatus.ALIVE
        self.first = self.last_failure = self.confirmed_at = None
        self.cause = ""
        self.failures = 0
        self.last_pass = at
        self.decisive += 1
        self._answered()

    def _fail(self, at: datetime) -> None:
        policy = self.policy
        if self.first is None:  # a new streak
            self.first = at
            self.failures = 0
        self.failures += 1
        self.last_failure = at
        if self.confirmed_at is None or not self.cause:
            self.since = self.first
        if self.confirmed_at is None and (
            self.failures >= policy.runs and span_days(self.first, at) >= policy.days
        ):
            self.confirmed_at = at
        self.status = LinkStatus.CONFIRMED_DEAD if self.confirmed_at else LinkStatus.FAILING
        self.decisive += 1
        self._answered()

    def _unreachable(self, at: datetime) -> None:
        if self.unreachable_first is None:
            self.unreachable_first = at
        self.unreachable_runs += 1
        first = self.unreachable_first
        policy = self.policy
        if (
            self.confirmed_at is None
            and self.unreachable_runs >= policy.unreachable_runs
            and span_days(first, at) >= policy.unreachable_days
        ):
            self.confirmed_at = at
            self.status = LinkStatus.CONFIRMED_DEAD
            self.since = first
            self.cause = f"unreachable since {first:%Y-%m-%d}"

    def state(self) -> LinkState:
        last = self.last
        return LinkState(
            self.status,
            since=self.since,
            failures=self.failures,
            first_failure=self.first,
            last_failure=self.last_failure,
            confirmed_at=self.confirmed_at,
            last_pass=self.last_pass,
            last_checked=self.last_at,
            last_verdict=last.verdict if last else None,
            last_reason=last.reason if last else "",
            observations=self.decisive,
            cause=self.cause,
        )


def link_states(
    histories: Mapping[str, Sequence[Observation]], policy: ConfirmPolicy | None = None
) -> dict[str, LinkState]:
    """:func:`link_state` for many URLs at once."""
    return {key: link_state(obs, policy) for key, obs in histories.items()}


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class ArchiveMark:
    """What one run knew about a URL's archived copy (None fields: none found)."""

    looked_up: bool
    archive_url: str | None = None
    captured_at: datetime | None = None
    archive: str | None = None

    @property
    def found(self) -> bool:
        return self.archive_url is not None


@dataclass(frozen=True)
class Change:
    """One URL whose standing changed between the previous run and the latest."""

    key: str
    url: str
    before: LinkState
    after: LinkState
    documents: tuple[str, ...] = ()
    archive_url: str | None = None
    captured_at: datetime | None = None


@dataclass(frozen=True)
class RunDiff:
    """What changed since the previous run; every report of the latest run shows it."""

    run_id: int | None = None
    run_at: datetime | None = None
    previous_id: int | None = None
    previous_at: datetime | None = None
    newly_failing: tuple[Change, ...] = ()
    newly_confirmed_dead: tuple[Change, ...] = ()
    recovered: tuple[Change, ...] = ()
    newly_archived: tuple[Change, ...] = ()
    policy: ConfirmPolicy = field(default_factory=ConfirmPolicy)

    @property
    def empty(self) -> bool:
        return not (
            self.newly_failing or self.newly_confirmed_dead or self.recovered or self.newly_archived
        )

    def text(self, limit: int = 3) -> str:
        """One paragraph for a report's summary (at most ``limit`` URLs per kind)."""
        return diff_text(self, limit)


def diff_states(
    cited: Mapping[str, tuple[str, Sequence[str]]],
    histories: Mapping[str, Sequence[Observation]],
    run_at: datetime,
    policy: ConfirmPolicy | None = None,
    run_id: int | None = None,
) -> tuple[list[Change], list[Change], list[Change]]:
    """Newly failing, newly confirmed dead and recovered among ``cited`` URLs.

    ``cited`` maps each URL key cited in the latest run to ``(url, documents)``;
    "before" is the state without the latest run's observations (those of
    ``run_id`` when given, else those at or after ``run_at``), "after" from all of
    them.  A URL that jumps straight from alive to confirmed (``--confirm-runs 1``)
    is only "newly confirmed dead": one list per event.
    """
    policy = policy or ConfirmPolicy()
    cutoff = as_utc(run_at)

    def earlier(o: Observation) -> bool:
        return o.run_id != run_id if run_id is not None else as_utc(o.at) < cutoff

    failing: list[Change] = []
    confirmed: list[Change] = []
    recovered: list[Change] = []
    for key in sorted(cited):
        url, documents = cited[key]
        history = histories.get(key, ())
        before = link_state((o for o in history if earlier(o)), policy)
        after = link_state(history, policy)
        change = Change(key, url, before, after, tuple(documents))
        if after.status is LinkStatus.CONFIRMED_DEAD and before.status is not after.status:
            confirmed.append(change)
        elif after.status is LinkStatus.FAILING and not before.is_failing:
            failing.append(change)
        elif after.status is LinkStatus.ALIVE and before.is_failing:
            recovered.append(change)
    return failing, confirmed, recovered


def newly_archived(
    cited: Mapping[str, tuple[str, Sequence[str]]],
    latest: Mapping[str, ArchiveMark],
    previous: Mapping[str, ArchiveMark],
    previously_cited: Iterable[str],
    previous_at: datetime | None,
) -> list[Change]:
    """Citations that have an archived copy this run and had none last run.

    "Had none" must be known, not assumed: ``ok`` links are not looked up by
    default, so a copy found the first time a link breaks may be years old.  It
    counts when last run looked and found nothing, or when the copy was captured
    after the previous run began (a ``--save``, or someone else saved it).  A
    citation new in this run is new, not newly archived.
    """
    before_keys = set(previously_cited)
    out: list[Change] = []
    for key in sorted(cited):
        mark = latest.get(key)
        if mark is None or not mark.found or key not in before_keys:
            continue
        prior = previous.get(key)
        if prior is not None and prior.found:
            continue
        looked_and_none = prior is not None and prior.looked_up
        fresh_capture = (
            previous_at is not None
            and mark.captured_at is not None
            and as_utc(mark.captured_at) > as_utc(previous_at)
        )
        if looked_and_none or fresh_capture:
            url, documents = cited[key]
            out.append(
                Change(
                    key,
                    url,
                    UNKNOWN,
                    UNKNOWN,
                    tuple(documents),
                    archive_url=mark.archive_url,
                    captured_at=mark.captured_at,
                )
            )
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _date(moment: datetime | None) -> str:
    return "" if moment is None else as_utc(moment).strftime("%Y-%m-%d")


def _examples(changes: Sequence[Change], limit: int, detail: str = "") -> str:
    shown = [c.url for c in changes[:limit]]
    more = len(changes) - len(shown)
    text = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    return f" ({text}{detail})" if text else ""


def diff_text(diff: RunDiff, limit: int = 3) -> str:
    """'Since the previous run (2026-11-25): 1 link newly failing (…); …' in one paragraph."""
    if diff.run_id is None:
        return "No runs recorded yet."
    if diff.previous_id is None:
        return "First recorded run: nothing to compare with yet."
    head = f"Since the previous run ({_date(diff.previous_at)})"
    if diff.empty:
        return f"{head}: no link changed standing."
    parts: list[str] = []
    if diff.newly_failing:
        parts.append(
            f"{_plural(len(diff.newly_failing), 'link')} newly failing"
            + _examples(diff.newly_failing, limit)
        )
    if diff.newly_confirmed_dead:
        rule = (
            f"; failed in {diff.policy.runs}+ runs over {diff.policy.days}+ days"
            if len(diff.newly_confirmed_dead) <= limit
            else ""
        )
        parts.append(
            f"{_plural(len(diff.newly_confirmed_dead), 'link')} newly confirmed dead"
            + _examples(diff.newly_confirmed_dead, limit, rule)
        )
    if diff.recovered:
        parts.append(
            f"{_plural(len(diff.recovered), 'link')} recovered" + _examples(diff.recovered, limit)
        )
    if diff.newly_archived:
        parts.append(
            f"{_plural(len(diff.newly_archived), 'citation')} newly archived"
            + _examples(diff.newly_archived, limit)
        )
    return f"{head}: " + "; ".join(parts) + "."
