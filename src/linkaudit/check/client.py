"""The HTTP client of a run, name resolution, and what a failure *means*.

One ``httpx.AsyncClient`` per run keeps connections alive and cookies in one jar,
as a reader's browser would.  Resolution is pluggable so the link zoo (and any
test) can map invented host names to loopback addresses without ever asking DNS;
production uses the system resolver through httpx unchanged.

``describe_error`` turns the layered httpx/httpcore/ssl exceptions into one
``FetchError``: the classifier's verdict depends on telling a refused connection
from a timeout, and an expired certificate from a self-signed one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import os
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpcore
import httpx

from linkaudit.addresses import AddressKind, address_kind, is_ip
from linkaudit.check.bodies import ACCEPT_ENCODING
from linkaudit.check.evidence import FetchError
from linkaudit.check.options import CheckOptions
from linkaudit.errors import ConfigError

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER_ACCEPT_LANGUAGE = "en-US,en;q=0.9"


class ResolveError(Exception):
    """A host name could not be turned into an address."""

    def __init__(self, host: str, detail: str = "") -> None:
        super().__init__(detail or host)
        self.host = host


class NameNotFound(ResolveError):
    """The name does not exist (NXDOMAIN): a definitive answer."""


class NameTemporaryFailure(ResolveError):
    """The resolver could not answer now (SERVFAIL, timeout): may be transient."""


class Resolver(Protocol):
    """Maps a host name to one IP address, or raises a ``ResolveError``."""

    async def resolve(self, host: str) -> str: ...


class BlockedAddress(Exception):
    """A request would reach an address the run excludes (``--exclude-private`` ...)."""

    def __init__(self, host: str, address: str, kind: AddressKind) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"{shown}, a {kind.replace('_', '-')} address")
        self.host = host
        self.address = address
        self.kind = kind


class SystemResolver:
    """The machine's resolver (``getaddrinfo``), each name asked once per run.

    Used only when addresses must be judged before connecting (``--exclude-*``):
    the connection then goes to the very address that was judged, so a name that
    answers differently the second time (DNS rebinding) cannot slip through.
    """

    def __init__(self) -> None:
        self._answers: dict[str, asyncio.Future[list[str]]] = {}

    async def resolve_all(self, host: str) -> list[str]:
        answer = self._answers.get(host)
        if answer is None:
            answer = self._answers[host] = asyncio.ensure_future(self._lookup(host))
        return await asyncio.shield(answer)

    async def resolve(self, host: str) -> str:
        return (await self.resolve_all(host))[0]

    @staticmethod
    async def _lookup(host: str) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            if exc.errno in _DNS_TEMPORARY:
                raise NameTemporaryFailure(host, str(exc)) from exc
            raise NameNotFound(host, str(exc)) from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise NameNotFound(host, "no address")
        return addresses


class GuardedResolver:
    """A resolver whose every answer is judged: an excluded kind of address raises
    ``BlockedAddress``.  A name with several addresses is refused if any of them is
    excluded, so that no retry or second connection can land on it."""

    def __init__(self, inner: Resolver | SystemResolver, exclude: frozenset[AddressKind]) -> None:
        self._inner = inner
        self.exclude = exclude

    async def resolve(self, host: str) -> str:
        if isinstance(self._inner, SystemResolver):
            addresses = await self._inner.resolve_all(host)
        else:
            addresses = [await self._inner.resolve(host)]
        for address in addresses:
            self.judge(host, address)
        return addresses[0]

    def judge(self, host: str, address: str) -> None:
        kind = address_kind(address)
        if kind is not None and kind in self.exclude:
            raise BlockedAddress(host, address, kind)


#: Names that exist in every working DNS (IANA keeps them): when none of them
#: resolves either, the resolver is what fails, not the cited hosts.
CANARY_NAMES: tuple[str, ...] = ("example.com", "example.org", "example.net")


async def resolver_answers(
    resolver: Resolver | None, names: tuple[str, ...] = CANARY_NAMES
) -> bool:
    """Whether name resolution works at all: the run's resolver (the system's when
    None) resolves one of ``names``.  Asked only when every host of a run failed to
    resolve, to tell a dead network from a list of dead domains."""
    for name in names:
        try:
            if resolver is not None:
                await resolver.resolve(name)
            else:
                await asyncio.get_running_loop().getaddrinfo(name, 443)
        except (ResolveError, OSError):
            continue
        return True
    return False


class ResolvingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the address ``resolver`` gives for its host.

    The URL is rewritten to the IP while the ``Host`` header stays and the TLS
    ``sni_hostname`` extension carries the real name, so virtual hosting and
    certificate checks behave as if DNS had answered.  Connections are pooled by
    IP and port, so two names sharing one address and port would share TLS
    connections: fine for tests, which is why production does not use this.
    """

    def __init__(self, resolver: Resolver, inner: httpx.AsyncBaseTransport) -> None:
        self._resolver = resolver
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if is_ip(host):
            if isinstance(self._resolver, GuardedResolver):
                self._resolver.judge(host, host)
            response = await self._inner.handle_async_request(request)
            response.extensions[ADDRESS] = host.strip("[]")
            return response
        address = await self._resolver.resolve(host)
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = host
        routed = httpx.Request(
            request.method,
            request.url.copy_with(host=address),
            headers=request.headers,
            stream=request.stream,
            extensions=extensions,
        )
        response = await self._inner.handle_async_request(routed)
        response.extensions[ADDRESS] = address
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def default_headers(options: CheckOptions) -> dict[str, str]:
    """Headers of a modern browser, except an honest User-Agent.

    Per-host headers (``HostSettings.headers``) are not here: the engine adds them to
    each request for their host, on top of these.
    """
    return {
        "User-Agent": options.user_agent,
        "Accept": BROWSER_ACCEPT,
        "Accept-Language": BROWSER_ACCEPT_LANGUAGE,
        # Only what check.bodies decodes with a bound on every layer.
        "Accept-Encoding": ACCEPT_ENCODING,
    }


