"""Shared pieces of the history tests: a clock tests move by hand, a loopback site
whose pages can be switched between live, dead, blocked and flapping, and a store
fed with results directly (for the tests that are about storage, not checking)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html import escape
from typing import ClassVar

from linkaudit.model import (
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Verdict,
)
from linkaudit.testing.server import Conn, Handler, Request, Site

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

LIVE_PAGE = (
    b"<!doctype html><html><head><title>A cited page</title></head><body><article>"
    b"<h1>Findings</h1><p>This page is alive and says exactly what the article cited it for, "
    b"with enough distinct words about archives, sources and rot to read as real content."
    b"</p></article></body></html>"
)
DEAD_PAGE = b"<!doctype html><html><body><h1>Not Found</h1></body></html>"


class Clock:
    """Wall time that moves only when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def day(self, n: int, hour: int = 9) -> None:
        """Jump to day ``n`` (day 1 is the start day) at ``hour`` UTC."""
        self.now = T0.replace(hour=hour) + timedelta(days=n - 1)


class SwitchableSite:
    """Routes whose answer a test flips between runs: ``live`` (200), ``dead`` (404),
    ``gone`` (410) or ``blocked`` (403)."""

    STATUS: ClassVar[dict[str, int]] = {"live": 200, "dead": 404, "gone": 410, "blocked": 403}

    def __init__(self, site: Site) -> None:
        self.site = site
        self.modes: dict[str, str] = {}

    def add(self, path: str, mode: str = "live") -> str:
        self.modes[path] = mode
        self.site.route(path, self._handler(path))
        return path

    def set(self, path: str, mode: str) -> None:
        assert mode in self.STATUS, mode
        self.modes[path] = mode

    def _handler(self, path: str) -> Handler:
        async def handler(request: Request, conn: Conn) -> None:
            mode = self.modes[path]
            status = self.STATUS[mode]
            body = LIVE_PAGE if status == 200 else DEAD_PAGE
            await conn.send(request, status, body)

        return handler


def article(
    origin: str,
    links: Iterable[str],
    cited_at: datetime | None,
    title: str,
    *,
    lost: bool = False,
) -> Document:
    """An article citing ``links`` (one per paragraph), optionally with a stripped link."""
    anchors = "".join(
        f'<p>Source {i}: <a href="{url}">evidence number {i}</a> supports it.</p>'
        for i, url in enumerate(links, 1)
    )
    stripped = "<p>A <a>stripped link</a> was here.</p>" if lost else ""
    html = (
        f"<!doctype html><html><head><title>{escape(title)}</title></head><body><article>"
        f"<h1>{escape(title)}</h1>{anchors}{stripped}</article></body></html>"
    )
    return Document(
        text=html,
        kind=DocumentKind.HTML,
        origin=origin,
        title=title,
        cited_at=cited_at,
        cited_at_source="test" if cited_at else None,
    )


def result(
    key: str, verdict: Verdict, at: datetime, reason: str = "", **extra: object
) -> CheckResult:
    return CheckResult(
        key=key,
        url=key,
        verdict=verdict,
        reason=reason or verdict.value,
        detail=f"{verdict.value} in a test",
        checked_at=at,
        **extra,  # type: ignore[arg-type]
    )


def citation(document: str, key: str, line: int = 1, text: str = "a source") -> Citation:
    return Citation(
        document=document,
        kind=CitationKind.LINK,
        url_as_written=key,
        url=key,
        key=key,
        text=text,
        context=text,
        location=Location(line, 1),
        element="a",
        attribute="href",
    )
