"""Web pages: decode like a browser, then read the metadata citations depend on.

The page's own claims (canonical URL, publication date) are used only when the
user has not said otherwise, because a copied page often carries a stale or
wrong canonical.  ``<base href>`` is deliberately not applied here: it affects
how links resolve, so the extractor, which resolves links, owns it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from linkaudit.model import Document, DocumentKind
from linkaudit.sources._decode import decode
from linkaudit.sources.base import SourceOptions, origin_of, parse_date
from linkaudit.sources.lenient_json import LenientJsonError, parse_lenient

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES = re.compile(r"\s+")


def load_html_bytes(
    data: bytes,
    origin: str,
    options: SourceOptions,
    *,
    url: str | None = None,
    http_charset: str | None = None,
    extra_warnings: tuple[str, ...] = (),
) -> Document:
    """Decode an HTML page's bytes and build its Document (``url``: where it was fetched)."""
    decoded = decode(data, origin, declared=http_charset, sniff_meta=True)
    return html_document(
        decoded.text,
        origin=origin,
        options=options,
        url=url,
        encoding=decoded.encoding,
        warnings=extra_warnings + decoded.warnings,
    )


def html_document(
    text: str,
    *,
    origin: str,
    options: SourceOptions,
    url: str | None = None,
    encoding: str | None = None,
    warnings: tuple[str, ...] = (),
) -> Document:
    """Build a Document from decoded HTML; metadata comes from the page unless overridden."""
    meta = _PageMetadata.read(text, url)
    canonical = meta.canonical
    base_url = options.base_url or url or canonical
    cited_at, cited_at_source = meta.cited_at, meta.cited_at_source
    if options.cited_at is not None:
        cited_at, cited_at_source = options.cited_at, "option"
    return Document(
        text=text,
        kind=DocumentKind.HTML,
        origin=origin,
        base_url=base_url,
        site=origin_of(base_url),
        title=meta.title,
        cited_at=cited_at,
        cited_at_source=cited_at_source,
        encoding=encoding,
        warnings=warnings,
        canonical_url=canonical,
        whole_page=True,
    )


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = _SPACES.sub(" ", text).strip()
    return cleaned or None


def _absolute(href: str | None, url: str | None) -> str | None:
    """An absolute http(s) URL from an attribute, or None: a relative canonical with
    nothing to resolve it against says nothing usable about the article's site."""
    href = _clean(href)
    if not href:
        return None
    if url:
        href = urljoin(url, href)
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    return href if parts.scheme in ("http", "https") and parts.netloc else None


class _PageMetadata:
    """What the ``<head>`` (and a little of the body) says about the article."""

    def __init__(self) -> None:
        self.title: str | None = None
        self.canonical: str | None = None
        self.cited_at: datetime | None = None
        self.cited_at_source: str | None = None

    @classmethod
    def read(cls, text: str, url: str | None) -> _PageMetadata:
        meta = cls()
        try:
            root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", text, count=1))
        except (etree.ParserError, ValueError):
            return meta
        title_tag: str | None = None
        og_title: str | None = None
        canonical: str | None = None
        og_url: str | None = None
        dates: dict[str, datetime] = {}
        for element in root.iter("title", "meta", "link", "script", "time"):
            tag = element.tag
            if tag == "title" and title_tag is None:
                title_tag = _clean("".join(str(part) for part in element.itertext()))
            elif tag == "meta":
                key = (element.get("property") or element.get("name") or "").strip().lower()
                content = element.get("content")
                if key == "og:title" and og_title is None:
                    og_title = _clean(content)
                elif key == "og:url" and og_url is None:
                    og_url = _absolute(content, url)
                elif key == "article:published_time" and key not in dates:
                    _add_date(dates, key, content)
            elif tag == "link" and canonical is None:
                rels = (element.get("rel") or "").lower().split()
                if "canonical" in rels:
                    canonical = _absolute(element.get("href"), url)
            elif tag == "script" and "json-ld" not in dates:
                if "ld+json" in (element.get("type") or "").lower():
                    _add_date(dates, "json-ld", _json_ld_date(element.text or ""))
            elif tag == "time" and "time" not in dates:
                _add_date(dates, "time", element.get("datetime"))
        # og:title is usually the headline alone; <title> often appends " | Site".
        meta.title = og_title or title_tag
        meta.canonical = canonical or og_url
        for source in ("json-ld", "article:published_time", "time"):
            if source in dates:
                meta.cited_at, meta.cited_at_source = dates[source], source
                break
        return meta


def _add_date(dates: dict[str, datetime], source: str, value: str | None) -> None:
    if value:
        parsed = parse_date(value)
        if parsed is not None:
            dates[source] = parsed


def _json_ld_date(script: str) -> str | None:
    """``datePublished`` from JSON-LD, including inside ``@graph`` (as Yoast writes it)."""
    try:
        value = parse_lenient(script).value
    except LenientJsonError:
        return None
    for node in _walk(value, 0):
        published = node.get("datePublished")
        if isinstance(published, str):
            return published
    return None


def _walk(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 20:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)
