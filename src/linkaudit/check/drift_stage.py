"""The content-drift stage of an audit (``--drift``): live pages against their baselines.

The live page costs no request of its own: the check engine tells
:class:`PageCollector` of every page it fetched, and the collector keeps only
its text (article, page, title) and validators, never the HTML.  For each URL
whose citations are ``ok`` or ``moved``, the baseline is

1. linkaudit's own first observation of the URL, stored by an earlier run (no
   archive request at all), else
2. the archived capture nearest the citation date, on or before it first (the
   same selection as every archive lookup), fetched once and kept forever by its
   memento URL.

A URL answered from the result cache on a warm run, or whose ``ETag`` /
``Last-Modified`` are those of the last comparison, reuses that comparison: no
fetch, no archive request, no parsing.  After the comparison, a live page judged
``ok`` and not drifted becomes the URL's first observation when it has none.

Findings change as :mod:`linkaudit.check.drift` says: drifted is ``stale`` /
``content_changed``; a quotation whose passage was in the baseline and is gone is
``stale`` / ``quote_missing``; changed (but the cited text still there) stays as
it is, with a note and the similarity in its detail and ``drift`` evidence.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime

import httpx

from linkaudit.archive.lookup import ArchiveSession, find_copies
from linkaudit.check import drift
from linkaudit.check.drift import DriftLevel, Fingerprint, PageText, QuoteStatus
from linkaudit.check.evidence import Evidence
from linkaudit.model import (
    ArchiveCopy,
    CitationKind,
    DriftEvidence,
    Finding,
    Verdict,
    as_utc,
)
from linkaudit.reasons import Reason
from linkaudit.store.base import ArchiveCache
from linkaudit.store.drift import DriftStore
from linkaudit.urls import defragment

#: Bytes of an archived capture read at most.
MAX_CAPTURE = 5 * 1024 * 1024
_WEB = re.compile(r"^(.*/web/\d{1,14})(/.+)$")


@dataclass(frozen=True)
class LivePage:
    """What drift keeps of a page the engine fetched: its texts and validators."""

    url: str
    final_url: str
    text: PageText
    validators: tuple[str, str]  # (ETag, Last-Modified); empty strings when not given


class PageCollector:
    """The engine's ``on_page``: reads the text of each 2xx HTML page as it is checked."""

    def __init__(self, skip: Callable[[str], bool] | None = None) -> None:
        self.pages: dict[str, LivePage] = {}
        # URLs not worth reading (first observations only: those already observed)
        self._skip = skip

    def __call__(self, url: str, evidence: Evidence) -> None:
        if not self.wants(url):
            return
        live = read_live_page(url, evidence)
        if live is not None:
            self.pages[url] = live

    def wants(self, url: str) -> bool:
        """Whether ``url``'s page is to be read (a checking process of the run reads
        it where it was fetched, ``check.shards``, and asks here first)."""
        return self._skip is None or not self._skip(url)


def read_live_page(url: str, evidence: Evidence) -> LivePage | None:
    """The page's texts, for a 2xx HTML page; None for anything else or a page
    that cannot be read (it is then not compared, and the run goes on)."""
    page = evidence.page
    status = evidence.status
    if page is None or not page.text or status is None or not 200 <= status < 300:
        return None
    final = evidence.final_url or url
    try:
        text = drift.read_page(page.text, final)
    except Exception:
        return None
    validators = (evidence.headers.get("etag", ""), evidence.headers.get("last-modified", ""))
    return LivePage(url, final, text, validators)


