"""Links into the machine or the office network: refused when asked, never leaked.

``--exclude-loopback`` and friends are judged on the address a name resolves to
and on every redirect hop (a public page may redirect to the cloud's metadata
service); the archive stage never sends an internal URL to a public archive.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from linkaudit.addresses import AddressKind, address_kind, internal_name, is_internal
from linkaudit.archive import ArchiveOptions
from linkaudit.check import CheckOptions, check_urls_sync, engine
from linkaudit.check.client import ADDRESS, BlockedAddress, GuardedResolver, SystemResolver
from linkaudit.cli import main
from linkaudit.model import Document, DocumentKind, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

LIVE = "<title>Live</title>" + "<p>Words of the live page, plenty of them.</p>" * 20
EVERYTHING = frozenset(AddressKind)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", AddressKind.LOOPBACK),
        ("127.200.3.4", AddressKind.LOOPBACK),
        ("0.0.0.0", AddressKind.LOOPBACK),
        ("::1", AddressKind.LOOPBACK),
        ("[::1]", AddressKind.LOOPBACK),
        ("::ffff:127.0.0.1", AddressKind.LOOPBACK),
        ("10.1.2.3", AddressKind.PRIVATE),
        ("172.31.255.255", AddressKind.PRIVATE),
        ("192.168.0.10", AddressKind.PRIVATE),
        ("100.64.0.1", AddressKind.PRIVATE),
        ("fd12:3456::1", AddressKind.PRIVATE),
        ("169.254.169.254", AddressKind.LINK_LOCAL),
        ("fe80::1%eth0", AddressKind.LINK_LOCAL),
        ("172.32.0.1", None),
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("example.com", None),
    ],
)
def test_address_kinds(address: str, kind: AddressKind | None) -> None:
    assert address_kind(address) is kind


@pytest.mark.parametrize(
    ("host", "inside"),
    [
        ("intranet", True),
        ("wiki.corp", True),
        ("metadata.google.internal", True),
        ("printer.local", True),
        ("router.home.arpa", True),
        ("localhost", True),
        ("10.0.0.7", True),
        ("example.com", False),
        ("news.example.co.uk", False),
        ("corp.com", False),
        ("8.8.8.8", False),
        ("", False),
    ],
)
def test_internal_by_spelling(host: str, inside: bool) -> None:
    assert is_internal(host) is inside


def test_a_one_label_address_is_not_a_name() -> None:
    assert internal_name("::1") is False  # an address, judged by address_kind


def test_an_excluded_loopback_link_is_skipped_and_never_sent() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/admin", page(LIVE))
        url = site.url("/admin")
        result = check_urls_sync([url], CheckOptions(exclude_addresses=EVERYTHING))[url]
        asked = site.stats.requests
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "private_address")
    assert result.detail == (
        "Not checked: the link leads to 127.0.0.1, a loopback address, which this run excludes."
    )
    assert asked == 0


def test_without_exclusion_the_same_link_is_checked_and_marked_internal() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/admin", page(LIVE))
        url = site.url("/admin")
        result = check_urls_sync([url], CheckOptions())[url]
    assert result.verdict is Verdict.OK
    assert result.internal  # answered from 127.0.0.1: never sent to a public archive


def test_only_the_excluded_kind_is_refused() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page(LIVE))
        url = site.url("/a")
        only_private = CheckOptions(exclude_addresses=frozenset({AddressKind.PRIVATE}))
        result = check_urls_sync([url], only_private)[url]
    assert result.verdict is Verdict.OK


def test_a_name_that_resolves_inside_is_refused_before_any_connection() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        if request.url.path == "/page":
            return httpx.Response(200, html=LIVE)
        return httpx.Response(404, html="<title>Not found</title>")  # soft-404 probes

    resolver = StaticResolver({"wiki.example.com": "10.20.30.40", "public.example.com": "1.2.3.4"})
    results = check_urls_sync(
        ["http://wiki.example.com/page", "http://public.example.com/page"],
        CheckOptions(exclude_addresses=EVERYTHING, max_retries=0),
        resolver=resolver,
        transport=httpx.MockTransport(answer),
    )
    wiki = results["http://wiki.example.com/page"]
    assert (wiki.verdict, wiki.reason) == (Verdict.SKIPPED, "private_address")
    assert "wiki.example.com" in wiki.detail
    assert "10.20.30.40" in wiki.detail
    assert "a private address" in wiki.detail
    assert results["http://public.example.com/page"].verdict is Verdict.OK
    # the transport sees the resolved address; nothing was sent for the wiki
    assert sent
    assert all(url.startswith("http://1.2.3.4/") for url in sent)


def test_a_redirect_to_the_metadata_service_is_not_followed() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        if request.url.host == "169.254.169.254":
            return httpx.Response(200, text="ami-id\ninstance-id\n")
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    url = "http://short.example.com/x"
    result = check_urls_sync(
        [url],
        CheckOptions(exclude_addresses=EVERYTHING, max_retries=0),
        resolver=StaticResolver({"short.example.com": "1.2.3.4"}),
        transport=httpx.MockTransport(answer),
    )[url]
    assert (result.verdict, result.reason) == (Verdict.SKIPPED, "private_address")
    assert result.detail.startswith("Not followed: the redirect from ")
    assert "169.254.169.254" in result.detail
    assert "link-local" in result.detail
    assert sent[0] == "http://1.2.3.4/x"
    assert not any("169.254" in url for url in sent)  # the metadata service was never asked


class TwoAnswers(SystemResolver):
    """The system resolver with a fixed table: a name may have several addresses."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        super().__init__()
        self.table = table

    async def resolve_all(self, host: str) -> list[str]:
        return self.table[host]


