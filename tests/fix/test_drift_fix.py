"""``fix --replace-drifted``: a link whose page drifted points at the archived version
that was cited, byte-exact elsewhere; ``--replace-dead`` leaves it alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import drift as bench
from linkaudit.check import CheckOptions
from linkaudit.fix.formats import fix_file, read_source, write_new
from linkaudit.fix.plan import Repair
from linkaudit.model import Report, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.reasons import Reason
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import Site, page
from linkaudit.testing.zoo import StaticResolver, site_with_archive

HOST = "news.drift-fix.test"
CITED = datetime(2017, 3, 20, tzinfo=UTC)
CAPTURED = "20170310120000"


pytestmark = pytest.mark.usefixtures("forget_drift_pages")


@pytest.fixture
def world() -> Iterator[tuple[Site, StaticResolver, ArchiveStandIn]]:
    with site_with_archive(HOST) as parts:
        yield parts


def _audit(path: Path, resolver: StaticResolver, archive: ArchiveStandIn) -> Report:
    options = AuditOptions(
        cited_at=CITED,
        check=CheckOptions(max_retries=0, timeout_connect=2.0, timeout_read=2.0),
        archive=archive.options(),
        restore_lost=False,
        drift=True,
    )
    documents = read_source(path).documents
    return asyncio.run(audit_documents(documents, options, Services(resolver=resolver))).report


def _replace_drifted(source: Path, report: Report) -> str:
    """The article ``fix --replace-drifted`` writes next to ``source``."""
    out = source.with_name("fixed.html")
    write_new(fix_file(source, report, {Repair.REPLACE_DRIFTED}), out)
    return out.read_text()


def test_replace_drifted_points_at_the_version_cited_and_changes_nothing_else(
    world: tuple[Site, StaticResolver, ArchiveStandIn], tmp_path: Path
) -> None:
    site, resolver, archive = world
    corpus = bench.corpus()
    main = bench.parsed(corpus["corpus/wordpress"])
    other = bench.parsed(corpus["corpus/aclu"])
    assert main is not None
    assert other is not None
    drifted, same = site.url("/drifted", host=HOST), site.url("/same", host=HOST)
    archive.add_capture(drifted, CAPTURED, 200, body=main.source.html)
    archive.add_capture(same, CAPTURED, 200, body=main.source.html)
    site.route("/drifted", page(bench.build("swapped", main, [other])))
    site.route("/same", page(bench.build("edited", main, [other])))
    source = tmp_path / "article.html"
    original = (
        "<html><body><article>\n"
        f"<p>Demand <a  href='{drifted}' class=x>rose</a>, as\n"
        f'<a href="{same}">another report</a> said.</p>\n'
        "</article></body></html>\n"
    )
    source.write_text(original)
    report = _audit(source, resolver, archive)
    by_text = {f.citation.text: f for f in report.findings}
    assert (by_text["rose"].verdict, by_text["rose"].reason) == (
        Verdict.STALE,
        Reason.CONTENT_CHANGED,
    )
    assert by_text["another report"].verdict is Verdict.OK

    untouched = fix_file(source, report, {Repair.REPLACE_DEAD})
    assert not untouched.plan.edits  # drift is not death: --replace-dead leaves it

    capture = f"{archive.base_url}/web/{CAPTURED}/{drifted}"
    expected = original.replace(
        f"href='{drifted}'", f"href='{capture}' data-originalurl='{drifted}'"
    )
    assert _replace_drifted(source, report) == expected


def test_replace_drifted_points_a_quotations_cite_at_the_version_quoted(
    world: tuple[Site, StaticResolver, ArchiveStandIn], tmp_path: Path
) -> None:
    """A ``<blockquote cite>`` whose passage is gone from the live page (quote_missing):
    its ``cite`` is the citation, so it is what points at the archived version."""
    site, resolver, archive = world
    main = bench.parsed(bench.corpus()["corpus/wordpress"])
    assert main is not None
    quote, _kept, removed = bench.quote_pair(main)
    quoted = site.url("/quoted", host=HOST)
    archive.add_capture(quoted, CAPTURED, 200, body=main.source.html)
    site.route("/quoted", page(removed))
    source = tmp_path / "article.html"
    original = (
        "<html><body><article>\n"
        f'<p>As <a href="{quoted}">the post</a> put it:</p>\n'
        f"<blockquote cite='{quoted}'><p>{quote}</p></blockquote>\n"
        "</article></body></html>\n"
    )
    source.write_text(original)
    report = _audit(source, resolver, archive)
    by_element = {f.citation.element: f for f in report.findings}
    assert (by_element["blockquote"].verdict, by_element["blockquote"].reason) == (
        Verdict.STALE,
        Reason.QUOTE_MISSING,
    )
    assert by_element["a"].verdict is Verdict.OK  # the page as a whole has not drifted

    capture = f"{archive.base_url}/web/{CAPTURED}/{quoted}"
    expected = original.replace(f"cite='{quoted}'", f"cite='{capture}' data-originalurl='{quoted}'")
    assert _replace_drifted(source, report) == expected
