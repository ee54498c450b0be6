"""Page-supplied text in reports: inert in Markdown, on a terminal, in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest

from linkaudit.cli import _citation_row
from linkaudit.model import Citation, CitationKind, Location, Report
from linkaudit.report.base import one_line
from linkaudit.report.csv_format import CsvFormatter, guard_cell
from linkaudit.report.markdown import MarkdownFormatter, md_text
from tests.report.report_fixtures import build_report

cmarkgfm = pytest.importorskip("cmarkgfm")

HOSTILE_ANCHORS = (
    "visit www.evil.example now",
    "see https://evil.example/login",
    "HTTP://EVIL.EXAMPLE/upper",
    "ftp://evil.example/file",
    "write to admin@evil.example",
    "x](https://evil.example/) and [y](javascript:alert(1))",
    "<https://evil.example/angle>",
    "pipe | in `code` and ``double``",
)


def _links(html: str) -> list[str]:
    return re.findall(r"<a [^>]*href=\"([^\"]*)\"", html)


@pytest.mark.parametrize("text", HOSTILE_ANCHORS)
def test_untrusted_text_makes_no_link_on_github(text: str) -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(md_text(text))
    assert _links(html) == [], html


def test_the_markdown_report_links_only_what_linkaudit_links(report: Report) -> None:
    """Anchor text, details and titles from hostile pages add no link of their own."""
    findings = []
    for finding, text in zip(report.findings, HOSTILE_ANCHORS * 10, strict=False):
        citation = replace(finding.citation, text=text, context=text)
        findings.append(replace(finding, citation=citation, detail=text))
    hostile = replace(report, findings=tuple(findings))
    plain = MarkdownFormatter().render(report)
    rendered = MarkdownFormatter().render(hostile)
    ours = set(_links(cmarkgfm.github_flavored_markdown_to_html(plain)))
    theirs = set(_links(cmarkgfm.github_flavored_markdown_to_html(rendered)))
    assert theirs <= ours, theirs - ours


@pytest.fixture
def report() -> Report:
    return build_report()


ESCAPES = (
    "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned\x07 "
    "\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\ \x9b31mc1\x07\x08"
)


def test_terminal_text_loses_escape_sequences_whole() -> None:
    assert one_line(ESCAPES) == "red x c1"


def test_the_extract_table_prints_no_control_characters() -> None:
    citation = Citation(
        document="evil\x1b[2J.html",
        kind=CitationKind.LINK,
        url_as_written="https://e.example/\x1b]0;t\x07a",
        url="https://e.example/a",
        key="https://e.example/a",
        text=ESCAPES,
        context="",
        location=Location(1, 1),
    )
    row = _citation_row(citation)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", row), repr(row)
    assert "red x c1" in row


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\uff1d1+1",
        "\uff0b1",
        "\uff0d1",
        "\uff20A1",
        "\t=1",
        "\r=1",
        "\n=1",
        "  =1",
    ],
)
def test_formula_starts_are_guarded_full_width_included(cell: str) -> None:
    assert guard_cell(cell).startswith("'")


def test_the_csv_report_guards_full_width_anchor_text(report: Report) -> None:
    first = report.findings[0]
    hostile = replace(
        report,
        findings=(replace(first, citation=replace(first.citation, text="\uff1dHYPERLINK(1)")),),
    )
    rows = list(csv.reader(io.StringIO(CsvFormatter().render(hostile))))
    assert rows[1][rows[0].index("anchor_text")] == "'\uff1dHYPERLINK(1)"