def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    guarded = GuardedResolver(
        TwoAnswers(
            {"mixed.example.com": ["1.2.3.4", "192.168.1.1"], "ok.example.com": ["1.2.3.4"]}
        ),
        EVERYTHING,
    )
    with pytest.raises(BlockedAddress) as caught:
        asyncio.run(guarded.resolve("mixed.example.com"))
    assert (caught.value.address, caught.value.kind) == ("192.168.1.1", AddressKind.PRIVATE)
    assert asyncio.run(guarded.resolve("ok.example.com")) == "1.2.3.4"


def test_the_cli_flag_excludes_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page(LIVE))
        (tmp_path / "a.html").write_text(
            f'<article><p><a href="{site.url("/a")}">source</a></p></article>', encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        args = ["check", "a.html", "--no-cache", "--format", "json", "--exclude-loopback"]
        result = CliRunner().invoke(main, args)
        asked = site.stats.requests
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [f["reason"] for f in report["findings"]] == ["private_address"]
    assert asked == 0


class Recording(httpx.AsyncBaseTransport):
    """A public archive's answers (nothing captured); every question kept."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url))
        if "cdx" in request.url.path:
            return httpx.Response(200, json=[], request=request)
        return httpx.Response(200, json={"archived_snapshots": {}}, request=request)


def test_internal_urls_are_never_sent_to_a_public_archive() -> None:
    recording = Recording()
    resolver = StaticResolver(
        {
            "files.example.com": "10.1.1.1",  # answers, from inside
            "intranet.example.net": "10.0.0.9",  # does not answer; its name says inside
            "news.example.org": "93.184.215.14",
        }
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "10.0.0.9":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(404, html="<title>Not found</title>")

    links = [
        "http://intranet.example.net/gone",
        "http://files.example.com/gone",
        "http://news.example.org/gone",
        "http://wiki.corp/gone",  # inside by spelling; never resolves here
    ]
    body = "".join(f'<p><a href="{u}">source {n}</a></p>' for n, u in enumerate(links))
    document = Document(
        f"<article>{body}</article>",
        DocumentKind.HTML,
        "a.html",
        cited_at=datetime(2023, 1, 1, tzinfo=UTC),
    )
    archive = ArchiveOptions(wayback_url="https://web.archive.org", timegates=())
    run = asyncio.run(
        audit_documents(
            [document],
            AuditOptions(archive=archive, check=CheckOptions(max_retries=0)),
            Services(
                resolver=resolver,
                transport=httpx.MockTransport(answer),
                archive_transport=recording,
            ),
        )
    )
    notes = {f.citation.url: f.archive_note for f in run.report.findings}
    sent = "not sent to public archives: {} is inside the network"
    assert notes[links[0]] == sent.format("intranet.example.net")
    assert notes[links[1]] == sent.format("files.example.com")
    assert notes[links[3]] == sent.format("wiki.corp")
    asked = " ".join(recording.asked)
    assert "news.example.org" in asked  # the public link was looked up
    assert "files.example.com" not in asked
    assert "intranet" not in asked
    assert "corp" not in asked


def test_an_archive_inside_the_network_may_be_sent_internal_urls() -> None:
    archive = ArchiveOptions(wayback_url="http://pywb.corp:8080", timegates=())
    assert not archive.reaches_outside
    assert ArchiveOptions(wayback_url="https://web.archive.org").reaches_outside
    gates = ArchiveOptions(wayback_url="http://127.0.0.1:1", timegates=(("x", "https://g.org/"),))
    assert gates.reaches_outside
    assert not gates.wayback_outside


def test_each_answering_address_is_judged_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[str] = []

    def counting(address: str) -> AddressKind | None:
        judged.append(address)
        return address_kind(address)

    monkeypatch.setattr(engine, "address_kind", counting)
    engine._non_public.cache_clear()
    answers = [
        httpx.Response(200, extensions={ADDRESS: address})
        for address in ("10.1.2.3", "93.184.216.34", "10.1.2.3", "93.184.216.34", "127.0.0.1")
    ]
    assert [engine._served_from_inside(r) for r in answers] == [True, False, True, False, True]
    assert judged == ["10.1.2.3", "93.184.216.34", "127.0.0.1"]
