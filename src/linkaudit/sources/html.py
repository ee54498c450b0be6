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

from linkaudit.htmlguard import tame_attributes
from linkaudit.model import Document, DocumentKind
from linkaudit.sources._decode import decode
from linkaudit.sources.base import SourceOptions, origin_of, parse_date

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
    sha256: str | None = None,
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
        sha256=sha256,
    )


def html_document(
    text: str,
    *,
    origin: str,
    options: SourceOptions,
    url: str | None = None,
    encoding: str | None = None,
    warnings: tuple[str, ...] = (),
    sha256: str | None = None,
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
        sha256=sha256,
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


#: Where a publication date can come from, most trusted first.
_DATE_SOURCES = ("json-ld", "article:published_time", "time")
#: ``<meta>`` keys (``property`` or ``name``) whose content is read.
_META_CLAIMS = frozenset({"og:title", "og:url", "article:published_time"})


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
            root = lxml.html.document_fromstring(
                tame_attributes(_XML_DECLARATION.sub("", text, count=1))
            )
        except (etree.ParserError, ValueError):
            return meta
        texts, dates = _claims(root, url)
        # og:title is usually the headline alone; <title> often appends " | Site".
        meta.title = texts.get("og:title") or texts.get("title")
        meta.canonical = texts.get("canonical") or texts.get("og:url")
        for source in _DATE_SOURCES:
            if source in dates:
                meta.cited_at, meta.cited_at_source = dates[source], source
                break
        return meta


def _claims(
    root: lxml.html.HtmlElement, url: str | None
) -> tuple[dict[str, str], dict[str, datetime]]:
    """The first usable value of each claim the page makes: texts, and dates by source.

    One pass in document order.  A claim whose value is empty, relative with
    nothing to resolve it, or not a date is passed over, so a later element
    making the same claim can still count.
    """
    texts: dict[str, str] = {}
    dates: dict[str, datetime] = {}
    for element in root.iter("title", "meta", "link", "script", "time"):
        key = _claim_key(element)
        if key is None:
            continue
        if key in _DATE_SOURCES:
            if key not in dates and (date := _date_claim(element, key)) is not None:
                dates[key] = date
        elif key not in texts and (value := _text_claim(element, key, url)) is not None:
            texts[key] = value
    return texts, dates


def _claim_key(element: lxml.html.HtmlElement) -> str | None:
    """What an element can claim, as a key of ``_claims``; None for nothing.

    ``title``, ``canonical``, one of ``_META_CLAIMS``, ``json-ld`` or ``time``.
    """
    tag = element.tag
    if tag == "meta":
        key = (element.get("property") or element.get("name") or "").strip().lower()
        return key if key in _META_CLAIMS else None
    if tag == "link":
        rels = (element.get("rel") or "").lower().split()
        return "canonical" if "canonical" in rels else None
    if tag == "script":
        return "json-ld" if "ld+json" in (element.get("type") or "").lower() else None
    return str(tag)  # "title" or "time"


def _text_claim(element: lxml.html.HtmlElement, key: str, url: str | None) -> str | None:
    """A title (whitespace collapsed) or an absolute http(s) URL; None if unusable."""
    if key == "title":
        return _clean("".join(str(part) for part in element.itertext()))
    if key == "canonical":
        return _absolute(element.get("href"), url)
    content = element.get("content")
    return _clean(content) if key == "og:title" else _absolute(content, url)


def _date_claim(element: lxml.html.HtmlElement, source: str) -> datetime | None:
    """The publication date an element states, or None if it states none we can read."""
    if source == "json-ld":
        value = _json_ld_date(element.text or "")
    elif source == "time":
        value = element.get("datetime")
    else:
        value = element.get("content")
    return parse_date(value) if value else None


def _json_ld_date(script: str) -> str | None:
    """``datePublished`` from JSON-LD, including inside ``@graph`` (as Yoast writes it)."""
    # imported here: only a page with JSON-LD needs the lenient JSON reader
    from linkaudit.sources.lenient_json import LenientJsonError, parse_lenient

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
