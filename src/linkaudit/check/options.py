"""Settings of one checking run, in one frozen value so a run is reproducible.

Defaults follow DESIGN.md ("Checking like a reader"): browsers follow 20
redirects, a polite robot keeps a few connections per host, and no single URL may
hold a run hostage for longer than ``deadline``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from linkaudit import __version__

DEFAULT_USER_AGENT = f"linkaudit/{__version__} (+https://github.com/linkaudit/linkaudit)"


@dataclass(frozen=True)
class CheckOptions:
    """How hard, how fast and how politely to check.

    Times are seconds.  ``host_interval`` is the minimum gap between the starts of
    two requests to one host; ``deadline`` bounds everything spent on one URL
    (retries and redirects included).  ``verify_tls=False`` is ``--insecure``: the
    link is judged anyway but the TLS problem is still reported.  ``ssl_context``
    replaces the system trust store (tests trust a throwaway CA with it).
    ``retry_base`` is the first backoff step; it doubles per retry, with jitter.
    ``accept_statuses`` are statuses the user declares fine (reported as ``ok``
    by the caller's policy; the engine only carries them).
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
    accept_statuses: frozenset[int] = frozenset()
