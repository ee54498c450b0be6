"""Save Page Now for live citations (``--save``), through waybackpy.

waybackpy's save is synchronous and passes no timeout to requests, so a save can
hang forever.  Each save therefore runs in its own *daemon* thread, bounded by a
semaphore, and is awaited with our own deadline; a save past its deadline is
reported and abandoned.  Daemon threads rather than a ``ThreadPoolExecutor``:
``concurrent.futures`` joins its worker threads at interpreter exit even after
``shutdown(wait=False)``, so one hung save would keep the process alive.

Save Page Now allows anonymous clients only a few captures a minute, so saves wait
on their own rate limiter; a refusal (429) pauses saving, then it resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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


#: Refusals after which the run stops asking Save Page Now at all: it keeps saying
#: no, and each pause costs the run a minute or more.
MAX_REFUSALS = 3


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
    A refusal (429) pauses every save for ``default_retry_after`` seconds (at most
    ``max_retry_after``); then saving resumes, the refused URL asked once more.
    After :data:`MAX_REFUSALS` refusals nothing more is sent.  Outcomes are in
    input order, each saying what happened.  Never raises for anything the service
    does.  Capture addresses name the archive that was asked (a mirror's, when one
    is configured), whatever address the service wrote into its answer.
    """
    moment = as_utc(now or datetime.now(UTC))
    endpoint = save_url or options.save_url
    limiter = limiter or RateLimiter(options.saves_per_minute, 1)
    semaphore = asyncio.Semaphore(max(1, options.save_workers))
    refusals = [0]

    async def one(url: str, latest: datetime | None) -> SaveOutcome:
        if latest is not None and moment - as_utc(latest) < options.save_if_older_than:
            return SaveOutcome(
                url,
                SaveStatus.SKIPPED,
                reason=f"recent capture exists ({as_utc(latest):%Y-%m-%d})",
                captured_at=as_utc(latest),
            )
        async with semaphore:
            outcome = await _save_once(url, endpoint, options, limiter, saver, refusals)
            if outcome.refused and refusals[0] < MAX_REFUSALS:
                again = await _save_once(url, endpoint, options, limiter, saver, refusals)
                if again.status is SaveStatus.SAVED:
                    return replace(again, reason="saved after Save Page Now asked us to wait (429)")
                return again
            return outcome

    return list(await asyncio.gather(*(one(u, latest) for u, latest in urls_with_latest_capture)))


async def _save_once(
    url: str,
    endpoint: str,
    options: ArchiveOptions,
    limiter: RateLimiter,
    saver: Saver,
    refusals: list[int],
) -> SaveOutcome:
    """One save, after the budget (and any pause a refusal set) allows it."""
    if refusals[0] >= MAX_REFUSALS:
        return SaveOutcome(url, SaveStatus.FAILED, reason=_GAVE_UP)
    await limiter.acquire()
    if refusals[0] >= MAX_REFUSALS:
        return SaveOutcome(url, SaveStatus.FAILED, reason=_GAVE_UP)
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
        refusals[0] += 1
        pause = min(options.default_retry_after, options.max_retry_after)
        limiter.pause(pause)
        return SaveOutcome(
            url,
            SaveStatus.FAILED,
            reason=f"refused (429): Save Page Now limit reached; saving paused {pause:g} s",
            refused=True,
        )
    except Exception as exc:
        return SaveOutcome(url, SaveStatus.FAILED, reason=_failure_reason(exc))
    on_asked = _on_the_archive_asked(archive_url, options)
    return SaveOutcome(
        url,
        SaveStatus.SAVED,
        archive_url=on_asked,
        reason="saved",
        captured_at=_captured_at(on_asked),
    )


_GAVE_UP = f"not attempted: Save Page Now refused {MAX_REFUSALS} saves in this run (429)"
_PUBLIC_WAYBACK = re.compile(r"^https?://web\.archive\.org(?=/)")


def _on_the_archive_asked(archive_url: str, options: ArchiveOptions) -> str:
    """The capture's address on the archive that was asked: Save Page Now (and
    waybackpy) write web.archive.org into the answer even when a mirror or a
    self-hosted archive took the request."""
    return _PUBLIC_WAYBACK.sub(options.wayback_url.rstrip("/"), archive_url, count=1)
