"""plan_fixes on hand-built findings: pure, per-repair, and combined repairs on one link."""

from __future__ import annotations

from datetime import UTC, datetime

from linkaudit.fix.plan import Repair, make_plan, plan_fixes
from linkaudit.fix.rewrite import apply_edits
from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Finding,
    Location,
    Report,
    Restoration,
    Verdict,
)

WHEN = datetime(2022, 2, 3, tzinfo=UTC)
TEXT = 'x <a href="http://a.test/">a</a> y </b>lost words</a> z'


def doc() -> Document:
    return Document(text=TEXT, kind=DocumentKind.HTML, origin="t.html")


def link() -> Citation:
    offset = TEXT.index("http://a.test/")
    return Citation(
        "t.html",
        CitationKind.LINK,
        "http://a.test/",
        "http://a.test/",
        "http://a.test/",
        "a",
        "",
        Location(1, offset + 1, 1, offset),
        "a",
        "href",
    )


def lost() -> Citation:
    offset = TEXT.index("lost words")
    return Citation(
        "t.html",
        CitationKind.LOST,
        None,
        None,
        None,
        "lost words",
        "",
        Location(1, offset + 1, 1, offset),
        "a",
        "",
        verdict=Verdict.LOST,
        reason="stripped_link",
    )


def copy(url: str) -> ArchiveCopy:
    return ArchiveCopy("wayback", "https://arch.test/" + url, url, WHEN, 1.0, True)


def report(*findings: Finding) -> Report:
    return Report((doc(),), findings, WHEN, WHEN)


def test_no_repair_plans_nothing() -> None:
    broken = Finding(link(), Verdict.BROKEN, "http_404", "", archive=copy("http://a.test/"))
    assert plan_fixes(report(broken), set()) == []


def test_ok_link_without_an_archive_copy_gets_nothing() -> None:
    fine = Finding(link(), Verdict.OK, "ok", "")
    assert plan_fixes(report(fine), set(Repair)) == []


def test_dead_link_without_copy_is_reported_not_guessed() -> None:
    broken = Finding(link(), Verdict.BROKEN, "http_404", "")
    plan = make_plan(report(broken), {Repair.REPLACE_DEAD})
    assert plan.edits == ()
    assert [s.why for s in plan.skipped] == ["broken, but no archive copy was found"]


def test_restored_link_that_is_dead_now_goes_to_its_archive_copy() -> None:
    restored = "http://r.test/p"
    result = CheckResult(restored, restored, Verdict.BROKEN, "http_404", "")
    finding = Finding(
        lost(),
        Verdict.LOST,
        "stripped_link",
        "",
        result=result,
        archive=copy(restored),
        restoration=Restoration(restored, "e"),
    )
    edits = plan_fixes(
        report(finding), {Repair.RESTORE_LOST, Repair.REPLACE_DEAD, Repair.ROBUST_LINKS}
    )
    out = apply_edits(TEXT, edits)
    assert out == (
        'x <a href="http://a.test/">a</a> y </b><a href="https://arch.test/http://r.test/p"'
        ' data-originalurl="http://r.test/p" data-versionurl="https://arch.test/http://r.test/p"'
        ' data-versiondate="2022-02-03">lost words</a> z'
    )


def test_moved_restoration_uses_the_final_url() -> None:
    restored = "http://r.test/p"
    result = CheckResult(
        restored, restored, Verdict.MOVED, "http_301", "", final_url="https://r.test/q"
    )
    finding = Finding(
        lost(),
        Verdict.LOST,
        "stripped_link",
        "",
        result=result,
        restoration=Restoration(restored, "e"),
    )
    out = apply_edits(TEXT, plan_fixes(report(finding), {Repair.RESTORE_LOST, Repair.UPDATE_MOVED}))
    assert '</b><a href="https://r.test/q">lost words</a>' in out


def test_lost_link_without_restoration_is_reported() -> None:
    finding = Finding(lost(), Verdict.LOST, "stripped_link", "")
    plan = make_plan(report(finding), {Repair.RESTORE_LOST})
    assert plan.edits == ()
    assert plan.skipped[0].what == "lost words"


def test_lost_link_whose_restoration_could_not_run_says_so() -> None:
    """Not "no original URL was recovered": nothing could be asked, so say to try again."""
    finding = Finding(
        lost(),
        Verdict.LOST,
        "stripped_link",
        "",
        archive_note="not restored: CDX server unreachable: ConnectError",
    )
    plan = make_plan(report(finding), {Repair.RESTORE_LOST})
    (skipped,) = plan.skipped
    assert skipped.why == (
        "restoration could not run (CDX server unreachable: ConnectError); "
        "audit again when the archive answers"
    )
    plain = make_plan(
        report(Finding(lost(), Verdict.LOST, "stripped_link", "")), {Repair.RESTORE_LOST}
    )
    assert plain.skipped[0].why == "no original URL was recovered for it"
