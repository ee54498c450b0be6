"""HTML: no repair is byte-identical; each repair changes exactly its spans; output still parses."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from linkaudit.extract import extract
from linkaudit.fix.formats import read_source
from linkaudit.fix.plan import Repair
from linkaudit.model import Citation, CitationKind
from tests.fix.helpers import ARCHIVE, by_url, changed_lines, fix, hunks, write

# Odd but real: CRLF line ends, tabs, entities, a comment holding a link, single
# quotes, unquoted and upper-case attributes, a non-ASCII character, no final newline.
PAGE = (
    "<!DOCTYPE html>\r\n<html><head><meta charset=utf-8><title>T &amp; c</title></head>\r\n"
    "<body>\t<article>\r\n"
    '<!-- old: <a href="http://dead.test/x">x</a> -->\r\n'
    "<p>Dead\t<a class=x href='http://dead.test/a?b=1&amp;c=2'   >gone</a> &mdash; caf\u00e9\r\n"
    'moved <A HREF=http://old.test/page#sec TITLE="t">here</A>,\r\n'
    "fine <a href=\"http://ok.test/\" data-note='keep'>ok</a>.</p>\r\n"
    '<p>Lost: recently </span>floated the idea</span></a> that. Empty <a href="">e</a>,'
    " hash <a href='#'>h</a>, none <a class=n>n</a>, bare <a href>b</a>.</p>\r\n"
    '<p><img src="http://dead.test/img.png" alt="i"></p>\r\n'
    "</article></body></html>"
)

RESTORED = "https://restored.test/{}"


def restore(c: Citation) -> str | None:
    return RESTORED.format(c.text.replace(" ", "-"))


MAKE = by_url(
    dead=["dead.test"], moved={"old.test": "https://new.test/page"}, archived_ok=["ok.test"],
    restore=restore,
)  # fmt: skip


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return write(tmp_path, "page.html", PAGE)


def test_no_repairs_is_byte_identical(page: Path) -> None:
    result = fix(page, MAKE)
    assert not result.changed
    assert result.fixed_bytes == page.read_bytes()
    assert result.diff() == ""


def test_no_repairs_even_with_every_finding_actionable(page: Path) -> None:
    """Selecting nothing must not depend on the findings: nothing is planned."""
    assert fix(page, MAKE).plan.edits == ()


def test_replace_dead_changes_only_the_href_value_and_adds_the_original(page: Path) -> None:
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    archived = ARCHIVE + "http://dead.test/a?b=1&c=2"
    expected = PAGE.replace(
        "href='http://dead.test/a?b=1&amp;c=2'   >",
        f"href='{archived.replace('&', '&amp;')}'"
        " data-originalurl='http://dead.test/a?b=1&amp;c=2'   >",
    )
    assert result.fixed_text == expected
    assert hunks(result) == [
        ("http://dead.test/a?b=1&amp;c=2", archived.replace("&", "&amp;")),
        ("", " data-originalurl='http://dead.test/a?b=1&amp;c=2'"),
    ]
    assert changed_lines(result) == [5]
    # The image on the dead host and the link in the comment are left alone.
    assert '<img src="http://dead.test/img.png"' in result.fixed_text
    assert '<!-- old: <a href="http://dead.test/x">' in result.fixed_text


def test_update_moved_quotes_an_unquoted_value_and_keeps_the_fragment(page: Path) -> None:
    result = fix(page, MAKE, Repair.UPDATE_MOVED)
    assert hunks(result) == [("http://old.test/page#sec", '"https://new.test/page#sec"')]
    assert 'HREF="https://new.test/page#sec" TITLE="t"' in result.fixed_text


def test_robust_links_decorate_checked_links_with_an_archive_copy(page: Path) -> None:
    result = fix(page, MAKE, Repair.ROBUST_LINKS)
    version = ARCHIVE + "http://ok.test/"
    assert hunks(result) == [
        ("", " data-originalurl='http://dead.test/a?b=1&amp;c=2' data-versionurl='"
             f"{ARCHIVE}http://dead.test/a?b=1&amp;c=2' data-versiondate='2021-03-04'"),
        ("", f' data-originalurl="http://ok.test/" data-versionurl="{version}"'
             ' data-versiondate="2021-03-04"'),
    ]  # fmt: skip


def test_restore_lost_inserts_the_link_and_sets_empty_hrefs(page: Path) -> None:
    result = fix(page, MAKE, Repair.RESTORE_LOST)
    assert hunks(result) == [
        ("", '<a href="https://restored.test/floated-the-idea">'),
        ("", "https://restored.test/e"),
        ("#", "https://restored.test/h"),
        ("", ' href="https://restored.test/n"'),
        ("", '="https://restored.test/b"'),
    ]
    assert 'recently </span><a href="https://restored.test/floated-the-idea">floated' in (
        result.fixed_text
    )


def test_all_repairs_together_parse_and_re_extract_with_the_new_urls(page: Path) -> None:
    result = fix(page, MAKE, *Repair)
    page.write_bytes(result.fixed_bytes)
    tree = lxml.html.fromstring(result.fixed_bytes)
    hrefs = [a.get("href") for a in tree.iter("a")]
    assert ARCHIVE + "http://dead.test/a?b=1&c=2" in hrefs
    assert "https://new.test/page#sec" in [a.get("href") for a in tree.iter("A", "a")]
    again = extract(read_source(page).documents[0])
    urls = {c.url for c in again if c.kind is CitationKind.LINK}
    assert {
        ARCHIVE + "http://dead.test/a?b=1&c=2",
        "https://new.test/page#sec",
        "https://restored.test/floated-the-idea",
        "https://restored.test/e",
        "https://restored.test/h",
        "https://restored.test/n",
        "https://restored.test/b",
    } <= urls
    assert not [c for c in again if c.kind is CitationKind.LOST]
    # Everything outside the edits is byte-identical: removing the insertions gives PAGE back.
    assert all(old in PAGE for old, _ in hunks(result))
    assert "\r\n" in result.fixed_text
    assert "&mdash; caf\u00e9" in result.fixed_text


def test_existing_robust_attributes_are_updated_not_duplicated(tmp_path: Path) -> None:
    text = (
        '<p><a href="http://ok.test/" data-versionurl="old" data-originalurl="http://orig.test/">'
        "x</a></p>"
    )
    path = write(tmp_path, "a.html", text)
    result = fix(path, by_url(archived_ok=["ok.test"]), Repair.ROBUST_LINKS)
    assert hunks(result) == [
        ("", ' data-versiondate="2021-03-04"'),
        ("old", ARCHIVE + "http://ok.test/"),
    ]
    assert result.fixed_text.count("data-originalurl") == 1


def test_a_changed_href_is_not_rewritten(tmp_path: Path) -> None:
    from dataclasses import replace

    from linkaudit.fix.formats import fix_file
    from tests.fix.helpers import audit_offline

    path = write(tmp_path, "a.html", '<p><a href="http://dead.test/">x</a></p>')
    report = audit_offline(path, by_url(dead=["dead.test"]))
    path.write_text('<p><a href="http://else.test/">x</a></p>')
    stale = replace(report, documents=tuple(replace(d, text="") for d in report.documents))
    result = fix_file(path, stale, {Repair.REPLACE_DEAD})
    assert not result.changed
    assert result.plan.skipped
    assert "changed" in result.plan.skipped[0].why


def test_links_without_an_exact_offset_are_found_by_line_and_url(page: Path) -> None:
    from dataclasses import replace

    from linkaudit.fix.formats import fix_file
    from tests.fix.helpers import audit_offline

    report = audit_offline(page, MAKE)
    unplaced = tuple(
        replace(f, citation=replace(f.citation, location=replace(f.citation.location, offset=None)))
        if f.citation.kind is CitationKind.LINK
        else f
        for f in report.findings
    )
    located = fix_file(page, replace(report, findings=unplaced), {Repair.REPLACE_DEAD})
    assert located.fixed_text == fix(page, MAKE, Repair.REPLACE_DEAD).fixed_text
    assert located.changed
