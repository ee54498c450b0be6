"""Articles fetched over HTTP(S): one bounded GET, then the same readers as for files.

The body is streamed and reading stops one byte past ``max_bytes``, so a huge or
endless response costs bounded memory.  The final URL (after redirects) is the
page's base, as it would be in a browser.  A JSON answer shaped like a
WordPress post goes to the WordPress reader, so a ``/wp-json/wp/v2/posts/<id>``
URL audits the post body with its publication date.
"""

from __future__ import annotations

from email.message import Message

import httpx

from linkaudit.errors import InputError
from linkaudit.model import Document
from linkaudit.sources._decode import decode
from linkaudit.sources.base import SourceOptions, too_large
from linkaudit.sources.budget import ensure_fits
from linkaudit.sources.html import html_document
from linkaudit.sources.markdown import markdown_document
from linkaudit.sources.wordpress import looks_like_wordpress, wordpress_documents

_ACCEPT = "text/html,application/xhtml+xml,application/json;q=0.9,text/markdown;q=0.8,*/*;q=0.5"
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_APPS = frozenset(
    {"application/pdf", "application/zip", "application/gzip", "application/octet-stream"}
)


def _content_type(header: str | None) -> tuple[str, str | None]:
    """The media type (lower-case) and charset parameter of a Content-Type header."""
    if not header:
        return "", None
    message = Message()
    message["content-type"] = header
    media = message.get_content_type().lower()
    charset = message.get_param("charset")
    return media, charset if isinstance(charset, str) else None


def fetch(url: str, options: SourceOptions) -> tuple[bytes, httpx.Response]:
    """GET ``url`` with redirects, returning at most ``max_bytes`` of decoded body."""
    headers = {"User-Agent": options.user_agent, "Accept": _ACCEPT}
    try:
        with (
            httpx.Client(
                transport=options.transport,
                timeout=options.timeout,
                follow_redirects=True,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                reason = response.reason_phrase or ""
                raise InputError(f"{url}: HTTP {response.status_code} {reason}".rstrip())
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > options.max_bytes:
                raise too_large(url, options.max_bytes)
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                total += len(chunk)
                if total > options.max_bytes:
                    raise too_large(url, options.max_bytes)
            data = b"".join(chunks)
            ensure_fits(url, data)
            return data, response
    except httpx.TimeoutException:
        raise InputError(f"{url}: timed out after {options.timeout:g} s") from None
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: too many redirects") from None
    except httpx.InvalidURL as exc:
        raise InputError(f"{url}: invalid URL ({exc})") from None
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        raise InputError(f"{url}: could not fetch ({detail})") from None


def load_url(url: str, options: SourceOptions) -> list[Document]:
    """Fetch an article by URL and read it as WordPress JSON, Markdown or HTML."""
    data, response = fetch(url, options)
    final_url = str(response.url)
    media, charset = _content_type(response.headers.get("content-type"))
    if media.startswith(_BINARY_TYPES) or media in _BINARY_APPS:
        raise InputError(f"{url}: looks like binary data ({media}), not an article")
    warnings: tuple[str, ...] = ()
    if final_url != url:
        warnings = (f"redirected to {final_url}",)
    decoded = decode(data, url, declared=charset, sniff_meta=media not in ("application/json",))
    warnings += decoded.warnings
    if media.endswith("json") or looks_like_wordpress(decoded.text):
        return wordpress_documents(
            decoded.text, origin=url, options=options, encoding=decoded.encoding, warnings=warnings
        )
    if media in ("text/markdown", "text/x-markdown"):
        return [
            markdown_document(
                decoded.text,
                origin=url,
                options=options,
                encoding=decoded.encoding,
                warnings=warnings,
            )
        ]
    return [
        html_document(
            decoded.text,
            origin=url,
            options=options,
            url=final_url,
            encoding=decoded.encoding,
            warnings=warnings,
        )
    ]
