"""Wayback Machine lookups over httpx: the CDX API first, the Availability API as
fallback.

waybackpy is not used here on purpose: its Availability client sleeps five seconds
before its first call and none of its requests has a timeout (DESIGN.md), which a
run with hundreds of rotten links cannot afford.  Every answer is parsed
defensively; whatever the server sends, the caller gets captures or a one-line
note, never an exception.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from linkaudit.archive.base import (
    WAYBACK,
    ArchiveOptions,
    parse_wayback_timestamp,
    wayback_timestamp,
)
from linkaudit.archive.ratelimit import RateLimiter, retry_after_seconds
from linkaudit.httputil import response_text
from linkaudit.model import Capture

CDX_FIELDS: tuple[str, ...] = ("timestamp", "original", "statuscode", "mimetype", "digest")


@dataclass(frozen=True)
class EndpointResult:
    """What one archive endpoint said: captures, or why it said nothing useful.

    ``failed`` separates errors (worth a fallback, not worth caching) from a clean
    "the archive has no capture".
    """

    captures: tuple[Capture, ...]
    note: str = ""
    failed: bool = False
    rate_limited: bool = False  # the server said 429 past our retries: ask it nothing more
    unreachable: bool = False  # no connection at all: ask this archive nothing more this run


class MalformedAnswer(ValueError):
    """The archive answered, but not in its documented format."""


def _describe(body: str) -> str:
    head = body.lstrip()[:60].replace("\n", " ")
    return f"{head!r}" if head else "an empty body"


def parse_cdx(body: str, fields: Sequence[str] = CDX_FIELDS) -> list[dict[str, str]]:
    """CDX rows as dicts, from either output format.

    JSON output is a list of lists whose first row names the fields (``[]`` when
    there are no captures); text output is one space-separated row per line in
    ``fl`` order.  Anything else (an HTML error page, a truncated array) raises
    :class:`MalformedAnswer` with a short description.
    """
    stripped = body.strip()
    if not stripped:
        return []
    if stripped.startswith("<"):
        raise MalformedAnswer(f"archive answered HTML instead of CDX rows: {_describe(body)}")
    if stripped.startswith(("[", "{")):
        try:
            data: Any = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise MalformedAnswer(f"archive answered malformed JSON: {exc}") from None
        if not isinstance(data, list) or not all(
            isinstance(row, list) and all(isinstance(v, str) for v in row) for row in data
        ):
            raise MalformedAnswer("archive answered JSON of an unexpected shape")
        if not data:
            return []
        header = [str(name) for name in data[0]]
        if "timestamp" not in header or "original" not in header:
            raise MalformedAnswer("archive answered JSON without a timestamp/original header")
        return [dict(zip(header, row, strict=False)) for row in data[1:]]
    rows: list[dict[str, str]] = []
    for line in stripped.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or parse_wayback_timestamp(parts[0]) is None:
            raise MalformedAnswer(f"archive answered unreadable CDX text: {_describe(line)}")
        rows.append(dict(zip(fields, parts, strict=False)))
    return rows


def captures_from_cdx(rows: Sequence[dict[str, str]], options: ArchiveOptions) -> list[Capture]:
    """Rows to captures; rows without a numeric status (revisits, ``-``) are dropped,
    because a capture whose status is unknown cannot be promised as a 2xx copy."""
    out: list[Capture] = []
    for row in rows:
        when = parse_wayback_timestamp(row.get("timestamp", ""))
        original = row.get("original", "")
        code = row.get("statuscode", "")
        if when is None or not original or not code.isdigit():
            continue
        ts = row["timestamp"]
        out.append(
            Capture(
                archive=WAYBACK,
                url=options.wayback_copy_url(ts, original),
                original_url=original,
                captured_at=when,
                status=int(code),
                mimetype=row.get("mimetype") or None,
                timestamp=ts,
            )
        )
    return out


def parse_availability(body: str, options: ArchiveOptions) -> list[Capture]:
    """The Availability API's ``archived_snapshots.closest``, or nothing.

    ``{"archived_snapshots": {}}`` is the documented "no capture" answer.
    """
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        if body.lstrip().startswith("<"):
            raise MalformedAnswer(
                f"archive answered HTML instead of JSON: {_describe(body)}"
            ) from None
        raise MalformedAnswer(f"archive answered malformed JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("archived_snapshots"), dict):
        raise MalformedAnswer("archive answered JSON without archived_snapshots")
    closest = data["archived_snapshots"].get("closest")
    if closest is None:
        return []
    if not isinstance(closest, dict):
        raise MalformedAnswer("archive answered a closest snapshot of an unexpected shape")
    ts = str(closest.get("timestamp", ""))
    when = parse_wayback_timestamp(ts)
    status_text = str(closest.get("status", ""))
    if when is None or closest.get("available") is False:
        return []
    original = _original_from_archive_url(str(closest.get("url", ""))) or str(data.get("url", ""))
    if not original:
        return []
    return [
        Capture(
            archive=WAYBACK,
            url=options.wayback_copy_url(ts, original),
            original_url=original,
            captured_at=when,
            status=int(status_text) if status_text.isdigit() else None,
            timestamp=ts,
        )
    ]


def _original_from_archive_url(url: str) -> str | None:
    marker = "/web/"
    at = url.find(marker)
    if at < 0:
        return None
    rest = url[at + len(marker) :]
    _, slash, original = rest.partition("/")
    return original if slash and original else None


#: Answers of an overloaded server: worth asking again after a pause.
_BUSY = frozenset({502, 503, 504})


async def _get(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, str],
    options: ArchiveOptions,
    limiter: RateLimiter | None,
    what: str,
    accept: Callable[[httpx.Response], bool] = lambda response: True,
) -> httpx.Response | EndpointResult:
    """One polite GET: waits on the limiter, and asks again (at most
    ``retries_on_429`` times) after a 429 or 502/503/504, honouring ``Retry-After``
    by pausing the shared limiter, or after an answer ``accept`` refuses (malformed,
    truncated), backing off; transport errors become a note."""
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    attempts = 0
    while True:
        if limiter is not None:
            await limiter.acquire()
        attempts += 1
        try:
            response = await client.get(url, params=params, timeout=timeout)
        except httpx.HTTPError as exc:
            return transport_failure(what, exc)
        refused = response.status_code == 429
        if not refused and response.status_code not in _BUSY and accept(response):
            return response
        wait = _wait_before_asking_again(response, options, attempts)
        if attempts > options.retries_on_429 or wait > options.max_retry_after:
            if limiter is not None:
                limiter.pause(min(wait, options.max_retry_after))
            if refused:
                return EndpointResult(
                    (), f"rate limited by the {what} (429)", failed=True, rate_limited=True
                )
            return response  # the caller says what was wrong with it
        if limiter is not None:
            limiter.pause(wait)
        else:  # no shared limiter: still never ask again without waiting
            await asyncio.sleep(wait)


def _wait_before_asking_again(
    response: httpx.Response, options: ArchiveOptions, attempts: int
) -> float:
    """The server's ``Retry-After`` when it gave one; else for a 429 the default
    pause, for anything else back-off doubling from ``retry_backoff``."""
    asked = retry_after_seconds(response.headers.get("retry-after"))
    if asked is not None:
        return asked
    if response.status_code == 429:
        return options.default_retry_after
    return float(options.retry_backoff * 2 ** (attempts - 1))


def transport_failure(what: str, exc: httpx.HTTPError) -> EndpointResult:
    """A request that got no answer: a connection that could not be made (the
    archive is unreachable for this run) or one that went quiet (worth a retry
    next run, not a reason to give up on the archive)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return EndpointResult(
            (), f"{what} unreachable: {type(exc).__name__}", failed=True, unreachable=True
        )
    if isinstance(exc, httpx.TimeoutException):
        return EndpointResult((), f"{what} did not answer within the timeout", failed=True)
    return EndpointResult((), f"{what} unreachable: {type(exc).__name__}", failed=True)


