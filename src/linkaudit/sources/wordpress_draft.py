"""One WordPress post read for editing: a draft (or any post) over the REST API.

Before publication an article is a *draft*, which the public API does not show.
Reading it takes an authenticated request with ``context=edit``, which also
returns ``content.raw``: the editor's own source, which is both what is audited
and what repairs are written back to (``content.rendered`` has been through
WordPress's filters, so offsets in it would not map onto what the editor saved).

Authentication is a WordPress *application password* (``user:password`` as HTTP
basic auth, the only scheme core WordPress accepts over REST without a plugin).
It is held in :class:`AppPassword`, which never prints its password: not in a
``repr``, a report, a log line or an error.  It is never sent over plain HTTP
except to a loopback address.

Writing back (:func:`write_draft`) sends ``content`` and nothing else, so the
post's status cannot change (a draft is never published by linkaudit), and only
after reading the post again and finding it exactly as audited: a newer
``modified_gmt`` means someone edited it since, and their work would be lost.

Every way this fails is one line that says what to do: a wrong password (401),
no right to edit the post (403), a post that does not exist (404), a site whose
REST API is switched off, and a site behind a login wall that answers every
request with a login page.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from linkaudit.errors import InputError, LinkauditError
from linkaudit.model import Document, DocumentKind
from linkaudit.sources.base import SourceOptions, origin_of, parse_date
from linkaudit.sources.wordpress import plain_title

#: The environment variable holding ``user:application-password`` for drafts.
AUTH_ENV = "LINKAUDIT_WORDPRESS_AUTH"
#: Post types a draft can be: tried in this order when the id is not found.
_TYPES = ("posts", "pages")
_ID = re.compile(r"^\s*(\d{1,18})\s*$")


class DraftError(LinkauditError):
    """The draft cannot be read or written (refused, missing, changed): nothing was written."""

    exit_code = 2


class DraftChanged(DraftError):
    """The post was modified after it was audited: writing would lose that edit."""


@dataclass(frozen=True)
class AppPassword:
    """A WordPress application password: the user, the password, and where it came from.

    ``source`` names the place it was read from (an environment variable or a
    configuration key), so an error can say where to look without showing it.
    """

    user: str
    password: str = field(repr=False)
    source: str = AUTH_ENV

    @classmethod
    def parse(cls, text: str, source: str) -> AppPassword:
        """``user:password`` (the password may hold spaces, as WordPress shows it)."""
        user, sep, password = text.strip().partition(":")
        if not sep or not user or not password.strip():
            raise InputError(
                f"{source}: expected user:application-password (the password is not shown)"
            )
        return cls(user, password.strip(), source)

    def header(self) -> str:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def __repr__(self) -> str:
        return f"AppPassword(user={self.user!r}, password='***', source={self.source!r})"

    def __str__(self) -> str:
        return f"{self.user}:***"


@dataclass(frozen=True)
class DraftRef:
    """Which post: the site's address (subdirectory kept) and the post's id."""

    site: str
    post_id: int

    @property
    def edit_url(self) -> str:
        """The post's editing screen: what an editor recognises, and the audit's origin."""
        return f"{self.site}/wp-admin/post.php?post={self.post_id}&action=edit"


def _site_address(site: str) -> str:
    base = site.strip().rstrip("/")
    parsed = httpx.URL(base) if "://" in base else httpx.URL(f"https://{base}")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"{site}: not an http(s) site address")
    return str(parsed.copy_with(query=None, fragment=None)).rstrip("/")


def post_in_url(url: str) -> tuple[str, int] | None:
    """The site and post id in a URL an editor has at hand: the editing screen
    (``/wp-admin/post.php?post=12``), a preview or short link (``/?p=12``,
    ``?page_id=12``, ``?preview_id=12``) or the REST address (``/wp-json/wp/v2/posts/12``)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = parse_qs(parts.query)
    path = parts.path
    for marker in ("/wp-admin/", "/wp-json/"):
        if marker in path:
            head, _, tail = path.partition(marker)
            if marker == "/wp-json/":
                found = re.fullmatch(r"wp/v2/(?:posts|pages)/(\d+)/?", tail)
                number = found.group(1) if found else ""
            else:
                number = (query.get("post") or [""])[0]
            if number and number.isdigit():
                return f"{parts.scheme}://{parts.netloc}{head}", int(number)
            return None
    for key in ("p", "page_id", "preview_id", "post"):
        values = query.get(key)
        if values and values[0].isdigit():
            return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}", int(values[0])
    return None


