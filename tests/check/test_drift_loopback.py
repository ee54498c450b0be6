"""Content drift end to end on loopback: a live site serves the page as it is now,
the archive stand-in serves the capture the author saw, and ``--drift`` says
whether the cited content is still there.

The pages are real: the shared corpus's WP Tavern article and others, changed the
way ``benchmarks/drift.py`` changes them for each category (see its docstring).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks import drift as bench
from linkaudit.check import CheckOptions
from linkaudit.model import Document, DocumentKind, Finding, Report, Verdict
from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.reasons import Reason
from linkaudit.store import Store
from linkaudit.store.base import CachePolicy
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import Site, page
from linkaudit.testing.zoo import StaticResolver, site_with_archive

HOST = "source.drift.test"
CITED = datetime(2017, 3, 20, tzinfo=UTC)
CAPTURED = "20170310120000"  # on or before the citation date: what the author saw


@pytest.fixture(scope="module")
def pages() -> tuple[bench.Parsed, list[bench.Parsed]]:
    corpus = bench.corpus()
    parsed = [bench.parsed(corpus[name]) for name in sorted(corpus)]
    usable = [p for p in parsed if p is not None]
    main = next(p for p in usable if p.source.name == "corpus/wordpress")
    others = [p for p in usable if p.source.site != main.source.site][:8]
    return main, others


pytestmark = pytest.mark.usefixtures("forget_drift_pages")


@pytest.fixture
def world() -> Iterator[tuple[Site, StaticResolver, ArchiveStandIn]]:
    with site_with_archive(HOST) as parts:
        yield parts


def _archived(site: Site, archive: ArchiveStandIn, path: str, main: bench.Parsed) -> str:
    """``path`` on the cited host, its original page archived before the citation."""
    url = site.url(path, host=HOST)
    archive.add_capture(url, CAPTURED, 200, body=main.source.html)
    return url


def _article(url: str, quote: str | None = None) -> Document:
    body = f'<p>As <a href="{url}">WP Tavern reported</a>, demand changed.</p>'
    if quote is not None:
        body += f'<blockquote cite="{url}"><p>{quote}</p></blockquote>'
    html = f"<html><body><article>{body}</article></body></html>"
    return Document(html, DocumentKind.HTML, "article.html", cited_at=CITED)


def _audit(
    document: Document,
    resolver: StaticResolver,
    archive: ArchiveStandIn | None,
    store: Store | None = None,
    *,
    drift: bool = True,
    first_observations: bool = False,
) -> Report:
    options = AuditOptions(
        check=CheckOptions(max_retries=0, timeout_connect=2.0, timeout_read=2.0),
        archive=archive.options() if archive is not None else None,
        restore_lost=False,
        drift=drift,
        first_observations=first_observations,
    )
    services = Services(resolver=resolver)
    if store is not None:
        services = Services(
            resolver=resolver,
            drift_store=store.drift,
            cache=store.results,
            archive_cache=store.archives,
        )
    return asyncio.run(audit_documents([document], options, services)).report


def _finding(report: Report, kind: str = "a") -> Finding:
    return next(f for f in report.findings if f.citation.element == kind)


@pytest.mark.parametrize("category", bench.CATEGORIES)
def test_every_category_against_an_archived_baseline(
    category: str,
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    main, others = pages
    site, resolver, archive = world
    url = _archived(site, archive, "/2017/03/stack-overflow-jobs", main)
    site.route("/2017/03/stack-overflow-jobs", page(bench.build(category, main, others)))

    found = _finding(_audit(_article(url), resolver, archive))

    assert found.drift is not None
    assert found.drift.baseline == "archive"
    assert found.drift.baseline_url is not None
    assert CAPTURED in found.drift.baseline_url
    if category in bench.DRIFT:
        assert (found.verdict, found.reason) == (Verdict.STALE, Reason.CONTENT_CHANGED)
        assert found.drift.level == "drifted"
        assert found.drift.similarity < 0.5
        assert found.drift.disappeared  # what the reader no longer finds
        assert "main text" in found.detail
    else:
        assert (found.verdict, found.reason) == (Verdict.OK, Reason.OK)
        assert found.drift.level in {"same", "changed"}
        assert found.drift.similarity >= 0.5
    # a capture is fetched as original bytes (id_), never with the toolbar
    assert any(f"{CAPTURED}id_/" in path for _, path, _ in archive.requests)


def _quote_audit(
    live: str,
    quote: str,
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> Finding:
    main, _ = pages
    site, resolver, archive = world
    url = _archived(site, archive, "/quoted", main)
    site.route("/quoted", page(live))
    # the citing author's typography: curly quotes, other spacing and case
    typed = quote.replace("'", "\u2019").upper()
    return _finding(_audit(_article(url, typed), resolver, archive), "blockquote")


def test_a_quote_that_disappears_while_the_rest_stays_is_quote_missing(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    quote, _kept, removed = bench.quote_pair(pages[0])
    found = _quote_audit(removed, quote, pages, world)
    assert (found.verdict, found.reason) == (Verdict.STALE, Reason.QUOTE_MISSING)
    assert found.drift is not None
    assert found.drift.quote == "missing"
    assert found.drift.similarity >= 0.5  # the page as a whole has not drifted


def test_a_quote_still_there_after_edits_elsewhere_is_ok(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    quote, kept, _removed = bench.quote_pair(pages[0])
    found = _quote_audit(kept, quote, pages, world)
    assert found.verdict is Verdict.OK
    assert found.drift is not None
    assert found.drift.quote == "present"


def test_a_passage_never_in_the_baseline_is_a_misquote_not_drift(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    main, others = pages
    foreign, _, _ = bench.quote_pair(others[0])
    found = _quote_audit(main.source.html, foreign, pages, world)
    assert found.verdict is Verdict.OK
    assert found.drift is not None
    assert found.drift.quote == "never_in_baseline"
    assert "misquote" in found.detail


def test_first_observation_is_the_baseline_with_no_archive_request(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
    tmp_path: Path,
) -> None:
    main, others = pages
    site, resolver, archive = world
    url = site.url("/observed", host=HOST)
    live = _changing_page(site, "/observed", main.source.html)
    with Store.open(tmp_path / "cache.sqlite", policy=_no_reuse()) as store:
        # Run 1, before publication: no archive at all; the live page is kept.
        first = _finding(_audit(_article(url), resolver, None, store))
        assert first.verdict is Verdict.OK
        assert store.drift.baseline(url.split("#")[0]) is not None

        # Run 2: lightly edited. Compared with run 1's observation: ok, no archive request.
        live["html"] = bench.build("edited", main, others)
        second = _finding(_audit(_article(url), resolver, archive, store))
        assert second.verdict is Verdict.OK
        assert second.drift is not None
        assert second.drift.baseline == "first_observation"
        assert sum(archive.counts.values()) == 0  # server-side: the archive was never asked

        # Run 3: another article in the same template, and still no archive configured.
        live["html"] = bench.build("swapped", main, others)
        third = _finding(_audit(_article(url), resolver, None, store))
        assert (third.verdict, third.reason) == (Verdict.STALE, Reason.CONTENT_CHANGED)
        assert third.drift is not None
        assert third.drift.baseline == "first_observation"
        assert sum(archive.counts.values()) == 0


def test_an_audit_without_drift_keeps_first_observations_for_later_drift_checks(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
    tmp_path: Path,
) -> None:
    """Before publication the editor runs a plain ``audit`` (no ``--drift``): it keeps
    what each ok page says, so a health run years later compares against what the
    author saw without asking any archive; ``check`` (CI's quick pass) keeps nothing."""
    main, others = pages
    site, resolver, archive = world
    url = site.url("/kept", host=HOST)
    live = _changing_page(site, "/kept", main.source.html)
    key = url.split("#")[0]
    with Store.open(tmp_path / "checked.sqlite", policy=_no_reuse()) as store:
        _audit(_article(url), resolver, None, store, drift=False)
        assert store.drift.baseline(key) is None  # a check keeps no observation
    with Store.open(tmp_path / "cache.sqlite", policy=_no_reuse()) as store:
        plain = _finding(
            _audit(_article(url), resolver, archive, store, drift=False, first_observations=True)
        )
        assert plain.drift is None  # nothing compared in a run without --drift
        first = store.drift.baseline(key)
        assert first is not None
        looked_up = sum(archive.counts.values())

        # Later runs: the first observation stays the one kept (a URL pays the read once).
        live["html"] = bench.build("edited", main, others)
        _audit(_article(url), resolver, archive, store, drift=False, first_observations=True)
        assert store.drift.baseline(key) == first

        # Years later, the page holds another article: a drift run with no archive at
        # all finds it against the first observation.
        live["html"] = bench.build("swapped", main, others)
        later = _finding(_audit(_article(url), resolver, None, store))
    assert (later.verdict, later.reason) == (Verdict.STALE, Reason.CONTENT_CHANGED)
    assert later.drift is not None
    assert later.drift.baseline == "first_observation"
    assert looked_up == 0  # server-side: keeping the observation asked no archive
    assert sum(archive.counts.values()) == 0


def _changing_page(site: Site, path: str, html: str) -> dict[str, str]:
    """Serve ``path`` with whatever ``["html"]`` of the returned dict holds at the time."""
    live = {"html": html}

    async def current(request: object, conn: object) -> None:
        await page(live["html"])(request, conn)  # type: ignore[arg-type]

    site.route(path, current)
    return live


def _no_reuse() -> CachePolicy:
    """Every run checks the page again (the edits between runs must be seen)."""
    return CachePolicy(max_age=timedelta(0), max_age_ok=timedelta(0))


def test_a_warm_run_reuses_the_comparison_without_a_request(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
    tmp_path: Path,
) -> None:
    main, others = pages
    site, resolver, archive = world
    url = _archived(site, archive, "/warm", main)
    site.route("/warm", page(bench.build("gutted", main, others)))
    with Store.open(tmp_path / "cache.sqlite") as store:
        cold = _finding(_audit(_article(url), resolver, archive, store))
        assert cold.reason == Reason.CONTENT_CHANGED
        site_requests, archive_requests = site.stats.requests, sum(archive.counts.values())
        warm = _finding(_audit(_article(url), resolver, archive, store))
    assert (warm.verdict, warm.reason) == (Verdict.STALE, Reason.CONTENT_CHANGED)
    assert warm.drift == cold.drift
    assert site.stats.requests == site_requests  # the check came from the cache
    assert sum(archive.counts.values()) == archive_requests  # nothing looked up or fetched


def test_the_same_validators_reuse_the_last_comparison(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
    tmp_path: Path,
) -> None:
    main, others = pages
    site, resolver, archive = world
    url = _archived(site, archive, "/etag", main)
    etag = (("ETag", '"v1"'),)
    live = {"html": bench.build("tombstone", main, others)}

    async def current(request: object, conn: object) -> None:
        await page(live["html"], headers=etag)(request, conn)  # type: ignore[arg-type]

    site.route("/etag", current)
    with Store.open(tmp_path / "cache.sqlite", policy=_no_reuse()) as store:
        cold = _finding(_audit(_article(url), resolver, archive, store))
        assert cold.reason == Reason.CONTENT_CHANGED
        fetched = site.stats.requests
        # The page is fetched again (no cached check), and answers with the same ETag:
        # the stored comparison stands, even though a server that lies about its
        # validators now serves the original text.
        live["html"] = main.source.html
        warm = _finding(_audit(_article(url), resolver, archive, store))
        assert site.stats.requests > fetched
        assert warm.drift == cold.drift
        # A new ETag: compared afresh, and the page has its text back.
        etag = (("ETag", '"v2"'),)
        fresh = _finding(_audit(_article(url), resolver, archive, store))
    assert fresh.verdict is Verdict.OK
    assert fresh.drift is not None
    assert fresh.drift.level == "same"


def _quoting_sentence(url: str, quote: str) -> Document:
    body = f'<p>As the site put it, \u201c{quote}\u201d (<a href="{url}">WP Tavern</a>).</p>'
    html = f"<html><body><article>{body}</article></body></html>"
    return Document(html, DocumentKind.HTML, "article.html", cited_at=CITED)


@pytest.mark.parametrize("removed", [True, False])
def test_a_quotation_in_the_citing_sentence_is_checked_too(
    removed: bool,
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    main, _ = pages
    site, resolver, archive = world
    quote, kept, gone = bench.quote_pair(main)
    url = _archived(site, archive, "/sentence", main)
    site.route("/sentence", page(gone if removed else kept))
    found = _finding(_audit(_quoting_sentence(url, quote.rstrip(".")), resolver, archive))
    assert found.drift is not None
    if removed:
        assert (found.verdict, found.reason) == (Verdict.STALE, Reason.QUOTE_MISSING)
        assert found.drift.quote == "missing"
    else:
        assert found.verdict is Verdict.OK
        assert found.drift.quote == "present"


def test_a_sentence_quoting_another_source_says_nothing_about_this_one(
    pages: tuple[bench.Parsed, list[bench.Parsed]],
    world: tuple[Site, StaticResolver, ArchiveStandIn],
) -> None:
    main, others = pages
    site, resolver, archive = world
    foreign, _, _ = bench.quote_pair(others[0])
    url = _archived(site, archive, "/other-quote", main)
    site.route("/other-quote", page(main.source.html))
    found = _finding(_audit(_quoting_sentence(url, foreign.rstrip(".")), resolver, archive))
    assert found.verdict is Verdict.OK
    assert found.drift is not None
    assert found.drift.quote == ""
    assert "misquote" not in found.detail
