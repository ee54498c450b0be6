"""The whole loop on loopback: audit, fix from that report (no requests), re-audit the output.

A real site (``LoopbackServer`` behind a ``StaticResolver``) has a dead page, a
permanently moved one and a live one; the archive stand-in holds a capture of
the dead page.  The repaired article must re-audit with the repaired verdicts:
the dead link now points at a live archive copy and the moved link at its new
address.  No DNS and no internet are involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.check import CheckOptions
from linkaudit.fix.formats import fix_file, read_source, write_new
from linkaudit.fix.plan import Repair
from linkaudit.model import Report, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import Site, page, redirect
from linkaudit.testing.zoo import ARTICLE, StaticResolver, site_with_archive

HOST = "news.fix.test"
CITED = datetime(2020, 6, 1, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[tuple[Site, StaticResolver, ArchiveStandIn]]:
    with site_with_archive(HOST) as (site, resolver, archive):
        site.route("/live", page(ARTICLE))
        site.route("/new", page(ARTICLE))
        site.route("/old", redirect("/new", 301))
        yield site, resolver, archive


def _audit(path: Path, resolver: StaticResolver, archive: ArchiveStandIn) -> Report:
    options = AuditOptions(
        cited_at=CITED,
        check=CheckOptions(max_retries=0, timeout_connect=2.0, timeout_read=2.0),
        archive=archive.options(),
        restore_lost=False,
    )
    documents = read_source(path).documents
    run = asyncio.run(audit_documents(documents, options, Services(resolver=resolver)))
    return run.report


def test_fixed_article_re_audits_with_repaired_verdicts(
    world: tuple[Site, StaticResolver, ArchiveStandIn], tmp_path: Path
) -> None:
    site, resolver, archive = world

    def url(path: str) -> str:
        return site.url(path, host=HOST)

    archive.add_capture(url("/gone"), "20200515120000", 200, body=ARTICLE)
    source = tmp_path / "article.html"
    source.write_text(
        "<html><body><article>\n"
        f"<p>A <a href='{url('/gone')}'>dead</a> source,\n"
        f'a <a href="{url("/old")}">moved</a> one and a <a href={url("/live")}>live</a> one.</p>\n'
        "</article></body></html>\n"
    )
    report = _audit(source, resolver, archive)
    verdicts = {f.citation.url: f.verdict for f in report.findings}
    assert verdicts == {
        url("/gone"): Verdict.BROKEN,
        url("/old"): Verdict.MOVED,
        url("/live"): Verdict.OK,
    }

    requests = site.stats.requests, sum(archive.counts.values())
    result = fix_file(source, report, {Repair.REPLACE_DEAD, Repair.UPDATE_MOVED})
    assert (site.stats.requests, sum(archive.counts.values())) == requests  # fix sends nothing
    fixed = tmp_path / "fixed.html"
    write_new(result, fixed)

    again = _audit(fixed, resolver, archive)
    by_text = {f.citation.text: f for f in again.findings}
    assert by_text["dead"].verdict is Verdict.OK
    assert by_text["dead"].citation.url == f"{archive.base_url}/web/20200515120000/{url('/gone')}"
    assert by_text["moved"].verdict is Verdict.OK
    assert by_text["moved"].citation.url == url("/new")
    assert by_text["live"].citation.url == url("/live")
    assert f"data-originalurl='{url('/gone')}'" in fixed.read_text()