def _status_note(response: httpx.Response, what: str) -> EndpointResult:
    reason = response.reason_phrase or ""
    return EndpointResult(
        (), f"{what} answered HTTP {response.status_code} {reason}".rstrip(), failed=True
    )


async def cdx_lookup(
    url: str,
    target: datetime,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    *,
    limiter: RateLimiter | None = None,
) -> EndpointResult:
    """Captures of ``url`` around ``target`` from the CDX server.

    ``sort=closest`` orders by absolute distance, so the nearest capture may be after
    the target while a slightly farther one before it is what the author saw: enough
    rows are fetched (``cdx_limit``) for :func:`select_capture` to see both sides.
    """
    params = {
        "url": url,
        "closest": wayback_timestamp(target),
        "sort": "closest",
        "filter": "statuscode:2..",
        "limit": str(options.cdx_limit),
        "output": "json",
        "fl": ",".join(CDX_FIELDS),
    }
    answer = await _get(
        client, options.cdx_url, params, options, limiter, "CDX server", accept=_cdx_readable
    )
    if isinstance(answer, EndpointResult):
        return answer
    if answer.status_code == 404:
        return EndpointResult((), "no capture")
    if answer.status_code != 200:
        return _status_note(answer, "CDX server")
    try:
        rows = parse_cdx(response_text(answer))
    except MalformedAnswer as exc:
        fallback = await _cdx_as_text(client, options, params, limiter)
        if fallback is None:
            return EndpointResult((), str(exc), failed=True)
        rows = fallback
    captures = captures_from_cdx(rows, options)
    return EndpointResult(tuple(captures), "" if captures else "no capture")


def _cdx_readable(response: httpx.Response) -> bool:
    """A 200 whose body parses as CDX rows (anything else is not asked again here)."""
    if response.status_code != 200:
        return True
    try:
        parse_cdx(response_text(response))
    except MalformedAnswer:
        return False
    return True


async def _cdx_as_text(
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    params: dict[str, str],
    limiter: RateLimiter | None,
) -> list[dict[str, str]] | None:
    """The same question in the CDX server's plain-text output, for when its JSON
    keeps coming back broken (truncated, interleaved with an error page)."""
    plain = {key: value for key, value in params.items() if key != "output"}
    answer = await _get(
        client, options.cdx_url, plain, options, limiter, "CDX server", accept=_cdx_readable
    )
    if isinstance(answer, EndpointResult) or answer.status_code != 200:
        return None
    try:
        return parse_cdx(response_text(answer))
    except MalformedAnswer:
        return None


async def availability_lookup(
    url: str,
    target: datetime,
    client: httpx.AsyncClient,
    options: ArchiveOptions,
    *,
    limiter: RateLimiter | None = None,
) -> EndpointResult:
    """The single closest capture the Availability API knows (either side of target)."""
    params = {"url": url, "timestamp": wayback_timestamp(target)}
    answer = await _get(
        client, options.availability_url, params, options, limiter, "Availability API"
    )
    if isinstance(answer, EndpointResult):
        return answer
    if answer.status_code != 200:
        return _status_note(answer, "Availability API")
    try:
        captures = parse_availability(response_text(answer), options)
    except MalformedAnswer as exc:
        return EndpointResult((), str(exc), failed=True)
    return EndpointResult(tuple(captures), "" if captures else "no capture")
