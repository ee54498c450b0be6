"""URL fetching against a real HTTP server on 127.0.0.1 (no injected transport, no DNS)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkaudit.errors import InputError
from linkaudit.sources import SourceOptions, load_source

PAGE = '<html><head><meta charset="iso-8859-1"><title>Loopback \u00e9</title></head></html>'


class Handler(BaseHTTPRequestHandler):
    stall = threading.Event()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path == "/page":
            body = PAGE.encode("cp1252")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/huge":  # chunked, no length: the cap must stop the read
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * 4093
            try:
                for _ in range(10_000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/stall":  # headers, then nothing until the test ends
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            self.stall.wait(10)
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    Handler.stall.clear()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        Handler.stall.set()
        httpd.shutdown()
        httpd.server_close()


def test_real_fetch_decodes_and_sets_the_base(server: str) -> None:
    [doc] = load_source(f"{server}/page", SourceOptions())
    assert doc.title == "Loopback \u00e9"
    assert doc.encoding == "cp1252"
    assert doc.base_url == f"{server}/page"


def test_real_404(server: str) -> None:
    with pytest.raises(InputError, match="HTTP 404"):
        load_source(f"{server}/missing", SourceOptions())


def test_real_chunked_body_is_capped(server: str) -> None:
    with pytest.raises(InputError, match="larger than the limit of 100000 bytes"):
        load_source(f"{server}/huge", SourceOptions(max_bytes=100_000))


def test_real_read_timeout(server: str) -> None:
    with pytest.raises(InputError, match=r"timed out after 0\.2 s"):
        load_source(f"{server}/stall", SourceOptions(timeout=0.2))