INSECURE_EXTENSION = "linkaudit.insecure"


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is done with the connection."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


@dataclass
class _Pool:
    transport: httpx.AsyncBaseTransport
    active: int = 0


class HostPools(httpx.AsyncBaseTransport):
    """One small connection pool per origin (and per TLS mode), at most ``max_pools`` kept.

    httpcore's pool scans every connection for every queued request, which turns
    quadratic with a few hundred keep-alive connections across many hosts; small
    pools keep that cost at ``per_host``.  A pool per host *name* (not address) also
    means TLS connections are never shared between names that resolve alike, so
    each keeps its own SNI and certificate check.  ``--insecure`` requests (marked
    with the ``INSECURE_EXTENSION``) get their own unverified pool, so the
    verified attempt that detects a bad certificate comes first.
    """

    def __init__(
        self,
        factory: Callable[[bool], httpx.AsyncBaseTransport],
        max_pools: int,
    ) -> None:
        self._factory = factory
        self._max_pools = max(max_pools, 1)
        self._pools: OrderedDict[tuple[str, str, int | None, bool], _Pool] = OrderedDict()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        insecure = bool(request.extensions.get(INSECURE_EXTENSION))
        key = (request.url.scheme, request.url.host, request.url.port, insecure)
        pool = self._pools.get(key)
        victims: list[_Pool] = []
        if pool is None:
            # Register the new pool, mark it busy and choose victims before any
            # await: a request arriving meanwhile must neither build a second pool
            # for this key, nor evict this one, nor pop the same victims.
            pool = self._pools[key] = _Pool(self._factory(insecure))
            pool.active += 1
            victims = self._take_idle_beyond_limit()
        else:
            pool.active += 1
        self._pools.move_to_end(key)
        try:
            for victim in victims:
                await victim.transport.aclose()
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise

        def release() -> None:
            pool.active -= 1

        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Tracked(response.stream, release),
            extensions=response.extensions,
        )

    def _take_idle_beyond_limit(self) -> list[_Pool]:
        """Remove (synchronously) the least recently used idle pools beyond the limit."""
        excess = len(self._pools) - self._max_pools
        if excess <= 0:
            return []
        idle = [k for k, p in self._pools.items() if p.active == 0][:excess]
        return [self._pools.pop(k) for k in idle]

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()


