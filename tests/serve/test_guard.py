"""The desk's fetch guard beyond loopback: refused addresses, and no second lookup."""

from __future__ import annotations

import httpx
import pytest

from linkaudit.addresses import AddressKind
from linkaudit.serve.desk import GuardedTransport
from linkaudit.testing.server import Conn, LoopbackServer, Request

PRIVATE = frozenset({AddressKind.PRIVATE, AddressKind.LINK_LOCAL})


def test_the_connection_goes_to_the_address_that_was_judged() -> None:
    """The name resolves only in the guard's own table: a second lookup would fail."""
    seen: list[str] = []

    async def handler(request: Request, conn: Conn) -> None:
        seen.append(request.headers["host"])
        await conn.send(request, 200, b"<p>story</p>")

    with LoopbackServer() as server:
        site = server.add_site("127.0.0.3")
        site.route("/story", handler)
        transport = GuardedTransport(PRIVATE, resolve=lambda host, port: ["127.0.0.3"])
        with httpx.Client(transport=transport) as client:
            answer = client.get(f"http://news.city.org:{site.port}/story")
    assert answer.status_code == 200
    assert seen == [f"news.city.org:{site.port}"]  # the name is kept for Host (and TLS)


@pytest.mark.parametrize(
    ("url", "addresses", "says"),
    [
        ("http://news.city.org/", ["93.184.216.34", "10.1.2.3"], "private address"),
        ("http://meta.city.org/", ["169.254.169.254"], "link_local address"),
        ("http://10.0.0.8/", [], "private address"),
        ("http://intranet/", ["93.184.216.34"], "private network name"),
        ("http://wiki.corp/", ["93.184.216.34"], "private network name"),
    ],
)
def test_private_addresses_and_names_are_refused(url: str, addresses: list[str], says: str) -> None:
    transport = GuardedTransport(PRIVATE, resolve=lambda host, port: addresses)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(httpx.ConnectError, match=says),
    ):
        client.get(url)
