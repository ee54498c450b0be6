"""The archive interface: options, lookup results, the cache protocol, and the one
rule that picks a capture.

Every archive (CDX, Availability, any Memento TimeGate) reduces its answer to a
list of :class:`Capture` candidates, and :func:`select_capture` alone decides which
one a reader should get.  Keeping the rule in one place is what makes "the copy the
author saw" mean the same thing whichever archive answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from linkaudit import DEFAULT_USER_AGENT
from linkaudit.model import ArchiveCopy, Capture, as_utc

WAYBACK = "wayback"
ARCHIVE_TODAY = "archive.today"

DEFAULT_TIMEGATES: tuple[tuple[str, str], ...] = (
    ("timetravel", "http://timetravel.mementoweb.org/timegate/"),
    (ARCHIVE_TODAY, "https://archive.ph/timegate/"),
)


@dataclass(frozen=True)
class ArchiveOptions:
    """Where the archives are and how politely to ask them.

    Every endpoint is configurable so the same code talks to the real services in
    production and to :class:`linkaudit.testing.archive.ArchiveStandIn` in tests.
    The CDX server bans clients that exceed roughly 60 requests a minute or ignore
    429s, hence a budget of half that and an honoured ``Retry-After``.
    """

    wayback_url: str = "https://web.archive.org"
    cdx_endpoint: str | None = None  # default: <wayback_url>/cdx/search/cdx
    availability_endpoint: str | None = None  # default: <wayback_url>/wayback/available
    save_endpoint: str | None = None  # default: <wayback_url>/save/
    timegates: tuple[tuple[str, str], ...] = DEFAULT_TIMEGATES
    use_all_archives: bool = False  # --archives: ask every archive, keep the best
    # Rate budget for Wayback lookups (CDX + Availability share one server).
    requests_per_minute: float = 30.0
    burst: int = 5
    timegate_requests_per_minute: float = 30.0
    retries_on_429: int = 2  # also for 502/503/504 and malformed answers, backing off
    default_retry_after: float = 60.0  # when a 429 carries no usable Retry-After
    retry_backoff: float = 2.0  # first wait after a 5xx or a malformed answer; doubles
    max_retry_after: float = 300.0  # a longer demand ends the lookup instead
    cdx_limit: int = 40  # enough rows around the target to see both sides of it
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    concurrency: int = 4
    # Save Page Now (--save)
    save_if_older_than: timedelta = timedelta(days=365)
    saves_per_minute: float = 4.0
    save_deadline: float = 120.0  # seconds for one save, after which it is abandoned
    save_workers: int = 2
    # A memento whose status the archive does not say (TimeGates) is asked for it
    # before it is offered; at most this many per lookup.
    verify_mementos: int = 3
    # Lost-link restoration: how many captures of the article to open at most.
    restore_max_captures: int = 3
    user_agent: str = DEFAULT_USER_AGENT

    @property
    def cdx_url(self) -> str:
        return self.cdx_endpoint or self.wayback_url.rstrip("/") + "/cdx/search/cdx"

    @property
    def availability_url(self) -> str:
        return self.availability_endpoint or self.wayback_url.rstrip("/") + "/wayback/available"

    @property
    def save_url(self) -> str:
        return self.save_endpoint or self.wayback_url.rstrip("/") + "/save/"

    def wayback_copy_url(self, timestamp: str, original: str, *, raw: bool = False) -> str:
        """The archive URL a reader opens; ``raw`` asks for the original bytes (``id_``),
        without the Wayback toolbar and link rewriting, which is what a parser wants."""
        flag = "id_" if raw else ""
        return f"{self.wayback_url.rstrip('/')}/web/{timestamp}{flag}/{original}"


_TS_RE = re.compile(r"^\d{4,14}$")


def parse_wayback_timestamp(value: str) -> datetime | None:
    """``YYYYMMDDhhmmss`` (possibly shortened) to an aware UTC datetime, else None."""
    value = value.strip()
    if not _TS_RE.match(value):
        return None
    padded = value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value
    try:
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def wayback_timestamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%d%H%M%S")


_WWW = re.compile(r"^www\d*\.")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def archive_key(url: str) -> str:
    """A URL as web archives compare URLs (their "SURT" canonicalisation, as far as
    it matters here): scheme, a ``www.`` prefix, the default port, a trailing slash,
    the fragment and the order of query parameters make no difference."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return url.strip().lower()
    host = _WWW.sub("", host)
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    return f"{host}{path}" + (f"?{query}" if query else "")


def same_resource(asked: str, answered: str) -> bool:
    """Whether an archive's answer is about the URL that was asked for."""
    return archive_key(asked) == archive_key(answered)


def select_capture(candidates: Iterable[Capture], target: datetime) -> Capture | None:
    """The capture nearest to ``target`` taken on or before it, else the nearest after.

    A capture on or before the citation date is what the author saw; one after it
    may already show a changed or dead page, so it is only the fallback.  Captures
    with a known non-2xx status are never offered: an archived 404 is no copy.
    """
    target = as_utc(target)
    before: Capture | None = None
    after: Capture | None = None
    for cap in candidates:
        if cap.status is not None and not 200 <= cap.status < 300:
            continue
        when = as_utc(cap.captured_at)
        if when <= target:
            if before is None or when > as_utc(before.captured_at):
                before = cap
        elif after is None or when < as_utc(after.captured_at):
            after = cap
    return before if before is not None else after


def to_copy(capture: Capture, target: datetime) -> ArchiveCopy:
    target = as_utc(target)
    when = as_utc(capture.captured_at)
    return ArchiveCopy(
        archive=capture.archive,
        url=capture.url,
        original_url=capture.original_url,
        captured_at=when,
        distance_days=abs((when - target).total_seconds()) / 86400.0,
        before=when <= target,
        status=capture.status,
    )


_KNOWN_HOSTS: tuple[tuple[str, str], ...] = (
    ("web.archive.org", WAYBACK),
    ("wayback.archive.org", WAYBACK),
    ("archive.ph", ARCHIVE_TODAY),
    ("archive.today", ARCHIVE_TODAY),
    ("archive.is", ARCHIVE_TODAY),
    ("archive.li", ARCHIVE_TODAY),
    ("archive.vn", ARCHIVE_TODAY),
    ("archive.fo", ARCHIVE_TODAY),
    ("archive.md", ARCHIVE_TODAY),
)


def archive_name(memento_url: str, gate_name: str, gate_url: str) -> str:
    """Name the archive that holds a memento.

    An aggregator's TimeGate answers with mementos from many archives, and a report
    should name the archive a reader will land on, not the aggregator.
    """
    host = (urlsplit(memento_url).hostname or "").lower()
    for known, name in _KNOWN_HOSTS:
        if host == known or host.endswith("." + known):
            return name
    if host == (urlsplit(gate_url).hostname or "").lower() or not host:
        return gate_name
    return host.removeprefix("www.")
