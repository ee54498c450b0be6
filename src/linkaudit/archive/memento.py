"""Any Memento archive (RFC 7089) through its TimeGate, over httpx.

A TimeGate answers ``Accept-Datetime`` with a redirect to the memento it judges
best, which is the *nearest* one and may well be after the citation date.  Its
``Link`` header usually also names the first, last, previous and next mementos with
their datetimes, so the capture before the date the author saw can often be found
without another request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin

import httpx

from linkaudit.archive.base import ArchiveOptions, archive_name
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.archive.wayback import EndpointResult, transport_failure
from linkaudit.model import Capture, as_utc


@dataclass(frozen=True)
class LinkEntry:
    """One ``<uri>; rel=...; datetime=...`` entry of a Link header."""

    uri: str
    rels: tuple[str, ...]
    datetime: datetime | None = None


def parse_link_header(value: str) -> list[LinkEntry]:
    """Parse an RFC 8288 Link header as TimeGates write it.

    Memento datetimes are RFC 1123 dates that contain commas (``Sat, 01 Jan ...``),
    so entries are split only at commas outside quotes and angle brackets.
    """
    entries: list[LinkEntry] = []
    i, n = 0, len(value)
    while i < n:
        start = value.find("<", i)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        uri = value[start + 1 : end].strip()
        i = end + 1
        params: dict[str, str] = {}
        in_quote = False
        buf = ""
        while i < n:
            ch = value[i]
            if ch == '"':
                in_quote = not in_quote
            if not in_quote and ch == ",":
                i += 1
                break
            if not in_quote and ch == "<":
                break
            buf += ch
            i += 1
        for part in _split_params(buf):
            key, eq, val = part.partition("=")
            if eq:
                params[key.strip().lower()] = val.strip().strip('"')
        rels = tuple(params.get("rel", "").lower().split())
        when: datetime | None = None
        if "datetime" in params:
            when = _http_date(params["datetime"])
        entries.append(LinkEntry(uri, rels, when))
    return entries


def _split_params(text: str) -> list[str]:
    parts: list[str] = []
    in_quote = False
    buf = ""
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        if ch == ";" and not in_quote:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return [p.strip() for p in parts if p.strip()]


def _http_date(value: str) -> datetime | None:
    try:
        return as_utc(parsedate_to_datetime(value.strip()))
    except (TypeError, ValueError, IndexError):
        return None


_URL_TS = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/")


def _timestamp_in_url(url: str) -> datetime | None:
    """Wayback-style archives (and archive.today) put the capture time in the path."""
    match = _URL_TS.search(url)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def candidates_from_timegate(
    response: httpx.Response, original: str, gate_name: str, gate_url: str
) -> list[Capture]:
    """Every memento a TimeGate answer names, with its datetime when it can be known."""
    found: dict[str, datetime | None] = {}
    for entry in parse_link_header(response.headers.get("link", "")):
        if any(rel.endswith("memento") for rel in entry.rels):
            uri = urljoin(str(response.url), entry.uri)
            if found.get(uri) is None:
                found[uri] = entry.datetime
    location = response.headers.get("location")
    header_dt = _http_date(response.headers.get("memento-datetime", ""))
    if response.is_redirect and location:
        uri = urljoin(str(response.url), location)
        if found.get(uri) is None:
            found[uri] = header_dt
    elif response.status_code == 200 and header_dt is not None:
        found[str(response.url)] = header_dt
    named = next(
        (
            e.uri
            for e in parse_link_header(response.headers.get("link", ""))
            if "original" in e.rels
        ),
        original,
    )
    out: list[Capture] = []
    for uri, when in found.items():
        when = when or _timestamp_in_url(uri)
        if when is None:
            continue
        out.append(
            Capture(
                archive=archive_name(uri, gate_name, gate_url),
                url=uri,
                # what the memento says it captured: its address's own original
                # (Wayback-style) or the TimeGate's rel="original", checked by the caller
                original_url=_original_in_url(uri) or named,
                captured_at=when,
                status=None,
            )
        )
    return out


async def timegate_lookup(
    url: str,
    target: datetime,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    gate_name: str,
    gate_url: str,
    *,
    limiter: RateLimiter | None = None,
) -> EndpointResult:
    """Mementos of ``url`` near ``target`` from one TimeGate.

    When the redirect target's datetime is in neither the headers nor its URL, one
    HEAD on the memento reads its ``Memento-Datetime``.
    """
    what = f"TimeGate {gate_name}"
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    headers = {"Accept-Datetime": format_datetime(as_utc(target), usegmt=True)}
    if limiter is not None:
        await limiter.acquire()
    try:
        response = await client.get(
            gate_url + url, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        return transport_failure(what, exc)
    if response.status_code == 404:
        return EndpointResult((), "no memento")
    if response.status_code == 429:
        return EndpointResult((), f"rate limited by the {what} (429)", failed=True)
    if not (response.is_redirect or response.status_code == 200):
        return EndpointResult((), f"{what} answered HTTP {response.status_code}", failed=True)
    captures = candidates_from_timegate(response, url, gate_name, gate_url)
    location = response.headers.get("location")
    if response.is_redirect and location:
        memento = urljoin(str(response.url), location)
        if not any(c.url == memento for c in captures):
            extra = await _head_datetime(client, memento, timeout, limiter)
            if extra is not None:
                captures.append(
                    Capture(
                        archive=archive_name(memento, gate_name, gate_url),
                        url=memento,
                        original_url=url,
                        captured_at=extra,
                    )
                )
    if not captures:
        if response.is_redirect or response.headers.get("link"):
            return EndpointResult((), f"{what} named no memento with a usable datetime")
        return EndpointResult(
            (), f"{what} answered without a redirect or Memento headers", failed=True
        )
    return EndpointResult(tuple(captures))


async def _head_datetime(
    client: httpx.AsyncClient,
    url: str,
    timeout: httpx.Timeout,
    limiter: RateLimiter | None,
) -> datetime | None:
    if limiter is not None:
        await limiter.acquire()
    try:
        response = await client.head(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError:
        return None
    return _http_date(response.headers.get("memento-datetime", ""))


_EMBEDDED_ORIGINAL = re.compile(r"/\d{4,14}(?:[a-z]{2}_)?/(https?://.+)$", re.IGNORECASE)


def _original_in_url(memento: str) -> str | None:
    """The original URL a Wayback-style memento address carries (``/web/<ts>/<url>``)."""
    match = _EMBEDDED_ORIGINAL.search(memento)
    return match.group(1) if match else None


#: The status of a memento that could not be asked for one: never offered.
UNVERIFIED = 0


async def memento_status(
    client: httpx.AsyncClient,
    capture: Capture,
    options: ArchiveOptions,
    limiter: RateLimiter | None,
) -> int:
    """The status an archive serves a memento with: the status of the page it
    captured (Memento archives answer an archived 404 with 404, an archived
    redirect with a redirect).  A redirect to another capture of the same original
    (an archive moving to its exact timestamp) is followed; one elsewhere is the
    capture of a redirect.  :data:`UNVERIFIED` when the archive does not answer."""
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    url = capture.url
    for _ in range(3):
        if limiter is not None:
            await limiter.acquire()
        try:
            response = await client.head(url, timeout=timeout, follow_redirects=False)
        except httpx.HTTPError:
            return UNVERIFIED
        location = response.headers.get("location")
        if response.is_redirect and location:
            target = urljoin(url, location)
            if target.endswith(capture.original_url) and target != url:
                url = target
                continue
        return response.status_code
    return UNVERIFIED
