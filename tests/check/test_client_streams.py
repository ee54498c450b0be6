"""The run's connections: what never changes about one is looked up once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from typing import Any

import pytest
from httpcore._backends.anyio import AnyIOStream

from linkaudit.check import CheckOptions
from linkaudit.check.client import build_client
from linkaudit.testing.server import LoopbackServer, page


def test_a_kept_alive_connection_is_asked_its_socket_and_peer_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: Counter[str] = Counter()
    lookup = AnyIOStream.get_extra_info

    def counting(self: AnyIOStream, info: str) -> Any:
        asked[info] += 1
        return lookup(self, info)

    monkeypatch.setattr(AnyIOStream, "get_extra_info", counting)
    with LoopbackServer() as server:
        site = server.add_site()
        site.route("/", page("<p>hello</p>"))

        async def five() -> list[Any]:
            peers = []
            async with build_client(CheckOptions()) as client:
                for _ in range(5):
                    response = await client.get(site.url("/"))
                    await response.aread()
                    stream = response.extensions["network_stream"]
                    peers.append(stream.get_extra_info("server_addr"))
                    assert stream.get_extra_info("is_readable") is False
            return peers

        peers = asyncio.run(five())
    assert site.stats.connections == 1  # one connection, reused four times
    assert {peer[:2] for peer in peers} == {("127.0.0.1", site.port)}
    # httpcore polled the idle connection before each reuse, from the socket found once
    assert asked["server_addr"] == 1
    assert asked["socket"] == 1
    assert asked["is_readable"] == 0


def test_an_httpcore_without_its_private_stream_class_gives_plain_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an import of the quick backend that fails, as if httpcore had moved AnyIOStream
    monkeypatch.setitem(sys.modules, "linkaudit.check._quickstream", None)
    with LoopbackServer() as server:
        site = server.add_site()
        site.route("/", page("<p>hello</p>"))

        async def one() -> tuple[int, str]:
            async with build_client(CheckOptions()) as client:
                response = await client.get(site.url("/"))
                await response.aread()
                stream = response.extensions["network_stream"]
                return response.status_code, type(stream).__name__

        status, stream = asyncio.run(one())
    assert status == 200
    assert stream == "AnyIOStream"  # httpcore's own, not QuickStream
