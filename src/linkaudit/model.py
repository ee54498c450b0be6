"""The data that flows through the pipeline: source -> Document -> Citation ->
CheckResult -> ArchiveCopy -> Finding -> Report.

Every stage is a plain function over these frozen dataclasses, so each stage can
be used (and tested) on its own.  The verdict words are a public contract: JSON
consumers and CI rules depend on them, so they never change spelling.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload
from urllib.parse import urlsplit

from linkaudit.hosts import host_key, match_host


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC across the model (WordPress ``date_gmt``, CDX
    timestamps and the store's text all are); aware ones are converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Verdict(enum.StrEnum):
    """What a reader who clicks the citation gets (see DESIGN.md, Verdicts)."""

    OK = "ok"
    MOVED = "moved"
    BROKEN = "broken"
    STALE = "stale"
    BLOCKED = "blocked"
    UNREACHABLE = "unreachable"
    INSECURE = "insecure"
    FRAGMENT_MISSING = "fragment_missing"
    INVALID = "invalid"
    SKIPPED = "skipped"
    LOST = "lost"

    @property
    def severity(self) -> int:
        """Higher is worse; used to sort findings and to apply ``--fail-on``."""
        return _SEVERITY[self]


#: The verdicts that fail a run (exit code 1) unless ``--fail-on`` says otherwise:
#: a dead source and a citation with no link at all are what an editor must fix.
DEFAULT_FAIL_ON: tuple[Verdict, ...] = (Verdict.BROKEN, Verdict.LOST)

_SEVERITY: dict[Verdict, int] = {
    Verdict.LOST: 90,
    Verdict.BROKEN: 80,
    Verdict.STALE: 70,
    Verdict.INVALID: 60,
    Verdict.INSECURE: 50,
    Verdict.FRAGMENT_MISSING: 40,
    Verdict.MOVED: 30,
    Verdict.BLOCKED: 20,
    Verdict.UNREACHABLE: 15,
    Verdict.SKIPPED: 5,
    Verdict.OK: 0,
}


class DocumentKind(enum.StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"
    WORDPRESS = "wordpress"


class Scope(enum.StrEnum):
    """Which part of a full web page holds the citations."""

    ARTICLE = "article"
    PAGE = "page"


class AnchorStyle(enum.StrEnum):
    """Whose heading ids a Markdown fragment is matched against (config ``anchor_style``;
    used by :mod:`linkaudit.check.local`).

    ``github``: github-slugger (lower-case; punctuation and emoji dropped, letters of
    every script kept; each space a ``-``; duplicates ``-1``, ``-2``), matched
    case-insensitively as GitHub's page does (its script finds ``#DiAgNoStIc``).
    ``gitlab``: the same slugs with runs of ``-`` squeezed to one, matched exactly
    (GitLab's anchors are case-sensitive).  ``python-markdown``: the ``toc``
    extension MkDocs uses (ASCII only after NFKD; ``-`` runs squeezed; duplicates
    ``_1``, ``_2``), matched exactly.
    """

    GITHUB = "github"
    GITLAB = "gitlab"
    PYTHON_MARKDOWN = "python-markdown"


class CitationKind(enum.StrEnum):
    """Where in the markup a reference came from."""

    LINK = "link"  # a[href], area[href], Markdown inline/reference/autolink
    IMAGE = "image"  # img[src|srcset], source[src|srcset], Markdown image
    EMBED = "embed"  # iframe/video/audio/embed[src], object[data]
    QUOTE = "quote"  # blockquote/q/del/ins[cite]
    TEXT_URL = "text_url"  # a bare URL in running text
    DOI = "doi"  # doi:10.x/... in running text
    LOST = "lost"  # anchor text whose link was stripped or never set


class Relation(enum.StrEnum):
    """Whether a URL points off the article's site, or at a file beside it (``local``:
    checked on disk, never over the network)."""

    OUTBOUND = "outbound"
    INTERNAL = "internal"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a citation is, so a person can find it.

    ``line`` and ``column`` are 1-based positions in the file as saved, what an
    editor jumps to (for Markdown, in the Markdown source; for a WordPress post,
    inside the escaped JSON string ``content.rendered``).  For a WordPress post,
    ``body_line`` and ``body_column`` are the position in the decoded post body,
    the HTML an editor sees in WordPress; None where the two are the same.
    ``paragraph`` counts block-level paragraphs from 1 when known.
    """

    line: int
    column: int
    paragraph: int | None = None
    offset: int | None = None  # character offset in Document.text, when exact
    body_line: int | None = None
    body_column: int | None = None

    @property
    def in_text(self) -> tuple[int, int]:
        """The 1-based line and column in ``Document.text`` (the body of a post)."""
        if self.body_line is None or self.body_column is None:
            return self.line, self.column
        return self.body_line, self.body_column


