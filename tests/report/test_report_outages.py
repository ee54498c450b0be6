"""What to do about each finding, and what a run could not reach, said once at the top.

A run whose archives all failed used to print the five-line lookup error in every
row; now the reports open with one banner and each row says what to do.
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from linkaudit.archive import ArchiveOptions
from linkaudit.archive.reach import NOT_LOOKED_UP
from linkaudit.model import (
    CheckResult,
    Document,
    DocumentKind,
    Outage,
    OutageKind,
    Report,
    Verdict,
)
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.report import FORMATS
from linkaudit.report.base import archive_trouble, warnings_of, what_to_do
from linkaudit.report.html import HtmlFormatter
from linkaudit.report.markdown import MarkdownFormatter
from linkaudit.report.terminal import TerminalFormatter


def _by_text(report: Report, text: str):  # type: ignore[no-untyped-def]
    return next(f for f in report.findings if f.citation.text == text)


def test_each_finding_of_the_fixture_says_what_to_do(report: Report) -> None:
    todo = {f.citation.text: what_to_do(f, report) for f in report.findings}
    assert todo["the preprint"] == "check by hand in a browser"  # blocked: not "no capture"
    assert todo["raw data"] == "re-run later"
    assert todo["a 2019 report"] == "use the archived copy"
    assert todo["tide-gauge records"] == "update the link to the new URL"
    assert todo["the original survey"] == "restore the link (the archived article has it)"
    assert todo["a typo"] == "fix the typo"
    assert todo["section 4 of the methods"] == "fix the fragment"
    assert todo["the county report"] == "tell the site, or link the archive"
    assert todo["click here"] == "add the link it should have"
    # a dead link looked up in vain
    tables = next(f for f in report.findings if "Tables" in f.citation.text)
    assert todo[tables.citation.text] == "find a new source (no archived copy found)"
    # the archive note is for dead links with trouble, never for a bot wall
    preprint = _by_text(report, "the preprint")
    assert archive_trouble(replace(preprint, archive_note="no capture in any archive asked")) == ""


def test_the_html_row_says_what_to_do_not_the_archive_note(report: Report) -> None:
    page = HtmlFormatter().render(report)
    row = page[page.index('data-search="blocked bot_challenge') :]
    row = row[: row.index("</tr>")]
    assert '<div class="todo">check by hand in a browser</div>' in row
    assert "no capture" not in row
    assert '<td class="c-todo" data-label="What to do">' in row


def _archives_down(report: Report) -> Report:
    """The fixture as a run whose every archive lookup failed would report it."""
    outage = Outage(OutageKind.ARCHIVES, "No archive could be reached (CDX: ConnectError).")
    findings = tuple(
        replace(f, archive=None, restoration=None, archive_note=NOT_LOOKED_UP)
        if f.verdict in (Verdict.BROKEN, Verdict.STALE)
        else f
        for f in report.findings
    )
    return replace(report, findings=findings, outages=(outage,))


def test_an_outage_is_a_banner_once_and_rows_only_say_what_to_do(report: Report) -> None:
    down = _archives_down(report)
    page = HtmlFormatter().render(down)
    assert page.count('class="banner" role="alert"') == 1
    assert "This run could not reach the archives." in page
    assert page.count("CDX: ConnectError") == 1
    assert page.count('<div class="todo">find a new source, or re-run when the archives') == 3
    text = TerminalFormatter().render(down)
    assert text.count("CDX: ConnectError") == 1
    assert "!! No archive could be reached" in text.splitlines()[4]
    assert NOT_LOOKED_UP not in text
    markdown = MarkdownFormatter().render(down)
    assert "> [!WARNING]\n> No archive could be reached \\(CDX: ConnectError\\)." in markdown
    data = json.loads(FORMATS["json"].render(down))
    assert data["outages"] == [
        {"kind": "archives", "message": "No archive could be reached (CDX: ConnectError)."}
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_run_whose_archives_all_fail_reports_one_outage() -> None:
    url = "http://gone.example/report"
    document = Document(
        f'<p>The <a href="{url}">report</a>.</p>',
        DocumentKind.HTML,
        "a.html",
        cited_at=datetime(2020, 1, 1, tzinfo=UTC),
        whole_page=False,
    )
    dead = CheckResult(url, url, Verdict.BROKEN, "http_404", "404", status=404)

    class Cache:  # the check's answer, without a request
        def get(self, key: str) -> CheckResult | None:
            return dead

        def put(self, result: CheckResult) -> None:
            pass

        def put_many(self, results: object) -> None:
            pass

    closed = f"http://127.0.0.1:{_closed_port()}"
    options = AuditOptions(
        archive=ArchiveOptions(wayback_url=closed, timegates=(), connect_timeout=2.0),
        restore_lost=False,
    )
    run = await audit_documents([document], options, Services(cache=Cache()))
    [outage] = run.report.outages
    assert outage.kind is OutageKind.ARCHIVES
    assert "CDX server unreachable" in outage.message
    assert run.report.warnings[0] == outage.message  # still the run's first warning
    assert list(warnings_of(run.report)).count(outage.message) == 0  # but said as the banner
    [finding] = run.report.findings
    assert finding.verdict is Verdict.BROKEN
    assert (
        what_to_do(finding, run.report) == "find a new source, or re-run when the archives answer"
    )


@pytest.mark.parametrize("kind", list(OutageKind))
def test_every_outage_kind_has_a_banner_heading(kind: OutageKind, report: Report) -> None:
    page = HtmlFormatter().render(replace(report, outages=(Outage(kind, "x."),)))
    assert "This run could not reach the" in page


def test_a_lost_link_whose_restoration_could_not_run_says_to_try_again(report: Report) -> None:
    from linkaudit.archive.reach import NOT_RESTORED

    lost = next(f for f in report.findings if f.citation.text == "the original survey")
    failed = replace(lost, restoration=None, archive_note=f"{NOT_RESTORED}: CDX: ConnectError")
    assert what_to_do(failed, report) == "restore it by hand, or re-run when the archives answer"
    assert archive_trouble(failed, report) == f"{NOT_RESTORED}: CDX: ConnectError"
    down = replace(report, outages=(Outage(OutageKind.NETWORK, "No network."),))
    assert archive_trouble(failed, down) == ""  # the banner explains it, once