class TrustStore:
    """The verified TLS context, its certificates loaded on a thread of their own.

    Loading the ~150 certificates of certifi's bundle takes 40-60 ms, which
    every run used to spend before its first request.  OpenSSL parses them
    without holding the GIL, so here they load while the run goes on: plain
    http requests never wait, and https ones wait (``ready``) only if they come
    before the certificates are in.  Until then the context trusts nothing, so
    an early handshake could only fail, never pass.  The trust anchors are the
    ones httpx would use: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else certifi.
    One store per set of anchors per process (``trust_store``).

    The loader is not a daemon thread: the interpreter waits for it before it
    finalises.  A daemon thread still inside OpenSSL when the interpreter tears
    down the ``ssl`` module crashed short runs with a large ``SSL_CERT_FILE`` (a
    corporate CI image's): SIGSEGV or a heap abort in 6 of 24 runs.  A run that
    ends early now waits out the load (about a second for a 14 MB bundle).
    """

    def __init__(self, cafile: str | None, capath: str | None) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, trusts nothing yet
        self._where = cafile or capath or ""
        self._loaded: concurrent.futures.Future[None] = concurrent.futures.Future()
        thread = threading.Thread(
            target=self._load, args=(cafile, capath), name="linkaudit-trust-store", daemon=False
        )
        thread.start()

    def _load(self, cafile: str | None, capath: str | None) -> None:
        try:
            self.context.load_verify_locations(cafile=cafile, capath=capath)
            keylog = os.environ.get("SSLKEYLOGFILE")
            if keylog:
                self.context.keylog_filename = keylog
        except (OSError, ValueError) as exc:
            self._loaded.set_exception(exc)
        else:
            self._loaded.set_result(None)

    async def ready(self) -> None:
        """Wait for the certificates; a store that cannot load them ends the run."""
        if not self._loaded.done():
            loading = asyncio.wrap_future(self._loaded)
            await asyncio.wait([loading])  # unlike awaiting it, never raises its error...
            loading.exception()  # ...which is taken here and reported below
        error = self._loaded.exception()
        if error is not None:
            raise ConfigError(f"cannot load trusted certificates from {self._where}: {error}")


_stores: dict[tuple[str | None, str | None], TrustStore] = {}
_stores_lock = threading.Lock()


def trust_store() -> TrustStore:
    """This process's store for the current trust anchors, loading started on first use.

    A missing ``SSL_CERT_FILE``/``SSL_CERT_DIR`` is a configuration error, said now
    rather than at the first https request.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    if cafile is not None and not os.path.isfile(cafile):
        raise ConfigError(f"SSL_CERT_FILE={cafile} is not a readable file")
    if capath is not None and not os.path.isdir(capath):
        raise ConfigError(f"SSL_CERT_DIR={capath} is not a directory")
    if cafile is None and capath is None:
        import certifi  # httpx's own dependency, and its default trust anchors

        cafile = certifi.where()
    key = (cafile, capath)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = TrustStore(cafile, capath)
    return store


class _AwaitTrust(httpx.AsyncBaseTransport):
    """Holds back verified https requests until the trust store has loaded."""

    def __init__(self, inner: httpx.AsyncBaseTransport, store: TrustStore) -> None:
        self._inner = inner
        self._store = store
        self._ready = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (
            not self._ready
            and request.url.scheme == "https"
            and not request.extensions.get(INSECURE_EXTENSION)
        ):
            await self._store.ready()
            self._ready = True
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _max_pools(concurrency: int, per_pool: int) -> int:
    """Keep-alive pools for as many hosts as a run is likely to revisit.

    Evicting a pool throws its connections away, so a cap below the number of hosts
    in flight means reconnecting for nearly every request (seen: 4,955 connections
    for 5,629 requests over 200 hosts).  Bounded by the file-descriptor limit, half
    of which is left for everything else.
    """
    try:
        import resource  # POSIX only

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        soft = 1024
    by_descriptors = max(soft, 256) // 2 // max(per_pool, 1)
    return max(2 * max(concurrency, 1), min(1024, by_descriptors))


#: Where a redirect's ``Location`` is kept for the engine (``Response.extensions``).
LOCATION = "linkaudit.location"
#: The address our resolver chose for a request (``Response.extensions``).
ADDRESS = "linkaudit.address"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def _keep_location(response: httpx.Response) -> None:
    """Take a redirect's ``Location`` out of httpx's hands before it parses it.

    httpx builds the next request from ``Location`` even when it does not follow
    it, and a hostile value (``http://[::1``, a space in a host name) raises there,
    losing the response.  The engine follows redirects itself, so it reads the raw
    value from here and judges it as a reader's browser would.
    """
    if response.status_code in _REDIRECTS and "location" in response.headers:
        response.extensions[LOCATION] = response.headers["location"]
        del response.headers["location"]


def _quick_transport(
    verify: ssl.SSLContext | bool, limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    """httpx's transport, its pool connecting through ``QuickBackend`` (httpx has no
    parameter for the backend; its pool keeps it in ``_network_backend``).

    The backend subclasses httpcore's private stream class, so it lives in a module
    of its own: an httpcore that moved that class gives plain transports, slower
    by a few per cent of CPU, never a run that cannot start.
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits, retries=0)
    pool = transport._pool
    if isinstance(pool, httpcore.AsyncConnectionPool) and hasattr(pool, "_network_backend"):
        try:
            from linkaudit.check._quickstream import QuickBackend
        except ImportError:  # httpcore's private layout changed
            return transport
        pool._network_backend = QuickBackend()
    return transport


