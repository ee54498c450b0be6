"""The desk as an ASGI application (Starlette), and a way to run it (uvicorn).

Every request passes three gates before a handler sees it:

* **Host**: a loopback desk answers only to its own address (and
  ``localhost``): a page on the internet that rebinds its own name to
  127.0.0.1 (DNS rebinding) still sends its own name, and is refused.  A desk
  beyond loopback answers to any name, behind its token.
* **Token** (required when the desk listens beyond loopback): the
  ``Authorization: Bearer`` header, or the cookie set by opening the page once
  with ``?token=``.  Compared in constant time; never logged (uvicorn's access
  log is off, so ``?token=`` is not written anywhere).
* **CSRF**, for every request that writes or starts work: a JSON body, the
  desk's per-process token in ``X-CSRF-Token`` (a header another site's page
  cannot set without a CORS preflight the desk never answers), and an ``Origin``,
  when the browser sends one, that is the desk's own.

Blocking work (fetching a draft, planning repairs, writing to WordPress) runs
in a worker thread so the page's progress polls are answered meanwhile.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from linkaudit.errors import LinkauditError
from linkaudit.fix.plan import Repair
from linkaudit.fix.rewrite import SourceMismatch
from linkaudit.report.html import CSP as REPORT_CSP
from linkaudit.report.html import HtmlFormatter
from linkaudit.serve.desk import REPAIRS, Desk, DeskError, Job
from linkaudit.serve.page import CSP, render_page
from linkaudit.sources.wordpress_draft import DraftChanged

COOKIE = "linkaudit_desk"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_MAX_BODY = 12 * 1024 * 1024


@dataclass(frozen=True)
class Gate:
    """Who may talk to the desk: the hosts it answers to, and its token if any."""

    hosts: frozenset[str] | None  # None: any (a desk beyond loopback, behind its token)
    token: str | None
    csrf: str


def loopback_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` headers a browser sends for a desk bound to ``host:port``."""
    names = {host, "localhost", "127.0.0.1", "[::1]"} if _is_loopback(host) else {host}
    return frozenset(f"{name}:{port}" for name in names)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_SECURITY_HEADERS)


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(
        str(given).encode("utf-8"), str(expected).encode("utf-8")
    )


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(gate: Gate, handler: Handler, *, writes: bool = False) -> Handler:
    async def guarded(request: Request) -> Response:
        host = request.headers.get("host", "")
        if gate.hosts is not None and host not in gate.hosts:
            return _error("unknown host: open the desk at the address it printed", 421)
        if gate.token is not None:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            # ?token= opens the page once (it then sets the cookie); nowhere else
            opening = request.query_params.get("token") if request.url.path == "/" else None
            given = (bearer, request.cookies.get(COOKIE), opening)
            if not any(_same(value, gate.token) for value in given):
                return _error("this desk needs its token: open it with ?token=…", 401)
        if writes:
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return _error("refused: the request came from another site", 403)
            if not _same(request.headers.get("x-csrf-token"), gate.csrf):
                return _error("refused: missing or wrong CSRF token; reload the page", 403)
            if not request.headers.get("content-type", "").startswith("application/json"):
                return _error("send JSON", 415)
        return await handler(request)

    return guarded


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise DeskError("the request is too large")
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise DeskError("the request is not JSON") from None
    if not isinstance(value, dict):
        raise DeskError("the request is not a JSON object")
    return value


def _repairs(names: object) -> set[Repair]:
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    if not isinstance(names, list):
        raise DeskError("repairs must be a list")
    allowed = {r.value: r for r in REPAIRS}
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise DeskError(f"unknown repair {unknown[0]!r}")
    return {allowed[n] for n in names}


