"""Which configured host entry a request's host falls under: one rule for every table.

Per-host settings, headers and accepted statuses are all keyed by a host name or a
``*.suffix`` pattern (``[hosts."*.example.org"]``).  The rule, shared by the
configuration, the checker and the accepted-status policy: an exact entry wins;
otherwise the longest matching ``*.suffix``, which also matches the bare domain
(``*.example.org`` covers ``a.example.org``, ``a.b.example.org`` and
``example.org``).  Names compare lower-case, without a trailing dot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def host_key(name: str) -> str:
    """The spelling host tables are keyed and looked up by."""
    return name.strip().lower().rstrip(".")


def match_host(table: Mapping[str, T], hostname: str) -> T | None:
    """The entry of ``table`` (keyed by :func:`host_key` spellings) for ``hostname``."""
    if not table:
        return None
    name = host_key(hostname)
    exact = table.get(name)
    if exact is not None:
        return exact
    best: tuple[int, T] | None = None
    for pattern, value in table.items():
        matches = pattern.startswith("*.") and (name.endswith(pattern[1:]) or name == pattern[2:])
        if matches and (best is None or len(pattern) > best[0]):
            best = (len(pattern), value)
    return best[1] if best else None
