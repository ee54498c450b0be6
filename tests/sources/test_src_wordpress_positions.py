"""A WordPress post's citations point at the file, and say where they are in the body.

Extraction sees the decoded ``content.rendered``; an editor opens the JSON file,
where that body is one escaped string (``\\n`` for each newline, ``\\/`` for each
slash).  ``seed.txt:11:121`` used to name a line of the body; now the location is
the file's line and column, with the body's position beside it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.extract import extract
from linkaudit.model import Citation, Document, Finding, Report, Verdict
from linkaudit.report import FORMATS
from linkaudit.report.html import HtmlFormatter
from linkaudit.report.markdown import MarkdownFormatter
from linkaudit.report.terminal import TerminalFormatter
from linkaudit.sources import SourceOptions, load_file
from linkaudit.sources.changed import citations_on_changed_lines
from linkaudit.sources.jsonspan import place_in_file

FIXTURES = Path(__file__).parent / "fixtures"


def _placed(path: Path) -> list[tuple[Document, list[Citation]]]:
    documents = load_file(path, SourceOptions())
    return [(doc, place_in_file(doc, extract(doc))) for doc in documents]


def _at(path: Path, line: int, column: int, length: int) -> str:
    return path.read_text(encoding="utf-8").split("\n")[line - 1][column - 1 : column - 1 + length]


def test_a_post_citation_is_located_in_the_file_and_in_the_body() -> None:
    path = FIXTURES / "wp_post.json"
    [(document, citations)] = _placed(path)
    budget, older = citations
    assert (budget.location.line, budget.location.column) == (12, 58)
    assert _at(path, 12, 58, 22) == "https:\\/\\/port.example"  # escaped, as in the file
    assert (budget.location.body_line, budget.location.body_column) == (1, 40)
    body_line = document.text.split("\n")[0]
    assert body_line[39:58] == "https://port.exampl"
    assert (older.location.line, older.location.column) == (12, 180)
    assert _at(path, 12, 180, 7) == "\\/2021\\"
    assert (older.location.body_line, older.location.body_column) == (2, 22)
    assert older.location.in_text == (2, 22)


def test_each_post_of_an_export_and_a_raw_newline_in_a_string(tmp_path: Path) -> None:
    export = tmp_path / "posts.json"
    export.write_text(
        '[{"content": {"rendered": "<p>caf\\u00e9 <a href=\\"https:\\/\\/a.example\\/x\\">a</a>'
        '</p>"}},\n {"content": {"rendered": "<p>first line\nsecond <a href=\\"https://b.example/'
        '\\">b</a></p>"}}]',
        encoding="utf-8",
    )
    (first, [a]), (second, [b]) = _placed(export)
    assert (a.location.line, a.location.column) == (1, 51)
    assert _at(export, 1, 51, 8) == "https:\\/"
    assert a.location.in_text == (1, 18)  # "caf\\u00e9" is one character in the body
    # a raw newline inside the string (a damaged export): the file's next line
    assert (b.location.line, b.location.column) == (3, 18)
    assert _at(export, 3, 18, 17) == "https://b.example"
    assert b.location.in_text == (2, 17)
    assert first.origin.endswith("[0]")
    assert second.origin.endswith("[1]")


def test_reports_and_changed_lines_use_the_file_position() -> None:
    path = FIXTURES / "wp_post.json"
    [(document, citations)] = _placed(path)
    # --changed-since compares git's lines of the file: the file's line 12 holds the body
    assert citations_on_changed_lines(citations, {path: {12}}) == citations
    assert citations_on_changed_lines(citations, {path: {1, 2}}) == []
    budget = citations[0]
    dead = Finding(budget, Verdict.BROKEN, "http_404", "404")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    report = Report((document,), (dead,), moment, moment)
    where = f"{path}:12:58 (post body 1:40)"
    assert where in TerminalFormatter().render(report)
    assert where in HtmlFormatter().render(report)
    assert where in MarkdownFormatter().render(report)
    [finding] = json.loads(FORMATS["json"].render(report))["findings"]
    assert (finding["citation"]["location"]["line"], finding["citation"]["location"]["column"]) == (
        12,
        58,
    )


def test_the_seed_points_into_its_file() -> None:
    seed = Path("/work/shared/seeds/000_5e9e3ade2d4e8552.txt")
    if not seed.is_file():
        pytest.skip(f"seed not found at {seed}")
    [(_document, citations)] = _placed(seed)
    first = citations[0]
    assert (first.location.line, first.location.column) == (2, 77)
    assert _at(seed, 2, 77, 16) == "floated the idea"
    assert first.location.in_text == (2, 76)
