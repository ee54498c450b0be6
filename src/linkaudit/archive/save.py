"""Save Page Now for live citations (``--save``), through waybackpy.

waybackpy's save is synchronous and passes no timeout to requests, so a save can
hang forever.  Each save therefore runs in its own *daemon* thread, bounded by a
semaphore, and is awaited with our own deadline; a save past its deadline is
reported and abandoned.  Daemon threads rather than a ``ThreadPoolExecutor``:
``concurrent.futures`` joins its worker threads at interpreter exit even after
``shutdown(wait=False)``, so one hung save would keep the process alive.

Save Page Now allows anonymous clients only a few captures a minute, so saves wait
on their own rate limiter, and after the first refusal (429) nothing more is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from linkaudit.archive.base import ArchiveOptions
from linkaudit.archive.ratelimit import RateLimiter
from linkaudit.model import as_utc

T = TypeVar("T")

# (url, request_url, user_agent) -> archive URL of the new capture
Saver = Callable[[str, str, str], str]


class SaveStatus(enum.StrEnum):
    SAVED = "saved"
    SKIPPED = "skipped"  # a recent enough capture exists
    FAILED = "failed"


@dataclass(frozen=True)
class SaveOutcome:
    """What happened to one save: ``reason`` is one human line."""

    url: str
    status: SaveStatus
    archive_url: str | None = None
    reason: str = ""
    captured_at: datetime | None = None
    refused: bool = False  # Save Page Now said 429


class SaveRefused(Exception):
    """Save Page Now refused the request (429): the anonymous limit is reached."""


def waybackpy_save(url: str, request_url: str, user_agent: str) -> str:
    """Save ``url`` with waybackpy, its endpoint pointed at ``request_url``.

    ``max_tries=1`` because waybackpy's own retry loop sleeps 5-10 s between tries
    without any deadline; retrying is our decision, not the library's.
    """
    from waybackpy import WaybackMachineSaveAPI
    from waybackpy.exceptions import TooManyRequestsError

    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=1)
    api.request_url = request_url
    try:
        return str(api.save())
    except TooManyRequestsError as exc:
        raise SaveRefused(str(exc)) from None


def _run_in_daemon_thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Run ``fn`` in a daemon thread; the future resolves on the running loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(setter: Callable[[], None]) -> None:
        if not future.done():
            setter()

    def target() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
            # RuntimeError: the loop is gone, nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, lambda: future.set_exception(error))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, lambda: future.set_result(result))

    threading.Thread(target=target, name="linkaudit-save", daemon=True).start()
    return future


_TS_IN_URL = re.compile(r"/web/(\d{14})")


def _captured_at(archive_url: str) -> datetime | None:
    match = _TS_IN_URL.search(archive_url)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _failure_reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "MaximumSaveRetriesExceeded":
        return "Save Page Now answered without a capture"
    if name == "WaybackError":
        return f"Save Page Now error: {str(exc).splitlines()[0] if str(exc) else name}"
    return f"error: {name}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")


async def save_live(
    urls_with_latest_capture: Sequence[tuple[str, datetime | None]],
    options: ArchiveOptions,
    *,
    save_url: str | None = None,
    now: datetime | None = None,
    limiter: RateLimiter | None = None,
    saver: Saver = waybackpy_save,
) -> list[SaveOutcome]:
    """Submit live URLs whose latest capture is missing or too old to Save Page Now.

    ``save_url`` overrides the Save Page Now endpoint (the URL is appended to it).
    Outcomes are in input order.  Never raises for anything the service does.
    """
    moment = as_utc(now or datetime.now(UTC))
    endpoint = save_url or options.save_url
    limiter = limiter or RateLimiter(options.saves_per_minute, 1)
    semaphore = asyncio.Semaphore(max(1, options.save_workers))
    refused = asyncio.Event()

    async def one(url: str, latest: datetime | None) -> SaveOutcome:
        if latest is not None and moment - as_utc(latest) < options.save_if_older_than:
            return SaveOutcome(
                url,
                SaveStatus.SKIPPED,
                reason=f"recent capture exists ({as_utc(latest):%Y-%m-%d})",
                captured_at=as_utc(latest),
            )
        async with semaphore:
            if refused.is_set():
                return SaveOutcome(
                    url,
                    SaveStatus.FAILED,
                    reason="not attempted: Save Page Now refused an earlier save (429)",
                )
            await limiter.acquire()
            if refused.is_set():
                return SaveOutcome(
                    url,
                    SaveStatus.FAILED,
                    reason="not attempted: Save Page Now refused an earlier save (429)",
                )
            cleaned = url.strip().replace(" ", "%20")
            future = _run_in_daemon_thread(saver, url, endpoint + cleaned, options.user_agent)
            try:
                archive_url = await asyncio.wait_for(future, options.save_deadline)
            except TimeoutError:
                return SaveOutcome(
                    url,
                    SaveStatus.FAILED,
                    reason=f"deadline: no answer within {options.save_deadline:g} s; abandoned",
                )
            except SaveRefused:
                refused.set()
                return SaveOutcome(
                    url,
                    SaveStatus.FAILED,
                    reason="refused (429): Save Page Now limit reached",
                    refused=True,
                )
            except Exception as exc:
                return SaveOutcome(url, SaveStatus.FAILED, reason=_failure_reason(exc))
            return SaveOutcome(
                url,
                SaveStatus.SAVED,
                archive_url=archive_url,
                reason="saved",
                captured_at=_captured_at(archive_url),
            )

    return list(await asyncio.gather(*(one(u, latest) for u, latest in urls_with_latest_capture)))
