"""The CSV report: one row per citation, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from linkaudit.model import Report
from linkaudit.report.csv_format import COLUMNS, CsvFormatter, guard_cell


def rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(CsvFormatter().render(report), newline="")))


def test_one_row_per_citation_with_all_columns(report: Report) -> None:
    data = rows(report)
    assert len(data) == len(report.findings) == 15
    assert tuple(data[0]) == COLUMNS
    assert CsvFormatter().render(report).count("\r\n") == 16


def test_values(report: Report) -> None:
    by_line = {(r["document"], r["line"]): r for r in rows(report)}
    broken = by_line[("articles/sea-level.html", "27")]
    assert broken["verdict"] == "broken"
    assert broken["status"] == "404"
    assert broken["archive_captured_at"] == "2023-04-01T08:30:00Z"
    moved = by_line[("articles/sea-level.html", "20")]
    assert moved["final_url"] == "https://data.example.org/tide-gauges/2023"
    lost = by_line[("articles/sea-level.html", "75")]
    assert lost["url"] == ""
    assert lost["restored_url"] == "https://survey.example.org/2022/coastal-survey.pdf"
    pipes = by_line[("notes/reading-list.md", "3")]
    assert pipes["anchor_text"] == "*Tables* | [pipes] & <b>tags</b> @octocat"


def test_formula_injection_is_guarded(report: Report) -> None:
    cells = [cell for row in rows(report) for cell in row.values()]
    assert not any(cell[:1] in {"=", "+", "-", "@"} for cell in cells)
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)


def test_guard_cell() -> None:
    assert guard_cell("=1+1") == "'=1+1"
    assert guard_cell("+1") == "'+1"
    assert guard_cell("-1") == "'-1"
    assert guard_cell("@SUM(A1)") == "'@SUM(A1)"
    assert guard_cell("\t=1") == "'\t=1"
    assert guard_cell("a=1") == "a=1"