@dataclass(frozen=True)
class TextInFile:
    """Where a document's text sits in its file when it is not the file itself: a
    WordPress post's body is the JSON string ``content.rendered``, escaped.

    ``raw`` is that string as written (between its quotes), and its first
    character is at ``line``:``column`` of the file (1-based).
    """

    raw: str
    line: int
    column: int


@dataclass(frozen=True)
class Document:
    """An article, decoded and with the metadata citations need.

    ``text`` is the markup to extract from (HTML, or Markdown source).  ``origin``
    is a path, URL or ``"<stdin>"``.  ``base_url`` resolves relative links and
    ``site`` (an origin such as ``https://example.org``) decides which links are
    internal.  ``cited_at`` is when the article's sources were cited; archive
    lookups aim for captures near it.  ``warnings`` says what was wrong with the
    input and what may be missing, so partial input is audited as far as it goes.
    """

    text: str
    kind: DocumentKind
    origin: str
    base_url: str | None = None
    site: str | None = None
    title: str | None = None
    cited_at: datetime | None = None
    cited_at_source: str | None = None  # e.g. "date_gmt", "json-ld", "option"
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    canonical_url: str | None = None  # the article's own URL, when known
    whole_page: bool = True  # False when text is already just the article body
    sha256: str | None = None  # of the bytes read from a file, so repairs detect later edits
    #: For a post's body: where it is in the file (citations then point at the file).
    #: Not part of any JSON output (the raw text would double the report).
    in_file: TextInFile | None = field(
        default=None, repr=False, compare=False, metadata={"serialize": False}
    )


@dataclass(frozen=True)
class BodySelectors:
    """Where the article body is on named sites (``[sites."example.com"] body = "div.story"``).

    ``by_host`` pairs a host name or ``*.suffix`` pattern (matched by the rule of
    :func:`linkaudit.hosts.match_host`) with a CSS selector.  Pairs are kept sorted,
    so equal settings compare and hash equal, and the selector that applies to a
    document is one function: extraction uses it, and so does the extraction
    cache's key.
    """

    by_host: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_host", tuple(sorted(self.by_host)))

    def selector_for(self, document: Document) -> str | None:
        """The body selector for ``document``'s site: by its base URL, else its
        canonical URL, else its declared site; None when no site is named."""
        if not self.by_host:
            return None
        table = dict(self.by_host)
        for address in (document.base_url, document.canonical_url, document.site):
            host = _hostname(address)
            if host:
                found = match_host(table, host_key(host))
                if found is not None:
                    return found
        return None


#: No site names its article body: every page is judged by linkaudit.
NO_SELECTORS = BodySelectors()


def _hostname(address: str | None) -> str | None:
    """The host of a URL, or None (no URL, none in it, or not parseable)."""
    if not address:
        return None
    try:
        return urlsplit(address).hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None


@dataclass(frozen=True, slots=True)
class Citation:
    """One outbound reference as it appears in a document.

    ``url_as_written`` is exactly what the author wrote (for the report and for
    repairs); ``url`` is resolved against the base; ``key`` is the normalised
    form that de-duplicates checks.  Lost citations have no URL at all.  A
    citation that needs no network check carries its verdict in ``verdict``
    (``skipped``, ``invalid`` or ``lost``) with ``reason``.
    """

    document: str
    kind: CitationKind
    url_as_written: str | None
    url: str | None
    key: str | None
    text: str
    context: str
    location: Location
    element: str = ""  # tag name, e.g. "a", "img", or "markdown"
    attribute: str = ""  # e.g. "href", "srcset", "cite"
    rel: tuple[str, ...] = ()
    relation: Relation = Relation.OUTBOUND
    verdict: Verdict | None = None
    reason: str = ""

    @property
    def needs_check(self) -> bool:
        return self.verdict is None and self.key is not None


