"""A WordPress stand-in on loopback: posts over the REST API, as a real site serves them.

It speaks the shapes linkaudit relies on, taken from WordPress core's
``WP_REST_Posts_Controller``: a post with ``content.raw`` (only under
``context=edit``, and only for a user who may edit it) and ``content.rendered``,
``modified_gmt``, ``status``; application-password basic auth; the core error
codes (``incorrect_password`` and ``invalid_username`` with 401,
``rest_forbidden_context`` with 401 or 403, ``rest_post_invalid_id`` with 404);
updates by ``POST /wp-json/wp/v2/posts/<id>`` that change only the fields sent.

Every write is recorded (:attr:`WordPressStandIn.writes`), so a test can assert
exactly what a site received.  ``mode`` imitates two hostile set-ups: a site
whose REST API is disabled (``"rest_disabled"``: the plugin's 401 JSON at every
``/wp-json/`` address) and a site behind a login wall (``"login_wall"``: every
request redirected to ``wp-login.php``).  Saves are stamped with the clock in whole
seconds, as WordPress stamps them, and each later than the one before.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linkaudit.testing.server import Conn, LoopbackServer, Request, Site, page

_POST_PATH = re.compile(r"^/wp/v2/(posts|pages)/(\d+)/?$")
_EPOCH = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@dataclass
class StandInPost:
    """One post as the site stores it."""

    id: int
    raw: str
    title: str = "A draft"
    status: str = "draft"
    type: str = "post"
    modified: datetime = _EPOCH
    date: datetime | None = None  # None: a draft without a publication date yet
    editors: frozenset[str] = frozenset({"editor"})  # users who may edit it


@dataclass(frozen=True)
class Write:
    """One update the site received: the post, the user, and the JSON body exactly."""

    post_id: int
    user: str
    body: dict[str, Any]


@dataclass
class WordPressStandIn:
    """Runs on a :class:`LoopbackServer` site; ``users`` maps names to application passwords."""

    server: LoopbackServer
    host: str = "127.0.0.1"
    users: dict[str, str] = field(default_factory=lambda: {"editor": "abcd EFGH 1234 ijkl"})
    mode: str = "normal"  # "normal", "rest_disabled" or "login_wall"
    pretty: bool = True  # False: only /?rest_route=/wp/v2/... answers (plain permalinks)
    posts: dict[int, StandInPost] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    requests: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # method, target, user
    site: Site | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _last: datetime = _EPOCH
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WordPressStandIn:
        self.site = self.server.add_site(self.host)
        self.site.fallback = self._handle
        return self

    @property
    def url(self) -> str:
        assert self.site is not None
        return self.site.url("").rstrip("/")

    def auth(self, user: str = "editor") -> str:
        """``user:password`` as an editor would put it in the environment."""
        return f"{user}:{self.users[user]}"

    def add_post(self, post_id: int, raw: str, **fields: Any) -> StandInPost:
        post = StandInPost(post_id, raw, **fields)
        self.posts[post_id] = post
        return post

    def edit(self, post_id: int, raw: str) -> None:
        """Someone saves the post in the WordPress editor: new content, newer ``modified``."""
        with self._lock:
            post = self.posts[post_id]
            post.raw = raw
            post.modified = self._next_time()

    def _next_time(self) -> datetime:
        """Now, in WordPress's whole seconds, and always later than the last save."""
        now = self.clock().replace(microsecond=0)
        self._last = max(now, self._last + timedelta(seconds=1))
        return self._last

    # -- the REST API --------------------------------------------------------------

    def link(self, post: StandInPost) -> str:
        if post.status == "publish":
            return f"{self.url}/{post.date or _EPOCH:%Y/%m}/post-{post.id}/"
        return f"{self.url}/?p={post.id}"

    def post_json(self, post: StandInPost, *, edit: bool) -> dict[str, Any]:
        """The post as ``WP_REST_Posts_Controller::prepare_item_for_response`` shapes it."""
        rendered = post.raw  # enough for an audit: core's filters add paragraphs, not links
        date = post.date
        content: dict[str, Any] = {"rendered": rendered, "protected": False}
        title: dict[str, Any] = {"rendered": post.title}
        if edit:
            content = {"raw": post.raw, **content, "block_version": 1}
            title = {"raw": post.title, **title}
        stamp = "%Y-%m-%dT%H:%M:%S"
        return {
            "id": post.id,
            "date": (date or post.modified).strftime(stamp),
            "date_gmt": date.strftime(stamp) if date else None,
            "guid": {"rendered": f"{self.url}/?p={post.id}"},
            "modified": post.modified.strftime(stamp),
            "modified_gmt": post.modified.strftime(stamp),
            "slug": "" if post.status == "draft" else f"post-{post.id}",
            "status": post.status,
            "type": post.type,
            "link": self.link(post),
            "title": title,
            "content": content,
            "excerpt": {"rendered": "", "protected": False},
            "author": 1,
            "_links": {"self": [{"href": f"{self.url}/wp-json/wp/v2/posts/{post.id}"}]},
        }

    async def _handle(self, request: Request, conn: Conn) -> None:
        body = b""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > 0:
            body = await conn.reader.readexactly(int(length))
        parts = urlsplit(request.target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        user = self._user(request)
        self.requests.append(
            (request.method, request.target, user if isinstance(user, str) else None)
        )
        if self.mode == "login_wall":
            target = f"{self.url}/wp-login.php?redirect_to={parts.path}"
            await conn.send(request, 302, b"", [("Location", target)])
            return
        if parts.path.startswith("/wp-json"):
            route = parts.path[len("/wp-json") :] if self.pretty else None
        else:
            route = query.get("rest_route") if parts.path == "/" else None
        if route is None:
            page = b"<!doctype html><title>A blog</title><p>Welcome</p>"
            status = 200 if parts.path == "/" else 404
            await conn.send(request, status, page)
            return
        if self.mode == "rest_disabled":
            await self._error(
                request, conn, 401, "rest_disabled", "The REST API is disabled on this site."
            )
            return
        status, answer = self._answer(request.method, route, query, user, body)
        data = json.dumps(answer).encode("utf-8")
        await conn.send(request, status, data, content_type="application/json; charset=UTF-8")

    async def _error(self, request: Request, conn: Conn, status: int, code: str, msg: str) -> None:
        data = json.dumps({"code": code, "message": msg, "data": {"status": status}}).encode()
        await conn.send(request, status, data, content_type="application/json; charset=UTF-8")

    def _user(self, request: Request) -> str | tuple[int, str, str] | None:
        """The authenticated user, None without credentials, or the error core answers."""
        header = request.headers.get("authorization", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        try:
            user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
        except (ValueError, UnicodeError):
            return (401, "rest_not_logged_in", "Malformed credentials.")
        if scheme.lower() != "basic" or user not in self.users:
            return (401, "invalid_username", "Unknown username. Check again or try your email.")
        # core compares application passwords with their spaces removed
        if password.replace(" ", "") != self.users[user].replace(" ", ""):
            return (
                401,
                "incorrect_password",
                "The provided password is an invalid application password.",
            )
        return user

    def _answer(
        self,
        method: str,
        route: str,
        query: dict[str, str],
        user: str | tuple[int, str, str] | None,
        body: bytes,
    ) -> tuple[int, dict[str, Any]]:
        if isinstance(user, tuple):  # core rejects bad credentials before routing
            status, code, message = user
            return status, {"code": code, "message": message, "data": {"status": status}}
        found = _POST_PATH.match(route.rstrip("/") or "/")
        if found is None:
            return 404, {"code": "rest_no_route", "message": "No route was found.", "data": {}}
        kind, post_id = found.group(1), int(found.group(2))
        post = self.posts.get(post_id)
        if post is None or (post.type == "page") != (kind == "pages"):
            return 404, {"code": "rest_post_invalid_id", "message": "Invalid post ID.", "data": {}}
        may_edit = user is not None and user in post.editors
        if method == "GET":
            if query.get("context") == "edit" and not may_edit:
                status = 401 if user is None else 403
                return status, {
                    "code": "rest_forbidden_context",
                    "message": "Sorry, you are not allowed to edit this post.",
                    "data": {"status": status},
                }
            if post.status != "publish" and not may_edit:
                return 401, {
                    "code": "rest_forbidden",
                    "message": "Sorry, you are not allowed to do that.",
                    "data": {},
                }
            return 200, self.post_json(post, edit=query.get("context") == "edit")
        if method in ("POST", "PUT", "PATCH"):
            if not may_edit:
                status = 401 if user is None else 403
                return status, {
                    "code": "rest_cannot_edit",
                    "message": "Sorry, you are not allowed to edit this post.",
                    "data": {"status": status},
                }
            try:
                sent: Any = json.loads(body or b"{}")
            except ValueError:
                return 400, {
                    "code": "rest_invalid_json",
                    "message": "Invalid JSON body passed.",
                    "data": {},
                }
            assert isinstance(user, str)
            with self._lock:
                self.writes.append(Write(post_id, user, sent))
                content = sent.get("content")
                if isinstance(content, dict):
                    content = content.get("raw")
                if isinstance(content, str):
                    post.raw = content
                if isinstance(sent.get("status"), str):
                    post.status = sent["status"]
                post.modified = self._next_time()
            return 200, self.post_json(post, edit=True)
        return 404, {
            "code": "rest_no_route",
            "message": "No route was found matching the URL and request method.",
            "data": {},
        }


#: The live page the draft scene cites.
LIVE_PAGE = "<html><head><title>Report</title></head><body>" + "<p>Findings.</p>" * 20 + "</body>"


@dataclass(frozen=True)
class DraftScene:
    """A draft (post 12) citing a live page and a dead one whose archived copy exists:
    the scene the draft tests of ``fix`` and of the desk both audit and repair."""

    web: Site
    wp: WordPressStandIn
    raw: str
    live: str
    dead: str


def draft_scene(server: LoopbackServer, archive: Any) -> DraftScene:
    """Set the scene up on ``server`` (cited pages on 127.0.0.3, WordPress beside
    them) and ``archive`` (a ``testing.archive.ArchiveStandIn``)."""
    web = server.add_site("127.0.0.3")
    web.route("/report", page(LIVE_PAGE))
    wp = WordPressStandIn(server).start()
    live, dead = web.url("/report"), web.url("/dataset")
    raw = (
        "<!-- wp:paragraph -->\n"
        f'<p>The <a href="{live}">live report</a> still answers; the '
        f'<a href="{dead}">original dataset</a> is gone.</p>\n'
        "<!-- /wp:paragraph -->\n"
    )
    wp.add_post(12, raw, title="Draft: the dataset")
    archive.add_capture(dead, "20210401000000", 200)
    return DraftScene(web, wp, raw, live, dead)