def create_app(desk: Desk, gate: Gate) -> Starlette:
    """The desk's routes, each behind the gates the module describes."""

    def job_of(request: Request) -> Job:
        return desk.get(request.path_params["job"])

    async def index(request: Request) -> Response:
        token = request.query_params.get("token")
        if gate.token is not None and token is not None:
            if not _same(token, gate.token):
                return _error("wrong token", 401)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        auth = desk.wordpress_auth_available()
        page = render_page(
            gate.csrf, public=desk.public, wordpress_auth=auth, sites=desk.wordpress_sites
        )
        headers = {**_SECURITY_HEADERS, "Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}
        return HTMLResponse(page, headers=headers)

    async def submit(request: Request) -> Response:
        job = desk.submit(await _json(request))
        return JSONResponse({"id": job.id}, status_code=202, headers=_SECURITY_HEADERS)

    async def status(request: Request) -> Response:
        return JSONResponse(desk.status(job_of(request)), headers=_SECURITY_HEADERS)

    async def report(request: Request) -> Response:
        job = job_of(request)
        if job.report is None:
            return _error("the audit has not finished", 409)
        page = HtmlFormatter().render(job.report)
        headers = {
            **_SECURITY_HEADERS,
            "Content-Security-Policy": f"{REPORT_CSP}; frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        }
        return HTMLResponse(page, headers=headers)

    async def preview(request: Request) -> Response:
        job = job_of(request)
        repairs = _repairs((await _json(request)).get("repairs", []))
        shown = await run_in_threadpool(desk.preview, job, repairs)
        return JSONResponse(
            {
                "diff": shown.diff,
                "edits": shown.edits,
                "skipped": list(shown.skipped),
                "changed": shown.changed,
                "digest": shown.digest,
            },
            headers=_SECURITY_HEADERS,
        )

    async def repaired(request: Request) -> Response:
        job = job_of(request)
        repairs = _repairs(request.query_params.get("repairs", ""))
        if job.target != "file" or job.filename is None:
            return _error("this audit has no file to download; WordPress posts are written back")
        shown = await run_in_threadpool(desk.preview, job, repairs)
        data = shown.fixed if isinstance(shown.fixed, bytes) else shown.fixed.encode("utf-8")
        kind = "text/markdown" if job.filename.endswith(".md") else "text/html"
        headers = {
            **_SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="{job.filename}"',
        }
        return Response(data, media_type=f"{kind}; charset=utf-8", headers=headers)

    async def apply(request: Request) -> Response:
        job = job_of(request)
        body = await _json(request)
        digest = body.get("digest")
        if not isinstance(digest, str):
            raise DeskError("show the repairs first (no diff was seen)")
        outcome = await run_in_threadpool(
            desk.apply, job, _repairs(body.get("repairs", [])), digest
        )
        return JSONResponse(outcome, headers=_SECURITY_HEADERS)

    routes = [
        Route("/", _guarded(gate, index), methods=["GET"]),
        Route("/api/audits", _guarded(gate, submit, writes=True), methods=["POST"]),
        Route("/api/audits/{job}", _guarded(gate, status), methods=["GET"]),
        Route("/api/audits/{job}/preview", _guarded(gate, preview, writes=True), methods=["POST"]),
        Route("/api/audits/{job}/apply", _guarded(gate, apply, writes=True), methods=["POST"]),
        Route("/audits/{job}/report", _guarded(gate, report), methods=["GET"]),
        Route("/audits/{job}/repaired", _guarded(gate, repaired), methods=["GET"]),
    ]

    async def linkaudit_error(request: Request, exc: Exception) -> Response:
        status = 400
        if str(exc).startswith("no such audit"):
            status = 404
        elif isinstance(exc, DraftChanged | SourceMismatch):
            status = 409  # the article changed: the editor must audit again
        return _error(str(exc), status)

    return Starlette(routes=routes, exception_handlers={LinkauditError: linkaudit_error})


def new_gate(host: str, port: int, token: str | None) -> Gate:
    """Beyond loopback the desk is reached by names it cannot know (the machine's
    address, a proxy's name), so any ``Host`` is accepted there: its token guards it."""
    hosts = loopback_hosts(host, port) if _is_loopback(host) else None
    return Gate(hosts, token, secrets.token_urlsafe(32))


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the server starts, so its port can be printed."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise DeskError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(app: Starlette, sock: socket.socket) -> None:
    """Run until interrupted (uvicorn, no access log: URLs may carry the token)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


class Running:
    """A desk served on a background thread (tests, the benchmark, the screenshot)."""

    def __init__(self, desk: Desk, host: str = "127.0.0.1", token: str | None = None) -> None:
        import uvicorn

        self.sock = bind(host, 0)
        self.port = self.sock.getsockname()[1]
        self.gate = new_gate(host, self.port, token)
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            create_app(desk, self.gate), log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()
