"""A local stand-in for the archive services: a real HTTP server on loopback.

It speaks the wire formats linkaudit reads in production (CDX JSON and text rows,
the Availability API, Memento TimeGates, archived pages, Save Page Now) from a
programmable capture table, and it can misbehave on demand (429 with Retry-After,
503, slow answers, malformed JSON, HTML error pages).  Tests, the demo and the
benchmarks use it so that nothing ever touches the real archives.

    with ArchiveStandIn() as archive:
        archive.add_capture("https://example.org/a", "20230101120000", body="<html>...")
        archive.fail("cdx", Fault.too_many_requests(retry_after=7))
        options = archive.options()
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linkaudit.archive.base import ArchiveOptions, parse_wayback_timestamp

ENDPOINTS = ("cdx", "available", "timegate", "web", "save")
PUBLIC_WAYBACK = "https://web.archive.org"
_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_WEB_PATH = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$")


@dataclass(frozen=True)
class Fault:
    """One programmed misbehaviour.  ``passthrough`` answers normally after ``delay``."""

    status: int = 500
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    passthrough: bool = False

    @classmethod
    def too_many_requests(cls, retry_after: int | str | None = 30) -> Fault:
        headers = () if retry_after is None else (("Retry-After", str(retry_after)),)
        return cls(429, "<html><body><h1>429 Too Many Requests</h1></body></html>", headers=headers)

    @classmethod
    def unavailable(cls) -> Fault:
        return cls(503, "<html><body><h1>503 Service Unavailable</h1></body></html>")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds, passthrough=True)

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls(200, '[["timestamp","original","statuscode"],["2023', "application/json")

    @classmethod
    def html_error(cls) -> Fault:
        body = "<!DOCTYPE html><html><head><title>Error</title></head><body>Oops</body></html>"
        return cls(200, body)


@dataclass
class _Capture:
    original: str
    timestamp: str
    status: int = 200
    mimetype: str = "text/html"
    body: bytes | None = None

    @property
    def when(self) -> datetime:
        return _ts(self.timestamp)


def _ts(value: str) -> datetime:
    parsed = parse_wayback_timestamp(value)
    if parsed is None:
        raise ValueError(f"not a Wayback timestamp: {value!r}")
    return parsed


def url_key(url: str) -> str:
    """How the stand-in matches URLs: scheme, ``www.`` and case of the host ignored,
    like the real CDX server's SURT keys."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = host + (parts.path or "/")
    return key + ("?" + parts.query if parts.query else "")


@dataclass
class _State:
    captures: dict[str, list[_Capture]] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


