"""The network half of checking: fetch each distinct URL once, politely, and gather evidence.

The engine decides nothing about verdicts.  It behaves like a reader's browser
where that changes the answer (cookies, redirects followed by hand and recorded,
browser ``Accept`` headers; a meta refresh is judged by the classifier from the
page) and like a polite robot otherwise
(per-host limits, bounded reads, retries that back off), then hands an
``Evidence`` to the pure classifier.

Cost control is the point of most choices here: a body is only read when a
verdict depends on it (HTML, up to ``max_body``), HEAD is used only where it can
decide alone (obviously binary resources), a soft-404 probe is made only where
its answer could change a verdict (an HTML 200 that neither echoes its slug nor
stands apart from the host's other pages: ``_needs_probe``), at most once per host,
and once per directory only on hosts that answer a random path with 2xx (see
``_probe_task``), and every URL has a budget (``deadline``) of time actually
spent talking to servers, so neither a 5 GB file nor a server trickling one byte
a second can hold a run hostage.

Per-host settings (``CheckOptions.hosts``) apply to each request by the host it
goes to, hop by hop: a redirect away from a host leaves its headers behind.  Their
``timeout`` replaces the read/write timeout and, when longer, stretches that
request's share of the deadline (``host_deadline``).  Their ``headers`` go on top
of the browser-like defaults and may be secrets: they are never logged, and their
values are masked in any error text before it reaches evidence or results.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urljoin

import httpx

from linkaudit import _aio as aio
from linkaudit import charsets
from linkaudit.addresses import address_kind
from linkaudit.check import quirks, soft404
from linkaudit.check.anchors import AnchorScan, AnchorSearch
from linkaudit.check.bodies import BodyError, read_body
from linkaudit.check.classify import classify, lands_on_front_page
from linkaudit.check.client import (
    ADDRESS,
    INSECURE_EXTENSION,
    LOCATION,
    BlockedAddress,
    ResolveError,
    Resolver,
    build_client,
    describe_error,
)
from linkaudit.check.evidence import Evidence, FetchError, Page, Probe
from linkaudit.check.feed import KeyFeed
from linkaudit.check.limiter import Clock, Limiter, SystemClock
from linkaudit.check.options import CheckOptions, HostSettings, host_deadline, host_settings
from linkaudit.check.quirks import has_anchor, is_homepage_like
from linkaudit.errors import LinkauditError
from linkaudit.httputil import retry_after_seconds
from linkaudit.model import CheckResult, Hop
from linkaudit.store.base import BatchResultCache, ResultCache
from linkaudit.urls import defragment, split_url

if TYPE_CHECKING:
    from linkaudit.check.hostgate import HostGate  # sharded runs only (multiprocessing)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Answers worth asking again: overload and gateway trouble, and a plain 500, which is
#: often a passing fault; only one that persists past the retries is ``broken``.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_ERRORS = frozenset(
    {FetchError.TIMEOUT, FetchError.RESET, FetchError.DNS_TEMPORARY, FetchError.CONNECT_FAILED}
)
TLS_ERRORS = frozenset(
    {
        FetchError.TLS_EXPIRED,
        FetchError.TLS_SELF_SIGNED,
        FetchError.TLS_HOSTNAME,
        FetchError.TLS_OTHER,
    }
)

#: Resources a HEAD can judge: their body never matters to a verdict.
# fmt: off
BINARY_EXTENSIONS = frozenset({
    "7z", "apk", "avi", "bin", "bmp", "bz2", "csv", "deb", "dmg", "doc", "docx", "epub", "exe",
    "flac", "gif", "gz", "ico", "iso", "jar", "jpeg", "jpg", "m4a", "m4v", "mkv", "mov", "mp3",
    "mp4", "mpeg", "mpg", "msi", "odp", "ods", "odt", "ogg", "otf", "pdf", "png", "ppt", "pptx",
    "rar", "rpm", "svg", "tar", "tgz", "tif", "tiff", "ttf", "wav", "webm", "webp", "wmv",
    "woff", "woff2", "xls", "xlsx", "xz", "zip",
})
# fmt: on
HTML_TYPES = ("text/html", "application/xhtml+xml")

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w:.+-]+)""", re.IGNORECASE)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
#: Decoded bytes of a page searched for cited ``#fragment`` ids (past ``max_body``).
ANCHOR_SCAN_BYTES = 16 * 1024 * 1024


#: Fresh results handed to a ``BatchResultCache`` at a time.  An interrupted run
#: keeps all but the last few (the store stays usable either way: see its tests).
PUT_BATCH = 64
#: Evidence kept for fragments that may still arrive (``KeyFeed``): page text
#: within this budget, each answer counted at least ``KEPT_OVERHEAD``; beyond it a
#: late fragment costs its URL a second request, never a wrong answer.
KEPT_BYTES = 32 * 1024 * 1024
KEPT_OVERHEAD = 2048