@dataclass(frozen=True)
class Outcome:
    """One URL's comparison, as stored between runs (JSON-ready)."""

    similarity: float
    level: str
    baseline: str
    baseline_at: str | None
    baseline_url: str | None
    title_before: str
    title_after: str
    disappeared: str
    appeared: str
    quotes: dict[str, str]  # normalised quotation -> QuoteStatus value

    def evidence(self, quote: str = "") -> DriftEvidence:
        when = datetime.fromisoformat(self.baseline_at) if self.baseline_at else None
        return DriftEvidence(
            similarity=round(self.similarity, 3),
            level=self.level,
            baseline=self.baseline,
            baseline_at=None if when is None else as_utc(when),
            baseline_url=self.baseline_url,
            title_before=self.title_before,
            title_after=self.title_after,
            disappeared=self.disappeared,
            appeared=self.appeared,
            quote=quote,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Outcome | None:
        try:
            quotes = data.get("quotes") or {}
            assert isinstance(quotes, dict)
            return cls(
                similarity=float(data["similarity"]),  # type: ignore[arg-type]
                level=str(data["level"]),
                baseline=str(data["baseline"]),
                baseline_at=None if data.get("baseline_at") is None else str(data["baseline_at"]),
                baseline_url=None
                if data.get("baseline_url") is None
                else str(data["baseline_url"]),
                title_before=str(data.get("title_before", "")),
                title_after=str(data.get("title_after", "")),
                disappeared=str(data.get("disappeared", "")),
                appeared=str(data.get("appeared", "")),
                quotes={str(k): str(v) for k, v in quotes.items()},
            )
        except (KeyError, TypeError, ValueError, AssertionError):
            return None


@dataclass(frozen=True)
class _Baseline:
    fingerprint: Fingerprint
    kind: str  # first_observation | archive
    at: datetime | None
    url: str | None
    page_text: str | None = None  # a capture's whole page text (quotes can be "never")


def compared_url(finding: Finding) -> str | None:
    """The fetched URL whose drift this finding's verdict may change, or None."""
    if finding.verdict not in (Verdict.OK, Verdict.MOVED) or finding.result is None:
        return None
    if finding.citation.kind not in (CitationKind.LINK, CitationKind.QUOTE, CitationKind.TEXT_URL):
        return None
    key = finding.citation.key
    if not key or not key.startswith(("http://", "https://")):
        return None
    return defragment(key)[0]


def _raw_capture_url(copy: ArchiveCopy) -> str:
    """The capture's original bytes: Wayback's ``id_`` form when it is a /web/ URL."""
    match = _WEB.match(copy.url)
    if match and not match.group(1).endswith("id_"):
        return f"{match.group(1)}id_{match.group(2)}"
    return copy.url


async def _fetch_capture(client: httpx.AsyncClient, url: str) -> str | None:
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                return None
            data = bytearray()
            async for piece in response.aiter_bytes():
                data += piece
                if len(data) >= MAX_CAPTURE:
                    break
            return bytes(data).decode(response.encoding or "utf-8", "replace")
    except (httpx.HTTPError, LookupError):
        return None


#: A quotation in the sentence around a link: text between quote marks, long enough
#: (``MIN_CONTEXT_QUOTE_WORDS``) to be matched reliably.
_QUOTED = re.compile(
    r"[\u201c\u201e\u00ab\"]([^\u201c\u201d\u00ab\u00bb\"]{20,600})[\u201d\u00bb\"]"
)
MIN_CONTEXT_QUOTE_WORDS = 6


def quotations(finding: Finding) -> list[str]:
    """The passages a citation quotes from its source: a ``<blockquote cite>``/``<q cite>``
    text, or for a link, what its sentence has between quote marks (6 words or more)."""
    citation = finding.citation
    if citation.kind is CitationKind.QUOTE:
        return [citation.text] if citation.text else []
    if citation.kind is not CitationKind.LINK or not citation.context:
        return []
    return [
        found
        for found in _QUOTED.findall(citation.context)
        if len(drift.words(found)) >= MIN_CONTEXT_QUOTE_WORDS
    ]


def _quotes_of(findings: Sequence[Finding], url: str) -> list[str]:
    return [q for f in findings if compared_url(f) == url for q in quotations(f)]


def _outcome(baseline: _Baseline, live: LivePage, quotes: Sequence[str]) -> Outcome:
    comparison = drift.compare(baseline.fingerprint, live.text)
    statuses = {
        drift.normalise_quote(q): drift.check_quote(
            q,
            baseline.page_text if baseline.page_text is not None else baseline.fingerprint,
            live.text,
        ).value
        for q in quotes
    }
    return Outcome(
        similarity=comparison.similarity,
        level=comparison.level.value,
        baseline=baseline.kind,
        baseline_at=None if baseline.at is None else as_utc(baseline.at).isoformat(),
        baseline_url=baseline.url,
        title_before=comparison.title_before,
        title_after=comparison.title_after,
        disappeared=comparison.disappeared,
        appeared=comparison.appeared,
        quotes=statuses,
    )


async def judge_drift(
    findings: Sequence[Finding],
    pages: Mapping[str, LivePage],
    targets: Mapping[str, datetime],
    *,
    store: DriftStore | None,
    session: ArchiveSession | None,
    archive_cache: ArchiveCache | None,
    run_started: datetime,
    until: float | None = None,
) -> list[Finding]:
    """Findings with drift applied (see the module docstring).

    ``pages``: the live pages the engine fetched, by URL.  ``targets``: each URL's
    citation date (the earliest of its citations').
    """
    urls = sorted({u for f in findings if (u := compared_url(f)) is not None})
    outcomes: dict[str, Outcome] = {}
    need_archive: list[str] = []
    baselines: dict[str, _Baseline] = {}
    for url in urls:
        live = pages.get(url)
        stored = store.last_check(url) if store is not None else None
        if stored is not None and (
            live is None or (any(live.validators) and live.validators == stored.validators)
        ):
            reused = Outcome.from_json(stored.outcome)
            if reused is not None:
                outcomes[url] = reused
                continue
        if live is None:
            continue
        first = store.baseline(url) if store is not None else None
        kept = Fingerprint.from_bytes(first[0]) if first is not None else None
        if first is not None and kept is not None and as_utc(first[1]) < as_utc(run_started):
            baselines[url] = _Baseline(kept, "first_observation", first[1], url)
        else:
            need_archive.append(url)
    if need_archive and session is not None:
        baselines.update(
            await _archived(need_archive, targets, session, archive_cache, store, until)
        )
    for url, baseline in baselines.items():
        live = pages[url]
        outcome = _outcome(baseline, live, _quotes_of(findings, url))
        outcomes[url] = outcome
        if store is not None:
            store.keep_check(url, live.validators, asdict(outcome))
    if store is not None:
        keep_first_observations(findings, pages, store, outcomes)
    return [_apply(f, outcomes) for f in findings]


def keep_first_observations(
    findings: Sequence[Finding],
    pages: Mapping[str, LivePage],
    store: DriftStore,
    outcomes: Mapping[str, Outcome] | None = None,
) -> int:
    """Keep each ``ok`` page's fingerprint as its first observation; how many were new.

    An audit keeps them whether or not it compares (``--drift``), so an article
    audited before publication carries the baseline of every later drift check,
    with no archive request.  The store keeps the first one of each URL only.
    """
    urls = {u for f in findings if (u := compared_url(f)) is not None}
    kept = 0
    for url, live in pages.items():
        if url in urls and _keeps_baseline(findings, url, (outcomes or {}).get(url)):
            fingerprint = drift.fingerprint(live.text.article, live.text.title)
            store.keep_baseline(url, fingerprint.to_bytes())
            kept += 1
    return kept


def _keeps_baseline(findings: Sequence[Finding], url: str, outcome: Outcome | None) -> bool:
    """A first observation is kept from an ``ok`` page that is not known to have drifted."""
    ok = any(f.verdict is Verdict.OK and compared_url(f) == url for f in findings)
    return ok and (outcome is None or outcome.level != DriftLevel.DRIFTED.value)


async def _archived(
    urls: Sequence[str],
    targets: Mapping[str, datetime],
    session: ArchiveSession,
    cache: ArchiveCache | None,
    store: DriftStore | None,
    until: float | None,
) -> dict[str, _Baseline]:
    """Baselines from the archive: the capture nearest each URL's citation date."""
    wanted = [(url, targets[url]) for url in urls if url in targets]
    if not wanted:
        return {}
    lookups = await find_copies(
        wanted,
        session.options,
        client=session.client,
        cache=cache,
        limiter=session.wayback,
        timegate_limiters=session.timegates,
        reach=session.reach,
        until=until,
    )
    out: dict[str, _Baseline] = {}

    async def one(url: str, target: datetime) -> None:
        lookup = lookups.get((url, target))
        copy = lookup.copy if lookup is not None else None
        if copy is None:
            return
        memento = _raw_capture_url(copy)
        stored = store.capture(memento) if store is not None else None
        kept = Fingerprint.from_bytes(stored) if stored is not None else None
        page_text: str | None = None
        if kept is None:
            await session.wayback.acquire()
            html = await _fetch_capture(session.client, memento)
            if html is None:
                return
            read = drift.read_page(html, url)
            kept = drift.fingerprint(read.article, read.title)
            page_text = read.page
            if store is not None:
                store.keep_capture(memento, kept.to_bytes())
        out[url] = _Baseline(kept, "archive", copy.captured_at, copy.url, page_text)

    await asyncio.gather(*(one(url, target) for url, target in wanted))
    return out


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _quote_status(finding: Finding, outcome: Outcome) -> str:
    """The citation's quotation status: missing if any of its passages is, else the
    first one's.  A passage in a link's sentence that was never in this source's
    baseline says nothing (the sentence may quote another source): left out."""
    statuses = [outcome.quotes.get(drift.normalise_quote(q), "") for q in quotations(finding)]
    if finding.citation.kind is CitationKind.LINK:
        statuses = [s for s in statuses if s in (QuoteStatus.PRESENT, QuoteStatus.MISSING)]
    if QuoteStatus.MISSING.value in statuses:
        return QuoteStatus.MISSING.value
    return statuses[0] if statuses else ""


def _apply(finding: Finding, outcomes: Mapping[str, Outcome]) -> Finding:
    url = compared_url(finding)
    outcome = outcomes.get(url) if url is not None else None
    if outcome is None:
        return finding
    quote = _quote_status(finding, outcome)
    evidence = outcome.evidence(quote)
    when = f" of {evidence.baseline_at.date().isoformat()}" if evidence.baseline_at else ""
    which = "archived copy" if outcome.baseline == "archive" else "first observation"
    if quote == QuoteStatus.MISSING.value:
        return replace(
            finding,
            verdict=Verdict.STALE,
            reason=Reason.QUOTE_MISSING,
            detail=(
                f"The quoted passage was on the page in the {which}{when} and is no longer "
                f"there ({_percent(outcome.similarity)} of the cited text is still on the page)."
            ),
            drift=evidence,
        )
    if outcome.level == DriftLevel.DRIFTED.value:
        titles = ""
        if outcome.title_before != outcome.title_after:
            titles = f'; title then "{outcome.title_before}", now "{outcome.title_after}"'
        return replace(
            finding,
            verdict=Verdict.STALE,
            reason=Reason.CONTENT_CHANGED,
            detail=(
                f"The page changed since it was cited: {_percent(outcome.similarity)} of its "
                f"main text in the {which}{when} is still there{titles}."
            ),
            drift=evidence,
        )
    detail = finding.detail
    if outcome.level == DriftLevel.CHANGED.value:
        detail = (
            f"{detail.rstrip()} Changed since cited: {_percent(outcome.similarity)} of the "
            f"main text in the {which}{when} is still there."
        ).strip()
    if quote == QuoteStatus.NEVER.value:
        detail = (
            f"{detail.rstrip()} The quoted passage was not in the {which}{when} either: "
            "check the quotation (a misquote is not drift)."
        ).strip()
    return replace(finding, detail=detail, drift=evidence)
