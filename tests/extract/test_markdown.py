"""Markdown extraction: inline, reference, autolink, image, raw HTML; code is not cited."""

from __future__ import annotations

from pathlib import Path

from linkaudit.extract import extract
from linkaudit.model import Citation, CitationKind, Document, DocumentKind, Verdict

BASE = "https://blog.example.com/posts/p/"


def md(text: str, base: str | None = BASE) -> list[Citation]:
    doc = Document(text=text, kind=DocumentKind.MARKDOWN, origin="post.md", base_url=base)
    return extract(doc)


def test_markdown_fixture(fixtures: Path) -> None:
    text = (fixtures / "post.md").read_text()
    cites = md(text)
    got = [(c.location.line, c.kind, c.url) for c in cites]
    assert got == [
        (3, CitationKind.LINK, "https://one.example.com/a"),
        (3, CitationKind.IMAGE, "https://blog.example.com/posts/p/img/diagram.png"),
        (5, CitationKind.LINK, "https://ref.example.com/target"),
        (5, CitationKind.LINK, "https://auto.example.com/x"),
        (6, CitationKind.TEXT_URL, "https://bare.example.com/b"),
        (6, CitationKind.DOI, "https://doi.org/10.5555/md.42"),
        (17, CitationKind.LINK, "https://raw-html.example.com/"),
        (20, CitationKind.LINK, "https://inline-html.example.com/"),
        (24, CitationKind.LINK, "https://table.example.com/"),
        (26, CitationKind.LINK, "mailto:someone@example.com"),
        (26, CitationKind.LINK, "javascript:alert(1)"),
        (26, CitationKind.LOST, None),
        (26, CitationKind.LOST, None),
    ]
    assert not any("codespan" in (c.url or "") or "fenced" in (c.url or "") for c in cites)
    assert not any("indented" in (c.url or "") for c in cites)
    by_text = {c.text: c for c in cites}
    assert by_text["first link"].context == "Inline first link and an image diagram."
    assert by_text["diagram"].url_as_written == "img/diagram.png"
    assert by_text["reference link"].location.line == 5  # where it is used
    assert by_text["raw HTML link"].element == "a"
    assert by_text["inline anchor"].context == "Inline HTML inline anchor in a paragraph."
    assert by_text["Mail"].reason == "scheme_mailto"
    assert by_text["script"].verdict is Verdict.SKIPPED  # markdown-it would have dropped it
    assert [by_text["empty"].reason, by_text["hash"].reason] == ["empty_href", "placeholder_href"]
    for c in cites:
        if c.location.offset is not None and c.url_as_written:
            assert text[c.location.offset :].startswith(c.url_as_written), c
            line_start = text.rfind("\n", 0, c.location.offset) + 1
            assert c.location.column == c.location.offset - line_start + 1


def test_markdown_columns_for_repeated_urls() -> None:
    text = "[a](https://x.example/) and [b](https://x.example/)\n"
    cites = md(text)
    assert [c.location.column for c in cites] == [5, 33]


def test_markdown_escapes_and_titles() -> None:
    cites = md('[t](<https://x.example/a b> "title") [u](https://y.example/\\(z\\))\n')
    assert [c.url for c in cites] == ["https://x.example/a%20b", "https://y.example/(z)"]


def test_markdown_without_base_keeps_relative_skipped() -> None:
    cites = md("[rel](../other.md) [abs](https://abs.example/)\n", base=None)
    assert [(c.url, c.reason) for c in cites] == [
        ("../other.md", "relative_no_base"),
        ("https://abs.example/", ""),
    ]
