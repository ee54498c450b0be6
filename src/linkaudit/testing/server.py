"""A loopback HTTP(S) server that can misbehave like the real web, and keeps count.

The checker's hard cases (resets, silence, trickles, endless bodies, bad
certificates) cannot be faked convincingly above the socket, so this server
speaks raw HTTP/1.1 over asyncio streams in a background thread.  Each *site*
is one listening address (``127.0.0.x:port``, optionally TLS) with its own
routes, and counts what a polite client must respect: requests per path and
the peak number of requests in flight at once.

    with LoopbackServer() as server:
        site = server.add_site("127.0.0.2")
        site.route("/a", page("<html>...</html>"))
        site.route("/b", sequence(status(503), page("ok")))
        ...
        assert site.stats.max_in_flight <= 4
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import ssl
import struct
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One parsed request head."""

    method: str
    target: str  # path and query as sent
    headers: Mapping[str, str]  # lower-case names

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class Conn:
    """The handler's side of one connection: write a response, or misbehave."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False
        self.bytes_written = 0

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.bytes_written += len(data)

    async def send(
        self,
        request: Request,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        content_type: str | None = "text/html; charset=utf-8",
    ) -> None:
        """A complete, well-formed response (no body for HEAD, as HTTP says)."""
        head = [f"HTTP/1.1 {status} {_reason(status)}"]
        if content_type is not None:
            head.append(f"Content-Type: {content_type}")
        head.append(f"Content-Length: {len(body)}")
        head += [f"{name}: {value}" for name, value in headers]
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if request.method != "HEAD":
            data += body
        await self.write(data)

    def close(self) -> None:
        self.closed = True
        self.writer.close()

    async def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a crashing server or middlebox would."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.closed = True
        self.writer.transport.abort()

    async def wait_closed_by_peer(self) -> None:
        """Return when the client hangs up (reads and discards anything it sends)."""
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while await self.reader.read(4096):
                pass
        self.closed = True


Handler = Callable[[Request, Conn], Awaitable[None]]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Request Denied" if status == 999 else "Unknown"


# --- handler factories -----------------------------------------------------------


def page(
    body: str | bytes = "",
    *,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> Handler:
    """Answer every request with the same response."""
    data = body.encode() if isinstance(body, str) else body
    extra = tuple(headers)

    async def handler(request: Request, conn: Conn) -> None:
        await conn.send(request, status, data, extra, content_type)

    return handler


def redirect(location: str, status: int = 301, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    return page(b"", status=status, content_type=None, headers=(("Location", location), *headers))


def by_method(handlers: Mapping[str, Handler], default: Handler) -> Handler:
    """Different behaviour for HEAD and GET, like servers that mishandle HEAD."""

    async def handler(request: Request, conn: Conn) -> None:
        await handlers.get(request.method, default)(request, conn)

    return handler


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler; the last one repeats."""
    counter = itertools.count()

    async def handler(request: Request, conn: Conn) -> None:
        index = min(next(counter), len(handlers) - 1)
        await handlers[index](request, conn)

    return handler


def reset_mid_head(partial: bytes = b"HTTP/1.1 200 OK\r\nContent-Ty") -> Handler:
    """Start the response head, then reset the connection."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.write(partial)
        await asyncio.sleep(0.01)
        await conn.reset()

    return handler


def raw(data: bytes, *, close: bool = True) -> Handler:
    """Write ``data`` as it is (a malformed head, a lying length), then hang up."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.write(data)
        if close:
            conn.close()

    return handler


