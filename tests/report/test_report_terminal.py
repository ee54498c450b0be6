"""The terminal report: grouped by severity, colour only on request, inert content."""

from __future__ import annotations

import dataclasses

from linkaudit.model import Report
from linkaudit.report.terminal import TerminalFormatter


def test_grouped_worst_first_with_fixes(report: Report) -> None:
    text = TerminalFormatter().render(report)
    headings = [line for line in text.splitlines() if line and line[0].isupper() and "(" in line]
    order = [h.split(":")[0] for h in headings if ":" in h]
    assert order[:3] == ["LOST", "BROKEN", "STALE"]
    assert order[-1] == "UNREACHABLE"
    assert "articles/sea-level.html:27:41" in text
    assert "broken (http_404): The server answered 404 Not Found." in text
    assert "(captured 2023-04-01, 17 days before citation, wayback)" in text
    assert "fix: update the link to https://data.example.org/tide-gauges/2023" in text
    assert "fix: restore the link to https://survey.example.org/2022/coastal-survey.pdf" in text
    assert "IPCC" not in text  # passing citations are counted, not listed


def test_summary_line(report: Report) -> None:
    last = TerminalFormatter().render(report).rstrip("\n").splitlines()[-1]
    assert last == (
        "15 citations in 2 documents: 2 lost, 2 broken, 1 stale, 1 invalid, 1 insecure, "
        "1 fragment_missing, 1 moved, 1 blocked, 1 unreachable; 1 skipped, 3 ok"
    )


def test_colour_only_when_asked(report: Report) -> None:
    assert "\x1b[" not in TerminalFormatter().render(report)
    assert "\x1b[1;31m" in TerminalFormatter().render(report, color=True)


def test_content_cannot_send_escape_sequences(report: Report) -> None:
    bad = dataclasses.replace(
        report.findings[0],
        citation=dataclasses.replace(
            report.findings[0].citation, text="\x1b[2J\x1b]0;pwned\x07evil\nnext line"
        ),
    )
    hostile = dataclasses.replace(report, findings=(bad, *report.findings[1:]))
    text = TerminalFormatter().render(hostile, color=False)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "“evil next line”" in text  # escape sequences go whole, not just their ESC
