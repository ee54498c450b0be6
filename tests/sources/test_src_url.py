"""Fetching articles by URL, answered by an in-process transport (no network, no DNS)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from linkaudit.errors import InputError
from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, load_source

Handler = Callable[[httpx.Request], httpx.Response]


def opts(handler: Handler, **values: object) -> SourceOptions:
    return SourceOptions(transport=httpx.MockTransport(handler), **values)  # type: ignore[arg-type]


def test_charset_from_the_http_header_beats_the_meta_tag() -> None:
    body = '<meta charset="utf-8"><title>Caf\u00e9 \u201cx\u201d</title><p>hi</p>'.encode("cp1252")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, headers={"Content-Type": "text/html; charset=windows-1252"}, content=body
        )

    [doc] = load_source("http://127.0.0.1:8000/page", opts(handler, user_agent="linkaudit-test/1"))
    assert doc.title == "Caf\u00e9 \u201cx\u201d"
    assert doc.encoding == "cp1252"
    assert doc.warnings == ()
    assert doc.base_url == "http://127.0.0.1:8000/page"
    assert doc.site == "http://127.0.0.1:8000"
    assert seen[0].headers["user-agent"] == "linkaudit-test/1"
    assert "text/html" in seen[0].headers["accept"]


def test_redirects_are_followed_and_the_final_url_is_the_base() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "http://127.0.0.1:8000/new/"})
        return httpx.Response(200, html="<p>moved here</p>")

    [doc] = load_source("http://127.0.0.1:8000/old", opts(handler))
    assert doc.origin == "http://127.0.0.1:8000/old"
    assert doc.base_url == "http://127.0.0.1:8000/new/"
    assert doc.warnings == ("redirected to http://127.0.0.1:8000/new/",)


def test_wordpress_json_by_url(fixtures: Path) -> None:
    post = (fixtures / "wp_post.json").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/wp-json/wp/v2/posts/4821"
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=post)

    url = "http://127.0.0.1:8000/wp-json/wp/v2/posts/4821"
    [doc] = load_source(url, opts(handler))
    assert doc.kind is DocumentKind.WORDPRESS
    assert doc.origin == url
    assert doc.base_url == "https://blog.example.test/2022/09/harbour-dredging-costs/"
    assert doc.cited_at == datetime(2022, 9, 30, 16, 15, tzinfo=UTC)


def test_wordpress_json_served_as_text_is_still_recognised() -> None:
    body = json.dumps({"link": "https://w.test/p/", "content": {"rendered": "<p>x</p>"}})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/plain"}, text=body)

    [doc] = load_source("http://127.0.0.1:8000/dump.txt", opts(handler))
    assert doc.kind is DocumentKind.WORDPRESS
    assert doc.text == "<p>x</p>"


def test_markdown_by_content_type() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "text/markdown"}, text="# Title\n\n[a](https://a.test/)\n"
        )

    [doc] = load_source("http://127.0.0.1:8000/readme", opts(handler))
    assert (doc.kind, doc.title) == (DocumentKind.MARKDOWN, "Title")


@pytest.mark.parametrize(("status", "phrase"), [(404, "HTTP 404 Not Found"), (503, "HTTP 503")])
def test_http_errors_are_input_errors(status: int, phrase: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, html="<p>nope</p>")

    with pytest.raises(InputError, match=f"^http://127.0.0.1:8000/gone: {phrase}"):
        load_source("http://127.0.0.1:8000/gone", opts(handler))


def test_size_cap_stops_reading_an_endless_body() -> None:
    served: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            served.append(1)
            yield b"<p>" + b"x" * 1021

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=endless())

    with pytest.raises(InputError, match="larger than the limit of 10000 bytes"):
        load_source("http://127.0.0.1:8000/big", opts(handler, max_bytes=10_000))
    assert len(served) == 10  # 10 KiB chunks read, then it stopped


def test_declared_content_length_over_the_cap_is_refused_before_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "999999"}, content=b"<p>short</p>")

    with pytest.raises(InputError, match="larger than the limit of 100 bytes"):
        load_source("http://127.0.0.1:8000/x", opts(handler, max_bytes=100))


def test_binary_content_type_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "application/pdf"}, content=b"%PDF-1.4")

    with pytest.raises(InputError, match=r"binary data \(application/pdf\)"):
        load_source("http://127.0.0.1:8000/x.pdf", opts(handler))


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (httpx.ReadTimeout("slow"), "timed out after 1.5 s"),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "could not fetch \\(\\[Errno 111\\]",
        ),
    ],
)
def test_network_failures_are_one_line_input_errors(error: Exception, message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(InputError, match=message) as info:
        load_source("http://127.0.0.1:9/x", opts(handler, timeout=1.5))
    assert "\n" not in str(info.value)


def test_too_many_redirects() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": str(request.url)})

    with pytest.raises(InputError, match="too many redirects"):
        load_source("http://127.0.0.1:8000/loop", opts(handler))