def hang() -> Handler:
    """Accept the request and never answer (until the client gives up)."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.wait_closed_by_peer()

    return handler


def trickle(interval: float, content_type: str = "text/html; charset=utf-8") -> Handler:
    """A valid head, then one body byte per ``interval``: never a read timeout, never done."""

    async def handler(request: Request, conn: Conn) -> None:
        await conn.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
            "Content-Length: 100000000\r\n\r\n<".encode()
        )
        while True:
            await asyncio.sleep(interval)
            await conn.write(b"p")

    return handler


def huge(
    size: int | None,
    content_type: str = "application/octet-stream",
    chunk: int = 64 * 1024,
) -> Handler:
    """A body of ``size`` bytes (``None``: endless, close-delimited), written as fast as read."""

    async def handler(request: Request, conn: Conn) -> None:
        length = f"Content-Length: {size}\r\n" if size is not None else "Connection: close\r\n"
        await conn.write(
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{length}\r\n".encode()
        )
        if request.method == "HEAD":
            return
        block = (
            (b"<p>" + b"x" * (chunk - 7) + b"</p>\n") if "html" in content_type else b"\0" * chunk
        )
        sent = 0
        while size is None or sent < size:
            piece = block if size is None else block[: size - sent]
            await conn.write(piece)
            sent += len(piece)
        if size is None:
            conn.close()

    return handler


# --- the server ------------------------------------------------------------------


@dataclass
class SiteStats:
    """What the site saw.  Mutated only on the server thread; read after a run."""

    requests: int = 0
    by_path: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, path)
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    bytes_by_path: Counter[str] = field(default_factory=Counter)  # accepted by the socket

    def count(self, path: str, method: str | None = None) -> int:
        if method is not None:
            return self.by_path[(method, path)]
        return sum(n for (_, p), n in self.by_path.items() if p == path)


class Site:
    """One listening address with its routes; unknown paths go to ``fallback``."""

    def __init__(self, host: str, ssl_context: ssl.SSLContext | None, latency: float) -> None:
        self.host = host
        self.port = 0
        self.ssl_context = ssl_context
        self.latency = latency
        self.routes: dict[str, Handler] = {}
        self.fallback: Handler = page("<html><body><h1>Not Found</h1></body></html>", status=404)
        self.stats = SiteStats()
        self._server: asyncio.Server | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def route(self, path: str, handler: Handler) -> Site:
        self.routes[path] = handler
        return self

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        self.stats.connections += 1
        try:
            while not conn.closed:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                request = _parse(head)
                if request is None:
                    return
                self.stats.requests += 1
                self.stats.by_path[(request.method, request.path)] += 1
                self.stats.in_flight += 1
                self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
                written = conn.bytes_written
                try:
                    if self.latency:
                        await asyncio.sleep(self.latency)
                    handler = self.routes.get(request.path, self.fallback)
                    await handler(request, conn)
                finally:
                    self.stats.in_flight -= 1
                    self.stats.bytes_by_path[request.path] += conn.bytes_written - written
                if request.headers.get("connection", "").lower() == "close":
                    break
        except (OSError, ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _parse(head: bytes) -> Request | None:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return Request(parts[0], parts[1], headers)


class LoopbackServer:
    """Runs any number of sites on one event loop in a daemon thread."""

    def __init__(self) -> None:
        self.sites: list[Site] = []
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda loop, context: None)  # TLS rejections are expected
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._started = False

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def _run(self, coro: Awaitable[T]) -> T:
        async def wrapper() -> T:
            return await coro

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout=30)

    def add_site(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        latency: float = 0.0,
    ) -> Site:
        """Start listening on ``host:port`` (0: any free port) and return the site."""
        self.start()
        site = Site(host, ssl_context, latency)

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(
                site._serve, host, port, ssl=ssl_context, backlog=1024, limit=64 * 1024
            )

        server = self._run(listen())
        site._server = server
        site.port = server.sockets[0].getsockname()[1]
        self.sites.append(site)
        return site

    def stop(self) -> None:
        if not self._started:
            return

        async def shutdown() -> None:
            for site in self.sites:
                if site._server is not None:
                    site._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self._run(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._started = False

    def reset_stats(self) -> None:
        for site in self.sites:
            site.stats = SiteStats()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released), for connection-refused cases."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
