"""The HTML report of a very large run stays a page a browser can open."""

from __future__ import annotations

import re
from dataclasses import replace

from linkaudit.model import Finding, Report, Verdict
from linkaudit.report.html import HtmlFormatter
from tests.report.report_fixtures import build_report


def _many(report: Report, copies: int) -> Report:
    findings: list[Finding] = []
    for n in range(copies):
        for finding in report.findings:
            location = replace(finding.citation.location, line=finding.citation.location.line + n)
            findings.append(replace(finding, citation=replace(finding.citation, location=location)))
    return replace(report, findings=tuple(findings))


def test_rows_past_the_cap_are_left_off_with_a_note_and_problems_first() -> None:
    report = _many(build_report(), 20)
    total = len(report.findings)
    problems = sum(1 for f in report.findings if f.verdict not in (Verdict.OK, Verdict.SKIPPED))
    cap = problems + 3
    html = HtmlFormatter(max_rows=cap).render(report)
    assert html.count("<tbody") == cap
    note = re.search(r'<p class="warnings" id="left-out">([^<]*)</p>', html)
    assert note is not None
    assert f"{total - cap:,} more citations are not on this page" in note.group(1)
    assert "JSON and CSV reports list every citation" in note.group(1)
    # every problem is on the page: only ok/skipped rows were cut
    assert "broken" not in note.group(1)
    assert "lost" not in note.group(1)


def test_small_runs_show_every_row_and_no_note() -> None:
    report = build_report()
    html = HtmlFormatter().render(report)
    assert html.count("<tbody") == len(report.findings)
    assert 'id="left-out"' not in html
