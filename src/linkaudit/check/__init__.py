"""Checking: each distinct URL fetched once, politely, and given a verdict with evidence.

``engine`` does the network (``check_urls``), ``classify`` turns its ``Evidence``
into a verdict without any network, so every hard case is testable as data.

The names below are imported on first use (:mod:`linkaudit._lazy`), so a module
that needs one of them does not import the whole package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkaudit import DEFAULT_USER_AGENT, _lazy

if TYPE_CHECKING:
    from linkaudit.check.client import (
        NameNotFound,
        NameTemporaryFailure,
        ResolveError,
        Resolver,
        build_client,
        describe_error,
    )
    from linkaudit.check.engine import check_urls, check_urls_sync
    from linkaudit.check.evidence import Classification, Evidence, FetchError, Page, Probe
    from linkaudit.check.limiter import Clock, Limiter, ScaledClock, SystemClock
    from linkaudit.check.options import CheckOptions
    from linkaudit.store.base import ResultCache

__all__ = [
    "DEFAULT_USER_AGENT",
    "CheckOptions",
    "Classification",
    "Clock",
    "Evidence",
    "FetchError",
    "Limiter",
    "NameNotFound",
    "NameTemporaryFailure",
    "Page",
    "Probe",
    "ResolveError",
    "Resolver",
    "ResultCache",
    "ScaledClock",
    "SystemClock",
    "build_client",
    "check_urls",
    "check_urls_sync",
    "describe_error",
]

__getattr__ = _lazy.attributes(
    __name__,
    {
        "NameNotFound": "linkaudit.check.client",
        "NameTemporaryFailure": "linkaudit.check.client",
        "ResolveError": "linkaudit.check.client",
        "Resolver": "linkaudit.check.client",
        "build_client": "linkaudit.check.client",
        "describe_error": "linkaudit.check.client",
        "check_urls": "linkaudit.check.engine",
        "check_urls_sync": "linkaudit.check.engine",
        "Classification": "linkaudit.check.evidence",
        "Evidence": "linkaudit.check.evidence",
        "FetchError": "linkaudit.check.evidence",
        "Page": "linkaudit.check.evidence",
        "Probe": "linkaudit.check.evidence",
        "Clock": "linkaudit.check.limiter",
        "Limiter": "linkaudit.check.limiter",
        "ScaledClock": "linkaudit.check.limiter",
        "SystemClock": "linkaudit.check.limiter",
        "CheckOptions": "linkaudit.check.options",
        "ResultCache": "linkaudit.store.base",
    },
)
