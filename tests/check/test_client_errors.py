"""What a failure means: layered httpx/httpcore/ssl exceptions mapped to one FetchError."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from linkaudit.check import FetchError, NameNotFound, NameTemporaryFailure, describe_error
from linkaudit.check.client import INSECURE_EXTENSION, HostPools, ResolvingTransport


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_code = code
    error.verify_message = message
    return error


def _wrapped(cause: BaseException, outer: type[httpx.HTTPError] = httpx.ConnectError) -> Exception:
    error = outer(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (_verify_error(10, "certificate has expired"), FetchError.TLS_EXPIRED),
        (_verify_error(18, "self-signed certificate"), FetchError.TLS_SELF_SIGNED),
        (
            _verify_error(19, "self-signed certificate in certificate chain"),
            FetchError.TLS_SELF_SIGNED,
        ),
        (_verify_error(20, "unable to get local issuer certificate"), FetchError.TLS_SELF_SIGNED),
        (
            _verify_error(62, "Hostname mismatch, certificate is not valid for 'x'."),
            FetchError.TLS_HOSTNAME,
        ),
        (_verify_error(50, "application verification failure"), FetchError.TLS_OTHER),
        (ConnectionRefusedError(111, "Connection refused"), FetchError.CONNECT_REFUSED),
        (ConnectionResetError(104, "Connection reset by peer"), FetchError.RESET),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), FetchError.DNS_NOT_FOUND),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), FetchError.DNS_TEMPORARY),
        (OSError(101, "Network is unreachable"), FetchError.CONNECT_FAILED),
    ],
)
def test_connect_errors(cause: BaseException, expected: FetchError) -> None:
    assert describe_error(_wrapped(cause))[0] is expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout("t"), FetchError.TIMEOUT),
        (httpx.ReadTimeout("t"), FetchError.TIMEOUT),
        (TimeoutError(), FetchError.TIMEOUT),
        (httpx.ReadError("broken"), FetchError.RESET),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            FetchError.RESET,
        ),
        (httpx.RemoteProtocolError("illegal status line: b'SSH-2.0'"), FetchError.PROTOCOL),
        (httpx.UnsupportedProtocol("ftp"), FetchError.INVALID_URL),
        (NameNotFound("gone.invalid"), FetchError.DNS_NOT_FOUND),
        (NameTemporaryFailure("flaky.test"), FetchError.DNS_TEMPORARY),
    ],
)
def test_other_errors(error: BaseException, expected: FetchError) -> None:
    code, detail = describe_error(error)
    assert code is expected
    assert detail


class _Echo(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200)


class _Table:
    async def resolve(self, host: str) -> str:
        if host == "known.test":
            return "127.0.0.5"
        raise NameNotFound(host)


async def test_resolving_transport_routes_to_the_address_and_keeps_the_name() -> None:
    inner = _Echo()
    transport = ResolvingTransport(_Table(), inner)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("https://known.test:8443/x?y=1")
        with pytest.raises(NameNotFound):
            await client.get("http://unknown.invalid/")
        await client.get("http://127.0.0.9:81/ip-literal")
    routed = inner.seen[0]
    assert routed.url == httpx.URL("https://127.0.0.5:8443/x?y=1")
    assert routed.headers["host"] == "known.test:8443"
    assert routed.extensions["sni_hostname"] == "known.test"
    assert inner.seen[1].url.host == "127.0.0.9"


async def test_host_pools_are_per_origin_and_bounded() -> None:
    made: list[_Echo] = []
    closed: list[_Echo] = []

    class Closing(_Echo):
        async def aclose(self) -> None:
            closed.append(self)

    def factory(insecure: bool) -> httpx.AsyncBaseTransport:
        made.append(Closing())
        return made[-1]

    pools = HostPools(factory, max_pools=2)
    async with httpx.AsyncClient(transport=pools) as client:
        await client.get("http://a.test/1")
        await client.get("http://a.test/2")
        assert len(made) == 1  # one pool per origin, reused
        await client.get("http://b.test/")
        await client.get("http://c.test/")  # over the limit: the idle LRU pool (a) goes
        assert closed == [made[0]]
        await client.get("http://c.test/", extensions={INSECURE_EXTENSION: True})
        assert len(made) == 4  # insecure requests get their own pool
