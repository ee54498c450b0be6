"""A big site's history, written straight into a store: the health page's stress case.

The health page has to stay readable for a whole site, not only for the three
articles of ``tests/history/scenario.py``: 150 articles, 1,800 citations, 40
daily full audits in which links die, flap, hide behind bot walls and recover,
then a quick ``check`` of one file, a ``--changed-since`` run over three and an
empty run (what a pre-commit hook records when nothing changed).  The results are
made up (no checking at all), so building it takes a second; the store API is the
same the runner uses, so the health report reads it as it reads real runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from linkaudit.history import ArchiveMark
from linkaudit.model import (
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Verdict,
)
from linkaudit.store import Store

FIRST_DAY = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)
FULL_RUNS = 40
DOCUMENTS = 150
CITATIONS_PER_DOCUMENT = 12
HOSTS = 60
PATHS_PER_HOST = 10

#: What a run of each kind records as its settings (``settings.run_settings`` keys).
FULL = {"command": "audit", "archive": True, "changed_since": None}
CHECK = {"command": "check", "archive": False, "changed_since": None}
CHANGED = {"command": "audit", "archive": True, "changed_since": "origin/main"}


@dataclass
class _Clock:
    now: datetime = FIRST_DAY

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class _Fate:
    """How one URL behaves over the runs: ``verdict`` from ``day`` on (``ok`` before)."""

    verdict: Verdict
    reason: str
    day: int = 0
    flaps: bool = False


@dataclass
class Showcase:
    """The store and what was put in it (for tests that check the page against it)."""

    store: Store
    documents: list[Document] = field(default_factory=list)
    citations: dict[str, list[Citation]] = field(default_factory=dict)
    run_ids: dict[str, int] = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()


def _fates(rng: random.Random, urls: list[str]) -> dict[str, _Fate]:
    fates: dict[str, _Fate] = {}
    for url in urls:
        roll = rng.random()
        if roll < 0.12:
            fates[url] = _Fate(Verdict.BROKEN, "http_404", rng.randrange(0, FULL_RUNS))
        elif roll < 0.17:
            fates[url] = _Fate(Verdict.STALE, "soft_404", rng.randrange(0, FULL_RUNS))
        elif roll < 0.22:
            fates[url] = _Fate(Verdict.BLOCKED, "bot_challenge")
        elif roll < 0.25:
            fates[url] = _Fate(Verdict.UNREACHABLE, "timeout", flaps=True)
        elif roll < 0.28:
            fates[url] = _Fate(Verdict.MOVED, "moved_permanently")
        elif roll < 0.29:
            fates[url] = _Fate(Verdict.INSECURE, "tls_expired", rng.randrange(0, FULL_RUNS))
        else:
            fates[url] = _Fate(Verdict.OK, "ok")
    return fates


def _verdict(fate: _Fate, run: int) -> tuple[Verdict, str]:
    if fate.flaps:
        return (fate.verdict, fate.reason) if run % 3 == 0 else (Verdict.OK, "ok")
    return (fate.verdict, fate.reason) if run >= fate.day else (Verdict.OK, "ok")


def _documents(
    rng: random.Random, urls: list[str]
) -> tuple[list[Document], dict[str, list[Citation]]]:
    documents: list[Document] = []
    citations: dict[str, list[Citation]] = {}
    for index in range(DOCUMENTS):
        year = 2012 + index % 14
        origin = f"content/posts/{year}/article-{index:03d}.html"
        documents.append(
            Document(
                text="",
                kind=DocumentKind.HTML,
                origin=origin,
                title=f"Article {index}: what the {year} sources said",
                cited_at=datetime(year, 1 + index % 12, 1 + index % 27, tzinfo=UTC),
            )
        )
        cited = rng.sample(urls, CITATIONS_PER_DOCUMENT)
        rows = [
            Citation(
                document=origin,
                kind=CitationKind.LINK,
                url_as_written=url,
                url=url,
                key=url,
                text=f"source {n} of article {index}",
                context="",
                location=Location(10 + 3 * n, 5 + n),
                element="a",
                attribute="href",
            )
            for n, url in enumerate(cited)
        ]
        if index % 10 == 0:
            rows.append(
                Citation(
                    document=origin,
                    kind=CitationKind.LOST,
                    url_as_written=None,
                    url=None,
                    key=None,
                    text="a stripped link",
                    context="",
                    location=Location(80, 3),
                    verdict=Verdict.LOST,
                    reason="stripped_link",
                )
            )
        citations[origin] = rows
    return documents, citations


def _record(
    showcase: Showcase,
    fates: dict[str, _Fate],
    run: int,
    documents: list[Document],
    settings: dict[str, object],
) -> int:
    history = showcase.store.history
    run_id = history.begin_run(["content/"], settings)
    cited = [c for d in documents for c in showcase.citations[d.origin]]
    history.record_citations(run_id, cited, documents)
    now = showcase.store.now()
    results = []
    for key in sorted({c.key for c in cited if c.key}):
        verdict, reason = _verdict(fates[key], run)
        results.append(
            CheckResult(key, key, verdict, reason, f"{verdict.value} (showcase)", checked_at=now)
        )
    showcase.store.results.record(run_id, results)
    history.finish_run(run_id)
    return run_id


def build_showcase(path: Path, *, seed: int = 20, partial_runs: bool = True) -> Showcase:
    """Write the big site's history into a new store at ``path`` (without the
    ``check``, ``--changed-since`` and empty runs after the last full audit when
    ``partial_runs`` is false)."""
    rng = random.Random(seed)
    urls = [
        f"https://site{h:02d}.example.org/{'reports' if h % 2 else 'news'}/{year}/item-{p}"
        for h in range(HOSTS)
        for p, year in zip(range(PATHS_PER_HOST), range(2010, 2030), strict=False)
    ]
    fates = _fates(rng, urls)
    clock = _Clock()
    showcase = Showcase(Store.open(path, now=clock))
    showcase.documents, showcase.citations = _documents(rng, urls)
    for run in range(FULL_RUNS):
        clock.now = FIRST_DAY + timedelta(days=run)
        showcase.run_ids[f"full-{run}"] = _record(showcase, fates, run, showcase.documents, FULL)
    last = FULL_RUNS - 1
    captured = FIRST_DAY - timedelta(days=400)
    showcase.store.history.record_archives(
        showcase.run_ids[f"full-{last}"],
        [
            (
                url,
                date(2020, 1, 1),
                ArchiveMark(True, f"https://web.archive.org/web/2025/{url}", captured, "wayback"),
                "",
            )
            for url in urls[::7]
        ],
    )
    if not partial_runs:
        return showcase
    clock.now += timedelta(hours=2)
    one = showcase.documents[:1]
    showcase.run_ids["check"] = _record(showcase, fates, last, one, CHECK)
    clock.now += timedelta(hours=2)
    three = showcase.documents[5:8]
    showcase.run_ids["changed"] = _record(showcase, fates, last, three, CHANGED)
    clock.now += timedelta(hours=2)
    showcase.run_ids["empty"] = _record(showcase, fates, last, [], CHANGED)
    return showcase
