"""A whole WordPress site through its REST API: every published post (and page).

``/wp-json/wp/v2/posts?per_page=100&page=N`` is the one listing every WordPress
site serves the same way; ``X-WP-TotalPages`` says how many pages there are, so
after the first page the rest are fetched a few at a time.  Each post becomes a
Document through the single-post reader (:mod:`linkaudit.sources.wordpress`), so
a post audited on its own and one audited as part of its site look the same.

Incremental runs pass ``modified_after``.  WordPress compares that parameter
with the site's *local* modification time, whose zone the API does not reveal,
so the request asks for a day more than needed and the exact cut is made here on
``modified_gmt``.

Failure is graded: a site that is not WordPress, or refuses the API, is an
:class:`InputError` (nothing can be audited); a listing page that fails in the
middle of a walk is a warning naming what may be missing, and the rest is
audited.  The walk is ordered by ``id`` so posts published during it do not
shift pages and get skipped or read twice.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from linkaudit.errors import InputError
from linkaudit.model import Document
from linkaudit.sources.base import SourceOptions, parse_date
from linkaudit.sources.sitemap import fetch_async, make_client
from linkaudit.sources.wordpress import wordpress_documents

PER_PAGE = 100
_FIELDS = "id,link,date,date_gmt,modified_gmt,title,content,type"
# WordPress's local time can be up to 14 h from UTC; ask the server for a day more.
_SERVER_MARGIN = timedelta(days=1)
_TRANSIENT = frozenset({429, 500, 502, 503, 504})


@dataclass
class _Walk:
    """One listing (posts or pages) of one site, and what went wrong on the way."""

    client: httpx.AsyncClient
    endpoint: str  # the listing URL, e.g. https://site/wp-json/wp/v2/posts
    route_param: str | None  # "/wp/v2/posts" when the site needs ?rest_route=
    what: str  # "posts" or "pages", for messages
    options: SourceOptions
    modified_after: datetime | None
    retry_delay: float
    warnings: list[str] = field(default_factory=list)

    def params(self, page: int) -> dict[str, str]:
        params = {
            "per_page": str(PER_PAGE),
            "page": str(page),
            "orderby": "id",
            "order": "asc",
            "_fields": _FIELDS,
        }
        if self.route_param is not None:
            params["rest_route"] = self.route_param
        if self.modified_after is not None:
            since = (self.modified_after.astimezone(UTC) - _SERVER_MARGIN).replace(tzinfo=None)
            params["modified_after"] = since.isoformat(timespec="seconds")
        return params

    def page_url(self, page: int) -> str:
        return str(httpx.URL(self.endpoint, params=self.params(page)))

    async def get(self, page: int) -> tuple[int, httpx.Headers, bytes]:
        """One listing page, retried once (after ``retry_delay``) if the failure looks transient."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response, data = await fetch_async(
                    self.client,
                    self.endpoint,
                    max_bytes=self.options.max_bytes,
                    params=self.params(page),
                )
            except InputError:
                if attempt >= 2:
                    raise
            else:
                if response.status_code not in _TRANSIENT or attempt >= 2:
                    return response.status_code, response.headers, data
            if self.retry_delay > 0:
                await asyncio.sleep(self.retry_delay)


def _json_error(data: bytes) -> str:
    """WordPress's own error code and message (``{"code": ..., "message": ...}``), if any."""
    try:
        value = json.loads(data)
    except ValueError:
        return ""
    if isinstance(value, dict) and isinstance(value.get("code"), str):
        code, message = value["code"], value.get("message")
        return f" ({code}: {message})" if isinstance(message, str) else f" ({code})"
    return ""


def _total_pages(headers: httpx.Headers) -> int | None:
    raw = headers.get("x-wp-totalpages", "").strip()
    return int(raw) if raw.isdigit() else None


def _modified_since(post: Any, cut: datetime) -> bool:
    """Whether a post was modified after ``cut``; a post without a usable date is kept."""
    if not isinstance(post, dict):
        return True
    raw = post.get("modified_gmt")
    modified = parse_date(raw) if isinstance(raw, str) else None
    return modified is None or modified > cut


def _documents_from_page(walk: _Walk, page: int, data: bytes) -> list[Document]:
    """Documents of one listing page.

    A page that is not JSON is read with the lenient reader (a proxy that cut the
    response short still yields the posts before the cut, with a warning); one
    that cannot be read at all becomes a warning and no documents.
    """
    url = walk.page_url(page)
    try:
        value: Any = json.loads(data)
    except ValueError:
        value = None
    if isinstance(value, list):
        if walk.modified_after is not None:
            value = [p for p in value if _modified_since(p, walk.modified_after)]
        if not value:
            return []
        text = json.dumps(value)
        extra: tuple[str, ...] = ()
    elif value is not None:
        walk.warnings.append(f"{url}: expected a JSON list of {walk.what}, got something else")
        return []
    else:
        text = data.decode("utf-8", "replace")
        extra = (f"{url}: the listing is not valid JSON; read leniently",)
    try:
        documents = wordpress_documents(text, origin=url, options=walk.options, warnings=extra)
    except InputError as exc:
        walk.warnings.append(f"{walk.what} page {page} could not be read: {exc}")
        return []
    if value is None:
        walk.warnings.append(
            f"{walk.what} page {page} is not valid JSON; recovered {len(documents)} "
            f"{walk.what} from it, others may be missing"
        )
    # A post's own URL is what a person recognises in a report; the listing URL is not.
    return [replace(d, origin=d.canonical_url) if d.canonical_url else d for d in documents]