class _Cookies(httpx.Cookies):
    """The run's cookie jar, which looks at a response only when it sets a cookie.

    httpx hands every response to ``http.cookiejar`` wrapped in a ``urllib``
    request (its URL parsed once more), Set-Cookie or not: 5 % of a checking
    process's CPU on a 2,000-file repository, whose answers set no cookie at all.
    A response without ``Set-Cookie`` (or the obsolete ``Set-Cookie2``) leaves the
    jar as it was either way.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def build_client(
    options: CheckOptions,
    *,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The run's one client; redirects are never followed by httpx (the engine records hops).

    The engine's limiter, not httpx, bounds concurrency, so pools never make a
    request wait (``pool=None``).  A caller-supplied ``transport`` (tests) is used
    as is, for verified and insecure requests alike, behind the resolver if any.
    """
    if options.exclude_addresses:
        resolver = GuardedResolver(resolver or SystemResolver(), options.exclude_addresses)
    # One context for every pool: loading the trust store costs ~50 ms each time.
    store = trust_store() if options.ssl_context is None and transport is None else None
    verified: ssl.SSLContext | bool = options.ssl_context or (store.context if store else True)
    unverified = httpx.create_ssl_context(verify=False)
    # Per-host settings may allow more than ``per_host``: every pool must fit the largest.
    widest = max(
        [options.per_host]
        + [s.concurrency for s in options.hosts.values() if s.concurrency is not None]
    )
    size = max(widest, 1) * 2
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=max(widest, 1))

    def pool(insecure: bool) -> httpx.AsyncBaseTransport:
        inner: httpx.AsyncBaseTransport = _quick_transport(
            unverified if insecure else verified, limits
        )
        return ResolvingTransport(resolver, inner) if resolver is not None else inner

    chosen: httpx.AsyncBaseTransport
    if transport is not None:
        chosen = ResolvingTransport(resolver, transport) if resolver is not None else transport
    else:
        chosen = HostPools(pool, max_pools=_max_pools(options.concurrency, size))
        if store is not None:
            chosen = _AwaitTrust(chosen, store)
    timeout = httpx.Timeout(
        connect=options.timeout_connect,
        read=options.timeout_read,
        write=options.timeout_read,
        pool=None,
    )
    client = httpx.AsyncClient(
        transport=chosen,
        headers=default_headers(options),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        event_hooks={"response": [_keep_location]},
    )
    # the property's setter would copy the jar into a plain ``httpx.Cookies``
    client._cookies = _Cookies()
    return client


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# OpenSSL X509_V_ERR_* codes, as found in SSLCertVerificationError.verify_code.
_EXPIRED = {9, 10}  # not yet valid, has expired
_UNTRUSTED = {18, 19, 20, 21, 27}  # self-signed (leaf or chain), unknown issuer, untrusted
_HOSTNAME = {62}  # hostname mismatch


