"""What every source shares: the options, bounded reading, and small URL/date helpers.

A source turns *something the user named* (a file, a URL, stdin) into
``Document`` objects.  The options live in one frozen dataclass so the CLI, the
library and tests configure all kinds the same way, and so tests can inject an
``httpx`` transport instead of touching the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from linkaudit import DEFAULT_USER_AGENT
from linkaudit.errors import InputError
from linkaudit.sources.budget import ensure_fits

if TYPE_CHECKING:  # a run whose inputs are all files never imports httpx for them
    import httpx

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SourceOptions:
    """How to read sources.

    ``base_url`` and ``cited_at`` override what a document says about itself
    (the user knows better than a stale canonical tag).  ``max_bytes`` bounds
    memory on hostile or mistaken input; at most ``max_bytes + 1`` bytes are
    ever read.  ``transport`` lets tests answer URL fetches without a network.
    """

    base_url: str | None = None
    cited_at: datetime | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout: float = 20.0
    user_agent: str = DEFAULT_USER_AGENT
    transport: httpx.BaseTransport | None = None


def too_large(origin: str, max_bytes: int) -> InputError:
    return InputError(f"{origin}: larger than the limit of {max_bytes} bytes (see --max-bytes)")


def read_bounded(stream: BinaryIO, origin: str, max_bytes: int) -> bytes:
    """Read a whole stream, refusing (after at most ``max_bytes + 1`` bytes) if it is too big.

    Reading one byte past the limit is how "exactly at the limit" is told apart
    from "over it" without trusting a size the stream may not know.
    """
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = stream.read(min(1024 * 1024, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise too_large(origin, max_bytes)
    data = b"".join(chunks)
    ensure_fits(origin, data)
    return data


def origin_of(url: str | None) -> str | None:
    """The site (scheme://host[:port]) of a URL, lower-cased; None if it has no host.

    Default ports are dropped so ``https://a.org:443/x`` and ``https://a.org/y``
    count as the same site.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


_JEKYLL_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-]\d{2}:?\d{2}|Z)?$"
)


def parse_date(value: str) -> datetime | None:
    """Parse the ISO-8601-ish dates found in metadata; None when it is not a date.

    Accepts ``2023-04-18``, ``2023-04-18T11:05:53Z``, offsets, and the
    ``2023-04-18 11:05:53 +0900`` form of static-site front matter.  Dates
    without a zone are taken as UTC: a citation date only needs day precision
    to pick an archive capture, and guessing a zone would be no better.
    """
    text = value.strip()
    if not text:
        return None
    match = _JEKYLL_DATE.match(text)
    if match:
        zone = match.group(3) or ""
        if zone and zone != "Z" and ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        text = f"{match.group(1)}T{match.group(2)}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
