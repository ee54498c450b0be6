"""The Markdown report: compact, and inert whatever the article contains."""

from __future__ import annotations

import re

from linkaudit.model import Report
from linkaudit.report.markdown import MarkdownFormatter, md_code, md_link, md_text

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_problem_table_has_four_cells_per_row_despite_pipes(report: Report) -> None:
    text = MarkdownFormatter().render(report)
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert len(rows) == 11
    for row in rows:
        assert len(UNESCAPED_PIPE.findall(row)) == 5, row


def test_untrusted_text_is_escaped(report: Report) -> None:
    text = MarkdownFormatter().render(report)
    assert "<b>" not in text
    assert r"\*Tables\* \| \[pipes\] &amp; &lt;b&gt;tags&lt;/b&gt;" in text
    assert "@octocat" not in text  # would ping a GitHub user
    assert "@\u2060octocat" in text
    assert "<details>" in text
    assert "</details>" in text


def test_worst_first_and_passing_not_listed(report: Report) -> None:
    text = MarkdownFormatter().render(report)
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert rows[0].startswith("| **lost**")
    assert rows[-1].startswith("| **unreachable**")
    assert "IPCC" not in text
    assert "| ok | 3 |" in text


def test_fixes_are_given(report: Report) -> None:
    text = MarkdownFormatter().render(report)
    assert "update to [https://data.example.org/tide-gauges/2023]" in text
    assert "restore [https://survey.example.org/2022/coastal-survey.pdf]" in text
    assert "(captured 2023-04-01, 17 days before citation)" in text


def test_only_http_links_are_links() -> None:
    assert md_link("javascript:alert(1)", "x") == "x (`javascript:alert(1)`)"
    assert md_link("data:text/html,<b>", None) == "`data:text/html,<b>`"
    assert md_link("https://a.example/x|y)", "t") == "[t](https://a.example/x%7Cy%29)"
    assert md_link("https://a.example/x y", "t") == "t (`https://a.example/x y`)"


def test_helpers_flatten_and_fence() -> None:
    assert md_text("a\nb\tc") == "a b c"
    assert md_code("a`b") == "``a`b``"
    assert md_code("x|y") == r"`x\|y`"


def test_row_cap_says_how_many_more(report: Report) -> None:
    text = MarkdownFormatter(max_rows=3).render(report)
    assert len([line for line in text.splitlines() if line.startswith("| **")]) == 3
    assert "and 8 more" in text


def test_no_problems(report: Report) -> None:
    clean = Report(
        documents=report.documents,
        findings=tuple(f for f in report.findings if f.verdict.value == "ok"),
        started_at=report.started_at,
        finished_at=report.finished_at,
    )
    assert "No problems found." in MarkdownFormatter().render(clean)


def test_hostile_report_has_no_live_markup_or_script_links(hostile_report: Report) -> None:
    rendered = MarkdownFormatter().render(hostile_report)
    text = re.sub(r"(`+).*?\1", "`code`", rendered)  # code spans show markup as text
    assert "<script" not in text
    assert "<img" not in text
    assert not re.search(r"\]\(\s*(javascript|data|vbscript)", text, re.IGNORECASE)
    assert not re.search(r"\]\([^)]*\t", text)
    # the only raw HTML is ours
    assert set(re.findall(r"<(/?\w+)", text)) == {"details", "/details", "summary", "/summary"}