def _tls_error(exc: ssl.SSLCertVerificationError) -> FetchError:
    code = exc.verify_code
    message = (exc.verify_message or str(exc)).lower()
    if code in _EXPIRED or "expired" in message or "not yet valid" in message:
        return FetchError.TLS_EXPIRED
    if code in _HOSTNAME or "hostname" in message or "ip address mismatch" in message:
        return FetchError.TLS_HOSTNAME
    if code in _UNTRUSTED or "self-signed" in message or "self signed" in message:
        return FetchError.TLS_SELF_SIGNED
    if "issuer" in message:
        return FetchError.TLS_SELF_SIGNED
    return FetchError.TLS_OTHER


_DNS_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_DNS_TEMPORARY = {socket.EAI_AGAIN, socket.EAI_FAIL}


def describe_error(exc: BaseException) -> tuple[FetchError, str]:
    """The precise ``FetchError`` behind an exception raised while fetching, with a sentence.

    The whole ``__cause__``/``__context__`` chain is inspected because httpx wraps
    httpcore, which wraps the OS or ssl exception that carries the real reason.
    Only when no link of the chain is telling does the outer (httpx) exception's
    type decide.
    """
    for link in _chain(exc):
        described = _describe_cause(link)
        if described is not None:
            return described
    return _describe_httpx(exc, str(exc) or type(exc).__name__)


def _describe_cause(link: BaseException) -> tuple[FetchError, str] | None:
    """What a resolver, ssl or OS exception means, wherever it sits in the chain.

    These carry the real reason (a missing name, a rejected certificate, a
    refused port) and so outrank the generic httpx error that wraps them.
    """
    if isinstance(link, BlockedAddress):
        return FetchError.BLOCKED, str(link)
    if isinstance(link, NameNotFound):
        return FetchError.DNS_NOT_FOUND, f"the name {link.host} does not exist"
    if isinstance(link, NameTemporaryFailure):
        return FetchError.DNS_TEMPORARY, f"the name {link.host} could not be resolved now"
    if isinstance(link, ssl.SSLCertVerificationError):
        return _tls_error(link), f"certificate rejected: {link.verify_message or link}"
    if isinstance(link, socket.gaierror):
        if link.errno in _DNS_TEMPORARY:
            return FetchError.DNS_TEMPORARY, f"temporary DNS failure: {link}"
        return FetchError.DNS_NOT_FOUND, f"name not found: {link}"
    if isinstance(link, ConnectionRefusedError):
        return FetchError.CONNECT_REFUSED, "connection refused"
    if isinstance(link, ConnectionResetError | BrokenPipeError | ssl.SSLEOFError):
        return FetchError.RESET, "connection reset by the server"
    return None


def _describe_httpx(exc: BaseException, detail: str) -> tuple[FetchError, str]:
    """What the outermost exception's type says, when its chain said nothing precise."""
    if isinstance(exc, httpx.TimeoutException):
        return FetchError.TIMEOUT, f"timed out ({type(exc).__name__})"
    if isinstance(exc, TimeoutError):
        return FetchError.TIMEOUT, "timed out"
    if isinstance(exc, httpx.ConnectError):
        return _describe_connect_error(detail)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return FetchError.RESET, f"connection broken: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return _describe_protocol_error(detail)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError.INVALID_URL, detail
    if isinstance(exc, httpx.DecodingError):
        return FetchError.PROTOCOL, f"undecodable body: {detail}"
    return FetchError.CONNECT_FAILED, detail


def _describe_connect_error(detail: str) -> tuple[FetchError, str]:
    """A connect error whose cause was lost: only its message tells refused from TLS."""
    lowered = detail.lower()
    if "refused" in lowered or f"errno {errno.ECONNREFUSED}" in lowered:
        return FetchError.CONNECT_REFUSED, "connection refused"
    if "ssl" in lowered or "tls" in lowered or "certificate" in lowered:
        return FetchError.TLS_OTHER, f"TLS handshake failed: {detail}"
    return FetchError.CONNECT_FAILED, f"could not connect: {detail}"


def _describe_protocol_error(detail: str) -> tuple[FetchError, str]:
    """A server that hung up mid-answer is a reset (may pass); garbage is a protocol error."""
    lowered = detail.lower()
    if "disconnect" in lowered or "closed" in lowered or "incomplete" in lowered:
        return FetchError.RESET, f"connection closed: {detail}"
    return FetchError.PROTOCOL, f"not a valid HTTP answer: {detail}"
