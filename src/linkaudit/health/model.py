"""The health report's data: computed once from the store, rendered by every format.

Frozen values with no storage or markup in them, so HTML, Markdown and JSON can
never disagree about a number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from linkaudit.history import ConfirmPolicy, LinkStatus, RunDiff

#: Version of the health JSON shape; changes when the shape does.
HEALTH_SCHEMA_VERSION = "1.1"

#: The site is what the full audits of this many days (before the latest) saw.
DEFAULT_SITE_DAYS = 30

#: A capture "near" the citation date is at most this many days from it, either
#: side: a year is close enough that the page most likely still said what was cited.
DEFAULT_NEAR_DAYS = 365


class RunKind(enum.StrEnum):
    """What a run covered, from the settings it recorded."""

    FULL = "full"  # an audit of what it was given
    CHECK = "check"  # ``linkaudit check``: a quick look, often at one file
    CHANGED = "changed"  # ``--changed-since``: only the lines a change touched


@dataclass(frozen=True)
class RunPoint:
    """One run's verdict counts over its citations (the chart's x axis)."""

    run_id: int
    started_at: datetime
    finished: bool
    counts: dict[str, int]  # verdict word -> citations
    kind: RunKind = RunKind.FULL
    #: ``--drift``: URLs compared in the run by level (``drifted``, ``changed``, ``same``)
    drift: dict[str, int] = field(default_factory=dict)

    @property
    def citations(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class YearRot:
    """Citations of documents dated in one year (``"unknown"``: no date), by standing."""

    year: str
    citations: int = 0
    alive: int = 0
    failing: int = 0
    confirmed_dead: int = 0
    unknown: int = 0
    lost: int = 0

    @property
    def rotten(self) -> int:
        return self.confirmed_dead + self.lost

    @property
    def rot_share(self) -> float:
        return self.rotten / self.citations if self.citations else 0.0


@dataclass(frozen=True)
class HostRot:
    """A host and how many of its cited URLs are dead or failing."""

    host: str
    confirmed_dead: int
    failing: int


@dataclass(frozen=True)
class Capture:
    """The known capture nearest to a citation's date."""

    archive: str
    url: str
    captured_at: datetime
    distance_days: float
    near: bool


@dataclass(frozen=True)
class CitationHealth:
    """One citation of the latest run with its URL's standing over all runs.

    ``status`` is None for a lost citation (no URL to have a standing).
    """

    document: str
    line: int
    column: int
    anchor_text: str
    url: str | None
    key: str | None
    verdict: str | None  # the latest run's verdict
    reason: str
    status: LinkStatus | None
    since: datetime | None = None
    failures: int = 0
    capture: Capture | None = None
    confirmed_at: datetime | None = None

    @property
    def lost(self) -> bool:
        return self.verdict == "lost"


@dataclass(frozen=True)
class DocumentHealth:
    """A document's tally in the latest run; ``findings`` are its dead, lost and
    failing citations, worst first."""

    origin: str
    title: str | None
    canonical_url: str | None
    cited_at: datetime | None
    citations: int
    confirmed_dead: int
    lost: int
    failing: int
    findings: tuple[CitationHealth, ...] = ()

    @property
    def rotten(self) -> int:
        return self.confirmed_dead + self.lost


@dataclass(frozen=True)
class Coverage:
    """How much of what is cited is safely archived near its citation date."""

    near_days: int
    considered: int  # checked citations (with a URL) in the latest run
    near: int  # a capture within ``near_days`` of the citation date
    far: int  # captures exist, none near
    none: int  # no capture known at all
    candidates: tuple[CitationHealth, ...] = ()  # live, no capture: for ``--save``

    @property
    def share(self) -> float:
        return self.near / self.considered if self.considered else 0.0

    def candidate_urls(self) -> list[tuple[str, tuple[CitationHealth, ...]]]:
        """Candidates by URL (``--save`` saves URLs, not citations), most cited first."""
        grouped: dict[str, list[CitationHealth]] = {}
        for item in self.candidates:
            grouped.setdefault(item.url or "", []).append(item)
        ranked = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [(url, tuple(items)) for url, items in ranked]


@dataclass(frozen=True)
class SiteScope:
    """Which runs the page's picture of the site comes from.

    The site is the union of the documents of the recent full audits
    (``full_runs``: those within ``days`` of the latest one), each as the newest run
    that saw it left it: a later ``check`` or ``--changed-since`` run (``updates``)
    updates its own documents and does not replace the site.
    """

    days: int
    full_runs: tuple[RunPoint, ...] = ()
    #: partial runs whose view of a document is shown: later than the latest full
    #: audit, or all of them when there is no full audit
    updates: tuple[RunPoint, ...] = ()
    documents: int = 0

    def text(self) -> str:
        """One sentence for the page's header."""
        if not self.full_runs and not self.updates:
            return "No runs recorded yet."
        docs = f"{self.documents} document{'s' if self.documents != 1 else ''}"
        if self.full_runs:
            first, last = self.full_runs[0], self.full_runs[-1]
            runs = (
                f"run #{last.run_id} of {_day(last.started_at)}"
                if first is last
                else f"runs #{first.run_id} to #{last.run_id}, "
                f"{_day(first.started_at)} to {_day(last.started_at)}"
            )
            text = f"{docs}, as the full audits of the last {self.days} days saw them ({runs})"
        else:
            text = f"{docs}, from the runs of the last {self.days} days (no full audit yet)"
        if self.updates and self.full_runs:
            named = [f"#{p.run_id} ({_KIND_WORD[p.kind]})" for p in self.updates[-3:]]
            more = len(self.updates) - len(named)
            listed = ", ".join(named) + (f" and {more} more" if more > 0 else "")
            text += f"; updated by the later partial runs {listed}"
        return text + "."


_KIND_WORD = {RunKind.FULL: "audit", RunKind.CHECK: "check", RunKind.CHANGED: "--changed-since"}


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class ChangedSource:
    """A cited URL whose page changed since it was cited (``--drift``), as the latest
    run compared it: ``similarity`` is the share of the cited text still there."""

    url: str
    level: str  # changed (still ok) or drifted (stale)
    reason: str
    similarity: float
    baseline_url: str | None = None


@dataclass(frozen=True)
class HealthReport:
    """Everything ``linkaudit health`` says about a store."""

    generated_at: datetime
    store: str
    policy: ConfirmPolicy
    run_id: int | None
    run_at: datetime | None
    runs: tuple[RunPoint, ...]
    states: dict[str, int]  # LinkStatus word -> distinct URLs cited in the latest run
    diff: RunDiff
    rot_by_year: tuple[YearRot, ...]
    top_hosts: tuple[HostRot, ...]
    coverage: Coverage
    documents: tuple[DocumentHealth, ...]  # worst first
    citations: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    scope: SiteScope = field(default_factory=lambda: SiteScope(DEFAULT_SITE_DAYS))
    most_changed: tuple[ChangedSource, ...] = ()  # --drift: least similar first

    @property
    def has_drift(self) -> bool:
        """Whether any run shown compared pages with what was cited (``--drift``)."""
        return bool(self.most_changed) or any(p.drift for p in self.runs)

    @property
    def total_runs(self) -> int:
        return len(self.runs)
