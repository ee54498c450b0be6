"""Markdown: link targets rewritten in the source (inline, autolink, reference definitions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from linkaudit.extract import extract
from linkaudit.fix.formats import read_source
from linkaudit.fix.markdown import encode_destination, markdown_targets
from linkaudit.fix.plan import Repair
from linkaudit.model import CitationKind
from tests.fix.helpers import ARCHIVE, by_url, changed_lines, fix, hunks, write

ARTICLE = """---
title: Rivers
date: 2021-01-02
url: https://blog.test/rivers
---
# Rivers [of 2019](http://dead.test/h)

An *inline* [dead link](http://dead.test/a "The title") and <http://dead.test/auto>,
  a [reference][r1], a [collapsed][] one and [r1] again; [fine](http://ok.test/).
> quoted [moved](<http://old.test/a b>)

| a | b |
|---|---|
| [cell](http://dead.test/c) | [cell](http://dead.test/c) |

Raw <a href='http://dead.test/raw'>html</a> and lost [anchor]().

    [code](http://dead.test/code)

[r1]: http://dead.test/ref  "Ref title"
[collapsed]:
  <http://old.test/coll>
"""

MAKE = by_url(
    dead=["dead.test"],
    moved={"old.test/a": "https://new.test/a(1)", "old.test/coll": "https://new.test/coll"},
    archived_ok=["ok.test"],
    restore=lambda c: "https://restored.test/" + c.text,
)


@pytest.fixture
def article(tmp_path: Path) -> Path:
    return write(tmp_path, "rivers.md", ARTICLE)


def test_no_repairs_is_byte_identical(article: Path) -> None:
    result = fix(article, MAKE)
    assert not result.changed
    assert result.fixed_bytes == article.read_bytes()


def test_replace_dead_rewrites_inline_autolink_and_reference_definitions(article: Path) -> None:
    result = fix(article, MAKE, Repair.REPLACE_DEAD)
    a = ARCHIVE
    assert hunks(result) == [
        ("http://dead.test/h", a + "http://dead.test/h"),
        ("http://dead.test/a", a + "http://dead.test/a"),
        ("http://dead.test/auto", a + "http://dead.test/auto"),
        ("http://dead.test/c", a + "http://dead.test/c"),
        ("http://dead.test/c", a + "http://dead.test/c"),
        ("http://dead.test/raw", a + "http://dead.test/raw"),
        ("", " data-originalurl='http://dead.test/raw'"),
        ("http://dead.test/ref", a + "http://dead.test/ref"),
    ]
    text = result.fixed_text
    assert f'[dead link]({a}http://dead.test/a "The title")' in text
    assert f'[r1]: {a}http://dead.test/ref  "Ref title"' in text
    assert "    [code](http://dead.test/code)" in text  # code is not a link
    assert text.startswith("---\ntitle: Rivers\n")  # front matter kept
    assert changed_lines(result) == [6, 8, 14, 16, 20]


def test_update_moved_keeps_angle_brackets_and_escapes_what_needs_it(article: Path) -> None:
    result = fix(article, MAKE, Repair.UPDATE_MOVED)
    assert hunks(result) == [
        ("http://old.test/a b", "https://new.test/a(1)"),
        ("http://old.test/coll", "https://new.test/coll"),
    ]
    assert "[moved](<https://new.test/a(1)>)" in result.fixed_text
    assert "[collapsed]:\n  <https://new.test/coll>" in result.fixed_text


def test_restore_lost_fills_an_empty_target(article: Path) -> None:
    result = fix(article, MAKE, Repair.RESTORE_LOST)
    assert hunks(result) == [("", "https://restored.test/anchor")]


def test_robust_links_apply_to_raw_html_and_are_reported_for_markdown_links(article: Path) -> None:
    result = fix(article, MAKE, Repair.ROBUST_LINKS)
    assert [old for old, _ in hunks(result)] == [""]  # the raw <a> only
    assert "data-versionurl='" + ARCHIVE + "http://dead.test/raw'" in result.fixed_text
    why = {s.why for s in result.plan.skipped}
    assert any("no attributes" in w for w in why)


def test_output_parses_and_re_extracts_with_the_new_urls(article: Path) -> None:
    result = fix(article, MAKE, *Repair)
    article.write_bytes(result.fixed_bytes)
    tokens = MarkdownIt("commonmark").enable("table").parse(result.fixed_text)
    assert tokens
    again = extract(read_source(article).documents[0])
    links = {c.url for c in again if c.kind is CitationKind.LINK}
    assert {
        ARCHIVE + "http://dead.test/a",
        ARCHIVE + "http://dead.test/auto",
        ARCHIVE + "http://dead.test/ref",
        ARCHIVE + "http://dead.test/raw",
        "https://new.test/a(1)",
        "https://new.test/coll",
        "https://restored.test/anchor",
    } <= links
    originals = {"http://dead.test/" + p for p in ("h", "a", "auto", "c", "raw", "ref")}
    assert not links & originals


def test_a_definition_shared_with_an_image_is_left_and_link_uses_become_inline(
    tmp_path: Path,
) -> None:
    text = "See [the report][r] and ![chart][r].\n\n[r]: http://dead.test/r 'T'\n"
    path = write(tmp_path, "img.md", text)
    result = fix(path, by_url(dead=["dead.test"]), Repair.REPLACE_DEAD)
    assert result.fixed_text == (
        f'See [the report]({ARCHIVE}http://dead.test/r "T") and ![chart][r].\n\n'
        "[r]: http://dead.test/r 'T'\n"
    )


def test_shortcut_reference_converted_when_definition_is_shared(tmp_path: Path) -> None:
    text = "[r] and ![r]\n\n[r]: http://dead.test/r\n"
    path = write(tmp_path, "img.md", text)
    result = fix(path, by_url(dead=["dead.test"]), Repair.REPLACE_DEAD)
    assert result.fixed_text.startswith(f"[r]({ARCHIVE}http://dead.test/r) and ![r]")


def test_crlf_markdown_keeps_its_line_ends(tmp_path: Path) -> None:
    text = "---\r\ntitle: x\r\n---\r\nA [link](http://dead.test/x).\r\n\r\n[d]: http://dead.test/d\r\n[y][d]\r\n"
    path = write(tmp_path, "crlf.md", text)
    result = fix(path, by_url(dead=["dead.test"]), Repair.REPLACE_DEAD)
    expected = text.replace("(http://dead.test/x)", f"({ARCHIVE}http://dead.test/x)")
    expected = expected.replace("[d]: http://", f"[d]: {ARCHIVE}http://")
    assert result.fixed_text == expected


@pytest.mark.parametrize(
    ("url", "kind", "angle", "written", "read_back"),
    [
        ("https://a.test/x_(y)", "inline", False, "https://a.test/x_(y)", None),
        ("https://a.test/x)", "inline", False, "https://a.test/x\\)", None),
        ("https://a.test/a b", "inline", False, "https://a.test/a%20b", "https://a.test/a%20b"),
        ("https://a.test/<x>", "inline", True, "https://a.test/\\<x\\>", None),
        ("https://a.test/?a&amp;b", "inline", False, "https://a.test/?a\\&amp;b", None),
        ("https://a.test/<x> y", "autolink", False, "https://a.test/%3Cx%3E%20y", "same"),
    ],
)
def test_destinations_read_back_as_the_url(
    url: str, kind: str, angle: bool, written: str, read_back: str | None
) -> None:
    encoded = encode_destination(url, kind=kind, angle=angle)
    assert encoded == written
    if kind == "autolink":
        source = f"<{encoded}>"
    else:
        source = f"[t]({'<' if angle else ''}{encoded}{'>' if angle else ''})"
    targets = markdown_targets(source + "\n")
    expected = encoded if read_back == "same" else (read_back or url)
    assert [t.url for t in targets] == [expected]


def test_targets_inside_lists_tables_and_quotes(tmp_path: Path) -> None:
    text = "- item [a](http://x.test/1)\n  more [b](http://x.test/2)\n> > [c](http://x.test/3)\n"
    spans = [(t.start, t.end) for t in markdown_targets(text)]
    assert [text[s:e] for s, e in spans] == [
        "http://x.test/1",
        "http://x.test/2",
        "http://x.test/3",
    ]
