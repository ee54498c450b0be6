"""apply_edits: splicing by offsets, conflicts and changed sources refused."""

from __future__ import annotations

import pytest

from linkaudit.fix.rewrite import (
    Edit,
    EditConflict,
    SourceMismatch,
    apply_edits,
    escape_attribute,
    sort_edits,
)

TEXT = "<a href='x'>t</a>"


def edit(start: int, end: int, new: str, text: str = TEXT) -> Edit:
    return Edit("doc", start, end, new, text[start:end])


def test_no_edits_is_identity() -> None:
    assert apply_edits(TEXT, []) == TEXT


def test_replacement_and_insertions_touching_it() -> None:
    out = apply_edits(TEXT, [edit(11, 11, " id=y"), edit(9, 10, "z"), edit(12, 12, "!")])
    assert out == "<a href='z' id=y>!t</a>"


def test_edits_are_applied_by_offset_in_any_order() -> None:
    edits = [edit(14, 17, "/b>"), edit(0, 2, "<b")]
    assert apply_edits(TEXT, edits) == "<b href='x'>t</b>"
    assert [e.start for e in sort_edits(edits)] == [0, 14]


@pytest.mark.parametrize(
    ("first", "second"),
    [((9, 10), (9, 11)), ((2, 8), (7, 9)), ((2, 8), (4, 4)), ((5, 5), (5, 5))],
)
def test_overlapping_edits_are_an_error(first: tuple[int, int], second: tuple[int, int]) -> None:
    with pytest.raises(EditConflict):
        apply_edits(TEXT, [edit(*first, "1"), edit(*second, "2")])


def test_changed_source_is_refused() -> None:
    stale = Edit("doc", 9, 10, "new", "q")
    with pytest.raises(SourceMismatch):
        apply_edits(TEXT, [stale])
    with pytest.raises(SourceMismatch):
        apply_edits("short", [Edit("doc", 9, 10, "new", "x")])


def test_edit_validates_its_span() -> None:
    with pytest.raises(ValueError, match="bad edit span"):
        Edit("doc", 5, 4, "", "")
    with pytest.raises(ValueError, match="exactly the replaced text"):
        Edit("doc", 1, 3, "", "x")


def test_attribute_escaping_follows_the_quote() -> None:
    url = """https://x.test/?a=1&copy=2"'<>"""
    assert escape_attribute(url) == "https://x.test/?a=1&amp;copy=2&quot;'&lt;>"
    assert escape_attribute(url, "'") == 'https://x.test/?a=1&amp;copy=2"&#39;&lt;>'