class ArchiveStandIn:
    """A programmable Wayback Machine + Memento TimeGate on 127.0.0.1, random port."""

    def __init__(
        self,
        captures: Mapping[str, Iterable[tuple[str, int, str]]] | None = None,
        *,
        save_delay: float = 0.0,
        clock: Callable[[], datetime] | None = None,
        timegate_errors: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.save_delay = save_delay
        self.clock = clock or (lambda: datetime.now(UTC))
        #: Whether the TimeGate offers captures of errors too, as aggregators do (the
        #: Memento protocol carries no status: the client must ask the memento).
        self.timegate_errors = timegate_errors
        for url, rows in (captures or {}).items():
            for timestamp, status, mimetype in rows:
                self.add_capture(url, timestamp, status, mimetype)

    # -- programming -------------------------------------------------------------

    def add_capture(
        self,
        url: str,
        timestamp: str,
        status: int = 200,
        mimetype: str = "text/html",
        *,
        body: str | bytes | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._state.captures.setdefault(url_key(url), []).append(
                _Capture(url, timestamp, status, mimetype, data)
            )

    def fail(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with ``fault``."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {ENDPOINTS}")
        with self._lock:
            self._state.faults.setdefault(endpoint, []).extend([fault] * times)

    @property
    def counts(self) -> Counter[str]:
        """Requests received per endpoint (faulted ones included)."""
        with self._lock:
            return Counter(self._state.counts)

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """``(endpoint, path, headers)`` of every request, in order."""
        with self._lock:
            return list(self._state.log)

    def captures(self, url: str) -> list[tuple[str, int]]:
        with self._lock:
            return [(c.timestamp, c.status) for c in self._state.captures.get(url_key(url), [])]

    # -- addresses ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running; use start() or a with block")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def timegate_url(self) -> str:
        return self.base_url + "/timegate/"

    @property
    def save_url(self) -> str:
        return self.base_url + "/save/"

    def options(self, **overrides: Any) -> ArchiveOptions:
        """ArchiveOptions pointing every endpoint here (one TimeGate, "standin")."""
        settings: dict[str, Any] = {
            "wayback_url": self.base_url,
            "timegates": (("standin", self.timegate_url),),
        }
        settings.update(overrides)
        return ArchiveOptions(**settings)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> ArchiveStandIn:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow answers in progress are cut short, never waited for."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ArchiveStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from server threads) ---------------------------

    def _enter(self, endpoint: str, path: str, headers: dict[str, str]) -> Fault | None:
        with self._lock:
            self._state.counts[endpoint] += 1
            self._state.log.append((endpoint, path, headers))
            queue = self._state.faults.get(endpoint)
            return queue.pop(0) if queue else None

    def _sleep(self, seconds: float) -> bool:
        """Wait, unless the stand-in stops; True if the wait ran its course."""
        return not self._stopping.wait(seconds) if seconds > 0 else True

    def _snapshot(self, url: str) -> list[_Capture]:
        with self._lock:
            return list(self._state.captures.get(url_key(url), []))

    def cdx(self, query: dict[str, list[str]]) -> tuple[int, str, str]:
        url = query.get("url", [""])[0]
        rows = [
            {
                "urlkey": url_key(c.original),
                "timestamp": c.timestamp,
                "original": c.original,
                "mimetype": c.mimetype,
                "statuscode": str(c.status),
                "digest": f"D{abs(hash((c.original, c.timestamp))) % 10**12:012d}",
                "length": str(len(c.body or b"")),
                "_when": c.when,
            }
            for c in self._snapshot(url)
        ]
        for spec in query.get("filter", []):
            negate = spec.startswith("!")
            name, _, pattern = spec.lstrip("!").partition(":")
            regex = re.compile(pattern)
            rows = [r for r in rows if bool(regex.fullmatch(str(r.get(name, "")))) != negate]
        closest = query.get("closest", [""])[0]
        if closest and query.get("sort", [""])[0] == "closest":
            target = _ts(closest)
            rows.sort(key=lambda r: abs((r["_when"] - target).total_seconds()))  # type: ignore[operator]
        else:
            rows.sort(key=lambda r: str(r["timestamp"]))
        limit = query.get("limit", [""])[0]
        if limit.lstrip("-").isdigit():
            n = int(limit)
            rows = rows[:n] if n >= 0 else rows[n:]
        fields = [f for f in query.get("fl", [",".join(_FIELDS)])[0].split(",") if f]
        table = [[str(r.get(f, "-")) for f in fields] for r in rows]
        if query.get("output", [""])[0] == "json":
            return 200, "application/json", json.dumps([fields, *table] if table else [])
        return 200, "text/plain", "".join(" ".join(row) + "\n" for row in table)

    def available(self, query: dict[str, list[str]]) -> tuple[int, str, str]:
        url = query.get("url", [""])[0]
        stamp = query.get("timestamp", [""])[0]
        good = [c for c in self._snapshot(url) if 200 <= c.status < 300]
        answer: dict[str, Any] = {"url": url, "archived_snapshots": {}}
        if good:
            if stamp:
                target = _ts(stamp)
                best = min(good, key=lambda c: abs((c.when - target).total_seconds()))
            else:
                best = max(good, key=lambda c: c.when)
            answer["archived_snapshots"] = {
                "closest": {
                    "status": str(best.status),
                    "available": True,
                    "url": f"{self.base_url}/web/{best.timestamp}/{best.original}",
                    "timestamp": best.timestamp,
                }
            }
        if stamp:
            answer["timestamp"] = stamp
        return 200, "application/json", json.dumps(answer)

    def timegate(
        self, original: str, accept_datetime: str | None
    ) -> tuple[int, list[tuple[str, str]]]:
        good = sorted(
            (c for c in self._snapshot(original) if 200 <= c.status < 300 or self.timegate_errors),
            key=lambda c: c.when,
        )
        if not good:
            return 404, []
        try:
            target = parsedate_to_datetime(accept_datetime) if accept_datetime else self.clock()
        except (TypeError, ValueError):
            return 400, []
        best = min(good, key=lambda c: abs((c.when - target).total_seconds()))
        at = good.index(best)

        def memento(c: _Capture, rel: str) -> str:
            when = format_datetime(c.when, usegmt=True)
            return (
                f'<{self.base_url}/web/{c.timestamp}/{c.original}>; rel="{rel}"; datetime="{when}"'
            )

        links = [f'<{original}>; rel="original"']
        links.append(f'<{self.base_url}/timemap/link/{original}>; rel="timemap"')
        if at > 0:
            links.append(memento(good[0], "first memento"))
            if at - 1 > 0:
                links.append(memento(good[at - 1], "prev memento"))
        rel = " ".join(
            p for p in ("first" if at == 0 else "", "last" if at == len(good) - 1 else "") if p
        )
        links.append(memento(best, f"{rel} memento".strip()))
        if at < len(good) - 1:
            if at + 1 < len(good) - 1:
                links.append(memento(good[at + 1], "next memento"))
            links.append(memento(good[-1], "last memento"))
        return 302, [
            ("Location", f"{self.base_url}/web/{best.timestamp}/{best.original}"),
            ("Vary", "accept-datetime"),
            ("Link", ", ".join(links)),
        ]

    def page(
        self, stamp: str, flag: str | None, original: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        caps = self._snapshot(original)
        exact = [c for c in caps if c.timestamp == stamp]
        if not exact:
            with_body = [c for c in caps if c.body is not None]
            if not with_body:
                return 404, [("Content-Type", "text/html")], b"<html>Not in archive</html>"
            target = _ts(stamp)
            near = min(with_body, key=lambda c: abs((c.when - target).total_seconds()))
            return 302, [("Location", f"/web/{near.timestamp}{flag or ''}/{near.original}")], b""
        cap = exact[0]
        # a real archive has every capture's body; one not given by the test is a stub
        body = cap.body if cap.body is not None else b"<html><body>Archived page.</body></html>"
        if flag != "id_":  # the Wayback Machine rewrites links unless asked for id_
            body = re.sub(
                rb'href="(https?://[^"]+)"',
                lambda m: b'href="/web/' + cap.timestamp.encode() + b"/" + m.group(1) + b'"',
                body,
            )
        headers = [
            ("Content-Type", cap.mimetype + ("; charset=utf-8" if "html" in cap.mimetype else "")),
            ("Memento-Datetime", format_datetime(cap.when, usegmt=True)),
            ("Link", f'<{cap.original}>; rel="original"'),
        ]
        return cap.status, headers, body

    def save(self, original: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        if not self._sleep(self.save_delay):
            return None
        now = self.clock().astimezone(UTC)
        stamp = now.strftime("%Y%m%d%H%M%S")
        self.add_capture(original, stamp, 200, "text/html")
        when = format_datetime(now, usegmt=True)
        memento = f"{PUBLIC_WAYBACK}/web/{stamp}/{original}"
        # waybackpy 3.0.6 reads the capture from rel="memento" followed by a later
        # web.archive.org/web/<ts>/ URL, as in the real Save Page Now Link header.
        link = ", ".join(
            [
                f'<{original}>; rel="original"',
                f'<{PUBLIC_WAYBACK}/web/timemap/link/{original}>; rel="timemap"; '
                'type="application/link-format"',
                f'<{PUBLIC_WAYBACK}/web/{original}>; rel="timegate"',
                f'<{memento}>; rel="memento"; datetime="{when}"',
                f'<{memento}>; rel="last memento"; datetime="{when}"',
            ]
        )
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Link", link)]
        return 200, headers, b"<html><body>Saved.</body></html>"


def _make_handler(stand_in: ArchiveStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ArchiveStandIn/1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: test output should show test failures, not access logs."""

        def do_HEAD(self) -> None:
            self._dispatch(head=True)

        def do_GET(self) -> None:
            self._dispatch(head=False)

        def _send(
            self, status: int, headers: Iterable[tuple[str, str]], body: bytes, head: bool
        ) -> None:
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a deadline): nothing to tell it

        def _dispatch(self, head: bool) -> None:
            try:
                self._route(head)
            except ValueError as exc:  # e.g. an unreadable timestamp: the client's fault
                self._send(400, [("Content-Type", "text/plain")], str(exc).encode(), head)

        def _route(self, head: bool) -> None:
            raw = self.path
            split = urlsplit(raw)
            path = split.path
            if path.startswith("/cdx/search/cdx"):
                endpoint = "cdx"
            elif path.startswith("/wayback/available"):
                endpoint = "available"
            elif path.startswith("/timegate/"):
                endpoint = "timegate"
            elif path.startswith("/web/"):
                endpoint = "web"
            elif path.startswith("/save/"):
                endpoint = "save"
            else:
                self._send(404, [("Content-Type", "text/plain")], b"not found", head)
                return
            fault = stand_in._enter(endpoint, raw, {k.lower(): v for k, v in self.headers.items()})
            if fault is not None:
                if not stand_in._sleep(fault.delay):
                    return
                if not fault.passthrough:
                    headers = [("Content-Type", fault.content_type), *fault.headers]
                    self._send(fault.status, headers, fault.body.encode("utf-8"), head)
                    return
            query = parse_qs(split.query, keep_blank_values=True)
            if endpoint in ("cdx", "available"):
                handler = stand_in.cdx if endpoint == "cdx" else stand_in.available
                status, ctype, text = handler(query)
                self._send(status, [("Content-Type", ctype)], text.encode("utf-8"), head)
            elif endpoint == "timegate":
                original = raw[len("/timegate/") :]
                status, headers = stand_in.timegate(original, self.headers.get("Accept-Datetime"))
                self._send(status, [("Content-Type", "text/plain"), *headers], b"", head)
            elif endpoint == "web":
                match = _WEB_PATH.match(raw)
                if match is None:
                    self._send(404, [("Content-Type", "text/plain")], b"bad archive path", head)
                    return
                status, headers, body = stand_in.page(
                    match.group(1), match.group(2), match.group(3)
                )
                self._send(status, headers, body, head)
            else:
                answer = stand_in.save(raw[len("/save/") :])
                if answer is not None:
                    self._send(*answer, head)

    return Handler