def draft_ref(site: str | None, post: str) -> DraftRef:
    """``--wordpress SITE --post ID``, or ``--post URL`` (the site taken from the URL).

    Raises :class:`InputError` for an id that is not a number, a URL with no post
    id in it, or a URL on another site than ``--wordpress`` names.
    """
    number = _ID.match(post)
    if number is not None:
        if not site:
            raise InputError(f"--post {post}: name the site too (--wordpress SITE)")
        return DraftRef(_site_address(site), int(number.group(1)))
    found = post_in_url(post)
    if found is None:
        raise InputError(
            f"--post {post}: not a post id or a post's URL "
            "(e.g. https://blog.example/wp-admin/post.php?post=12&action=edit)"
        )
    url_site, post_id = found
    address = _site_address(url_site)
    if site and origin_of(_site_address(site)) != origin_of(address):
        raise InputError(f"--post {post}: not on the site --wordpress {site} names")
    return DraftRef(_site_address(site) if site else address, post_id)


@dataclass(frozen=True)
class Draft:
    """A post as ``context=edit`` returns it, and where it was read from."""

    ref: DraftRef
    endpoint: str  # the post's REST address (without query)
    raw: str  # content.raw: the editor's source
    modified_gmt: str  # as WordPress wrote it, compared verbatim before a write
    status: str
    link: str | None = None
    title: str | None = None
    date_gmt: str | None = None
    route: str | None = None  # "/wp/v2/posts/12" on a site without pretty permalinks

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw.encode("utf-8")).hexdigest()

    @property
    def modified(self) -> datetime | None:
        return parse_date(self.modified_gmt + "Z") if self.modified_gmt else None

    def document(self, options: SourceOptions | None = None) -> Document:
        """The draft as a Document: its raw content, with the site it will appear on."""
        options = options or SourceOptions()
        base_url = options.base_url or self.link or f"{self.ref.site}/"
        cited_at, cited_source = options.cited_at, "option" if options.cited_at else None
        if cited_at is None and self.date_gmt:
            cited_at = parse_date(self.date_gmt + "Z")
            cited_source = "date_gmt" if cited_at else None
        if cited_at is None and self.modified is not None:
            # an unpublished draft cites its sources as of its last save
            cited_at, cited_source = self.modified, "modified_gmt"
        warnings = () if self.raw.strip() else ("the post's content is empty: nothing to audit",)
        return Document(
            text=self.raw,
            kind=DocumentKind.WORDPRESS,
            origin=self.ref.edit_url,
            base_url=base_url,
            site=origin_of(base_url),
            title=self.title,
            cited_at=cited_at,
            cited_at_source=cited_source,
            encoding="utf-8",
            warnings=warnings,
            canonical_url=self.link if self.status == "publish" else None,
            whole_page=False,
            sha256=self.sha256,
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _client(ref: DraftRef, auth: AppPassword | None, options: SourceOptions) -> httpx.Client:
    """A client that sends the password to this site only, and never in the clear.

    Redirects are not followed: a login wall announces itself with one, and the
    password must not follow a redirect anywhere.
    """
    url = httpx.URL(ref.site)
    if auth is not None and url.scheme != "https" and not _loopback(url.host):
        raise InputError(
            f"{ref.site}: refusing to send the application password over plain http "
            "(use the site's https:// address)"
        )
    headers = {"User-Agent": options.user_agent, "Accept": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth.header()
    return httpx.Client(
        timeout=options.timeout,
        follow_redirects=False,
        headers=headers,
        transport=options.transport,
    )


def _wp_error(response: httpx.Response) -> tuple[str, str]:
    """WordPress's error code and message, or empty strings when it sent none."""
    try:
        value: Any = response.json()
    except ValueError:
        return "", ""
    if isinstance(value, dict) and isinstance(value.get("code"), str):
        message = value.get("message")
        return value["code"], message if isinstance(message, str) else ""
    return "", ""


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "").lower()


def _refusal(ref: DraftRef, response: httpx.Response, auth: AppPassword | None) -> DraftError:
    """The one line for a response that is not the post (the password never in it)."""
    status = response.status_code
    code, message = _wp_error(response)
    said = f" ({code}: {message})" if code and message else (f" ({code})" if code else "")
    where = f"{ref.site}: post {ref.post_id}"
    if status in (301, 302, 303, 307, 308):
        target = response.headers.get("location", "")
        login = "wp-login.php" in target or "login" in target.lower()
        return DraftError(
            f"{ref.site}: the REST API redirected to {target or 'another page'}"
            + (": the site is behind a login wall" if login else "")
            + "; linkaudit needs the REST API itself (ask for /wp-json/ to be reachable)"
        )
    if "disabled" in code:
        return DraftError(f"{ref.site}: the site's REST API is disabled{said}")
    if status == 401:
        if auth is None:
            return DraftError(
                f"{where}: WordPress asks for a login to read it{said}; set {AUTH_ENV}="
                'user:application-password, or [sites."HOST"] wordpress_auth = "${VAR}"'
            )
        return DraftError(
            f"{where}: WordPress rejected the application password of user {auth.user!r}"
            f"{said}; check {auth.source} (Users > Profile > Application Passwords)"
        )
    if status == 403:
        who = f"user {auth.user!r}" if auth else "this login"
        return DraftError(f"{where}: {who} may not edit this post{said}")
    if status == 404:
        return DraftError(f"{where}: no such post{said}")
    if status == 200 and not _is_json(response):
        return DraftError(
            f"{ref.site}: answered a web page, not the REST API's JSON: the site is behind "
            "a login wall or a security plugin blocks the REST API"
        )
    return DraftError(f"{where}: HTTP {status} from the REST API{said}")


def _no_api(response: httpx.Response) -> bool:
    """A 404 that says "no REST API here" rather than "no such post"."""
    code, _ = _wp_error(response)
    return response.status_code == 404 and code != "rest_post_invalid_id"


def _post_of(response: httpx.Response, ref: DraftRef) -> dict[str, Any]:
    try:
        value: Any = response.json()
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("content"), dict):
        raise DraftError(f"{ref.site}: post {ref.post_id}: the answer is not a WordPress post")
    if not isinstance(value["content"].get("raw"), str):
        raise DraftError(
            f"{ref.site}: post {ref.post_id}: no content.raw in the answer: the login may only "
            "read the post, not edit it"
        )
    return value


