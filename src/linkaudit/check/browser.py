"""Blocked pages re-checked in a real browser (``--browser``).

``blocked`` is honest (a bot wall says nothing about the page) but leaves the
editor to check by hand.  On request, each citation blocked by a bot challenge, a
403 or a 999 is opened in headless Chromium (Debian's, driven by Playwright; never
a downloaded browser), which runs the challenge's scripts as a reader's browser
does.  When the page loads, the citation gets the verdict that page deserves
(live, 404, a removal notice ...), with "checked in a browser" in its evidence;
when the wall stands, it stays blocked and says so.

Politeness holds here too: one page per host at a time, a few pages in all, a
short budget per page.  Names resolve as the run's resolver says (an injected one
in tests), passed to Chromium as host rules, so a test never asks real DNS.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from linkaudit.check.classify import classify
from linkaudit.check.client import ResolveError, Resolver
from linkaudit.check.evidence import Evidence, Page
from linkaudit.model import CheckResult, Hop, Verdict
from linkaudit.reasons import Reason

#: Chromium's flags: headless, sandbox-free (CI runs as root), and no traffic of
#: its own (updates, sync, QUIC probes) besides the pages asked for.
LAUNCH_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Blocked reasons a browser can get past (a login or a paywall it cannot).
RECHECKED = frozenset({Reason.BOT_CHALLENGE, Reason.FORBIDDEN, Reason.STATUS_999})

BROWSER_NOTE = "checked in a browser (headless Chromium)"


def find_chromium() -> str | None:
    """Debian's real binary first (its /usr/bin/chromium is a shell wrapper), or
    ``LINKAUDIT_CHROMIUM``; None when there is no Chromium on this machine."""
    explicit = os.environ.get("LINKAUDIT_CHROMIUM")
    if explicit:
        return explicit
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class BrowserOptions:
    """How the browser is used: ``pages`` open at once in the whole run, one per
    host, each given at most ``budget`` seconds to load past its wall."""

    executable: str | None = None  # None: find_chromium()
    pages: int = 2
    budget: float = 15.0
    settle: float = 0.25  # how often a challenge page is looked at again


@dataclass
class _Visit:
    """What the browser met on one page: its navigations, and the page it ended on."""

    chain: list[Hop] = field(default_factory=list)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


async def recheck_in_browser(
    results: Mapping[str, CheckResult],
    options: BrowserOptions,
    resolver: Resolver | None = None,
) -> tuple[dict[str, CheckResult], str | None]:
    """``results`` with each blocked one a browser can try re-checked in Chromium,
    and one line to say when that could not happen (no browser, no Playwright)."""
    blocked = [r for r in results.values() if _rechecked(r)]
    out = dict(results)
    if not blocked:
        return out, None
    executable = options.executable or find_chromium()
    if executable is None:
        return out, (
            f"--browser: no Chromium on this machine, so {len(blocked)} blocked citations were "
            "not re-checked (install Debian's chromium, or set LINKAUDIT_CHROMIUM)"
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return out, (
            "--browser: Playwright is not installed, so blocked citations were not re-checked "
            "(pip install 'linkaudit[browser]')"
        )
    rules = await _host_rules(blocked, resolver)
    args = [*LAUNCH_ARGS, *([f"--host-resolver-rules={rules}"] if rules else [])]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            pages = asyncio.Semaphore(max(1, options.pages))
            hosts: dict[str, asyncio.Lock] = {}

            async def one(result: CheckResult) -> CheckResult:
                host = urlsplit(result.url).hostname or ""
                async with pages, hosts.setdefault(host, asyncio.Lock()):
                    return await _visit(browser, result, options)

            for result in await asyncio.gather(*(one(r) for r in blocked)):
                out[result.key] = result
        finally:
            await browser.close()
    return out, None


def _rechecked(result: CheckResult) -> bool:
    return result.verdict is Verdict.BLOCKED and Reason.of(result.reason) in RECHECKED


async def _host_rules(blocked: list[CheckResult], resolver: Resolver | None) -> str:
    """``MAP host address`` rules for Chromium from the run's own resolver (none:
    Chromium asks the system, as the engine would)."""
    if resolver is None:
        return ""
    rules: list[str] = []
    for host in sorted({urlsplit(r.url).hostname or "" for r in blocked} - {""}):
        try:
            rules.append(f"MAP {host} {await resolver.resolve(host)}")
        except ResolveError:
            continue
    return ", ".join(rules)


async def _visit(browser: Any, result: CheckResult, options: BrowserOptions) -> CheckResult:
    """Open the page, give its wall the budget to let the reader through, judge it."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        visit = _Visit()
        page.on("response", lambda response: _seen(visit, page, response))
        started = time.monotonic()
        try:
            await page.goto(result.url, wait_until="load", timeout=options.budget * 1000)
            html = await _past_the_wall(page, options, started)
        except Exception as exc:  # a timeout or a page that crashed: the wall stands
            return _unchanged(result, f"a browser could not load it: {type(exc).__name__}")
        evidence = Evidence(
            url=result.url,
            chain=tuple(visit.chain),
            status=visit.status,
            final_url=page.url,
            headers=visit.headers,
            page=Page(page.url, visit.status or 200, "text/html", html),
            attempts=1,
            elapsed=time.monotonic() - started,
            notes=(BROWSER_NOTE,),
        )
    finally:
        await context.close()
    judged = classify(evidence)
    if judged.verdict is Verdict.BLOCKED:
        return _unchanged(result, f"still {judged.reason} in a browser: {judged.detail}")
    return CheckResult(
        key=result.key,
        url=result.url,
        verdict=judged.verdict,
        reason=judged.reason,
        detail=f"{judged.detail} ({BROWSER_NOTE}; without one: {result.reason}).",
        chain=evidence.chain,
        final_url=evidence.final_url,
        status=evidence.status,
        attempts=result.attempts + 1,
        elapsed=result.elapsed + evidence.elapsed,
        checked_at=datetime.now(UTC),
        notes=(*result.notes, *judged.notes, BROWSER_NOTE),
    )


def _seen(visit: _Visit, page: Any, response: Any) -> None:
    """Record each answer to a navigation of the page itself (not its images or scripts)."""
    request = response.request
    if not request.is_navigation_request() or request.frame != page.main_frame:
        return
    location = response.headers.get("location")
    visit.chain.append(Hop(response.url, response.status, request.method, location))
    if location is None:
        visit.status = response.status
        visit.headers = {k.lower(): v for k, v in response.headers.items()}


async def _past_the_wall(page: Any, options: BrowserOptions, started: float) -> str:
    """The page's HTML once no bot challenge is left on it, or when the budget ends."""
    from linkaudit.check.quirks import bot_challenge_marker

    while True:
        html: str = await page.content()
        remaining = options.budget - (time.monotonic() - started)
        if remaining <= 0 or bot_challenge_marker(200, {}, html) is None:
            return html
        await asyncio.sleep(min(options.settle, remaining))
        try:
            await page.wait_for_load_state("load", timeout=max(remaining, 0.001) * 1000)
        except Exception:  # the budget ended while it loaded: judge what is there
            return str(await page.content())


def _unchanged(result: CheckResult, why: str) -> CheckResult:
    """The blocked result as it was, with what the browser met."""
    return replace(result, notes=(*result.notes, f"{BROWSER_NOTE}: {why}"))
