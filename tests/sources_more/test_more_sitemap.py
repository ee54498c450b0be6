"""Sitemaps and sitemap indexes, nested and gzipped, served on loopback."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from linkaudit.errors import InputError
from linkaudit.model import DocumentKind
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.sitemap import load_sitemap, parse_sitemap

from .conftest import Handler, LoopbackServer, Request, Response

Serve = Callable[[Handler], LoopbackServer]
OPTIONS = SourceOptions(timeout=5)
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _index(*locs: str) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{head}<sitemapindex {NS}>{items}</sitemapindex>".encode()


def _urlset(*entries: tuple[str, str | None]) -> bytes:
    items = "".join(
        f"<url><loc>{loc}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>"
        for loc, mod in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {NS}>{items}</urlset>'.encode()


def _page(n: int, published: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f"<!doctype html><html><head><title>Article {n}</title>{meta}</head><body>"
        f'<article><p>Cites <a href="https://cited.example.org/{n}">a source</a>.</p>'
        "</article></body></html>"
    ).encode()


class FakeSite:
    """A site whose sitemap index nests another index, a gzip file, and a loop."""

    def __init__(self) -> None:
        self.base = ""
        self.files: dict[str, Response] = {}

    def build(self, base: str) -> None:
        self.base = base
        xml = {"Content-Type": "application/xml"}
        self.files["/sitemap_index.xml"] = Response(
            200, _index(f"{base}/posts-index.xml", f"{base}/pages.xml.gz"), xml
        )
        # An index inside the index, which also lists the top index again (a loop).
        self.files["/posts-index.xml"] = Response(
            200, _index(f"{base}/posts-1.xml", f"{base}/sitemap_index.xml"), xml
        )
        # Compressed by the server in transit (Content-Encoding), decoded by httpx.
        posts = _urlset(
            (f"{base}/post/1", "2021-03-04"),
            (f"{base}/post/2", "2021-05-06T07:08:09+00:00"),
            (f"{base}/post/3", None),
            (f"{base}/post/1", "2021-03-04"),  # listed twice: fetched once
            (f"{base}/gone", None),
        )
        self.files["/posts-1.xml"] = Response(
            200, gzip.compress(posts), {**xml, "Content-Encoding": "gzip"}
        )
        # A .xml.gz file served as an opaque download: gunzipped by its magic bytes.
        pages = _urlset(
            (f"{base}/about", "2022-01-02"),
            (f"{base}/report.pdf", None),
            (f"{base}/old-about", None),
        )
        self.files["/pages.xml.gz"] = Response(
            200, gzip.compress(pages), {"Content-Type": "application/octet-stream"}
        )
        html = {"Content-Type": "text/html; charset=utf-8"}
        self.files["/post/1"] = Response(200, _page(1), html)
        self.files["/post/2"] = Response(200, _page(2, "2020-12-25T10:00:00Z"), html)
        self.files["/post/3"] = Response(200, _page(3), html)
        self.files["/about"] = Response(200, _page(4), html)
        self.files["/report.pdf"] = Response(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})
        self.files["/old-about"] = Response(301, b"", {"Location": f"{base}/about"})

    def __call__(self, request: Request) -> Response:
        return self.files.get(request.path, Response(404, b"not found"))


@pytest.fixture
def site(serve: Serve) -> tuple[FakeSite, LoopbackServer]:
    fake = FakeSite()
    server = serve(fake)
    fake.build(server.base)
    return fake, server


async def test_nested_gzipped_looping_sitemaps(site: tuple[FakeSite, LoopbackServer]) -> None:
    _, server = site
    base = server.base
    documents, warnings = await load_sitemap(f"{base}/sitemap_index.xml", OPTIONS)
    assert [d.origin for d in documents] == [
        f"{base}/post/1",
        f"{base}/post/2",
        f"{base}/post/3",
        f"{base}/about",
        f"{base}/old-about",
    ]
    assert all(d.kind is DocumentKind.HTML and d.whole_page for d in documents)
    by_origin = {d.origin: d for d in documents}
    # <lastmod> is only a fallback: the page's own date wins.
    post1, post2, post3 = (by_origin[f"{base}/post/{n}"] for n in (1, 2, 3))
    assert post1.cited_at == datetime(2021, 3, 4, tzinfo=UTC)
    assert post1.cited_at_source == "sitemap lastmod"
    assert post2.cited_at == datetime(2020, 12, 25, 10, tzinfo=UTC)
    assert post2.cited_at_source == "article:published_time"
    assert post3.cited_at is None
    assert post1.title == "Article 1"
    assert post1.base_url == f"{base}/post/1"
    assert "https://cited.example.org/1" in post1.text
    moved = by_origin[f"{base}/old-about"]
    assert moved.base_url == f"{base}/about"
    assert f"redirected to {base}/about" in moved.warnings

    assert warnings == [
        f"{base}/sitemap_index.xml: sitemap listed again (a loop); not read twice",
        f"page not audited: {base}/gone: HTTP 404 Not Found "
        "(the sitemap lists a page that does not load)",
        f"page not audited: {base}/report.pdf: not an HTML page (application/pdf)",
    ]
    paths = server.paths()
    assert paths.count("/sitemap_index.xml") == 1
    assert paths.count("/post/1") == 1
    assert all(r.headers["User-Agent"].startswith("linkaudit/") for r in server.requests)


async def test_malformed_sitemap_yields_what_could_be_read(serve: Serve) -> None:
    def handler(request: Request) -> Response:
        if request.path == "/sitemap.xml":
            base = f"http://{request.headers['Host']}"
            body = _urlset(*((f"{base}/p{n}", None) for n in range(3)))
            # Cut off mid-element, as a half-written cache file is.
            return Response(200, body[: body.index(b"/p2")], {"Content-Type": "text/xml"})
        return Response(200, _page(0), {"Content-Type": "text/html"})

    server = serve(handler)
    documents, warnings = await load_sitemap(f"{server.base}/sitemap.xml", OPTIONS)
    assert len(documents) == 2  # p0 and p1, each fetched (all paths answer here)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{server.base}/sitemap.xml: malformed XML (line 2:")
    assert warnings[0].endswith("read 2 entries before giving up")


async def test_depth_limit_and_page_limit(serve: Serve) -> None:
    def handler(request: Request) -> Response:
        base = f"http://{request.headers['Host']}"
        if request.path.startswith("/deep/"):
            level = int(request.path.rsplit("/", 1)[1])
            return Response(200, _index(f"{base}/deep/{level + 1}"))
        if request.path == "/many.xml":
            return Response(200, _urlset(*((f"{base}/p{n}", None) for n in range(10))), {})
        return Response(200, _page(1), {"Content-Type": "text/html"})

    server = serve(handler)
    documents, warnings = await load_sitemap(f"{server.base}/deep/0", OPTIONS)
    assert documents == []
    assert warnings == [f"{server.base}/deep/6: sitemaps nested deeper than 5; not followed"]
    assert server.paths() == [f"/deep/{n}" for n in range(6)]

    documents, warnings = await load_sitemap(f"{server.base}/many.xml", OPTIONS, max_pages=4)
    assert [d.origin.rsplit("/", 1)[1] for d in documents] == ["p0", "p1", "p2", "p3"]
    assert warnings == [f"{server.base}/many.xml: more than 4 pages listed; only the first audited"]


async def test_top_sitemap_failures_are_input_errors(serve: Serve) -> None:
    server = serve(
        lambda request: (
            Response(200, b"<html><p>not xml", {})
            if request.path == "/garbage.xml"
            else Response(404, b"")
        )
    )
    with pytest.raises(InputError, match=r"^cannot read sitemap .*/sitemap\.xml: HTTP 404"):
        await load_sitemap(f"{server.base}/sitemap.xml", OPTIONS)
    with pytest.raises(InputError, match="cannot read sitemap"):
        await load_sitemap(f"{server.base}/garbage.xml", OPTIONS)


def test_parse_sitemap_variants() -> None:
    text = parse_sitemap(b"https://a.example/1\n\nhttps://a.example/2\n", "s.txt")
    assert [e.url for e in text.pages] == ["https://a.example/1", "https://a.example/2"]
    no_ns = parse_sitemap(
        b"<urlset><url><loc> https://a.example/x </loc><lastmod>bad</lastmod></url></urlset>",
        "s.xml",
    )
    assert no_ns.pages[0].url == "https://a.example/x"
    assert no_ns.pages[0].lastmod is None
    assert no_ns.warnings == ()
    zipped = parse_sitemap(gzip.compress(_index("https://a.example/s1.xml")), "s.xml.gz")
    assert zipped.sitemaps == ("https://a.example/s1.xml",)
    # External entities are never resolved.
    xxe = parse_sitemap(
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>https://a.example/&x;</loc></url></urlset>",
        "s.xml",
    )
    assert all("root:" not in e.url for e in xxe.pages)
    rss = parse_sitemap(b"<rss><channel></channel></rss>", "feed.xml")
    assert rss.warnings == ("feed.xml: root element <rss> is not a sitemap; read <loc> anyway",)