async def _first_page(
    client: httpx.AsyncClient,
    site: str,
    what: str,
    options: SourceOptions,
    modified_after: datetime | None,
    retry_delay: float,
) -> tuple[_Walk, int, httpx.Headers, bytes]:
    """Find the API (pretty ``/wp-json/`` or plain ``?rest_route=``) and read page 1."""
    pretty = _Walk(
        client, f"{site}/wp-json/wp/v2/{what}", None, what, options, modified_after, retry_delay
    )
    status, headers, data = await pretty.get(1)
    if status != 404:
        return pretty, status, headers, data
    # Sites without pretty permalinks serve the API only at /?rest_route=/wp/v2/posts.
    plain = _Walk(client, f"{site}/", f"/wp/v2/{what}", what, options, modified_after, retry_delay)
    status2, headers2, data2 = await plain.get(1)
    if status2 == 200:
        return plain, status2, headers2, data2
    return pretty, status, headers, data


async def _walk_listing(
    client: httpx.AsyncClient,
    site: str,
    what: str,
    options: SourceOptions,
    modified_after: datetime | None,
    concurrency: int,
    retry_delay: float,
    max_pages: int,
) -> tuple[list[Document], list[str]]:
    walk, status, headers, data = await _first_page(
        client, site, what, options, modified_after, retry_delay
    )
    url = walk.page_url(1)
    if status == 404:
        raise InputError(
            f"{site}: not a WordPress site, or its REST API is disabled "
            f"(HTTP 404 at {walk.endpoint}{_json_error(data)})"
        )
    if status in (401, 403):
        raise InputError(
            f"{site}: the WordPress REST API refused access to {what} "
            f"(HTTP {status}{_json_error(data)}); it may require authentication"
        )
    if status >= 400:
        raise InputError(f"{site}: HTTP {status} from {url}{_json_error(data)}")
    try:
        first_value: Any = json.loads(data)
    except ValueError:
        first_value = None
    if not isinstance(first_value, list):
        raise InputError(
            f"{site}: {url} did not answer with a JSON list of {what}; not a WordPress REST API"
        )
    documents = _documents_from_page(walk, 1, data)
    total = _total_pages(headers)
    if total is None:
        # Some proxies strip X-WP-* headers: walk on until a short or empty page.
        page = 1
        while len(first_value) >= PER_PAGE and page < max_pages:
            page += 1
            status, _, data = await walk.get(page)
            if status == 400:  # rest_post_invalid_page_number: past the end
                break
            if status >= 400:
                walk.warnings.append(
                    f"{what} page {page} failed with HTTP {status}{_json_error(data)}; "
                    f"later {what} were not read"
                )
                break
            more = _documents_from_page(walk, page, data)
            documents.extend(more)
            try:
                first_value = json.loads(data)
            except ValueError:
                break
            if not isinstance(first_value, list):
                break
        return documents, walk.warnings
    if total > max_pages:
        walk.warnings.append(
            f"{site}: {total} pages of {what}; only the first {max_pages} are audited"
        )
        total = max_pages
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(page: int) -> list[Document]:
        async with semaphore:
            try:
                status, _, body = await walk.get(page)
            except InputError as exc:
                walk.warnings.append(
                    f"{what} page {page} of {total} could not be fetched: {exc}; "
                    f"up to {PER_PAGE} {what} are missing from this audit"
                )
                return []
        if status >= 400:
            walk.warnings.append(
                f"{what} page {page} of {total} failed with HTTP {status}{_json_error(body)}; "
                f"up to {PER_PAGE} {what} are missing from this audit"
            )
            return []
        return _documents_from_page(walk, page, body)

    pages = await asyncio.gather(*(one(page) for page in range(2, total + 1)))
    for more in pages:
        documents.extend(more)
    return documents, walk.warnings


async def walk_wordpress_site(
    site: str,
    options: SourceOptions,
    *,
    client: httpx.AsyncClient | None = None,
    modified_after: datetime | None = None,
    include_pages: bool = True,
    concurrency: int = 4,
    retry_delay: float = 2.0,
    max_pages: int = 1000,
) -> tuple[list[Document], list[str]]:
    """Every post (and page) of a WordPress site as Documents, plus walk warnings.

    ``site`` is the site's address (``https://blog.example``; a trailing path such
    as ``/blog`` for a WordPress in a subdirectory is kept).  ``concurrency``
    bounds parallel listing requests, since a small WordPress host renders each
    100-post page with real work.  Raises :class:`InputError` when the posts
    listing cannot be used at all; problems with single pages, or with the pages
    listing, are warnings.
    """
    base = site.strip().rstrip("/")
    parsed = httpx.URL(base) if "://" in base else httpx.URL(f"https://{base}")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"{site}: not an http(s) site address")
    base = str(parsed).rstrip("/")
    cut = modified_after
    if cut is not None and cut.tzinfo is None:
        cut = cut.replace(tzinfo=UTC)
    owned = client is None
    active = client if client is not None else make_client(options)
    try:
        documents, warnings = await _walk_listing(
            active, base, "posts", options, cut, concurrency, retry_delay, max_pages
        )
        if include_pages:
            try:
                more, more_warnings = await _walk_listing(
                    active, base, "pages", options, cut, concurrency, retry_delay, max_pages
                )
            except InputError as exc:
                warnings.append(f"pages were not audited: {exc}")
            else:
                documents.extend(more)
                warnings.extend(more_warnings)
    finally:
        if owned:
            await active.aclose()
    return documents, warnings
