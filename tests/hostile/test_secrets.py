"""Configured secrets and URL passwords that a server echoes never reach a report or the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.testing.server import Conn, LoopbackServer, Request, Site

TOKEN = "tok-7f3a9c1e5b2d4680"  # what the environment holds
SEEN: list[str] = []


async def _echo_title(request: Request, conn: Conn) -> None:
    """A 404 page whose title repeats the credential it was sent (a debug page)."""
    SEEN.append(request.headers.get("authorization", ""))
    title = f"Not found for {request.headers.get('authorization', '')}"
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    await conn.send(request, 404, body.encode())


async def _echo_location(request: Request, conn: Conn) -> None:
    """A redirect that carries the token in its query, and a password in its userinfo."""
    token = request.headers.get("authorization", "").split()[-1]
    SEEN.append(token)
    target = f"http://admin:hunter2-p4ss@{request.headers['host']}/gone?token={token}"
    await conn.send(request, 302, b"", (("Location", target),), content_type=None)


async def _echo_status_line(request: Request, conn: Conn) -> None:
    """An invalid status line that quotes the header."""
    SEEN.append(request.headers.get("authorization", ""))
    auth = request.headers.get("authorization", "")
    await conn.write(f"HTTP/1.1 9999 {auth}\r\nContent-Length: 0\r\n\r\n".encode())
    conn.close()


@pytest.fixture
def site() -> Iterator[Site]:
    SEEN.clear()
    with LoopbackServer() as server:
        web = server.add_site("127.0.0.2")
        web.route("/title", _echo_title)
        web.route("/redirect", _echo_location)
        web.route("/status", _echo_status_line)
        yield web


def test_echoed_secrets_are_masked_in_every_report_and_the_store(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = "".join(
        f'<p><a href="{site.url(path)}">{path}</a></p>'
        for path in ("/title", "/redirect", "/status")
    )
    (tmp_path / "article.html").write_text(f"<html><body><article>{links}</article></body></html>")
    (tmp_path / "linkaudit.toml").write_text(
        "archives = []\nmax_retries = 0\ntimeout = 2\n"
        '[hosts."127.0.0.2"]\nheaders = { Authorization = "Bearer ${TOK}" }\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOK", TOKEN)
    result = CliRunner().invoke(
        main,
        [
            "audit", "article.html", "--no-archive", "--cache", "store.sqlite",
            "--format", "json,markdown,html,csv,sarif,junit,terminal", "--output-dir", "out",
        ],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert any(TOKEN in seen for seen in SEEN), SEEN  # the server did have it to echo
    written = [p for p in (tmp_path / "out").iterdir() if p.is_file()]
    assert len(written) >= 6
    places = {p.name: p.read_bytes() for p in written}
    places["store"] = b"".join(p.read_bytes() for p in tmp_path.glob("store.sqlite*"))
    places["output"] = (result.stdout + result.stderr).encode()
    for name, data in places.items():
        assert TOKEN.encode() not in data, name
        assert b"hunter2-p4ss" not in data, name
    report = next(p for p in written if p.suffix == ".json").read_text()
    assert "***" in report  # masked, not dropped: the evidence is still there


def test_a_secret_with_a_line_break_is_a_one_line_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "article.html").write_text('<a href="https://e.example/">e</a>')
    (tmp_path / "linkaudit.toml").write_text(
        '[hosts."e.example"]\nheaders = { Authorization = "Bearer ${TOK}" }\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOK", TOKEN + "\n")
    result = CliRunner().invoke(main, ["check", "article.html", "--no-cache"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "environment variable 'TOK'" in lines[0]
    assert "line break" in lines[0]
    assert TOKEN not in result.stderr
