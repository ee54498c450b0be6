"""What the engine observed about one URL: the classifier's only input.

The engine (network) fills these in; ``classify.classify`` (pure) turns them into a
verdict.  Keeping the two apart means every hard case of the web can be tested as
data, without a server.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from linkaudit.check.anchors import AnchorSearch
from linkaudit.model import Hop, Verdict


class FetchError(enum.StrEnum):
    """Why no usable final response was obtained (None when one was)."""

    TIMEOUT = "timeout"  # connect/read timeout or per-URL deadline, after retries
    CONNECT_REFUSED = "connect_refused"
    CONNECT_FAILED = "connect_failed"  # other connect errors (unroutable, ...)
    DNS_NOT_FOUND = "dns_not_found"  # NXDOMAIN: the name does not exist
    DNS_TEMPORARY = "dns_temporary"  # SERVFAIL / resolver timeout
    RESET = "reset"  # connection closed or reset before a full response head
    PROTOCOL = "protocol"  # garbage instead of HTTP
    TLS_EXPIRED = "tls_expired"
    TLS_SELF_SIGNED = "tls_self_signed"  # or signed by an unknown CA
    TLS_HOSTNAME = "tls_hostname"
    TLS_OTHER = "tls_other"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    BAD_REDIRECT = "bad_redirect"  # Location missing or unusable
    INVALID_URL = "invalid_url"
    RUN_DEADLINE = "run_deadline"  # the run's own deadline passed before an answer
    INTERNAL = "internal"  # linkaudit failed, not the network: never a verdict on the link
    OVERSIZED = "oversized"  # the body decodes past the cap (a decompression bomb)
    UNDECODABLE = "undecodable"  # the body's Content-Encoding does not decode


@dataclass(frozen=True)
class Page:
    """A response body as far as it was read (never more than the engine's cap)."""

    url: str
    status: int
    content_type: str | None
    text: str  # decoded body prefix ("" for non-HTML or HEAD)
    truncated: bool = False
    anchors: AnchorSearch | None = None  # cited fragments searched for through the page


@dataclass(frozen=True)
class Probe:
    """The host's answer to a random, surely non-existent path beside the target.

    A host that answers such a path with 200 and the same page as the target serves
    soft 404s.  ``page`` is None when the probe got no 2xx HTML answer.
    """

    url: str
    status: int | None
    final_url: str | None
    page: Page | None


@dataclass(frozen=True)
class Evidence:
    """Everything the engine learned about one URL (fragment included in ``url``)."""

    url: str
    chain: tuple[Hop, ...] = ()  # every hop in order, final response last
    status: int | None = None  # status of the final response, None on error
    final_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # final, lower-case keys
    page: Page | None = None  # final body prefix, when it was read
    error: FetchError | None = None
    error_detail: str = ""
    attempts: int = 1
    elapsed: float = 0.0
    retry_after: datetime | None = None  # when a refused (429/503) request may be retried
    retry_after_exceeded_cap: bool = False  # Retry-After was longer than we may wait
    fragment: str | None = None  # decoded fragment of ``url`` when it had one
    fragment_found: bool | None = None  # None: not checked
    probe: Probe | None = None
    root_url: str | None = None  # the site's root, to recognise homepage redirects
    tls_verification_skipped: bool = False  # --insecure: checked despite a bad cert
    tls_error: FetchError | None = None  # the TLS problem seen when verification was skipped
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    """The classifier's answer: a verdict, a stable reason code and one human sentence.

    ``reason`` is always a :class:`linkaudit.reasons.Reason` (the one vocabulary,
    with each reason's verdict, transience and help), and ``verdict`` is its verdict.
    """

    verdict: Verdict
    reason: str
    detail: str
    notes: tuple[str, ...] = ()
