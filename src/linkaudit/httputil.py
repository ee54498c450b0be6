"""HTTP rules that the link checker and the archive clients must read the same way.

Neither ``linkaudit.check`` nor ``linkaudit.archive`` owns this module, so neither
can drift from the other: they used to parse ``Retry-After`` each in its own way
and disagreed on dates that carry no zone of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from linkaudit import charsets

__all__ = ["MAX_RETRY_AFTER", "response_text", "retry_after_seconds"]

#: The longest wait a ``Retry-After`` is read as (one year, in seconds).
MAX_RETRY_AFTER = 365 * 24 * 3600.0


def response_text(response: httpx.Response) -> str:
    """A read response's body as text, by its ``charset`` only if a browser knows it.

    httpx's ``Response.text`` honours any label Python's codec registry knows, and
    some of those (``idna``, ``undefined``) raise on ordinary bytes: a server's
    header must not be able to turn an answer into a crash.
    """
    charset = charsets.lookup(response.charset_encoding) or charsets.UTF8
    return charset.decode(response.content)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait, or None when it says nothing usable.

    RFC 9110 (section 10.2.3) allows two forms.  delta-seconds is ASCII digits only,
    so a sign, a fraction or any other numeral is garbage (None), not a guess.  An
    HTTP-date (section 5.6.7) is always GMT: the obsolete asctime form and a ``-0000``
    or unknown zone carry no zone of their own and are read as GMT, never as the
    machine's local time; an explicit numeric offset, though not HTTP, is honoured.
    A date already past means "now", 0.

    ``now`` is the caller's clock (the engine's, so tests can fix it); a naive
    ``now`` is taken as UTC, for the same reason a zone-less date is.  Any wait is
    capped at ``MAX_RETRY_AFTER`` (a year): a server's "come back in 10^20 seconds"
    means "much later", and must not overflow the dates computed from it.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        # Compared by length first: int() of 5 MB of digits is itself a hazard.
        return MAX_RETRY_AFTER if len(value) > 12 else min(float(int(value)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)
