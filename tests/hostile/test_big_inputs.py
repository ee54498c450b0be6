"""Huge and hostile input files: read in bounded memory, or refused in one line."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from linkaudit.extract import context
from linkaudit.sources import SourceOptions
from linkaudit.sources.jsonspan import find_strings
from linkaudit.sources.wordpress import wordpress_documents

from .memory import run_measured

POST_LINK = '<p>See <a href=\\"https://cited.example/a\\">this</a>.</p>'


def test_a_number_beyond_pythons_digit_limit_is_read_as_null_with_a_warning() -> None:
    text = '{"id": ' + "7" * 5000 + ', "content": {"rendered": "' + POST_LINK + '"}}'
    [document] = wordpress_documents(text, origin="post.json", options=SourceOptions())
    assert "https://cited.example/a" in document.text
    assert any("integer of more than 4300 digits read as null" in w for w in document.warnings)


def test_a_number_beyond_the_limit_through_the_cli_is_a_warning_not_a_traceback(
    tmp_path: Path,
) -> None:
    post = tmp_path / "post.json"
    post.write_text('{"id": ' + "7" * 50_000 + ', "content": {"rendered": "' + POST_LINK + '"}}')
    run = run_measured(["extract", str(post), "--format", "json"], tmp_path)
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    [document] = json.loads(run.stdout)["documents"]
    assert document["citations"][0]["url"] == "https://cited.example/a"
    assert "4300 digits" in document["document"]["warnings"][0]


def test_string_positions_are_kept_as_runs_not_one_int_per_character() -> None:
    body = "plain text " * 10_000 + "\\n" + "more " * 10_000 + "\\u00e9" + "end"
    [string] = find_strings('{"content": {"rendered": "' + body + '"}}')
    positions = string.positions
    assert len(positions) == len(string.value) + 1
    assert len(positions._raw) <= 6  # a handful of runs, not 160,000 entries
    opening = len('{"content": {"rendered": "')
    assert positions[0] == opening
    assert positions[110_000] == opening + 110_000  # the escaped newline
    assert positions[110_001] == opening + 110_002
    assert positions[-1] == opening + len(body)


def test_run_positions_agree_with_one_position_per_character() -> None:
    rng = random.Random(7)
    pieces = ["a", "bc", "\\n", '\\"', "\\u00e9", "\\ud83d\\ude00", "\\/", "\\q", "\n", "é"]
    for _ in range(200):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randrange(30)))
        text = '{"content": {"rendered": "' + raw + '"}}'
        [string] = find_strings(text)
        expected, at = [], len('{"content": {"rendered": "')
        for match in re.finditer(r"\\u[dD][89abAB]..\\u....|\\u....|\\.|.", raw, re.S):
            expected.append(at + match.start())
        expected.append(at + len(raw))
        assert list(string.positions) == expected, raw


def test_collapse_of_long_text_matches_the_one_piece_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(context, "COLLAPSE_CHUNK", 7)
    rng = random.Random(3)
    for _ in range(2000):
        text = "".join(rng.choice("ab \n\t") for _ in range(rng.randrange(80)))
        assert context.collapse(text) == re.sub(r"\s+", " ", text).strip(), repr(text)


def test_a_wordpress_post_with_a_6_mb_body_is_read_in_a_few_times_its_size(
    tmp_path: Path,
) -> None:
    """It took ~53 times its size (a tuple of positions, one int per character,
    and ``re.sub`` holding every word); the budget is 12 times, over the baseline."""
    small, big = tmp_path / "small.json", tmp_path / "big.json"
    for path, words in ((small, 10), (big, 1_200_000)):
        body = "<p>" + "word " * words + '<a href="https://cited.example/">x</a></p>'
        path.write_text(json.dumps({"id": 1, "content": {"rendered": body}}))
    baseline = run_measured(["extract", str(small)], tmp_path)
    measured = run_measured(["extract", str(big)], tmp_path)
    assert baseline.code == measured.code == 0, measured.stderr
    size_kb = big.stat().st_size // 1024
    assert measured.peak_kb - baseline.peak_kb < 12 * size_kb, (measured.peak_kb, size_kb)


def test_extract_json_is_built_a_citation_at_a_time_and_matches_one_dump(
    tmp_path: Path,
) -> None:
    from linkaudit.cli import SCHEMA_VERSION, _document_json, _extract_json
    from linkaudit.extract import main_text
    from linkaudit.sources.loader import load_file

    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T \u00e9</title></head><body><article><p>"
        + "".join(
            f'<a href="https://h{i}.example/\u00e9?q=\\"{i}">line\\n {i}</a> ' for i in range(30)
        )
        + "</p></article></body></html>"
    )
    empty = tmp_path / "empty.md"
    empty.write_text("# nothing cited\n")
    results = []
    for path in (page, empty, page):
        for document in load_file(path, SourceOptions()):
            results.append((document, main_text(document)))
    expected = {
        "schema_version": SCHEMA_VERSION,
        "documents": [_document_json(doc, found) for doc, found in results],
    }
    assert _extract_json(results) == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def test_extract_json_of_many_links_stays_near_the_table_in_memory(tmp_path: Path) -> None:
    """The JSON output took ~3 times the table's memory (a dict tree of every citation)."""
    page = tmp_path / "links.html"
    links = "".join(f'<a href="https://h{i % 50}.example/p{i}">l{i}</a> ' for i in range(40_000))
    page.write_text(f"<html><body><p>{links}</p></body></html>")
    table = run_measured(["extract", str(page)], tmp_path)
    as_json = run_measured(["extract", str(page), "--format", "json"], tmp_path)
    assert table.code == as_json.code == 0
    assert as_json.peak_kb < 1.6 * table.peak_kb, (as_json.peak_kb, table.peak_kb)


def test_extract_of_many_links_streams_its_citations_and_its_output_file(
    tmp_path: Path,
) -> None:
    """Pending items were all held until the walk ended, then turned into citations
    (2.55 KB a link over a one-link page); ``-o`` built the whole JSON as one string
    first (4.83 KB a link).  Citations are now made as the walk goes, and ``-o``
    writes a citation at a time, as standard output does."""
    page = tmp_path / "links.html"
    links = "".join(f'<a href="https://h{i % 50}.example/p{i}">l{i}</a> ' for i in range(40_000))
    page.write_text(f"<html><body><p>{links}</p></body></html>")
    tiny = tmp_path / "tiny.html"
    tiny.write_text('<p><a href="https://cited.example/">x</a></p>')
    baseline = run_measured(["extract", str(tiny), "--format", "json"], tmp_path)
    printed = run_measured(["extract", str(page), "--format", "json"], tmp_path)
    written = run_measured(
        ["extract", str(page), "--format", "json", "-o", str(tmp_path / "out.json")], tmp_path
    )
    assert baseline.code == printed.code == written.code == 0, written.stderr
    assert (tmp_path / "out.json").read_text() == printed.stdout
    per_link = [(run.peak_kb - baseline.peak_kb) * 1024 / 40_000 for run in (printed, written)]
    assert max(per_link) < 2_400, per_link


def test_running_out_of_memory_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from linkaudit import cli, extract

    def exhausted(*args: object, **kwargs: object) -> object:
        raise MemoryError

    page = tmp_path / "page.html"
    page.write_text('<a href="https://cited.example/">x</a>')
    monkeypatch.setattr(extract, "main_text", exhausted)  # the extract command's own
    result = CliRunner().invoke(cli.main, ["extract", str(page)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        "linkaudit: error: ran out of memory: the input is too big to audit in the memory "
        "available (see --max-bytes; split the input, or give the process more memory)"
    ]
