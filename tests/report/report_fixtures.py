"""A fixed Report exercising every verdict, and a hostile one, for the report tests.

A plain module (not conftest) so test files can import the builders by a name no
other test directory uses.

Everything is literal (fixed datetimes, no network) so the golden files are stable.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Finding,
    Hop,
    Location,
    Relation,
    Report,
    Restoration,
    Verdict,
)

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"

ARTICLE = "articles/sea-level.html"
NOTES = "notes/reading-list.md"
CITED = datetime(2023, 4, 18, 9, 30, tzinfo=UTC)
CHECKED = datetime(2024, 6, 1, 12, 0, 5, tzinfo=UTC)


def t(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def citation(
    document: str,
    line: int,
    column: int,
    text: str,
    url: str | None,
    *,
    kind: CitationKind = CitationKind.LINK,
    context: str = "",
    written: str | None = None,
    verdict: Verdict | None = None,
    reason: str = "",
    element: str = "a",
    attribute: str = "href",
    rel: tuple[str, ...] = (),
) -> Citation:
    return Citation(
        document=document,
        kind=kind,
        url_as_written=written if written is not None else url,
        url=url,
        key=url,
        text=text,
        context=context or f"As {text} shows, the trend is clear.",
        location=Location(line=line, column=column),
        element=element,
        attribute=attribute,
        rel=rel,
        relation=Relation.OUTBOUND,
        verdict=verdict,
        reason=reason,
    )


def result(
    url: str,
    verdict: Verdict,
    reason: str,
    detail: str,
    chain: tuple[Hop, ...],
    final_url: str | None = None,
    status: int | None = None,
) -> CheckResult:
    return CheckResult(
        key=url,
        url=url,
        verdict=verdict,
        reason=reason,
        detail=detail,
        chain=chain,
        final_url=final_url,
        status=status,
        attempts=1,
        elapsed=0.25,
        checked_at=CHECKED,
    )


def checked(cit: Citation, res: CheckResult, **extra: object) -> Finding:
    return Finding(
        citation=cit,
        verdict=res.verdict,
        reason=res.reason,
        detail=res.detail,
        result=res,
        **extra,  # type: ignore[arg-type]
    )


def build_report() -> Report:
    """Two documents; every verdict at least once; fixes of every kind."""
    f: list[Finding] = []

    u = "https://www.ipcc.ch/report/ar6/wg1/"
    f.append(
        checked(
            citation(ARTICLE, 12, 9, "the IPCC's sixth assessment", u),
            result(u, Verdict.OK, "ok", "200 OK.", (Hop(u, 200),), u, 200),
        )
    )
    u = "http://sealevel.nasa.gov/understanding-sea-level"
    final = "https://sealevel.nasa.gov/understanding-sea-level"
    f.append(
        checked(
            citation(ARTICLE, 14, 3, "NASA's explainer", u),
            result(
                u,
                Verdict.OK,
                "ok_canonical_redirect",
                "Redirected from http to https of the same path; 200 OK.",
                (Hop(u, 301, location=final), Hop(final, 200)),
                final,
                200,
            ),
        )
    )
    u = "https://example.org/old/tide-gauges"
    new = "https://data.example.org/tide-gauges/2023"
    f.append(
        checked(
            citation(ARTICLE, 20, 15, "tide-gauge records", u),
            result(
                u,
                Verdict.MOVED,
                "moved_permanently",
                "301 Moved Permanently to a live page.",
                (Hop(u, 301, location=new), Hop(new, 200)),
                new,
                200,
            ),
        )
    )
    u = "https://news.example.com/2019/glacier-melt"
    f.append(
        checked(
            citation(ARTICLE, 27, 41, "a 2019 report", u),
            result(
                u,
                Verdict.BROKEN,
                "http_404",
                "The server answered 404 Not Found.",
                (Hop(u, 404),),
                u,
                404,
            ),
            archive=ArchiveCopy(
                archive="wayback",
                url=f"https://web.archive.org/web/20230401083000/{u}",
                original_url=u,
                captured_at=t(2023, 4, 1, 8, 30),
                distance_days=17.04,
                before=True,
                status=200,
            ),
        )
    )
    u = "https://blog.example.net/posts/ice-sheets"
    home = "https://blog.example.net/"
    f.append(
        checked(
            citation(ARTICLE, 33, 7, "ice-sheet dynamics", u),
            result(
                u,
                Verdict.STALE,
                "redirect_to_homepage",
                "The deep link now redirects to the site's homepage.",
                (Hop(u, 302, location=home), Hop(home, 200)),
                home,
                200,
            ),
            archive=ArchiveCopy(
                archive="wayback",
                url=f"https://web.archive.org/web/20230502000000/{u}",
                original_url=u,
                captured_at=t(2023, 5, 2),
                distance_days=13.6,
                before=False,
                status=200,
            ),
        )
    )
    u = "https://www.researchgate.net/publication/123_Sea_Level"
    f.append(
        checked(
            citation(ARTICLE, 40, 1, "the preprint", u),
            result(
                u,
                Verdict.BLOCKED,
                "bot_challenge",
                "403 with a bot challenge page; not evidence the link is dead.",
                (Hop(u, 403),),
                u,
                403,
            ),
        )
    )
    u = "https://slow.example.edu/data.csv"
    f.append(
        checked(
            citation(ARTICLE, 44, 22, "raw data", u),
            result(u, Verdict.UNREACHABLE, "timeout", "No response within 20 s (3 attempts).", ()),
            archive_note="no capture of this URL in any archive",
        )
    )
    u = "https://expired.example.com/report.pdf"
    f.append(
        checked(
            citation(ARTICLE, 51, 5, "the county report", u, kind=CitationKind.LINK),
            result(
                u,
                Verdict.INSECURE,
                "tls_expired",
                "The certificate expired on 2024-01-31.",
                (Hop(u, None, note="certificate expired"),),
            ),
        )
    )
    u = "https://docs.example.org/methods.html#section-4"
    f.append(
        checked(
            citation(ARTICLE, 58, 12, "section 4 of the methods", u),
            result(
                u,
                Verdict.FRAGMENT_MISSING,
                "fragment_missing",
                "The page has no element with id or name 'section-4'.",
                (Hop(u, 200),),
                u,
                200,
            ),
        )
    )
    bad = "http://exa mple.com/x"
    f.append(
        Finding(
            citation=citation(
                ARTICLE, 63, 30, "a typo", bad, verdict=Verdict.INVALID, reason="invalid_url"
            ),
            verdict=Verdict.INVALID,
            reason="invalid_url",
            detail="The host contains a space.",
        )
    )
    mail = "mailto:editor@example.org"
    f.append(
        Finding(
            citation=citation(
                ARTICLE,
                70,
                10,
                "write to us",
                mail,
                verdict=Verdict.SKIPPED,
                reason="scheme_mailto",
            ),
            verdict=Verdict.SKIPPED,
            reason="scheme_mailto",
            detail="mailto: links are not checked.",
        )
    )
    f.append(
        Finding(
            citation=citation(
                ARTICLE,
                75,
                18,
                "the original survey",
                None,
                kind=CitationKind.LOST,
                verdict=Verdict.LOST,
                reason="stripped_href",
                attribute="",
                element="a",
            ),
            verdict=Verdict.LOST,
            reason="stripped_href",
            detail="Anchor text closed by </a> with no opening link: the href was stripped.",
            restoration=Restoration(
                url="https://survey.example.org/2022/coastal-survey.pdf",
                evidence_url="https://web.archive.org/web/20230420000000/https://mag.example/sea-level",
                captured_at=t(2023, 4, 20),
            ),
        )
    )
    # Second document: Markdown, with content that must be escaped in every format.
    u = "https://wiki.example.org/A|B_(list)"
    f.append(
        checked(
            citation(
                NOTES,
                3,
                5,
                "*Tables* | [pipes] & <b>tags</b> @octocat",
                u,
                element="markdown",
                attribute="",
                rel=("nofollow",),
            ),
            result(
                u,
                Verdict.BROKEN,
                "http_410",
                "The server answered 410 Gone.",
                (Hop(u, 410),),
                u,
                410,
            ),
            archive_note="no capture of this URL before or after the citation date",
        )
    )
    u = "https://calc.example.com/sheet"
    f.append(
        checked(
            citation(NOTES, 9, 1, '=HYPERLINK("https://evil.example")\x07', u, element="markdown"),
            result(u, Verdict.OK, "ok", "200 OK.", (Hop(u, 200),), u, 200),
        )
    )
    f.append(
        Finding(
            citation=citation(
                NOTES,
                12,
                1,
                "click here",
                None,
                kind=CitationKind.LOST,
                verdict=Verdict.LOST,
                reason="empty_href",
                element="a",
            ),
            verdict=Verdict.LOST,
            reason="empty_href",
            detail='<a href=""> has no target.',
            archive_note="no archived copy of the article predates the edit",
        )
    )
    docs = (
        Document(
            text="<html>...</html>",
            kind=DocumentKind.HTML,
            origin=ARTICLE,
            base_url="https://mag.example/sea-level",
            site="https://mag.example",
            title="Sea levels are rising faster than expected",
            cited_at=CITED,
            cited_at_source="json-ld",
            canonical_url="https://mag.example/sea-level",
        ),
        Document(
            text="# Reading list\n",
            kind=DocumentKind.MARKDOWN,
            origin=NOTES,
            title="Reading list",
            cited_at=t(2024, 1, 2),
            cited_at_source="option",
            warnings=("no base URL: relative links were left unresolved",),
        ),
    )
    # Deliberately not in display order: the formats must sort.
    return Report(
        documents=docs,
        findings=tuple(reversed(f)),
        started_at=t(2024, 6, 1, 12, 0, 0),
        finished_at=t(2024, 6, 1, 12, 0, 42),
        settings={"fail_on": ["broken", "lost"], "timeout": 20.0},
    )


HOSTILE_TEXTS = (
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "</td></tr></tbody></table><script>window.__pwned=1</script>",
    "' onmouseover='window.__pwned=1",
)
HOSTILE_URLS = (
    "javascript:window.__pwned=1",
    "JaVaScRiPt:window.__pwned=1",
    "java\tscript:window.__pwned=1",
    " javascript:window.__pwned=1",
    "data:text/html,<script>window.__pwned=1</script>",
    "vbscript:msgbox(1)",
    'https://ok.example/"><script>window.__pwned=1</script>',
)


def build_hostile_report() -> Report:
    """An article written by an attacker: markup and script URLs everywhere."""
    origin = 'evil/<script>window.__pwned=1</script>".html'
    findings: list[Finding] = []
    line = 1
    for text in HOSTILE_TEXTS:
        for url in HOSTILE_URLS:
            line += 1
            cit = citation(
                origin,
                line,
                1,
                text,
                url,
                context=f"{text} in context",
                verdict=Verdict.INVALID,
                reason="invalid_url",
            )
            findings.append(
                Finding(
                    citation=cit,
                    verdict=Verdict.BROKEN if "ok.example" in url else Verdict.INVALID,
                    reason=text,
                    detail=text,
                    result=CheckResult(
                        key=url,
                        url=url,
                        verdict=Verdict.BROKEN,
                        reason=text,
                        detail=text,
                        chain=(Hop(url, 302, location=HOSTILE_URLS[0], note=text),),
                        final_url=HOSTILE_URLS[4],
                    ),
                    archive=ArchiveCopy(
                        archive=text,
                        url=HOSTILE_URLS[0],
                        original_url=url,
                        captured_at=t(2023, 1, 1),
                        distance_days=3,
                        before=True,
                    ),
                    restoration=Restoration(url=HOSTILE_URLS[4], evidence_url=HOSTILE_URLS[1]),
                    archive_note=text,
                )
            )
    findings.append(
        Finding(
            citation=citation(origin, 999, 1, "a safe link", "https://safe.example/"),
            verdict=Verdict.OK,
            reason="ok",
            detail="200 OK.",
        )
    )
    doc = Document(
        text="",
        kind=DocumentKind.HTML,
        origin=origin,
        title="<script>window.__pwned=1</script><img src=x onerror=window.__pwned=1>",
        canonical_url=HOSTILE_URLS[0],
        cited_at=CITED,
        cited_at_source="<b>x</b>",
        warnings=("<script>window.__pwned=1</script>",),
    )
    return Report(
        documents=(doc,),
        findings=tuple(findings),
        started_at=t(2024, 6, 1),
        finished_at=t(2024, 6, 1, 0, 1),
        warnings=("<img src=x onerror=window.__pwned=1>",),
    )


def check_golden(name: str, text: str) -> None:
    """Compare with tests/report/golden/NAME byte for byte (UPDATE_GOLDEN=1 rewrites)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("CI") == "true" and not path.exists():
            pytest.fail(f"golden file {path} is missing")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {path} was missing and has been written; re-run")
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"