@dataclass(frozen=True, slots=True)
class Hop:
    """One request/response in a redirect chain."""

    url: str
    status: int | None
    method: str = "GET"
    location: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict for one normalised URL, with the evidence an editor can trust.

    ``reason`` is a stable machine code (e.g. ``http_404``, ``soft_404``,
    ``bot_challenge``); ``detail`` is one human sentence.
    """

    key: str
    url: str
    verdict: Verdict
    reason: str
    detail: str
    chain: tuple[Hop, ...] = ()
    final_url: str | None = None
    status: int | None = None
    attempts: int = 0
    elapsed: float = 0.0
    checked_at: datetime | None = None
    retry_after: datetime | None = None
    notes: tuple[str, ...] = ()
    from_cache: bool = False
    #: Answered from a loopback, private or link-local address: an internal URL,
    #: never sent to an archive outside the network.
    internal: bool = False


@dataclass(frozen=True)
class ArchiveCopy:
    """An archived capture of a URL, chosen for nearness to the citation date."""

    archive: str  # e.g. "wayback", "archive.today"
    url: str  # the archive URL a reader can open
    original_url: str
    captured_at: datetime
    distance_days: float  # absolute distance from the target date
    before: bool  # captured on or before the target date
    status: int | None = None  # HTTP status recorded at capture


@dataclass(frozen=True)
class Capture:
    """One candidate capture as an archive reported it, before selection."""

    archive: str
    url: str  # archive URL a reader can open
    original_url: str
    captured_at: datetime  # aware, UTC
    status: int | None = None  # None: the archive does not say (Memento)
    mimetype: str | None = None
    timestamp: str | None = None  # 14-digit Wayback timestamp when known


@dataclass(frozen=True)
class ArchiveLookup:
    """The outcome of looking one URL up near one date.

    ``note`` says in one line why there is no copy (or how the copy was found);
    ``tried`` lists the archive endpoints asked, in order.  ``transient`` marks an
    outcome caused by errors (429, 503, timeouts, malformed answers) rather than a
    clean "no capture", so persistent caches should not keep it.
    """

    copy: ArchiveCopy | None
    note: str = ""
    tried: tuple[str, ...] = ()
    transient: bool = False
    candidates: tuple[Capture, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Restoration:
    """A lost link's original href, recovered from an archived copy of the article."""

    url: str
    evidence_url: str  # the archive capture of the article it came from
    captured_at: datetime | None = None


@dataclass(frozen=True)
class DriftEvidence:
    """How the live page compares with the version that was cited (``--drift``).

    ``similarity``: the share of the baseline's main text still on the live page
    (0..1).  ``level``: ``same``, ``changed`` (still ``ok``, with a note),
    ``drifted`` (``stale``/``content_changed``) or ``unknown``.  ``baseline``:
    ``first_observation`` (linkaudit's own, from an earlier run) or ``archive``;
    ``baseline_at`` when it was seen or captured; ``baseline_url`` the capture a
    reader can open (or the page itself for a first observation).  ``disappeared``
    and ``appeared``: short excerpts of the main text, before and after.
    ``quote``: for a quotation, ``present``, ``missing``, ``never_in_baseline`` or
    ``unknown``; empty otherwise.
    """

    similarity: float
    level: str
    baseline: str
    baseline_at: datetime | None
    baseline_url: str | None
    title_before: str = ""
    title_after: str = ""
    disappeared: str = ""
    appeared: str = ""
    quote: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """A citation with everything learned about it: the unit of a report."""

    citation: Citation
    verdict: Verdict
    reason: str
    detail: str
    result: CheckResult | None = None
    archive: ArchiveCopy | None = None
    restoration: Restoration | None = None
    archive_note: str = ""
    drift: DriftEvidence | None = None  # ``--drift``: the live page against its baseline


class OutageKind(enum.StrEnum):
    """What a whole run could not reach."""

    NETWORK = "network"  # no host answered at all: the verdicts say nothing
    ARCHIVES = "archives"  # every archive lookup failed: "no copy" means "not asked"


@dataclass(frozen=True)
class Outage:
    """Something the whole run could not reach, said once at the top of every report
    instead of in every row (``message`` is one sentence, with what to do)."""

    kind: OutageKind
    message: str


#: What separates findings in the JSON report and in the stored document reports,
#: so a reused document's findings are written as the one block they are stored as.
FINDING_SEPARATOR = ",\n    "


@dataclass(frozen=True)
class ReusedFindings:
    """One unchanged document's findings, taken whole from the report a previous run
    stored for it (``linkaudit.reuse``): their JSON lines as this run prints them,
    as one block, and each one's verdict.

    A warm run of a large repository spent most of its time rebuilding findings
    identical to the stored ones and encoding them again; here they are written
    as they are, and decoded only when something needs the findings themselves.
    """

    document: str  # its origin
    block: str  # the findings' lines, in document order, joined by FINDING_SEPARATOR
    lengths: tuple[int, ...]  # each line's length in ``block``
    verdicts: tuple[str, ...]  # each line's verdict value
    tally: Mapping[str, int]  # verdict value -> findings
    decode: Callable[[str], Finding] = field(compare=False, repr=False)

    @property
    def lines(self) -> list[str]:
        out, at, step = [], 0, len(FINDING_SEPARATOR)
        for length in self.lengths:
            out.append(self.block[at : at + length])
            at += length + step
        return out

    def findings(self) -> list[Finding]:
        return [self.decode(line) for line in self.lines]

    def findings_at(self, verdicts: Collection[str]) -> list[Finding]:
        """Those of its findings at one of ``verdicts``, decoding only them."""
        pairs = zip(self.lines, self.verdicts, strict=True)
        return [self.decode(line) for line, verdict in pairs if verdict in verdicts]


