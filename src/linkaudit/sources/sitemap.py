"""Sitemaps: every page a site lists about itself, fetched and audited as an article.

A sitemap is the site's own inventory, so it reaches pages no crawl of links
would (orphans, old posts).  Real sitemaps are messy: indexes of indexes, gzip
files served as ``application/octet-stream`` or decoded by a CDN, documents cut
off mid-write, and plugins that list the index inside itself.  So indexes are
followed to a bounded depth with a loop guard, gzip is recognised by its magic
bytes rather than trusted names, and XML is parsed with recovery: a broken
sitemap yields the entries before the damage plus a warning, never nothing.

``<lastmod>`` is when the page last changed; it is a weaker citation date than
the page's own publication date, so it is used only when the page has none.

The async fetch helpers here are shared with the WordPress site walker: one
bounded, streaming GET with the same messages as the single-URL source.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import httpx
from lxml import etree

from linkaudit.errors import InputError
from linkaudit.model import Document
from linkaudit.sources.base import SourceOptions, parse_date, too_large
from linkaudit.sources.html import load_html_bytes

_ACCEPT_XML = "application/xml,text/xml;q=0.9,*/*;q=0.5"
_ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_GZIP_MAGIC = b"\x1f\x8b"
_HTML_TYPES = frozenset({"", "text/html", "application/xhtml+xml", "text/plain"})
MAX_DEPTH = 5
_CLOSING = re.compile(rb"</(?:[\w.-]+:)?(?:url|sitemap)\s*>")


def make_client(options: SourceOptions) -> httpx.AsyncClient:
    """An HTTP client for walking a site: honest User-Agent, redirects, few connections.

    A sitemap or a WordPress walk hits one host many times, so the pool is kept
    small: politeness here is per run, not per request.
    """
    return httpx.AsyncClient(
        timeout=options.timeout,
        follow_redirects=True,
        headers={"User-Agent": options.user_agent},
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
    )


async def fetch_async(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    accept: str | None = None,
) -> tuple[httpx.Response, bytes]:
    """GET ``url``, reading at most ``max_bytes`` (+1) of the body, whatever the status.

    The caller decides what a 404 means (not a WordPress site, a sitemap entry
    that died); transport failures become :class:`InputError` with one line.
    """
    headers = {"Accept": accept} if accept else None
    try:
        # Redirects are followed even on a caller's client (httpx's default is not
        # to): an http->https or trailing-slash redirect is not the site's answer.
        async with client.stream(
            "GET", url, params=params, headers=headers, follow_redirects=True
        ) as response:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise too_large(url, max_bytes)
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise too_large(url, max_bytes)
            return response, b"".join(chunks)
    except httpx.TimeoutException:
        raise InputError(f"{url}: timed out") from None
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: too many redirects") from None
    except httpx.InvalidURL as exc:
        raise InputError(f"{url}: invalid URL ({exc})") from None
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        raise InputError(f"{url}: could not fetch ({detail})") from None


def gunzip_bounded(data: bytes, origin: str, max_bytes: int) -> bytes:
    """Decompress gzip data, refusing output over ``max_bytes`` (a gzip bomb is tiny)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise InputError(f"{origin}: damaged gzip data ({exc})") from None
    if len(out) > max_bytes:
        raise too_large(origin, max_bytes)
    return out


@dataclass(frozen=True)
class SitemapEntry:
    """One page a sitemap lists, with its ``<lastmod>`` when usable."""

    url: str
    lastmod: datetime | None = None


@dataclass(frozen=True)
class ParsedSitemap:
    """What one sitemap file held: pages, or (for an index) more sitemaps."""

    pages: tuple[SitemapEntry, ...]
    sitemaps: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _url_list(text: bytes, origin: str) -> ParsedSitemap:
    """The plain-text sitemap form: one http(s) URL a line, anything else ignored."""
    lines = text.decode("utf-8", "replace").splitlines()
    urls = [line.strip() for line in lines if line.strip().startswith(("http://", "https://"))]
    if not urls:
        return ParsedSitemap((), (), (f"{origin}: neither XML nor a list of URLs",))
    return ParsedSitemap(tuple(SitemapEntry(u) for u in urls), ())


