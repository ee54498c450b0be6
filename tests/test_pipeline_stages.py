"""Each stage of ``audit_documents`` on its own, over plain data: dating, finding
building, checking (through an injected transport), restoring, archive lookups
(against the loopback archive stand-in) and the shared archive session."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from linkaudit.archive import ArchiveSession
from linkaudit.check import CheckOptions
from linkaudit.model import (
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Restoration,
    Verdict,
)
from linkaudit.pipeline import (
    AuditOptions,
    Checked,
    Restored,
    Services,
    build_findings,
    check_citations,
    citation_dates,
    find_archived_copies,
    restore_links,
)
from linkaudit.testing.archive import ArchiveStandIn

NOW = datetime(2026, 3, 1, tzinfo=UTC)
CITED = datetime(2019, 5, 1, tzinfo=UTC)


def doc(origin: str, cited_at: datetime | None = CITED) -> Document:
    return Document("", DocumentKind.HTML, origin, cited_at=cited_at)


def link(document: str, url: str, line: int = 1) -> Citation:
    return Citation(document, CitationKind.LINK, url, url, url, "text", "", Location(line, 1))


def lost(document: str, line: int = 2) -> Citation:
    return Citation(
        document,
        CitationKind.LOST,
        None,
        None,
        None,
        "floated the idea",
        "",
        Location(line, 1),
        verdict=Verdict.LOST,
        reason="stripped_link",
    )


def result(key: str, verdict: Verdict = Verdict.BROKEN, reason: str = "http_404") -> CheckResult:
    return CheckResult(key, key, verdict, reason, f"{verdict.value}: {reason}", status=404)


def test_citation_dates_prefer_the_override_and_name_the_undated() -> None:
    extracted = [(doc("a.html"), []), (doc("b.html", None), []), (doc("c.html", None), [])]
    targets, warnings = citation_dates(extracted, AuditOptions(), NOW)
    assert targets == {"a.html": CITED, "b.html": NOW, "c.html": NOW}
    assert warnings == [
        "2 documents have no citation date (b.html, c.html); archive copies for them "
        "are chosen nearest to now (use --cited-at)"
    ]
    forced = datetime(2020, 1, 1, tzinfo=UTC)
    targets, warnings = citation_dates(extracted, AuditOptions(cited_at=forced), NOW)
    assert set(targets.values()) == {forced}
    assert warnings == []


def test_findings_carry_results_restorations_and_offline_runs() -> None:
    extracted = [(doc("a.html"), [link("a.html", "https://x.example/"), lost("a.html")])]
    restored = Restoration("https://y.example/gone", "https://web.archive.org/web/1/a")
    checked = Checked(
        {
            "https://x.example/": result("https://x.example/", Verdict.OK, "http_200"),
            "https://y.example/gone": result("https://y.example/gone"),
        },
        {(0, 1): "https://y.example/gone"},
    )
    ok, gone = build_findings(extracted, checked, Restored({(0, 1): restored}))
    assert (ok.verdict, ok.reason) == (Verdict.OK, "http_200")
    assert gone.verdict is Verdict.LOST
    assert gone.restoration == restored
    assert gone.result is not None
    assert "which is now broken (http_404)" in gone.detail
    (offline,) = build_findings(
        [(doc("a.html"), [link("a.html", "https://x.example/")])], Checked({}, {}), Restored()
    )
    assert (offline.verdict, offline.reason) == (Verdict.SKIPPED, "offline")


async def test_check_citations_checks_each_url_once_restored_ones_included() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(404 if "gone" in str(request.url) else 204, request=request)

    extracted = [
        (doc("a.html"), [link("a.html", "http://x.test/"), link("a.html", "http://x.test/", 2)]),
        (doc("b.html"), [lost("b.html")]),
    ]
    restorations = Restored(
        {(1, 0): Restoration("http://y.test/gone", "https://web.archive.org/web/1/b")}
    )
    options = AuditOptions(check=CheckOptions(max_retries=0, soft404=False))
    services = Services(transport=httpx.MockTransport(answer))
    checked = await check_citations(extracted, restorations, options, services)
    assert sorted(checked.results) == ["http://x.test/", "http://y.test/gone"]
    assert checked.restored_keys == {(1, 0): "http://y.test/gone"}
    assert checked.results["http://y.test/gone"].verdict is Verdict.BROKEN
    assert sorted(set(asked)) == ["http://x.test/", "http://y.test/gone"]
    offline = await check_citations(
        extracted, restorations, replace(options, offline=True), services
    )
    assert offline.results == {}


async def test_restoring_needs_a_session_and_the_option() -> None:
    extracted = [(doc("a.html"), [lost("a.html")])]
    assert await restore_links(extracted, AuditOptions(), None) == Restored()
    with ArchiveStandIn() as stand_in:
        session = ArchiveSession.open(stand_in.options())
        try:
            off = AuditOptions(restore_lost=False)
            assert await restore_links(extracted, off, session) == Restored()
        finally:
            await session.aclose()
        assert stand_in.counts == {}


async def test_archive_lookups_aim_at_each_documents_date_and_skip_what_is_fine() -> None:
    with ArchiveStandIn() as stand_in:
        stand_in.add_capture("https://x.example/dead", "20190420000000")
        stand_in.add_capture("https://x.example/dead", "20250101000000")
        extracted = [
            (
                doc("a.html"),
                [link("a.html", "https://x.example/dead"), link("a.html", "https://x.example/ok")],
            )
        ]
        checked = Checked(
            {
                "https://x.example/dead": result("https://x.example/dead"),
                "https://x.example/ok": result("https://x.example/ok", Verdict.OK, "http_200"),
            },
            {},
        )
        findings = build_findings(extracted, checked, Restored())
        session = ArchiveSession.open(stand_in.options())
        try:
            found = await find_archived_copies(
                findings, {"a.html": CITED}, AuditOptions(), session, None
            )
        finally:
            await session.aclose()
    dead, ok = found
    assert dead.archive is not None
    assert dead.archive.captured_at == datetime(2019, 4, 20, tzinfo=UTC)  # before, nearest
    assert ok.archive is None
    assert ok.archive_note == ""  # fine links are not looked up


async def test_the_session_takes_its_transport_when_built() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(218, request=request)

    with ArchiveStandIn() as stand_in:
        options = stand_in.options(user_agent="Archivist/1")
    session = ArchiveSession.open(options, httpx.MockTransport(answer))
    try:
        response = await session.client.get("http://archive.test/")
    finally:
        await session.aclose()
    assert response.status_code == 218
    assert seen == ["Archivist/1"]
    assert set(session.timegates) == {"standin"}


@pytest.mark.parametrize("save", [False, True])
async def test_saving_is_asked_only_when_wanted(save: bool) -> None:
    from linkaudit.pipeline import audit_documents

    with ArchiveStandIn() as stand_in:
        options = AuditOptions(archive=stand_in.options(), save=save, restore_lost=False)
        run = await audit_documents([doc("a.html")], options, Services())
    assert run.saves == ()
    assert run.report.settings["save"] is save
