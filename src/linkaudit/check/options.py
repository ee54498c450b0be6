"""Settings of one checking run, in one frozen value so a run is reproducible.

Defaults follow DESIGN.md ("Checking like a reader"): browsers follow 20
redirects, a polite robot keeps a few connections per host, and no single URL may
hold a run hostage for longer than ``deadline``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from linkaudit import DEFAULT_USER_AGENT
from linkaudit.addresses import AddressKind
from linkaudit.hosts import host_key, match_host

#: The names users give the engine's settings (configuration keys; with dashes, the
#: command-line options), each with the :class:`CheckOptions` field it sets.  The
#: defaults are the fields' own: this is the only place the two names meet.
USER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "concurrency": "concurrency",
        "per_host": "per_host",
        "host_interval": "host_interval",
        "timeout": "timeout_read",
        "connect_timeout": "timeout_connect",
        "deadline": "deadline",
        "max_retries": "max_retries",
        "max_retry_wait": "max_retry_wait",
        "max_redirects": "max_redirects",
        "user_agent": "user_agent",
        "check_fragments": "check_fragments",
    }
)

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class HostSettings:
    """Overrides for requests to one host; None means "the global setting".

    ``concurrency``: requests in flight to one ``host:port`` (replaces ``per_host``).
    ``interval``: seconds between request starts (replaces ``host_interval``).
    ``timeout``: read/write timeout of one request (replaces ``timeout_read``; the
    per-URL ``deadline`` grows in proportion when this is longer, see
    :func:`host_deadline`).  ``headers``: added to every request to the host, over
    the browser-like defaults.  Header values may be secrets: they are never part
    of a repr, a result or a log (the repr shows names only).

    Header names must be HTTP tokens and values printable ASCII; a bad one is a
    ``ValueError`` naming the header, never quoting its value.
    """

    concurrency: int | None = None
    interval: float | None = None
    timeout: float | None = None
    headers: Mapping[str, str] = field(default_factory=_empty, hash=False)

    def __post_init__(self) -> None:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise ValueError(f"invalid HTTP header name {name!r}")
            if name.lower() in (known.lower() for known in headers):
                raise ValueError(f"HTTP header {name!r} given twice")
            if not isinstance(value, str) or not _FIELD_VALUE.fullmatch(value.strip(" \t")):
                raise ValueError(
                    f"invalid value for HTTP header {name!r}: printable ASCII text expected"
                )
            headers[name] = value.strip(" \t")  # HTTP ignores (and h11 refuses) outer blanks
        object.__setattr__(self, "headers", MappingProxyType(headers))

    def __repr__(self) -> str:
        names = ", ".join(f"{name!r}: '***'" for name in self.headers)
        return (
            f"HostSettings(concurrency={self.concurrency!r}, interval={self.interval!r}, "
            f"timeout={self.timeout!r}, headers={{{names}}})"
        )


def _no_hosts() -> Mapping[str, HostSettings]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CheckOptions:
    """How hard, how fast and how politely to check.

    Times are seconds.  ``host_interval`` is the minimum gap between the starts of
    two requests to one host; ``deadline`` bounds everything spent on one URL
    (retries and redirects included).  ``verify_tls=False`` is ``--insecure``: the
    link is judged anyway but the TLS problem is still reported.  ``ssl_context``
    replaces the system trust store (tests trust a throwaway CA with it).
    ``retry_base`` is the first backoff step; it doubles per retry, with jitter.
    ``exclude_addresses``: see :mod:`linkaudit.addresses`.
    ``hosts`` maps host names (exact, or ``*.suffix``) to :class:`HostSettings`;
    see :func:`host_settings` for the lookup.  Names are kept lower-case.
    """

    concurrency: int = 64
    per_host: int = 4
    host_interval: float = 0.0
    timeout_connect: float = 10.0
    timeout_read: float = 10.0
    deadline: float = 30.0
    max_retries: int = 2
    max_retry_wait: float = 30.0
    max_redirects: int = 20
    max_body: int = 512 * 1024
    user_agent: str = DEFAULT_USER_AGENT
    check_fragments: bool = True
    soft404: bool = True
    soft404_probes_per_host: int = 8
    verify_tls: bool = True
    retry_base: float = 0.5
    ssl_context: ssl.SSLContext | None = None
    #: Address kinds never connected to, judged after name resolution and on every
    #: redirect hop (``--exclude-private``, ``--exclude-loopback``, ...).
    exclude_addresses: frozenset[AddressKind] = frozenset()
    hosts: Mapping[str, HostSettings] = field(default_factory=_no_hosts, hash=False)

    def __post_init__(self) -> None:
        normalised = {host_key(name): conf for name, conf in self.hosts.items()}
        object.__setattr__(self, "hosts", MappingProxyType(normalised))


def host_settings(options: CheckOptions, hostname: str) -> HostSettings | None:
    """The overrides for ``hostname`` (the rule of :func:`linkaudit.hosts.match_host`)."""
    return match_host(options.hosts, hostname)


def host_deadline(options: CheckOptions, settings: HostSettings | None) -> float:
    """The per-URL budget for a request to a host with ``settings``.

    A per-host ``timeout`` longer than ``timeout_read`` stretches ``deadline`` by the
    same ratio, so as many full-length attempts fit as with the global settings (a
    60 s timeout could otherwise never be waited out under a 30 s deadline).  A
    shorter one leaves the deadline alone: each attempt already fails sooner, and
    retries and redirects keep the budget the user set.
    """
    if settings is None or settings.timeout is None or options.timeout_read <= 0:
        return options.deadline
    return options.deadline * max(settings.timeout / options.timeout_read, 1.0)
