"""The bundled demo: a real audit of a real-looking article against a misbehaving web.

Everything runs on loopback: the link zoo (``linkaudit.testing.zoo``) plays the web,
with every hard case of DESIGN.md's verdict table, and the archive stand-in plays
the Wayback Machine, holding captures of the failing citations and an archived
copy of the article itself from which the demo's lost link is restored.  Names are
resolved by the zoo's table, so the demo sends no packet off the machine, DNS
included.  It then writes every report format and checks its own verdicts against
the zoo's ground truth, so ``make demo`` doubles as an end-to-end smoke test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from linkaudit import _aio as aio
from linkaudit.errors import AuditError
from linkaudit.model import Document, DocumentKind
from linkaudit.pipeline import AuditOptions, AuditRun, Services, audit_documents
from linkaudit.report import FORMATS, write_reports
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.html import html_document
from linkaudit.urls import defragment

ARTICLE_URL = "https://news.demo.test/2023/04/why-old-links-fail-readers/"
CITED_AT = datetime(2023, 4, 18, 9, 30, tzinfo=UTC)
#: The zoo case whose URL the archived copy of the article links "A survey of
#: newsroom archives" to: the lost link the demo restores.
LOST_TARGET = "busy_0"
BARE_URL = "body_5mb"

#: Captures the archive stand-in holds: zoo case -> Wayback timestamps (status 200
#: unless given).  Before the citation date where a reader's copy exists; one only
#: after it (the fallback); some non-2xx captures that must be skipped; and cases
#: with no capture at all, which the report says plainly.
CAPTURES: dict[str, tuple[tuple[str, int], ...]] = {
    "http_404": (("20210302101500", 200), ("20230402080000", 200), ("20240101000000", 404)),
    "http_410": (("20240115120000", 200),),
    "http_500": (("20230301000000", 200),),
    "soft_404": (("20220610000000", 200),),
    "homepage_redirect": (("20191104000000", 200), ("20230411000000", 301)),
    "parked": (("20200101000000", 200),),
    "meta_refresh_error": (("20230201000000", 200),),
    "moved_301_chain": (("20180505000000", 200),),
    "connect_refused": (("20221224000000", 200),),
    "cf_challenge": (("20230110000000", 200),),
    "fragment_missing": (("20230301000000", 200),),
    "tls_expired": (("20220909000000", 200),),
}


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the audit, the files written, and its self-check."""

    run: AuditRun
    paths: tuple[Path, ...]
    expected: int
    mismatches: tuple[str, ...]


def _template() -> str:
    return (files("linkaudit") / "data" / "demo" / "article.html").read_text(encoding="utf-8")


def render_article(urls: dict[str, str], *, archived: bool) -> str:
    """The article with zoo URLs filled in; ``archived`` keeps the link later stripped."""
    lost_open = f'<a href="{urls[LOST_TARGET]}"><span>' if archived else ""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "lost_open":
            return lost_open
        if name == "bare_url":
            return urls[BARE_URL]
        return urls[name]

    return re.sub(r"\{\{([a-z0-9_]+)\}\}", fill, _template())


def run_demo(
    output_dir: Path,
    *,
    force: bool = False,
    formats: tuple[str, ...] = tuple(FORMATS),
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Start the loopback web and archive, audit the demo article, write every report."""
    try:
        from linkaudit.testing.archive import ArchiveStandIn
        from linkaudit.testing.zoo import Zoo
    except ImportError as exc:  # trustme is the demo extra
        raise AuditError(
            f"the demo needs the 'demo' extra ({exc.name} is missing): "
            "pip install 'linkaudit[demo]'"
        ) from exc

    with Zoo() as zoo, ArchiveStandIn() as archive:
        urls = {case.name: case.key for case in zoo.cases}
        truth = {case.name: (case.verdict, case.reason) for case in zoo.cases}
        echo(f"demo: {len(zoo.cases)} misbehaving pages on loopback, archive at {archive.base_url}")
        for name, captures in CAPTURES.items():
            for timestamp, status in captures:
                archive.add_capture(defragment(urls[name])[0], timestamp, status)
        archive.add_capture(
            ARTICLE_URL, "20230418120000", 200, body=render_article(urls, archived=True)
        )
        text = render_article(urls, archived=False)
        document = html_document(text, origin="demo-article.html", options=SourceOptions())
        document = _with_demo_identity(document)
        # The stand-in is local: the real CDX budget (30/min) would only make the demo wait.
        fast = {"requests_per_minute": 6000.0, "burst": 50, "timegate_requests_per_minute": 6000.0}
        options = AuditOptions(check=zoo.options(), archive=archive.options(**fast))
        services = Services(resolver=zoo.resolver, check_clock=zoo.clock())
        run = aio.run(audit_documents([document], options, services))

    paths = write_reports(run.report, list(formats), output_dir, force=force)
    cited = {name: url for name, url in urls.items() if url in text}
    mismatches = []
    for finding in run.report.findings:
        url = finding.citation.url
        for name, case_url in cited.items():
            if url == case_url and finding.verdict is not truth[name][0]:
                mismatches.append(
                    f"{name}: expected {truth[name][0].value}, got {finding.verdict.value}"
                )
    return DemoResult(run, tuple(paths), len(cited), tuple(mismatches))


def _with_demo_identity(document: Document) -> Document:
    """The demo file stands for the published article (its canonical URL and date)."""
    return replace(
        document,
        kind=DocumentKind.HTML,
        canonical_url=document.canonical_url or ARTICLE_URL,
        cited_at=document.cited_at or CITED_AT,
    )