class _Failure(Exception):
    def __init__(self, error: FetchError, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


@dataclass
class _Response:
    url: str
    status: int
    method: str
    headers: dict[str, str]
    page: Page | None
    location: str | None
    set_cookies: int
    host: str = ""  # its ``host:port`` as the limiter keys it (parsing a URL is not free)


@dataclass
class _Outcome:
    """One pass through a redirect chain: the hops and either a final response or an error."""

    chain: list[Hop]
    final: _Response | None
    error: FetchError | None = None
    detail: str = ""


@dataclass
class _State:
    """What one URL has cost so far; shared by its HEAD, GET and retry passes."""

    spent: float = 0.0  # seconds spent in requests, against ``deadline``
    attempts: int = 0
    tls_error: FetchError | None = None
    notes: list[str] = field(default_factory=list)
    out_of_time: bool = False
    fragments: tuple[str, ...] = ()  # cited on this URL: searched for while reading
    #: every id is remembered while reading: more fragments of this URL may still come
    scan_all: bool = False
    internal: bool = False  # some answer came from a loopback/private/link-local address
    waited: float = 0.0  # seconds of Retry-After waited (they count toward the deadline)
    sent: asyncio.Event = field(default_factory=asyncio.Event)  # a request went out
    answered: bool = False  # some request of this URL ended (with an answer or an error)


@dataclass(frozen=True)
class _RetryPlan:
    """After a transient answer: wait ``wait`` seconds and ask again, or stop (None)."""

    wait: float | None
    retry_after: datetime | None  # when the server said to come back, if it said
    exceeded: bool = False  # it asked for longer than we may wait


@dataclass(frozen=True)
class _Asked:
    """The last pass for one URL, what all passes cost, and the server's last Retry-After."""

    outcome: _Outcome
    state: _State
    retry_after: datetime | None = None
    exceeded: bool = False


def _forward(current: str, response: _Response) -> tuple[str, str | None]:
    """Where a page that loads forwards its reader at once (a prompt meta refresh, or
    a script that only redirects), as a browser would follow: ``(how, url)``, or
    ``("", None)`` for a page the reader stays on."""
    page = response.page
    if page is None or not page.text or not 200 <= response.status < 300:
        return "", None
    found = quirks.forward_target(page.text)
    if found is None:
        return "", None
    how, written = found
    target = _join(current, written)
    if target is None:
        return how, written.strip()  # judged unusable when followed
    if defragment(target)[0] == defragment(current)[0]:
        return "", None  # reloads itself: no detour
    return how, target


#: Characters no host name may hold (WHATWG URL "forbidden host code points").
_FORBIDDEN_IN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|%")


def _join(current: str, location: str) -> str | None:
    """The absolute URL a ``Location`` (or refresh target) names, or None if unusable."""
    try:
        target = urljoin(current, location.strip())
        parts = split_url(target)
        host = parts.hostname
    except ValueError:  # "http://[::1": an unclosed IPv6 literal
        return None
    if parts.scheme in ("http", "https"):
        ipv6 = "[" in parts.netloc  # urlsplit has checked the brackets
        if not host or (not ipv6 and not _FORBIDDEN_IN_HOST.isdisjoint(host)):
            return None
    return target


def _web_url(target: str) -> bool:
    return split_url(target).scheme in ("http", "https")


def _host_key(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def _limiter_key(response: _Response) -> str:
    return response.host or _host_key(httpx.URL(response.url))


def _is_html(content_type: str | None) -> bool:
    if content_type is None:
        return True  # unlabelled: could be a page; the read is bounded anyway
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def _is_binary(url: str) -> bool:
    path = split_url(url).path
    last = path.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in BINARY_EXTENSIONS


def _charset(data: bytes, content_type: str | None) -> charsets.Charset:
    """The charset a browser would read a page in: BOM, HTTP charset, ``<meta>``, UTF-8.

    Only WHATWG charset labels count (``charsets``): a page that names ``idna``
    or ``undefined`` is read as UTF-8, as a browser would, not turned into an error.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return charsets.Charset(name, name)
    labels: list[tuple[str, bool]] = []  # (label, from <meta>)
    if content_type and "charset=" in content_type.lower():
        labels.append((content_type.lower().split("charset=", 1)[1].split(";")[0], False))
    match = _CHARSET.search(data[:2048])
    if match:
        labels.append((match.group(1).decode("ascii", "replace"), True))
    for label, from_meta in labels:
        charset = charsets.lookup(label)
        if charset is None:
            continue
        if from_meta and charset.codec.startswith("utf-16"):
            return charsets.UTF8  # a <meta> that can be read is in an ASCII superset
        return charset
    return charsets.UTF8


def _decode(data: bytes, content_type: str | None) -> str:
    charset = _charset(data, content_type)
    for bom, _ in _BOMS:
        if data.startswith(bom):
            return charset.decode(data[len(bom) :])
    return charset.decode(data)


def _headers(response: httpx.Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _served_from_inside(response: httpx.Response) -> bool:
    """Whether the connection that answered goes to a non-public address: the one
    our resolver chose, else the socket's peer."""
    chosen = response.extensions.get(ADDRESS)
    if isinstance(chosen, str):
        return _non_public(chosen)
    stream = response.extensions.get("network_stream")
    if stream is None:
        return False
    peer = stream.get_extra_info("server_addr")
    return isinstance(peer, tuple) and bool(peer) and _non_public(str(peer[0]))


@functools.lru_cache(maxsize=1024)
def _non_public(address: str) -> bool:
    """Whether an answering address is loopback, private or link-local, remembered:
    a run's answers come from a few hundred addresses, each parsed by ``ipaddress``
    for every response otherwise."""
    return address_kind(address) is not None


def _root(url: str) -> str | None:
    parts = split_url(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def _probe_url(url: str) -> tuple[str, str]:
    """A surely non-existent sibling of ``url`` and the (origin, directory) it stands for."""
    parts = split_url(url)
    directory = parts.path.rsplit("/", 1)[0] + "/" if "/" in parts.path else "/"
    name = "linkaudit-" + secrets.token_hex(8)
    return f"{parts.scheme}://{parts.netloc}{directory}{name}", f"{parts.netloc}{directory}"


class _Engine:
    def __init__(
        self,
        options: CheckOptions,
        client: httpx.AsyncClient,
        clock: Clock,
        rng: random.Random,
        host_gate: HostGate | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.clock = clock
        self.rng = rng
        self.limiter = Limiter(
            options.concurrency,
            options.per_host,
            options.host_interval,
            clock,
            hosts=options.hosts,
            shared=host_gate,
        )
        self._settings: dict[str, HostSettings | None] = {}
        self.secrets = _secrets(options)
        self._insecure_hosts: dict[str, FetchError] = {}
        self._probes: dict[str, asyncio.Task[Probe | None]] = {}
        # hosts that answered a random path with 2xx: every directory is probed
        self._soft_hosts: set[str] = set()
        # redirect targets asked in this run, by (URL, method): their answer and
        # whether it came from inside the network (None: not to be shared)
        self._answers: dict[tuple[str, str], asyncio.Future[tuple[_Response, bool] | None]] = {}
        self._own_probes: dict[str, asyncio.Task[Probe | None]] = {}
        self._first_probe: dict[str, asyncio.Task[Probe | None]] = {}
        self._probes_per_host: Counter[str] = Counter()
        #: while the run's keys are still arriving (``KeyFeed``), pages are read for
        #: every id: a fragment of an URL already read may come later
        self.scan_all = False
        # per host: the names of the pages its targets answered with, and who is still out
        self._pages: dict[str, _HostPages] = {}
        self._probe_wanted: set[str] = set()  # hosts where some page needed the probe

    # --- per-host settings ------------------------------------------------------

    def settings(self, hostname: str) -> HostSettings | None:
        if hostname not in self._settings:
            self._settings[hostname] = host_settings(self.options, hostname)
        return self._settings[hostname]

    def redact(self, text: str) -> str:
        return _redact(text, self.secrets)

    # --- one request ------------------------------------------------------------

    async def _request(self, url: str, method: str, state: _State) -> _Response:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise _Failure(FetchError.INVALID_URL, f"not a usable URL: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise _Failure(FetchError.INVALID_URL, f"not an http(s) URL: {url}")
        host = _host_key(parsed)
        settings = self.settings(parsed.host)
        deadline = host_deadline(self.options, settings)
        async with self.limiter.slot(host):
            state.sent.set()
            remaining = deadline - state.spent - state.waited
            if remaining <= 0:
                state.out_of_time = True
                raise _Failure(FetchError.TIMEOUT, self._deadline_detail(deadline))
            started = time.monotonic()
            try:
                async with asyncio.timeout(remaining):
                    return await self._exchange(parsed, method, host, state, settings)
            except TimeoutError as exc:
                state.out_of_time = True
                raise _Failure(FetchError.TIMEOUT, self._deadline_detail(deadline)) from exc
            finally:
                state.spent += time.monotonic() - started
                state.answered = True

    @staticmethod
    def _deadline_detail(deadline: float) -> str:
        return f"no complete answer within the {deadline:g} s limit for one URL"

    async def _exchange(
        self,
        url: httpx.URL,
        method: str,
        host: str,
        state: _State,
        settings: HostSettings | None,
    ) -> _Response:
        insecure = host in self._insecure_hosts
        if insecure:
            state.tls_error = self._insecure_hosts[host]
        try:
            response = await self._send(url, method, insecure, settings)
        except _Failure as failure:
            if failure.error not in TLS_ERRORS or self.options.verify_tls or insecure:
                raise
            self._insecure_hosts[host] = state.tls_error = failure.error
            response = await self._send(url, method, True, settings)
        try:
            return await self._read(response, method, state, host)
        except (httpx.HTTPError, OSError) as exc:
            error, detail = describe_error(exc)
            raise _Failure(error, detail) from exc
        finally:
            await response.aclose()

    async def _send(
        self, url: httpx.URL, method: str, insecure: bool, settings: HostSettings | None
    ) -> httpx.Response:
        extensions = {INSECURE_EXTENSION: True} if insecure else None
        headers = settings.headers if settings is not None else None
        read = self.options.timeout_read
        if settings is not None and settings.timeout is not None:
            read = settings.timeout
        timeout = httpx.Timeout(
            connect=self.options.timeout_connect, read=read, write=read, pool=None
        )
        request = self.client.build_request(
            method, url, headers=headers, extensions=extensions, timeout=timeout
        )
        try:
            return await self.client.send(request, stream=True)
        except (httpx.HTTPError, ResolveError, BlockedAddress, OSError) as exc:
            error, detail = describe_error(exc)
            raise _Failure(error, detail) from exc

    async def _read(
        self, response: httpx.Response, method: str, state: _State, host: str = ""
    ) -> _Response:
        """Read the body only when a verdict can depend on it, and never past ``max_body``."""
        url = str(response.request.url)
        status = response.status_code
        if _served_from_inside(response):
            state.internal = True
        content_type = response.headers.get("content-type")
        location = response.extensions.get(LOCATION) if status in REDIRECT_STATUSES else None
        page: Page | None = None
        if location is None and method != "HEAD":
            text, truncated, anchors = "", False, None
            if _is_html(content_type):
                text, truncated, anchors = await self._read_html(response, content_type, state)
            page = Page(url, status, content_type, text, truncated, anchors)
        return _Response(
            url=url,
            status=status,
            method=method,
            headers=_headers(response),
            page=page,
            location=location,
            set_cookies=len(response.headers.get_list("set-cookie")),
            host=host,
        )

    async def _read_html(
        self, response: httpx.Response, content_type: str | None, state: _State
    ) -> tuple[str, bool, AnchorSearch | None]:
        scan: AnchorScan | None = None
        wanted = None if state.scan_all else state.fragments
        if (
            (state.fragments or state.scan_all)
            and self.options.check_fragments
            and 200 <= response.status_code < 300
        ):
            scan = AnchorScan(wanted, lambda head: _charset(head, content_type))
        try:
            body = await read_body(
                response,
                self.options.max_body,
                scan=scan.feed if scan is not None else None,
                scan_cap=max(ANCHOR_SCAN_BYTES, self.options.max_body),
            )
        except BodyError as exc:
            raise _Failure(FetchError.UNDECODABLE, str(exc)) from exc
        if body.bomb:
            raise _Failure(
                FetchError.OVERSIZED,
                f"the body expands past {self.options.max_body // 1024} KiB from "
                f"{body.raw_bytes} bytes: a decompression bomb",
            )
        if body.unsupported:
            state.notes.append(
                f"the body is in the {body.unsupported!r} encoding, which was not asked for "
                "and cannot be read: judged by its status alone"
            )
            return "", False, None
        if body.cut:
            state.notes.append(
                f"the server closed the connection after {body.raw_bytes} bytes of the body: "
                "judged on the part received"
            )
        anchors = scan.result(body.complete) if scan is not None else None
        return _decode(body.data, content_type), body.truncated, anchors

    # --- one pass through a redirect chain -------------------------------------------

    async def _follow(self, url: str, method: str, state: _State) -> _Outcome:
        chain: list[Hop] = []
        current = url
        cookies = 0
        seen = {(defragment(url)[0], method, cookies)}
        redirects = 0
        while True:
            # a redirect target answered in this run (many deep links forward to one
            # page) is not asked again; only plain answers, no cookies, no fragments
            # unless every id is searched for (then any asker reads them all)
            reusable = current != url and not cookies and (not state.fragments or state.scan_all)
            try:
                if reusable:
                    response = await self._shared_request(current, method, state)
                else:
                    response = await self._request(current, method, state)
            except _Failure as failure:
                return _Outcome(chain, None, failure.error, failure.detail)
            cookies += response.set_cookies
            target: str | None = None
            how = ""
            if response.status in REDIRECT_STATUSES:
                if not response.location:
                    chain.append(Hop(current, response.status, method, None))
                    return _Outcome(
                        chain, None, FetchError.BAD_REDIRECT, "redirect without a Location"
                    )
                target = _join(current, response.location) or response.location.strip()
            else:
                how, target = _forward(current, response)
            if target is None:
                chain.append(Hop(current, response.status, method, None))
                return _Outcome(chain, response)
            chain.append(Hop(current, response.status, method, target, how))
            if _join(current, target) is None or not _web_url(target):
                return _Outcome(
                    chain, None, FetchError.BAD_REDIRECT, f"redirect to an unusable URL: {target}"
                )
            if response.status == 303 and method != "HEAD":
                method = "GET"
            redirects += 1
            key = (defragment(target)[0], method, cookies)
            if key in seen:
                return _Outcome(
                    chain, None, FetchError.REDIRECT_LOOP, f"redirect loop back to {target}"
                )
            seen.add(key)
            if redirects > self.options.max_redirects:
                return _Outcome(
                    chain,
                    None,
                    FetchError.TOO_MANY_REDIRECTS,
                    f"more than {self.options.max_redirects} redirects",
                )
            current = target

    async def _shared_request(self, url: str, method: str, state: _State) -> _Response:
        """``_request`` for a redirect target, asked once per run: later (and
        concurrent) askers share the answer unless it was transient or set cookies."""
        key = (defragment(url)[0], method)
        pending = self._answers.get(key)
        if pending is not None:
            answer = await asyncio.shield(pending)
            if answer is not None:
                response, inside = answer
                state.notes.append(f"{url} was already fetched in this run; not asked again")
                state.internal = state.internal or inside
                return response
        future: asyncio.Future[tuple[_Response, bool] | None]
        future = asyncio.get_running_loop().create_future()
        self._answers[key] = future
        try:
            response = await self._request(url, method, state)
        except BaseException:
            future.set_result(None)
            del self._answers[key]
            raise
        if response.status in RETRY_STATUSES or response.set_cookies:
            future.set_result(None)
            del self._answers[key]
        else:
            future.set_result((response, state.internal))
        return response

    # --- one URL: HEAD/GET strategy and retries ----------------------------------

    async def check(self, url: str, fragments: tuple[str, ...] = ()) -> Evidence:
        """Evidence for one fragment-less URL; the page is searched for ``fragments``
        (which the caller judges)."""
        started = time.monotonic()
        method = "HEAD" if _is_binary(url) else "GET"
        host = split_url(url).netloc
        pages = self._pages.setdefault(host, _HostPages())
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pages.pending.add(answered)
        state = _State(fragments=fragments, scan_all=self.scan_all)
        hedge = None
        if (
            method == "GET"
            and self.options.soft404
            and (host in self._soft_hosts or not _slug(url))
        ):
            # The probe waits for the target's answer, which usually makes it needless
            # (an error, a wall, a page that proves itself).  A target still unanswered
            # ``HEDGE_AFTER`` after it went out is on a slow host, where a probe sent only
            # after it would cost a second slow round trip: it is sent then, in case.
            hedge = asyncio.create_task(self._hedge(url, state))
        try:
            asked = await self._ask(url, method, state)
            pages.add(url, asked.outcome)
        finally:
            if hedge is not None:
                hedge.cancel()
            pages.pending.discard(answered)
            answered.set_result(None)
        final = asked.outcome.final
        if final is not None and final.status not in RETRY_STATUSES:
            # the host let it through: a 404 says as much about its rate as a 200
            self.limiter.relax(_limiter_key(final))
        probe = await self._maybe_probe(url, asked.outcome)
        return self._evidence(url, asked, probe, started)

    async def _hedge(self, url: str, state: _State) -> None:
        await state.sent.wait()
        await self.clock.sleep(HEDGE_AFTER)
        if not state.answered:  # a quick refusal (429, 503) shows the host is not slow
            self._probe_task(url)

    async def _ask(self, url: str, method: str, state: _State) -> _Asked:
        """Ask until the answer is one to judge: HEAD gives way to GET, transient ones repeat.

        A HEAD that cannot decide is asked again with GET at once, unless its answer
        was itself a refusal to wait out (429/503), which is waited out like any
        other before GET asks.  The last ``Retry-After`` seen is kept even when a
        later attempt succeeds, as the result has always reported it.
        """
        retries = 0
        plan = _RetryPlan(wait=None, retry_after=None)
        while True:
            state.attempts += 1
            outcome = await self._follow(url, method, state)
            if method == "HEAD" and not self._head_decides(outcome):
                method = "GET"
                state.notes.append("HEAD was not conclusive; checked with GET")
                if not self._transient(outcome):
                    continue
            if state.out_of_time or not self._transient(outcome):
                return _Asked(outcome, state, plan.retry_after)
            plan = self._plan_retry(outcome, retries)
            if plan.wait is None:
                return _Asked(outcome, state, plan.retry_after, plan.exceeded)
            asked = plan.retry_after is not None
            if asked and state.spent + state.waited + plan.wait >= self._deadline(url):
                # the URL's deadline covers the waits the server asks for, not only its
                # requests: a Retry-After that would pass it ends the URL now
                return _Asked(outcome, state, plan.retry_after, exceeded=True)
            paced = await self._wait_out(outcome, plan.wait)
            if asked:
                state.waited += plan.wait  # on the engine's clock, as the wait was asked
            # A host pacing us (429 with Retry-After, read as its rate limit) says when to
            # come back, not that the URL fails: such waits are bounded by the URL's
            # deadline, not its retries, so a busy limiter does not turn a live page into
            # "blocked" after two refusals.
            if not (paced and asked):
                retries += 1

    def _deadline(self, url: str) -> float:
        try:
            host = httpx.URL(url).host
        except (httpx.InvalidURL, ValueError):
            return self.options.deadline
        return host_deadline(self.options, self.settings(host))

    def _plan_retry(self, outcome: _Outcome, retries: int) -> _RetryPlan:
        """How long to wait before asking again after a transient answer, or to stop.

        The server's ``Retry-After`` wins over our backoff; one longer than we may
        wait ends the URL at once (the result says when to come back) instead of
        spending the retries.  Backoff draws its jitter only when a retry is made.
        """
        asked = self._retry_after(outcome)
        retry_after = None if asked is None else self.clock.now() + timedelta(seconds=asked)
        if asked is not None and asked > self.options.max_retry_wait:
            return _RetryPlan(wait=None, retry_after=retry_after, exceeded=True)
        if retries >= self.options.max_retries:
            return _RetryPlan(wait=None, retry_after=retry_after)
        wait = self._backoff(retries) if asked is None else asked
        return _RetryPlan(wait=wait, retry_after=retry_after)

    async def _wait_out(self, outcome: _Outcome, wait: float) -> bool:
        """Sleep before the next attempt (holding no slot); tell the limiter of a
        refusal, which slows the host only if it limits its rate.  Whether the
        refusal was a 429 from a host pacing us: one that lets other requests through.

        That the limiter judged the refusal chance rather than a limit does not
        matter here: it decides how the host is paced, not whether the URL lives.  A
        token bucket asked at about its rate refuses some URLs two or three times,
        each refusal judged chance, and those URLs came out ``blocked`` (2 of 7,140
        in one content run of three).
        """
        final = outcome.final
        if final is not None and final.status in (429, 503):
            self.limiter.penalize(_limiter_key(final), wait)
        await self.clock.sleep(wait)
        if final is None or final.status != 429:
            return False
        # a limiter lets some requests through; a host refusing everything is a wall
        return self.limiter.admits(_limiter_key(final))

    def _evidence(self, url: str, asked: _Asked, probe: Probe | None, started: float) -> Evidence:
        """Everything learned about ``url``, secrets masked, for the pure classifier."""
        outcome, state = asked.outcome, asked.state
        final = outcome.final
        return Evidence(
            url=url,
            chain=tuple(outcome.chain),
            status=final.status if final else None,
            final_url=final.url if final else None,
            headers=final.headers if final else {},
            page=final.page if final else None,
            error=outcome.error,
            error_detail=self.redact(outcome.detail),
            attempts=state.attempts,
            elapsed=time.monotonic() - started,
            retry_after=asked.retry_after,
            retry_after_exceeded_cap=asked.exceeded,
            probe=probe,
            root_url=_root(url),
            tls_verification_skipped=state.tls_error is not None,
            tls_error=state.tls_error,
            notes=tuple(self.redact(note) for note in state.notes),
            internal=state.internal,
        )

    @staticmethod
    def _head_decides(outcome: _Outcome) -> bool:
        """HEAD settles a URL only with a 2xx for something that is not a page.

        Servers answer HEAD with 405, 501, 403, 404 or a closed connection while
        GET works, so anything else is asked again with GET.
        """
        final = outcome.final
        return (
            final is not None
            and 200 <= final.status < 300
            and not _is_html(final.headers.get("content-type", "application/octet-stream"))
        )

    @staticmethod
    def _transient(outcome: _Outcome) -> bool:
        if outcome.final is not None:
            return outcome.final.status in RETRY_STATUSES
        return outcome.error in TRANSIENT_ERRORS

    def _retry_after(self, outcome: _Outcome) -> float | None:
        """Seconds the server asked us to wait (``Retry-After`` seconds or HTTP-date).

        Parsed by the shared ``httputil`` parser against this run's clock, so the
        archive clients and the checker read the header alike.
        """
        if outcome.final is None:
            return None
        value = outcome.final.headers.get("retry-after")
        if value is None:
            return None
        return retry_after_seconds(value, now=self.clock.now())

    def _backoff(self, retry: int) -> float:
        """Exponential, with jitter so that many URLs of one host do not retry in step."""
        base: float = self.options.retry_base * (2.0**retry)
        return min(base * self.rng.uniform(0.5, 1.5), self.options.max_retry_wait)

    # --- soft-404 probe --------------------------------------------------------

    async def _maybe_probe(self, url: str, outcome: _Outcome) -> Probe | None:
        final = outcome.final
        if (
            not self.options.soft404
            or final is None
            or final.status != 200
            or final.page is None
            or not _is_html(final.page.content_type)
        ):
            return None
        if not await self._needs_probe(url, outcome.chain, final.page):
            return None
        self._probe_wanted.add(split_url(url).netloc)
        task = self._probe_task(url)
        if task is None:
            return None
        probe = await asyncio.shield(task)
        if probe is not None and _answered_error(probe) and _says_not_found(final.page):
            # The host's error for another directory's random path stands for this one
            # too, unless this page itself says "not found": then only this
            # directory's own answer can tell a soft 404 from a live page so titled.
            own = self._own_probe(url)
            if own is not None:
                return await asyncio.shield(own)
        return probe

    async def _needs_probe(self, url: str, chain: Sequence[Hop], page: Page) -> bool:
        """Whether the host's answer to a random path could change this page's verdict.

        Not for a deep link redirected to the front page (the homepage rule judges it
        before any soft-404 comparison).  Not when the page shows it is real
        (``_looks_real``) and either echoes the cited slug or stands apart from the
        host's other pages: its title and main heading differ from those of every
        other page the host answered with, and another page was seen.  A catch-all
        serves one page for every unknown path, so a page named unlike all the others
        is not the one its siblings would share.  Pages that look alike, a host known
        to answer random paths with 2xx, and anything short, redirected elsewhere or
        titled "not found" are probed as before.

        The host's other targets still out are waited for first (each holds its own
        worker and no slot meanwhile), at most ``SIBLING_WAIT`` and only when there are
        at most ``SIBLING_WAIT_MAX`` of them: otherwise only the slug spares the probe.
        Waiting decides only whether a probe is sent, never a verdict: a probe adds
        evidence, it does not take any away.
        """
        host = split_url(url).netloc
        pages = self._pages.get(host)
        settled = True
        if pages is not None and len(pages.pending) > SIBLING_WAIT_MAX:
            settled = False  # a big site: its directories' probes cost less than waiting
        elif pages is not None and pages.pending:
            _, late = await asyncio.wait(list(pages.pending), timeout=SIBLING_WAIT)
            settled = not late
        first = self._first_probe.get(host)
        if first is not None and host in self._probe_wanted:
            # a probe another page of the host needs is out: its answer may say the
            # host is soft (a probe sent only in case, ``HEDGE_AFTER``, is not waited for)
            await asyncio.shield(first)
        final = defragment(page.url)[0]
        if len(chain) > 1 and lands_on_front_page(url, final, _root(url)):
            return False
        if host in self._soft_hosts or not _looks_real(url, chain, page):
            return True
        title, heading = _page_name(page)
        if pages is not None and pages.alike(title, heading):
            return True
        if _echoes_slug(url, title, heading):
            return False
        return not settled or pages is None or pages.named < 2

    def _probe_task(self, url: str) -> asyncio.Task[Probe | None] | None:
        """The probe that stands for ``url``'s directory, started at most once.

        A host's first directory is probed alongside its first target.  Its other
        directories wait for that answer: a host that answers a random path with an
        error (404, 410, ...) almost always does so site-wide, so that answer stands
        for them all and saves a request each, which on a slow host is a whole
        round trip after the target's.  A host that answers with 2xx serves soft
        404s somewhere, so each directory gets its own probe (at most
        ``soft404_probes_per_host``; beyond that the first stands in).  A page whose
        own title says "not found" is probed in its own directory regardless
        (``_maybe_probe``).
        """
        if not self.options.soft404:
            return None
        key = _probe_url(url)[1]
        task = self._probes.get(key)
        if task is None:
            host = split_url(url).netloc
            first = self._first_probe.get(host)
            if first is not None:
                task = asyncio.create_task(self._sibling_probe(url, first))
            else:
                task = self._own_probe(url)
                if task is None:  # no probes allowed for this host at all
                    return None
                self._first_probe[host] = task
            self._probes[key] = task
        return task

    def _own_probe(self, url: str) -> asyncio.Task[Probe | None] | None:
        """A probe of ``url``'s own directory (bounded per host; then the first stands in)."""
        probe_url, key = _probe_url(url)
        task = self._own_probes.get(key)
        if task is None:
            host = split_url(url).netloc
            if self._probes_per_host[host] >= self.options.soft404_probes_per_host:
                return self._first_probe.get(host)
            self._probes_per_host[host] += 1
            task = self._own_probes[key] = asyncio.create_task(self._probe(probe_url))
        return task

    async def _sibling_probe(self, url: str, first: asyncio.Task[Probe | None]) -> Probe | None:
        answer = await asyncio.shield(first)
        if answer is not None and _answered_error(answer):
            return answer
        own = self._own_probe(url)
        return None if own is None else await asyncio.shield(own)

    async def finish(self) -> None:
        """Settle probes nobody awaited (their target was not an HTML page)."""
        tasks = [*self._probes.values(), *self._own_probes.values()]
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _probe(self, url: str) -> Probe:
        outcome = await self._follow(url, "GET", _State())
        final = outcome.final
        if final is None:
            return Probe(url, None, None, None)
        usable = 200 <= final.status < 300 and final.page is not None and bool(final.page.text)
        if 200 <= final.status < 300:
            self._soft_hosts.add(split_url(url).netloc)
        return Probe(url, final.status, final.url, final.page if usable else None)


#: Visible words a page needs before its own content can prove it real.
PROOF_WORDS = 200
#: Title or heading words that mark a page about the request itself, not an article.
_ABOUT_THE_REQUEST = re.compile(
    r"\b(?:search|results?|suche|recherche|buscar|busca|ricerca|zoeken|error|oops|sorry)\b",
    re.IGNORECASE,
)
_SLUG_WORD = re.compile(r"[^\W\d_]{4,}|\d{3,}", re.UNICODE)


#: Seconds a GET may go unanswered before its host's soft-404 probe is sent anyway.
#: Most answers come well within it (the editor corpus: median 80 ms), and then the
#: probe is sent only if the answer needs it; a host slower than this would make a
#: probe sent after the answer a second slow round trip, so it is sent alongside.
HEDGE_AFTER = 0.3
#: Seconds a page waits for its host's other targets before the probe decides.
SIBLING_WAIT = 0.3
#: A page waits for at most this many of its host's targets: on a host with more
#: out (a big site checked alone), waiting would cost each page a pass over them
#: all, and a probe per directory is cheap beside their requests.
SIBLING_WAIT_MAX = 16


@dataclass
class _HostPages:
    """The names (title, main heading) of the pages one host answered its targets with."""

    pending: set[asyncio.Future[None]] = field(default_factory=set)  # targets still out
    titles: Counter[str] = field(default_factory=Counter)
    headings: Counter[str] = field(default_factory=Counter)
    named: int = 0  # pages answered 200 where asked, with a name that is not "not found"

    def add(self, url: str, outcome: _Outcome) -> None:
        final = outcome.final
        if final is None or final.status != 200 or not _kept(url, outcome.chain):
            return
        page = final.page
        if page is None or not _is_html(page.content_type):
            return
        title, heading = _page_name(page)
        if not (title or heading) or soft404.not_found_cues(title, heading):
            return
        self.named += 1
        if title:
            self.titles[title] += 1
        if heading:
            self.headings[heading] += 1

    def alike(self, title: str, heading: str) -> bool:
        """Another page of the host has this title or this heading."""
        return self.titles[title] > 1 or (bool(heading) and self.headings[heading] > 1)


def _page_name(page: Page) -> tuple[str, str]:
    title, heading = soft404.title_and_heading(page.text)
    return " ".join(title.casefold().split())[:300], " ".join(heading.casefold().split())[:300]


def _kept(url: str, chain: Sequence[Hop]) -> bool:
    """Whether the answer is the cited path's own: asked there, or redirected to a URL
    that keeps its last path segment (``/2019/story-x`` to ``/news/story-x/``, or to
    another host), which a redirect shared by every unknown path cannot do."""
    if len(chain) <= 1:
        return True
    cited = split_url(url).path.rstrip("/").rsplit("/", 1)[-1]
    final = split_url(chain[-1].url).path
    kept = final.rstrip("/").rsplit("/", 1)[-1]
    return len(cited) >= 3 and kept.casefold() == cited.casefold() and not is_homepage_like(final)


def _looks_real(url: str, chain: Sequence[Hop], page: Page) -> bool:
    """Whether the target's own content could be the cited page's: a page answered
    200 where it was asked (or where a redirect keeping its path led: ``_kept``),
    named, saying nothing of "not found", "search" or "error" in its title or main
    heading, with enough prose to be an article.  Short pages, other redirects and
    pages about the request are probed."""
    if not _kept(url, chain) or page.status != 200 or (page.truncated and not page.text):
        return False
    title, heading = soft404.title_and_heading(page.text)
    named = f"{title} {heading}"
    if not named.strip() or soft404.not_found_cues(title, heading):
        return False
    if _ABOUT_THE_REQUEST.search(named):
        return False
    return len(soft404.tokens(soft404.visible_text(page.text), PROOF_WORDS)) >= PROOF_WORDS


def _echoes_slug(url: str, title: str, heading: str) -> bool:
    """The title or heading echoes a word of the cited path's last segment
    (``/2019/glacier-melt`` and "Glacier melt speeds up"): a catch-all page cannot
    echo a path it was never written for (a search page that does says so)."""
    slug = _slug(url)
    return bool(slug & {w.casefold() for w in _SLUG_WORD.findall(f"{title} {heading}")})


def _slug(url: str) -> frozenset[str]:
    """The words of a descriptive last path segment (``glacier-melt-speeds-up``), or
    nothing when it has fewer than two (``12345``, ``story``, ``index.html``)."""
    segment = split_url(url).path.rstrip("/").rsplit("/", 1)[-1]
    words = frozenset(w.casefold() for w in _SLUG_WORD.findall(segment))
    return words if len(words) >= 2 else frozenset()


def _answered_error(probe: Probe) -> bool:
    """The host said a random path does not exist (any answer but 2xx, or none at all)."""
    return probe.status is None or not 200 <= probe.status < 300


def _says_not_found(page: Page) -> bool:
    return _is_html(page.content_type) and soft404.not_found_cues(
        *soft404.title_and_heading(page.text)
    )


def _secrets(options: CheckOptions) -> tuple[str, ...]:
    """Every per-host header value worth masking, longest first (so no part is left over).

    A server that echoes a credential rarely echoes the whole header: the token
    of ``Bearer <token>`` comes back alone, or percent-encoded in a redirect's
    query.  So each long word of a value is a secret too, as written and encoded.
    """
    values: set[str] = set()
    for settings in options.hosts.values():
        for value in settings.headers.values():
            for piece in (value, *value.split()):
                # masking "1" or "no" everywhere would garble text, not hide much
                if len(piece) >= (4 if piece == value else 8):
                    values.update((piece, quote(piece, safe=""), quote_plus(piece)))
    return tuple(sorted(values, key=len, reverse=True))


#: The password of ``scheme://user:password@host``: never repeated from a server.
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/?#@\s:]*:)[^/?#@\s]+(?=@)")


def _redact(text: str, secrets_: tuple[str, ...]) -> str:
    for value in secrets_:
        if value in text:
            text = text.replace(value, "***")
    if "@" in text:
        text = _URL_PASSWORD.sub(r"\1***", text)
    return text


def _redacted(result: CheckResult, secrets_: tuple[str, ...]) -> CheckResult:
    """``result`` with configured secrets and URL passwords masked in everything a
    server could have put there: redirect targets, status lines, titles quoted in
    the detail, notes.  The checked URL itself (the article's own) is kept; hops
    after it came from ``Location`` headers and are masked.  With no secret
    configured and no ``@`` anywhere there is nothing to mask, and ``result`` itself
    is returned (copying it and each hop was 1 % of a checking process's CPU)."""
    if not secrets_ and not _may_hold_password(result):
        return result

    def clean(text: str | None) -> str | None:
        return text if text is None or text == result.url else _redact(text, secrets_)

    chain = tuple(
        replace(
            hop,
            url=hop.url if hop.url == result.url else _redact(hop.url, secrets_),
            location=clean(hop.location),
            note=_redact(hop.note, secrets_),
        )
        for hop in result.chain
    )
    return replace(
        result,
        detail=_redact(result.detail, secrets_),
        chain=chain,
        final_url=clean(result.final_url),
        notes=tuple(_redact(note, secrets_) for note in result.notes),
    )


def _may_hold_password(result: CheckResult) -> bool:
    """Whether some text ``_redacted`` masks holds an ``@`` (a URL password needs one)."""
    texts = [result.detail, result.final_url or "", *result.notes]
    for hop in result.chain:
        texts += (hop.url, hop.location or "", hop.note)
    return any("@" in text for text in texts)


def _fragment_found(
    options: CheckOptions, evidence: Evidence, fragment: str
) -> tuple[bool | None, str]:
    """Whether ``#fragment`` names an element of the final page (None when not judged),
    and a note when it could not be verified.

    Only HTML pages that answered 2xx are judged; hash-bang or route-like
    fragments are for scripts, not ids.  The engine searched the page as it read
    it (``Page.anchors``, far past what the classifier keeps); a search that did
    not reach the end of the page says "not verified", never "missing".
    """
    page = evidence.page
    if (
        not options.check_fragments
        or page is None
        or not (200 <= page.status < 300)
        or not page.text
        or not _is_html(page.content_type)
        or fragment.startswith(("!", "/"))
    ):
        return None, ""
    if page.anchors is not None:
        found = page.anchors.has(fragment)
    else:
        found = True if has_anchor(page.text, fragment) else (None if page.truncated else False)
    if found is None:
        limit = max(ANCHOR_SCAN_BYTES, options.max_body) // (1024 * 1024)
        return None, (
            f"The #{fragment} fragment was not verified: it is not in the first {limit} MiB "
            "of the page, which is all linkaudit reads."
        )
    return found, ""


def _result(key: str, evidence: Evidence, checked_at: datetime) -> CheckResult:
    classification = classify(evidence)
    return CheckResult(
        key=key,
        url=key,
        verdict=classification.verdict,
        reason=classification.reason,
        detail=classification.detail,
        chain=evidence.chain,
        final_url=evidence.final_url,
        status=evidence.status,
        attempts=evidence.attempts,
        elapsed=evidence.elapsed,
        checked_at=checked_at,
        retry_after=evidence.retry_after,
        notes=tuple(dict.fromkeys(classification.notes + evidence.notes)),
        internal=evidence.internal,
    )


class Saving:
    """New results on their way into the cache: one at a time, or ``PUT_BATCH`` at a
    time where the cache takes batches (a transaction per result was most of a
    cold run's store time)."""

    def __init__(self, cache: ResultCache | None) -> None:
        self._cache = cache
        self._batched = cache if isinstance(cache, BatchResultCache) else None
        self._unsaved: list[CheckResult] = []

    def save(self, result: CheckResult) -> None:
        if self._batched is None:
            if self._cache is not None:
                self._cache.put(result)
            return
        self._unsaved.append(result)
        if len(self._unsaved) >= PUT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self._batched is not None and self._unsaved:
            self._batched.put_many(list(self._unsaved))
            self._unsaved.clear()


def answer_from_cache(
    cache: ResultCache | None, key: str, progress: Callable[[CheckResult], None] | None
) -> CheckResult | None:
    """``key``'s recent result from ``cache``, marked as such and told to ``progress``;
    None when it must be asked (the same for this process's checks and a queue's)."""
    cached = cache.get(key) if cache is not None else None
    if cached is None:
        return None
    # the store's results come marked: copying 7,040 of them was 0.18 s of a profiled warm run
    result = cached if cached.from_cache else replace(cached, from_cache=True)
    if progress is not None:
        progress(result)
    return result


def unanswered(
    batch: Iterable[str],
    seen: set[str],
    cache: ResultCache | None,
    progress: Callable[[CheckResult], None] | None,
    results: dict[str, CheckResult],
) -> Iterator[str]:
    """The keys of ``batch`` to ask: those not ``seen`` before and not answered from
    ``cache`` (which go into ``results``).  Each key is added to ``seen``."""
    for key in batch:
        if key in seen:
            continue
        seen.add(key)
        cached = answer_from_cache(cache, key, progress)
        if cached is not None:
            results[key] = cached
            continue
        yield key


async def check_urls(
    keys: Iterable[str] | KeyFeed,
    options: CheckOptions,
    *,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: ResultCache | None = None,
    progress: Callable[[CheckResult], None] | None = None,
    clock: Clock | None = None,
    until: float | None = None,
    on_page: Callable[[str, Evidence], None] | None = None,
    host_gate: HostGate | None = None,
) -> dict[str, CheckResult]:
    """Check every key (a normalised URL, maybe with ``#fragment``); one result per key.

    Each distinct URL without its fragment is fetched once; all fragments of a
    page share that fetch.  ``keys`` may be a ``KeyFeed`` still being filled (the
    run's documents still being extracted): checking starts on the first keys and
    ends when the feed is closed and every key is decided.  ``cache`` answers keys
    checked recently and receives every new result; ``progress`` is called once
    per key as it is decided.  ``until`` (a ``time.monotonic()`` instant) is the
    run's deadline: whatever is not decided by then is stopped and said so
    (``run_deadline``), so no host, however slow, holds the run past it.
    ``on_page(url, evidence)`` is told of every URL actually fetched (not answered
    from ``cache``), with the page read: content drift reads the live text there,
    with no request of its own.  ``host_gate`` is where the run's other checking
    processes count their requests per host too (``check.shards``).
    """
    clock = clock or SystemClock()
    feed = keys if isinstance(keys, KeyFeed) else KeyFeed.of(keys)
    secrets_ = _secrets(options)
    results: dict[str, CheckResult] = {}
    # each URL's keys; a job's list grows while it waits or runs (decided together)
    pages: dict[str, list[tuple[str, str | None]]] = {}
    again: list[tuple[str, list[tuple[str, str | None]]]] = []  # late keys asked anew
    asking_again: dict[str, list[tuple[str, str | None]]] = {}  # of those, not yet decided
    queue: deque[tuple[str, list[tuple[str, str | None]]]] = deque()
    seen: set[str] = set()
    finished: set[str] = set()
    kept: dict[str, Evidence] = {}  # decided while keys still arrive: for late fragments
    kept_bytes = 0
    drained = False  # the feed is closed and all it held was taken

    saving = Saving(cache)

    def decide(url: str, wanted: list[tuple[str, str | None]], evidence: Evidence) -> None:
        checked_at = clock.now()
        for key, fragment in wanted:
            specific = evidence
            if fragment is not None:
                found, note = _fragment_found(options, evidence, fragment)
                specific = replace(
                    evidence,
                    url=key,
                    fragment=fragment,
                    fragment_found=found,
                    notes=evidence.notes + ((note,) if note else ()),
                )
            result = _redacted(_result(key, specific, checked_at), secrets_)
            results[key] = result
            saving.save(result)
            if progress is not None:
                progress(result)

    def ingest(batch: list[str]) -> None:
        new: list[str] = []
        for key in unanswered(batch, seen, cache, progress, results):
            url, fragment = defragment(key)
            wanted = pages.get(url)
            if wanted is None:
                pages[url] = [(key, fragment)]
                new.append(url)
            elif url in kept:  # read already, every id remembered: no second request
                decide(url, [(key, fragment)], kept[url])
            elif url in finished:  # read already, its answer not kept (the budget)
                late = asking_again.get(url)
                if late is not None:  # asked anew already: decided with that answer
                    late.append((key, fragment))
                    continue
                late = asking_again[url] = [(key, fragment)]
                again.append((url, late))
                queue.append((url, late))
            else:  # waiting or being read: decided with the others
                wanted.append((key, fragment))
        queue.extend((url, pages[url]) for url in _host_by_host(new))

    for batch in feed.take():
        ingest(batch)
    if feed.closed:
        drained = True
        if not queue:
            return results

    async with build_client(options, resolver=resolver, transport=transport) as client:
        engine = _Engine(options, client, clock, random.Random(), host_gate)
        engine.scan_all = not drained
        fatal: list[LinkauditError] = []

        def keep(url: str, evidence: Evidence) -> None:
            nonlocal kept_bytes
            size = KEPT_OVERHEAD + (len(evidence.page.text) if evidence.page is not None else 0)
            if kept_bytes + size <= KEPT_BYTES:
                kept[url] = evidence
                kept_bytes += size

        async def one(url: str, wanted: list[tuple[str, str | None]]) -> None:
            try:
                fragments = tuple(f for _, f in wanted if f is not None)
                evidence = await engine.check(url, fragments)
            except LinkauditError as exc:  # the run cannot go on (say, no trust store)
                fatal.append(exc)
                return
            except Exception as exc:  # a bug must cost one URL, not the run, and is said as ours
                evidence = Evidence(
                    url=url,
                    error=FetchError.INTERNAL,
                    error_detail=engine.redact(f"internal error while checking: {exc!r}"),
                )
            if on_page is not None:
                on_page(url, evidence)
            decide(url, wanted, evidence)
            finished.add(url)
            if asking_again.get(url) is wanted:
                del asking_again[url]
            if not drained:
                keep(url, evidence)

        async def next_job() -> tuple[str, list[tuple[str, str | None]]] | None:
            nonlocal drained, kept_bytes
            while True:
                batches = feed.take()
                for batch in batches:
                    ingest(batch)
                if feed.closed and not drained:
                    drained = True
                    engine.scan_all = False
                    kept.clear()
                    kept_bytes = 0
                if queue:
                    return queue.popleft()
                if drained:
                    return None
                if not batches:
                    await feed.changed()

        async def worker() -> None:
            while (job := await next_job()) is not None:
                await one(*job)

        size = max(16 * options.concurrency, 1024)
        workers = [worker() for _ in range(min(len(queue), size) if drained else size)]
        try:
            await _within(until, workers)
            for url, wanted in [*pages.items(), *again]:  # what the deadline stopped
                undecided = [(key, fragment) for key, fragment in wanted if key not in results]
                if undecided:
                    decide(url, undecided, _stopped(url))
        finally:
            try:
                await engine.finish()
            finally:
                saving.flush()
    if fatal:
        raise fatal[0]
    return results


async def _within(until: float | None, jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` together; those not done at ``until`` are cancelled."""
    if until is None:
        await asyncio.gather(*jobs)
        return
    tasks = [asyncio.ensure_future(job) for job in jobs]
    if not tasks:
        return
    try:
        await asyncio.wait(tasks, timeout=max(until - time.monotonic(), 0))
    finally:
        for task in tasks:
            task.cancel()  # nothing for those already done
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in outcomes:  # a job's own failure surfaces, as gather would raise it
        if isinstance(outcome, Exception):
            raise outcome


def _stopped(url: str) -> Evidence:
    return Evidence(
        url=url,
        error=FetchError.RUN_DEADLINE,
        error_detail="the run's deadline passed before this URL was decided",
    )


def _host_by_host(urls: Iterable[str]) -> list[str]:
    """``urls`` in rounds, one URL per host per round, each host in order of first sight.

    Requests start in this order, so the first wave asks every host something
    before any host is asked twice: a slow host is then under way from the start
    (and its latency known early) instead of waiting behind a quick host's tenth
    page.
    """
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(split_url(url).netloc, []).append(url)
    rounds = itertools.zip_longest(*by_host.values())
    return [url for round_ in rounds for url in round_ if url is not None]


def check_urls_sync(
    keys: Iterable[str],
    options: CheckOptions,
    *,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: ResultCache | None = None,
    progress: Callable[[CheckResult], None] | None = None,
    clock: Clock | None = None,
    until: float | None = None,
) -> dict[str, CheckResult]:
    """``check_urls`` for callers without an event loop (the CLI)."""
    return aio.run(
        check_urls(
            keys,
            options,
            resolver=resolver,
            transport=transport,
            cache=cache,
            progress=progress,
            clock=clock,
            until=until,
        )
    )
