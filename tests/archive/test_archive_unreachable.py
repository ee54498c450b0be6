"""Archives that cannot be reached: asked once each, said once, never cached.

The archive client's transport refuses every connection (as offline, or behind a
firewall) and counts what was attempted; the cited pages answer from loopback.
Before, each of the 70 lookups waited on the archive's polite rate to fail the
same way, and every finding carried the same multi-line error.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

from linkaudit.archive import ArchiveOptions
from linkaudit.archive.reach import NOT_LOOKED_UP
from linkaudit.check import CheckOptions
from linkaudit.model import Document, DocumentKind, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.report import FORMATS
from linkaudit.store import Store
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

HOST = "cited.test"


class Refusing(httpx.AsyncBaseTransport):
    """Every connection refused; attempts counted per host."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts[request.url.host] += 1
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def article(port: int) -> Document:
    links = "".join(
        f'<p>Finding {n}: <a href="http://{HOST}:{port}/{"dead" if n % 2 else "live"}/{n}">'
        f"source {n}</a>.</p>"
        for n in range(70)
    )
    html = (
        "<html><head><title>A story</title></head><body><article>"
        f"{links}<p>Someone <a>floated the idea</a> too.</p></article></body></html>"
    )
    return Document(
        html,
        DocumentKind.HTML,
        "story.html",
        canonical_url="https://news.example/story",
        base_url="https://news.example/story",
        cited_at=datetime(2023, 4, 18, tzinfo=UTC),
    )


def test_unreachable_archives_are_asked_once_said_once_and_not_cached(tmp_path: Path) -> None:
    refusing = Refusing()
    options = ArchiveOptions(
        wayback_url="https://wayback.test",
        timegates=(("mirror", "https://gate.test/timegate/"),),
        requests_per_minute=6,  # a real budget: 70 failing lookups would take minutes
        burst=1,
    )
    with LoopbackServer() as server, Store.open(tmp_path / "cache.sqlite") as store:
        site = server.add_site("127.0.0.1")
        for n in range(70):
            site.route(f"/live/{n}", page(f"<title>Live {n}</title><p>Fine page {n}.</p>"))
            site.route(f"/dead/{n}", page("gone", status=404))
        run = asyncio.run(
            audit_documents(
                [article(site.port)],
                AuditOptions(archive=options, check=CheckOptions(max_retries=0)),
                Services(
                    resolver=StaticResolver({HOST: "127.0.0.1"}),
                    archive_transport=refusing,
                    archive_cache=store.archives,
                ),
            )
        )
        stored = [
            store.archives.get(f.citation.url or "", "2023-04-18") for f in run.report.findings
        ]
    assert refusing.attempts == {"wayback.test": 1, "gate.test": 1}
    report = run.report
    banner = report.warnings[0]
    assert banner.startswith("archives unreachable: no archived copies, lost links not restored")
    assert "Wayback Machine: CDX server unreachable: ConnectError" in banner
    assert "mirror: TimeGate mirror unreachable: ConnectError" in banner
    assert sum("archives unreachable" in w for w in report.warnings) == 1
    dead = [f for f in report.findings if f.verdict is Verdict.BROKEN]
    assert len(dead) == 35
    assert {f.archive_note for f in dead} == {NOT_LOOKED_UP}  # short, not the error again
    (lost,) = [f for f in report.findings if f.verdict is Verdict.LOST]
    assert lost.archive_note == "not restored: CDX server unreachable: ConnectError"
    assert stored == [None] * len(stored)  # nothing cached: the next run asks again
    for name in ("html", "markdown", "terminal"):
        text = FORMATS[name].render(report, color=False)
        assert text.count("archives unreachable: no archived copies") == 1, name
        assert text.index("archives unreachable") < text.index("source 1"), name
