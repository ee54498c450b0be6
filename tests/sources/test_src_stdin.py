"""Inputs without a trustworthy name: stdin and .txt files are sniffed by content."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, load_source, load_stream


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"<!DOCTYPE html><p>x</p>", DocumentKind.HTML),
        (b"  \n<div><a href='https://a.test/'>a</a></div>", DocumentKind.HTML),
        (b"Intro text with <a href='https://a.test/'>a link</a>.", DocumentKind.HTML),
        (b"# Title\n\nSee [a](https://a.test/) and <b>bold</b>.", DocumentKind.MARKDOWN),
        (b"Just words, and https://a.test/ bare.", DocumentKind.MARKDOWN),
        (b'[a](https://a.test/)\n\n    {"link": "x"}\n', DocumentKind.MARKDOWN),
        (b'{"link": "https://w.test/", "content": {"rendered": "<p>x"}}', DocumentKind.WORDPRESS),
        (b'\n[{"content": {"rendered": "<p>x</p>"}}]', DocumentKind.WORDPRESS),
    ],
)
def test_stdin_is_sniffed(data: bytes, kind: DocumentKind, options: SourceOptions) -> None:
    [doc] = load_stream(io.BytesIO(data), "<stdin>", options)
    assert doc.kind is kind
    assert doc.origin in ("<stdin>", "<stdin>[0]")  # a WP list names its items


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch, options: SourceOptions) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"<title>From a pipe</title>")))
    [doc] = load_source("-", options)
    assert (doc.origin, doc.title) == ("<stdin>", "From a pipe")


def test_sniffed_html_honours_its_meta_charset(tmp_path: Path, options: SourceOptions) -> None:
    path = tmp_path / "saved.txt"
    path.write_bytes('<meta charset="windows-1252"><title>\u201cQ\u201d</title>'.encode("cp1252"))
    [doc] = load_source(str(path), options)
    assert (doc.kind, doc.title, doc.encoding) == (DocumentKind.HTML, "\u201cQ\u201d", "cp1252")
    assert doc.warnings == ()


def test_extension_wins_over_content(tmp_path: Path, options: SourceOptions) -> None:
    md = tmp_path / "notes.markdown"
    md.write_text("<p>html-looking markdown</p>\n")
    assert load_source(str(md), options)[0].kind is DocumentKind.MARKDOWN
    html = tmp_path / "page.HTML"
    html.write_text('{"content": {"rendered": "x"}}')
    assert load_source(str(html), options)[0].kind is DocumentKind.HTML
