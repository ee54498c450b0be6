"""Fixtures for the content-repository sources: generated trees, git repos, loopback servers.

Everything is local: git repositories live under ``tmp_path`` and the fake
WordPress and sitemap servers are real HTTP servers on 127.0.0.1, so the code
under test goes through httpx's real transport without touching DNS or the internet.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no user/system config."""
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The code under test runs git too; keep it away from the host's git config."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; loopback servers must be reached directly."""
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(key.lower(), raising=False)


# --------------------------------------------------------------------------- content repo

SHARED_LINKS = [f"https://shared{n}.example.org/ref/{n}" for n in range(12)]


@dataclass
class ContentRepo:
    root: Path
    expected: set[str] = field(default_factory=set)  # content files an audit must see
    ignored: set[str] = field(default_factory=set)  # content files .gitignore hides
    other: set[str] = field(default_factory=set)  # non-content files


def _article_md(n: int) -> str:
    shared = SHARED_LINKS[n % len(SHARED_LINKS)]
    return (
        f"# Post {n}\n\n"
        f"As [the study]({shared}) showed, and [another](https://unique{n}.example.net/p).\n\n"
        f"See also <https://shared0.example.org/ref/0>.\n"
    )


def _article_html(n: int) -> str:
    shared = SHARED_LINKS[(n * 7) % len(SHARED_LINKS)]
    return (
        f"<!doctype html><html><head><title>Page {n}</title></head><body><article>\n"
        f'<p>Per <a href="{shared}">this source</a> and '
        f'<a href="https://unique-html{n}.example.net/">that one</a>.</p>\n'
        "</article></body></html>\n"
    )


def build_content_repo(root: Path) -> ContentRepo:
    """A blog-shaped tree: 3 years x 12 months x 10 posts, pages, assets, ignored output.

    Hundreds of articles share a dozen links, as real blogs cite the same sources;
    the ignored folders hold articles that must *not* be audited.
    """
    repo = ContentRepo(root)

    def write(rel: str, text: str | bytes, bucket: set[str]) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        bucket.add(rel)

    n = 0
    for year in (2021, 2022, 2023):
        for month in range(1, 13):
            for day in range(1, 11):
                n += 1
                suffix = [".md", ".markdown", ".html", ".htm"][n % 4]
                rel = f"content/posts/{year}/{month:02d}/post-{day:02d}{suffix}"
                body = _article_md(n) if suffix in {".md", ".markdown"} else _article_html(n)
                write(rel, body, repo.expected)
            write(f"content/posts/{year}/cover.png", b"\x89PNG\r\n\x1a\n" + bytes(64), repo.other)
    for page in range(20):
        write(f"content/pages/page{page:02d}.HTML", _article_html(1000 + page), repo.expected)
    write("content/pages/data.json", '{"links": []}', repo.other)
    write("content/notes.txt", "https://not-audited.example.org/", repo.other)
    write("README.md", _article_md(5000), repo.expected)
    write("theme/style.css", "body{}", repo.other)
    # Ignored by the root .gitignore: build output, drafts except one kept on purpose.
    for k in range(30):
        write(f"_site/posts/p{k}.html", _article_html(2000 + k), repo.ignored)
    for k in range(5):
        write(f"drafts/draft{k}.md", _article_md(3000 + k), repo.ignored)
    write("drafts/keep.md", _article_md(3100), repo.expected)
    # A nested .gitignore, anchored to its own directory.
    write("content/posts/2022/scratch.md", _article_md(3200), repo.ignored)
    write("content/posts/2022/10/scratch.md", _article_md(3201), repo.expected)
    write("content/posts/2023/wip.draft.md", _article_md(3202), repo.ignored)
    write("content/posts/2023/04/deep.draft.md", _article_md(3203), repo.ignored)
    (root / ".gitignore").write_text("_site/\ndrafts/*\n!drafts/keep.md\n# comment\n")
    (root / "content/posts/.gitignore").write_text("/2022/scratch.md\n*.draft.md\n")
    repo.other.update({".gitignore", "content/posts/.gitignore"})
    return repo


@pytest.fixture
def content_repo(tmp_path: Path) -> ContentRepo:
    return build_content_repo(tmp_path / "site")


# --------------------------------------------------------------------------- loopback HTTP


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Handler = Callable[[Request], Response]


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 whose answers are a Python function.

    Requests are recorded so tests can assert what was (and was not) asked.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(parts.path, parse_qs(parts.query), dict(self.headers.items()))
                with outer._lock:
                    outer.requests.append(request)
                try:
                    response = outer.handler(request)
                except Exception as exc:  # pragma: no cover - a test bug, made visible
                    response = Response(500, f"handler error: {exc!r}".encode())
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handler: Handler) -> LoopbackServer:
        server = LoopbackServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
