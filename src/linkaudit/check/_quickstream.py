"""httpcore's asyncio backend with connections that look up their fixed details once.

Kept apart from :mod:`linkaudit.check.client` because it builds on httpcore's
private ``AnyIOStream``: ``client`` imports this module only where it builds a
transport, and falls back to httpcore's own backend if the import fails.
"""

from __future__ import annotations

import ssl
from typing import Any

import anyio.abc
import httpcore
from httpcore._backends.anyio import AnyIOStream
from httpcore._utils import is_socket_readable


class QuickStream(AnyIOStream):
    """httpcore's asyncio connection, asked once for what a connection never changes.

    httpcore asks each idle connection whether the server closed it (is its socket
    readable?) before reusing it, every time a request looks for one, and the
    engine asks every response's connection for its peer address.  Each question
    made anyio build its table of a stream's attributes anew: 4 % of a checking
    process's CPU.  A connection's socket and addresses are fixed, so here they
    are looked up once; readability is still polled every time.
    """

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        super().__init__(stream)
        self._fixed: dict[str, Any] = {}

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return is_socket_readable(self._fixed_info("socket"))
        if info in ("socket", "server_addr", "client_addr"):
            return self._fixed_info(info)
        return super().get_extra_info(info)

    def _fixed_info(self, info: str) -> Any:
        try:
            return self._fixed[info]
        except KeyError:
            value = self._fixed[info] = super().get_extra_info(info)
            return value

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await super().start_tls(ssl_context, server_hostname, timeout)
        return QuickStream(tls._stream) if isinstance(tls, AnyIOStream) else tls


class QuickBackend(httpcore.AnyIOBackend):
    """httpcore's asyncio backend, its connections ``QuickStream``."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await super().connect_tcp(host, port, timeout, local_address, socket_options)
        return QuickStream(stream._stream) if isinstance(stream, AnyIOStream) else stream