def _read_xml(text: bytes) -> tuple[etree._Element | None, list[etree._LogEntry]]:
    """The XML tree, parsed with recovery (no entities, DTDs or network), and its errors."""
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(text, parser)
    except etree.XMLSyntaxError:
        root = None
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    return root, errors


def _loc_and_lastmod(element: etree._Element) -> tuple[str | None, datetime | None]:
    """An entry's ``<loc>`` (None if empty) and ``<lastmod>`` (None if unusable)."""
    loc: str | None = None
    lastmod: datetime | None = None
    for child in element:
        child_name = _local(child.tag)
        if child_name == "loc" and child.text and child.text.strip():
            loc = child.text.strip()
        elif child_name == "lastmod" and child.text:
            lastmod = parse_date(child.text)
    return loc, lastmod


def _entries(elements: list[etree._Element]) -> tuple[list[SitemapEntry], list[str]]:
    """Pages (``<url>``) and nested sitemaps (``<sitemap>``) in order; no ``<loc>``, no entry."""
    pages: list[SitemapEntry] = []
    sitemaps: list[str] = []
    for element in elements:
        loc, lastmod = _loc_and_lastmod(element)
        if loc is None:
            continue
        if _local(element.tag) == "sitemap":
            sitemaps.append(loc)
        else:
            pages.append(SitemapEntry(loc, lastmod))
    return pages, sitemaps


def _xml_sitemap(text: bytes, origin: str) -> ParsedSitemap:
    """A sitemap or index as XML; damaged XML yields the entries before the damage."""
    root, errors = _read_xml(text)
    if root is None:
        detail = f" (line {errors[0].line}: {errors[0].message})" if errors else ""
        return ParsedSitemap((), (), (f"{origin}: not readable as XML{detail}",))
    warnings: list[str] = []
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        warnings.append(f"{origin}: root element <{kind}> is not a sitemap; read <loc> anyway")
    elements = [e for e in root.iter() if _local(e.tag) in ("url", "sitemap")]
    if errors:
        # Recovery keeps an element cut off mid-URL ("https://exa"): trust only as
        # many entries as there are closing tags, since only complete ones have one.
        del elements[len(_CLOSING.findall(text)) :]
    pages, sitemaps = _entries(elements)
    if errors:
        first = errors[0]
        warnings.append(
            f"{origin}: malformed XML (line {first.line}: {first.message.strip()}); "
            f"read {len(pages) + len(sitemaps)} entries before giving up"
        )
    return ParsedSitemap(tuple(pages), tuple(sitemaps), tuple(warnings))


def parse_sitemap(data: bytes, origin: str) -> ParsedSitemap:
    """Parse a sitemap or sitemap index (XML, or the plain-text one-URL-a-line form).

    Pure, so malformed and odd sitemaps are tested as bytes.  Namespaces are
    ignored (many generators get them wrong); external entities and DTDs are
    never loaded.
    """
    if data.startswith(_GZIP_MAGIC):
        data = gunzip_bounded(data, origin, 50 * 1024 * 1024)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return _url_list(stripped, origin)
    return _xml_sitemap(stripped, origin)


