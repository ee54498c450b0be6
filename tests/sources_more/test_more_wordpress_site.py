"""A whole WordPress site, walked through a fake REST API on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from linkaudit.errors import InputError
from linkaudit.model import Document, DocumentKind
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.wordpress_site import walk_wordpress_site

from .conftest import Handler, LoopbackServer, Request, Response

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
Serve = Callable[[Handler], LoopbackServer]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class FakeWordPress:
    """Enough of ``/wp/v2/posts`` and ``/wp/v2/pages`` to be walked like the real thing.

    Posts are published one a day from 2020-01-01; post ``n`` was last modified
    ``n`` hours after 2024-01-01, so ``modified_after`` selects a known suffix.
    """

    posts: int = 250
    pages: int = 3
    pretty: bool = True  # False: only /?rest_route=/wp/v2/... answers
    total_header: bool = True
    broken: dict[tuple[str, int], Response] = field(default_factory=dict)
    status: int | None = None  # answer every API request with this status
    base: str = ""
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def item(self, kind: str, n: int) -> dict[str, object]:
        published = EPOCH + timedelta(days=n)
        slug = "post" if kind == "posts" else "page"
        return {
            "id": n,
            "link": f"{self.base}/{published:%Y/%m}/{slug}-{n}/",
            "date": _stamp(published + timedelta(hours=9)),
            "date_gmt": _stamp(published),
            "modified_gmt": _stamp(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n)),
            "title": {"rendered": f"{slug.title()} &#8211; {n}"},
            "content": {
                "rendered": f'<p>See <a href="https://cited.example.org/{kind}/{n}">this</a>.</p>',
                "protected": False,
            },
            "type": slug,
        }

    def __call__(self, request: Request) -> Response:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self.answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def answer(self, request: Request) -> Response:
        route = request.path.removeprefix("/wp-json") if self.pretty else ""
        if not self.pretty and request.path == "/":
            route = request.query.get("rest_route", [""])[0]
        if self.pretty and not request.path.startswith("/wp-json/"):
            route = ""
        if route not in ("/wp/v2/posts", "/wp/v2/pages"):
            body = {"code": "rest_no_route", "message": "No route was found."}
            return Response(404, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if self.status is not None:
            body = {"code": "rest_forbidden", "message": "Sorry, you are not allowed."}
            return Response(self.status, json.dumps(body).encode())
        kind = route.rsplit("/", 1)[1]
        per_page = int(request.query["per_page"][0])
        page = int(request.query["page"][0])
        assert request.query["orderby"] == ["id"]
        assert "content" in request.query["_fields"][0]
        items = [
            self.item(kind, n)
            for n in range(1, (self.posts if kind == "posts" else self.pages) + 1)
        ]
        if "modified_after" in request.query:
            # Like WordPress: compared with the site's local time (here UTC+9).
            since = datetime.fromisoformat(request.query["modified_after"][0])
            items = [
                i
                for i in items
                if datetime.fromisoformat(str(i["modified_gmt"])) + timedelta(hours=9) > since
            ]
        total_pages = max(1, -(-len(items) // per_page))
        if page > total_pages:
            body = {"code": "rest_post_invalid_page_number", "message": "Invalid page."}
            return Response(400, json.dumps(body).encode())
        if (kind, page) in self.broken:
            return self.broken[(kind, page)]
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        if self.total_header:
            headers["X-WP-Total"] = str(len(items))
            headers["X-WP-TotalPages"] = str(total_pages)
        return Response(200, json.dumps(chunk).encode(), headers)


@pytest.fixture
def wordpress(serve: Serve) -> tuple[FakeWordPress, LoopbackServer]:
    fake = FakeWordPress()
    server = serve(fake)
    fake.base = server.base
    return fake, server


OPTIONS = SourceOptions(timeout=5)


def _ids(documents: list[Document]) -> list[str]:
    return [d.origin.rstrip("/").rsplit("-", 1)[-1] for d in documents]


async def test_walks_every_page_of_posts_and_pages(
    wordpress: tuple[FakeWordPress, LoopbackServer],
) -> None:
    fake, server = wordpress
    documents, warnings = await walk_wordpress_site(server.base, OPTIONS, concurrency=2)
    assert warnings == []
    assert len(documents) == 250 + 3
    posts = [d for d in documents if "/post-" in d.origin]
    assert _ids(posts) == [str(n) for n in range(1, 251)]  # in order, none twice
    first = posts[0]
    assert first.kind is DocumentKind.WORDPRESS
    assert first.origin == f"{server.base}/2020/01/post-1/"
    assert first.canonical_url == first.origin
    assert first.base_url == first.origin
    assert first.site == server.base
    assert first.cited_at == EPOCH + timedelta(days=1)
    assert first.cited_at_source == "date_gmt"
    assert first.title == "Post – 1"
    assert "https://cited.example.org/posts/1" in first.text
    assert first.whole_page is False
    pages = [d for d in documents if "/page-" in d.origin]
    assert _ids(pages) == ["1", "2", "3"]
    listing = [r for r in server.requests if r.path == "/wp-json/wp/v2/posts"]
    assert sorted(int(r.query["page"][0]) for r in listing) == [1, 2, 3]
    assert all(r.query["per_page"] == ["100"] for r in listing)
    assert all(r.headers["User-Agent"].startswith("linkaudit/") for r in server.requests)
    assert fake.max_in_flight <= 2


async def test_modified_after_asks_the_server_and_cuts_exactly(
    wordpress: tuple[FakeWordPress, LoopbackServer],
) -> None:
    _, server = wordpress
    since = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=180)
    documents, _ = await walk_wordpress_site(server.base, OPTIONS, modified_after=since)
    # Posts 181..250 were modified after the cut; pages 1..3 were not.
    assert _ids(documents) == [str(n) for n in range(181, 251)]
    sent = {r.query["modified_after"][0] for r in server.requests}
    assert sent == {"2024-01-07T12:00:00"}  # a day early: the server compares local time
    # The server, a day early in its local time, sends posts 148..250: two pages.
    asked = sorted((r.path, r.query["page"][0]) for r in server.requests)
    assert asked == [
        ("/wp-json/wp/v2/pages", "1"),
        ("/wp-json/wp/v2/posts", "1"),
        ("/wp-json/wp/v2/posts", "2"),
    ]


async def test_include_pages_false_and_injected_client(
    wordpress: tuple[FakeWordPress, LoopbackServer],
) -> None:
    _, server = wordpress
    async with httpx.AsyncClient(headers={"User-Agent": "custom"}) as client:
        documents, _ = await walk_wordpress_site(
            server.base + "/", OPTIONS, client=client, include_pages=False
        )
    assert len(documents) == 250
    assert not any("/wp/v2/pages" in p for p in server.paths())
    assert {r.headers["User-Agent"] for r in server.requests} == {"custom"}


async def test_a_malformed_page_is_a_warning_and_the_rest_is_audited(
    wordpress: tuple[FakeWordPress, LoopbackServer],
) -> None:
    fake, server = wordpress
    fake.broken[("posts", 2)] = Response(
        200, b"<html><body>Fatal error: Allowed memory size exhausted</body></html>"
    )
    fake.broken[("posts", 3)] = Response(500, b"oops")
    documents, warnings = await walk_wordpress_site(server.base, OPTIONS, retry_delay=0)
    ids = _ids([d for d in documents if "/post-" in d.origin])
    assert ids == [str(n) for n in range(1, 101)]
    assert len(warnings) == 2
    assert warnings[0].startswith("posts page 2 could not be read:")
    assert warnings[1] == (
        "posts page 3 of 3 failed with HTTP 500; up to 100 posts are missing from this audit"
    )
    # The transient 500 was retried once, the malformed 200 was not.
    pages = [int(r.query["page"][0]) for r in server.requests if r.path.endswith("/posts")]
    assert sorted(pages) == [1, 2, 3, 3]


async def test_a_truncated_page_is_read_leniently(
    wordpress: tuple[FakeWordPress, LoopbackServer],
) -> None:
    fake, server = wordpress
    full = json.dumps([fake.item("posts", n) for n in range(101, 201)]).encode()
    cut = full.index(b'"id": 111,')
    fake.broken[("posts", 2)] = Response(200, full[:cut])
    documents, warnings = await walk_wordpress_site(server.base, OPTIONS, include_pages=False)
    ids = [int(i) for i in _ids(documents)]
    assert ids[:100] == list(range(1, 101))
    assert ids[-50:] == list(range(201, 251))
    recovered = ids[100:-50]
    assert recovered == list(range(101, 101 + len(recovered)))
    assert 8 <= len(recovered) <= 10
    assert any(
        w.startswith(f"posts page 2 is not valid JSON; recovered {len(recovered)} posts")
        for w in warnings
    )


async def test_plain_permalinks_use_rest_route(serve: Serve) -> None:
    fake = FakeWordPress(posts=5, pages=0, pretty=False)
    server = serve(fake)
    fake.base = server.base
    documents, warnings = await walk_wordpress_site(server.base, OPTIONS)
    assert len(documents) == 5
    assert warnings == []
    rest_routes = [r.query.get("rest_route") for r in server.requests if r.path == "/"]
    assert ["/wp/v2/posts"] in rest_routes


async def test_missing_total_pages_header_walks_until_the_end(serve: Serve) -> None:
    fake = FakeWordPress(posts=200, pages=1, total_header=False)
    server = serve(fake)
    fake.base = server.base
    documents, warnings = await walk_wordpress_site(server.base, OPTIONS)
    assert warnings == []
    assert len(documents) == 201
    pages = [int(r.query["page"][0]) for r in server.requests if r.path.endswith("/posts")]
    assert pages == [1, 2, 3]  # the third answers 400 "invalid page number": the end


async def test_not_wordpress_and_unauthorised_are_one_line_errors(serve: Serve) -> None:
    plain = serve(lambda request: Response(404, b"<h1>Not Found</h1>"))
    with pytest.raises(InputError) as not_wp:
        await walk_wordpress_site(plain.base, OPTIONS)
    message = str(not_wp.value)
    assert message.startswith(f"{plain.base}: not a WordPress site")
    assert "\n" not in message
    assert set(plain.paths()) == {"/wp-json/wp/v2/posts", "/"}  # both API locations tried

    fake = FakeWordPress(status=401)
    locked = serve(fake)
    with pytest.raises(InputError, match=r"refused access to posts \(HTTP 401 \(rest_forbidden"):
        await walk_wordpress_site(locked.base, OPTIONS)

    html = serve(
        lambda request: Response(200, b"<html>a blog</html>", {"Content-Type": "text/html"})
    )
    with pytest.raises(InputError, match="not a WordPress REST API"):
        await walk_wordpress_site(html.base, OPTIONS)


async def test_unreachable_site_is_an_input_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(InputError, match="could not fetch"):
            await walk_wordpress_site("https://blog.example", OPTIONS, client=client, retry_delay=0)
    with pytest.raises(InputError, match="not an http"):
        await walk_wordpress_site("ftp://blog.example", OPTIONS)


async def test_redirects_are_followed_on_an_injected_client(serve: Serve) -> None:
    fake = FakeWordPress(posts=3, pages=0)

    def handler(request: Request) -> Response:
        if request.path.startswith("/old/"):
            query = "&".join(f"{k}={v[0]}" for k, v in request.query.items())
            target = request.path.removeprefix("/old") + "?" + query
            return Response(301, b"", {"Location": target})
        return fake(request)

    server = serve(handler)
    fake.base = server.base
    async with httpx.AsyncClient() as client:  # httpx's default: no redirects
        documents, _ = await walk_wordpress_site(server.base + "/old", OPTIONS, client=client)
    assert len(documents) == 3
    assert server.paths()[:2] == ["/old/wp-json/wp/v2/posts", "/wp-json/wp/v2/posts"]


def test_a_walk_that_reads_nothing_is_an_error_not_an_empty_site(serve: Serve) -> None:
    from linkaudit import _aio as aio
    from linkaudit.sources.collect import Collection, collect

    fake = FakeWordPress(posts=0, pages=3)
    server = serve(fake)
    fake.base = server.base
    fake.broken[("pages", 1)] = Response(200, b"<html>Fatal error</html>")
    assert not aio.run(walk_wordpress_site(server.base, OPTIONS))[0]  # nothing read ...
    with pytest.raises(InputError, match="no posts could be read"):  # ... is not a clean site
        collect(Collection(wordpress=server.base), OPTIONS)
