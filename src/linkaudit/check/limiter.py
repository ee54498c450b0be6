"""Politeness: how many requests may run, per run and per host, and how often.

A run may hold ``concurrency`` requests in flight, at most ``per_host`` of them to
one ``host:port``, with request starts to one host spaced by ``host_interval``.
Per-host settings (``CheckOptions.hosts``, looked up by host name) replace
``per_host`` and ``host_interval`` for the hosts they name.
After a 429 or 503 a host is given a pause and a wider interval (adaptive
backoff) that relaxes again as it answers normally: a struggling server should
see the robot slow down, not push on.

Time is injected (``Clock``) so backoff and pacing are testable without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from linkaudit.check.options import CheckOptions, HostSettings, host_settings


class Clock(Protocol):
    """Time as the engine sees it: a monotonic counter, the wall clock, and sleeping."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class ScaledClock(SystemClock):
    """Real time, but every deliberate wait is shrunk by ``factor``.

    The link zoo uses it so a ``Retry-After: 1`` costs milliseconds while the
    engine still believes it waited a second.  ``monotonic`` runs ``1/factor``
    times faster than real time, so pacing computed from it agrees with the
    shrunk sleeps.
    """

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.slept: list[float] = []
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) / self.factor

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(max(seconds, 0.0) * self.factor)


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    interval: float  # the configured gap between request starts
    next_start: float = 0.0
    penalty: float = 0.0  # extra interval added by adaptive backoff


class Limiter:
    """Global and per-host concurrency, per-host pacing and adaptive backoff."""

    max_penalty = 30.0

    def __init__(
        self,
        concurrency: int,
        per_host: int,
        host_interval: float = 0.0,
        clock: Clock | None = None,
        *,
        hosts: Mapping[str, HostSettings] | None = None,
    ) -> None:
        self._global = asyncio.Semaphore(max(concurrency, 1))
        self._per_host = max(per_host, 1)
        self._interval = max(host_interval, 0.0)
        self._clock: Clock = clock or SystemClock()
        self._overrides = CheckOptions(hosts=hosts or {})
        self._hosts: dict[str, _Host] = {}

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            per_host, interval = self._per_host, self._interval
            settings = host_settings(self._overrides, _host_name(key))
            if settings is not None:
                if settings.concurrency is not None:
                    per_host = max(settings.concurrency, 1)
                if settings.interval is not None:
                    interval = max(settings.interval, 0.0)
            host = self._hosts[key] = _Host(asyncio.Semaphore(per_host), interval)
        return host

    @asynccontextmanager
    async def slot(self, host_key: str) -> AsyncIterator[None]:
        """Hold one request slot for ``host_key`` (``host:port``).

        The host slot is taken before the global one so that requests queued
        behind a slow host never sit on global slots other hosts could use.
        """
        host = self._host(host_key)
        async with host.semaphore:
            await self._pace(host)
            async with self._global:
                yield

    async def _pace(self, host: _Host) -> None:
        interval = host.interval + host.penalty
        while True:
            now = self._clock.monotonic()
            if now >= host.next_start:
                host.next_start = now + interval
                return
            await self._clock.sleep(host.next_start - now)

    def penalize(self, host_key: str, pause: float) -> None:
        """A 429/503 from this host: no new request before ``pause``, and widen the interval."""
        host = self._host(host_key)
        host.penalty = min(max(host.penalty * 2, 0.05), self.max_penalty)
        host.next_start = max(host.next_start, self._clock.monotonic() + max(pause, 0.0))

    def relax(self, host_key: str) -> None:
        """A normal answer: let the interval shrink back towards the configured one."""
        host = self._hosts.get(host_key)
        if host is not None and host.penalty:
            host.penalty = host.penalty / 2 if host.penalty > 0.01 else 0.0


def _host_name(key: str) -> str:
    """The host name of a ``host:port`` key (an IPv6 address keeps its colons)."""
    name, sep, port = key.rpartition(":")
    return name if sep and port.isdigit() else key
