"""Checking: each distinct URL fetched once, politely, and given a verdict with evidence.

``engine`` does the network (``check_urls``), ``classify`` turns its ``Evidence``
into a verdict without any network, so every hard case is testable as data.
"""

from linkaudit import DEFAULT_USER_AGENT
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