class Findings(Sequence[Finding]):
    """A run's findings when whole documents were reused: those found this run
    (``fresh``) and the reused documents' stored ones (``reused``).

    It reads as the sorted sequence of all of them (the reused ones decoded on
    first use), so any reader of ``Report.findings`` stays right; the readers a
    warm run goes through (counts, the exit code, the JSON report, the history)
    use ``fresh``, ``reused`` and :meth:`tally` instead and decode nothing.
    """

    __slots__ = ("_all", "_tally", "fresh", "order", "reused")

    def __init__(
        self,
        fresh: Sequence[Finding],
        reused: Sequence[ReusedFindings],
        order: Callable[[Finding], Any],
    ) -> None:
        self.fresh = tuple(fresh)
        self.reused = tuple(reused)
        self.order = order  # the report's order (severity, document, position)
        self._all: tuple[Finding, ...] | None = None
        self._tally: dict[str, int] | None = None

    def _findings(self) -> tuple[Finding, ...]:
        if self._all is None:
            decoded = [f for part in self.reused for f in part.findings()]
            self._all = tuple(sorted((*self.fresh, *decoded), key=self.order))
        return self._all

    def at(self, verdicts: Collection[Verdict]) -> list[Finding]:
        """The findings at one of ``verdicts`` (decoding only those of reused
        documents), in no particular order."""
        values = {v.value for v in verdicts}
        if self._all is not None:
            return [f for f in self._all if f.verdict.value in values]
        out = [f for f in self.fresh if f.verdict.value in values]
        for part in self.reused:
            if any(part.tally.get(v) for v in values):
                out.extend(part.findings_at(values))
        return out

    def tally(self) -> dict[str, int]:
        """Findings per verdict value (every verdict present), without decoding."""
        if self._tally is not None:
            return dict(self._tally)
        out: dict[str, int] = {v.value: 0 for v in Verdict}
        for finding in self.fresh:
            out[finding.verdict.value] += 1
        for part in self.reused:
            for verdict, count in part.tally.items():
                out[verdict] = out.get(verdict, 0) + count
        self._tally = out
        return dict(out)

    def __len__(self) -> int:
        return len(self.fresh) + sum(len(part.lengths) for part in self.reused)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Finding, ...]: ...
    def __getitem__(self, index: int | slice) -> Finding | tuple[Finding, ...]:
        return self._findings()[index]

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._findings())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Findings({len(self.fresh)} fresh, {len(self.reused)} reused documents)"


@dataclass(frozen=True)
class Report:
    """The outcome of auditing one or more documents in one run."""

    documents: tuple[Document, ...]
    #: Sorted (severity, document, line, column); a :class:`Findings` when the run
    #: reused whole unchanged documents, else a tuple.
    findings: Sequence[Finding]
    started_at: datetime
    finished_at: datetime
    settings: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    changes: str = ""  # what changed since the previous run (run history), one paragraph
    outages: tuple[Outage, ...] = ()  # what the run could not reach (the banner)

    def outage(self, kind: OutageKind) -> Outage | None:
        return next((o for o in self.outages if o.kind is kind), None)

    def counts(self) -> dict[str, int]:
        if isinstance(self.findings, Findings):
            return self.findings.tally()
        out: dict[str, int] = {v.value: 0 for v in Verdict}
        for finding in self.findings:
            out[finding.verdict.value] += 1
        return out


@dataclass(frozen=True)
class ConfirmPolicy:
    """``--confirm-runs`` / ``--confirm-days``: how much failure makes a death.

    Judged by :mod:`linkaudit.history` (which re-exports it); defined here so that
    a run's settings and the command line carry it without importing the history
    logic, which only runs with a cache (issue 17).

    ``unreachable_runs`` / ``unreachable_days``: how long a URL must be unreachable
    in every run, with no answer in between, to be dead all the same (longer than
    for failures: an outage of days is common, a server gone for weeks is not).
    """

    runs: int = 3
    days: int = 3
    unreachable_runs: int = 5
    unreachable_days: int = 14

    def __post_init__(self) -> None:
        if self.runs < 1 or self.unreachable_runs < 1:
            raise ValueError("confirm runs must be at least 1")
        if self.days < 0 or self.unreachable_days < 0:
            raise ValueError("confirm days must not be negative")
