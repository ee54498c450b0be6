"""Markdown: front matter read minimally, line numbers kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, load_source
from linkaudit.sources.markdown import first_heading, split_front_matter


def test_front_matter(fixtures: Path, options: SourceOptions) -> None:
    path = fixtures / "post.md"
    [doc] = load_source(str(path), options)
    assert doc.kind is DocumentKind.MARKDOWN
    assert doc.whole_page is False
    assert doc.title == "Notes on the estuary survey"
    assert doc.cited_at == datetime(2021, 7, 14, 7, 30, tzinfo=UTC)
    assert doc.cited_at_source == "front matter date"
    assert doc.canonical_url == "https://notes.example.test/estuary-survey/"
    assert doc.base_url == doc.canonical_url
    assert doc.site == "https://notes.example.test"
    source = path.read_text("utf-8")
    # Front matter is blanked, not removed: every line keeps its number.
    assert doc.text.count("\n") == source.count("\n")
    assert doc.text.startswith("\n" * 6 + "\n# A heading")
    assert "canonical_url" not in doc.text
    line = next(i for i, text in enumerate(doc.text.splitlines(), 1) if "[report]" in text)
    assert source.splitlines()[line - 1] == doc.text.splitlines()[line - 1]


def test_title_from_setext_heading_outside_fences(fixtures: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(fixtures / "no_front_matter.md"), options)
    assert doc.title == "Estuary survey, part two"
    assert doc.text == (fixtures / "no_front_matter.md").read_text("utf-8")
    assert doc.base_url is None
    assert doc.cited_at is None


def test_options_override_front_matter(fixtures: Path) -> None:
    when = datetime(2000, 1, 1, tzinfo=UTC)
    opts = SourceOptions(base_url="https://override.test/p", cited_at=when)
    [doc] = load_source(str(fixtures / "post.md"), opts)
    assert (doc.base_url, doc.cited_at, doc.cited_at_source) == (
        "https://override.test/p",
        when,
        "option",
    )


def test_front_matter_edge_cases() -> None:
    assert split_front_matter("---\nno closing rule\n") == ({}, "---\nno closing rule\n")
    fields, text = split_front_matter("---\r\ntitle: 'Q' # c\r\nurl: /relative\r\n...\r\nbody\r\n")
    assert fields == {"title": "Q", "url": "/relative"}
    assert text == "\n\n\n\nbody\r\n"
    assert first_heading("## two\n# One #\n") == "One"
    assert first_heading("~~~\n# no\n~~~\n") is None