def _draft_of(post: dict[str, Any], ref: DraftRef, endpoint: str, route: str | None) -> Draft:
    title = post.get("title")
    title_text = title.get("raw") or title.get("rendered") if isinstance(title, dict) else None
    link = post.get("link")
    date_gmt = post.get("date_gmt")
    return Draft(
        ref=ref,
        endpoint=endpoint,
        raw=post["content"]["raw"],
        modified_gmt=str(post.get("modified_gmt") or ""),
        status=str(post.get("status") or ""),
        link=link if isinstance(link, str) and origin_of(link) else None,
        title=plain_title(title_text) if isinstance(title_text, str) else None,
        date_gmt=date_gmt if isinstance(date_gmt, str) else None,
        route=route,
    )


def _request(
    client: httpx.Client,
    method: str,
    url: str,
    ref: DraftRef,
    *,
    params: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    try:
        if body is None:
            return client.request(method, url, params=params)
        return client.request(method, url, params=params, json=body)
    except httpx.HTTPError as exc:
        reason = type(exc).__name__ if not str(exc) else str(exc).splitlines()[0]
        raise DraftError(f"{ref.site}: cannot reach the REST API ({reason})") from None


def _locations(ref: DraftRef, kind: str) -> list[tuple[str, str | None]]:
    """The post's REST address with pretty permalinks, then the ``?rest_route=`` form."""
    route = f"/wp/v2/{kind}/{ref.post_id}"
    return [(f"{ref.site}/wp-json{route}", None), (f"{ref.site}/", route)]


def fetch_draft(
    ref: DraftRef, auth: AppPassword | None, options: SourceOptions | None = None
) -> Draft:
    """Read the post for editing (``context=edit``); raises :class:`DraftError`."""
    options = options or SourceOptions()
    refusal: httpx.Response | None = None
    with _client(ref, auth, options) as client:
        for kind in _TYPES:
            for url, route in _locations(ref, kind):
                params = {"context": "edit"} | ({"rest_route": route} if route else {})
                response = _request(client, "GET", url, ref, params=params)
                if response.status_code == 200 and _is_json(response):
                    return _draft_of(_post_of(response, ref), ref, url, route)
                # the ?rest_route= form of a site without an API is its home page
                home_page = route is not None and response.status_code == 200
                if not _no_api(response) and not home_page:
                    refusal = response
                    break  # the API answered: no need for the ?rest_route= form
            if refusal is not None and refusal.status_code != 404:
                break  # refused, not missing: a page would be refused the same way
    if refusal is None:
        raise DraftError(
            f"{ref.site}: no WordPress REST API answers at /wp-json/ or ?rest_route= "
            "(not a WordPress site, or its REST API is disabled)"
        )
    raise _refusal(ref, refusal, auth)


def write_draft(
    draft: Draft, new_raw: str, auth: AppPassword, options: SourceOptions | None = None
) -> Draft:
    """Replace the post's content with ``new_raw``, if it is still exactly ``draft``.

    Reads the post again first: a different ``modified_gmt`` or content means it
    was edited after the audit, and :class:`DraftChanged` is raised with nothing
    written.  Only ``content`` is sent, so the status (draft, pending, ...) is
    untouched; the answer is checked to hold the new content and the old status.
    """
    options = options or SourceOptions()
    current = fetch_draft(draft.ref, auth, options)
    if current.modified_gmt != draft.modified_gmt or current.raw != draft.raw:
        raise DraftChanged(
            f"{draft.ref.site}: post {draft.ref.post_id} was modified after the audit "
            f"(modified_gmt {current.modified_gmt}, audited {draft.modified_gmt}); "
            "nothing written: audit it again"
        )
    params = {"context": "edit"} | ({"rest_route": current.route} if current.route else {})
    with _client(draft.ref, auth, options) as client:
        response = _request(
            client, "POST", current.endpoint, draft.ref, params=params, body={"content": new_raw}
        )
    if response.status_code != 200 or not _is_json(response):
        raise _refusal(draft.ref, response, auth)
    written = _draft_of(_post_of(response, draft.ref), draft.ref, current.endpoint, current.route)
    if written.raw != new_raw:
        raise DraftError(
            f"{draft.ref.site}: post {draft.ref.post_id}: WordPress saved different content "
            "than was sent (a plugin filtered it); check the post"
        )
    if written.status != current.status:
        raise DraftError(
            f"{draft.ref.site}: post {draft.ref.post_id}: its status changed from "
            f"{current.status} to {written.status} while saving; check the post"
        )
    return written


def draft_json(draft: Draft) -> str:
    """The post as a backup file holds it: enough to restore it by hand."""
    return (
        json.dumps(
            {
                "site": draft.ref.site,
                "id": draft.ref.post_id,
                "modified_gmt": draft.modified_gmt,
                "status": draft.status,
                "title": draft.title,
                "content": {"raw": draft.raw},
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