def _loop_key(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


class _Collector:
    def __init__(self, client: httpx.AsyncClient, options: SourceOptions, max_pages: int) -> None:
        self.client = client
        self.options = options
        self.max_pages = max_pages
        self.seen_sitemaps: set[str] = set()
        self.seen_pages: set[str] = set()
        self.pages: list[SitemapEntry] = []
        self.warnings: list[str] = []
        self.truncated = False

    async def read(self, url: str, depth: int, *, root: bool) -> None:
        key = _loop_key(url)
        if key in self.seen_sitemaps:
            self.warnings.append(f"{url}: sitemap listed again (a loop); not read twice")
            return
        self.seen_sitemaps.add(key)
        if depth > MAX_DEPTH:
            self.warnings.append(f"{url}: sitemaps nested deeper than {MAX_DEPTH}; not followed")
            return
        try:
            response, data = await fetch_async(
                self.client, url, max_bytes=self.options.max_bytes, accept=_ACCEPT_XML
            )
            if response.status_code >= 400:
                raise InputError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            if data.startswith(_GZIP_MAGIC):
                data = gunzip_bounded(data, url, self.options.max_bytes)
        except InputError as exc:
            if root:
                raise InputError(f"cannot read sitemap {exc}") from None
            self.warnings.append(f"sitemap not read: {exc}")
            return
        parsed = parse_sitemap(data, url)
        self.warnings.extend(parsed.warnings)
        if root and not parsed.pages and not parsed.sitemaps and parsed.warnings:
            raise InputError(f"cannot read sitemap {parsed.warnings[0]}")
        for entry in parsed.pages:
            if not entry.url.startswith(("http://", "https://")):
                self.warnings.append(f"{url}: skipped non-web <loc> {entry.url!r}")
                continue
            if entry.url in self.seen_pages:
                continue
            if len(self.pages) >= self.max_pages:
                self.truncated = True
                break
            self.seen_pages.add(entry.url)
            self.pages.append(entry)
        for child in parsed.sitemaps:
            # Sequential on purpose: a sitemap tree is small, its pages are many.
            await self.read(child, depth + 1, root=False)


async def _load_page(
    client: httpx.AsyncClient, entry: SitemapEntry, options: SourceOptions
) -> tuple[Document | None, str | None]:
    try:
        response, data = await fetch_async(
            client, entry.url, max_bytes=options.max_bytes, accept=_ACCEPT_HTML
        )
    except InputError as exc:
        return None, f"page not audited: {exc}"
    if response.status_code >= 400:
        return None, (
            f"page not audited: {entry.url}: HTTP {response.status_code} "
            f"{response.reason_phrase} (the sitemap lists a page that does not load)"
        )
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in _HTML_TYPES:
        return None, f"page not audited: {entry.url}: not an HTML page ({media})"
    final_url = str(response.url)
    extra = (f"redirected to {final_url}",) if final_url != entry.url else ()
    try:
        document = load_html_bytes(
            data,
            entry.url,
            options,
            url=final_url,
            http_charset=response.charset_encoding,
            extra_warnings=extra,
        )
    except InputError as exc:
        return None, f"page not audited: {exc}"
    if document.cited_at is None and entry.lastmod is not None:
        document = replace(document, cited_at=entry.lastmod, cited_at_source="sitemap lastmod")
    return document, None


async def load_sitemap(
    url: str,
    options: SourceOptions,
    *,
    client: httpx.AsyncClient | None = None,
    max_pages: int = 10_000,
    concurrency: int = 4,
) -> tuple[list[Document], list[str]]:
    """Every page listed by the sitemap (or index) at ``url``, as HTML Documents.

    Documents come in sitemap order.  Raises :class:`InputError` only when the
    top sitemap itself cannot be fetched or read; nested sitemaps and pages that
    fail become warnings.  At most ``max_pages`` pages are fetched (a warning
    says so), ``concurrency`` at a time.
    """
    owned = client is None
    active = client if client is not None else make_client(options)
    try:
        collector = _Collector(active, options, max_pages)
        await collector.read(url, 0, root=True)
        warnings = collector.warnings
        if collector.truncated:
            warnings.append(f"{url}: more than {max_pages} pages listed; only the first audited")
        semaphore = asyncio.Semaphore(max(1, concurrency))

        async def one(entry: SitemapEntry) -> tuple[Document | None, str | None]:
            async with semaphore:
                return await _load_page(active, entry, options)

        results = await asyncio.gather(*(one(entry) for entry in collector.pages))
    finally:
        if owned:
            await active.aclose()
    documents: list[Document] = []
    for document, warning in results:
        if document is not None:
            documents.append(document)
        if warning is not None:
            warnings.append(warning)
    return documents, warnings
