"""The trust store loads beside the run: https waits for it, http never does."""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from click.testing import CliRunner

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.check.client import TrustStore, _AwaitTrust, trust_store
from linkaudit.cli import main
from linkaudit.errors import ConfigError
from linkaudit.model import Verdict
from linkaudit.testing.server import LoopbackServer, page

OPTIONS = CheckOptions(timeout_connect=2.0, timeout_read=2.0, deadline=5.0, max_retries=0)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_url(ca: trustme.CA) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1", ssl_context=context)
        site.route("/story", page("<html><body><p>A story.</p></body></html>"))
        yield site.url("/story")


def test_https_is_verified_against_ssl_cert_file(
    ca: trustme.CA, https_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchors = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(anchors))
    monkeypatch.setenv("SSL_CERT_FILE", str(anchors))
    result = check_urls_sync([https_url], OPTIONS)[https_url]
    assert result.verdict is Verdict.OK, result.reason  # not INSECURE: verified


def test_a_certificate_outside_the_anchors_is_still_refused(
    https_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    monkeypatch.setenv("SSL_CERT_FILE", str(stranger))
    result = check_urls_sync([https_url], OPTIONS)[https_url]
    assert result.verdict is Verdict.INSECURE
    assert result.reason == "tls_self_signed"


def test_unreadable_anchors_end_the_run_with_a_clear_error(
    https_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(garbage))
    with pytest.raises(ConfigError, match=r"cannot load trusted certificates from .*garbage"):
        check_urls_sync([https_url], OPTIONS)


def test_missing_anchors_are_named_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nowhere.pem"))
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE=.*nowhere\.pem"):
        trust_store()


class _Pending:
    """A trust store still loading until ``loaded`` is set."""

    def __init__(self) -> None:
        self.loaded = asyncio.Event()
        self.waited = 0

    async def ready(self) -> None:
        self.waited += 1
        await self.loaded.wait()


class _Answer(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)


async def test_only_verified_https_waits_for_the_store() -> None:
    store = _Pending()
    gate = _AwaitTrust(_Answer(), store)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=gate) as client:
        assert (await client.get("http://127.0.0.1/")).status_code == 200
        insecure = client.build_request(
            "GET", "https://127.0.0.1/", extensions={"linkaudit.insecure": True}
        )
        assert (await client.send(insecure)).status_code == 200
        assert store.waited == 0
        verified = asyncio.create_task(client.get("https://127.0.0.1/"))
        await asyncio.sleep(0.01)
        assert not verified.done()  # held until the certificates are in
        store.loaded.set()
        assert (await verified).status_code == 200
        assert (await client.get("https://127.0.0.1/again")).status_code == 200
    assert store.waited == 1


def test_the_cli_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    article = tmp_path / "a.html"
    article.write_text('<p>See <a href="https://127.0.0.1:9/x">this</a>.</p>')
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nowhere.pem"))
    result = CliRunner().invoke(main, ["check", str(article), "--no-cache"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"linkaudit: error: SSL_CERT_FILE={tmp_path / 'nowhere.pem'} is not a readable file"
    ]


async def test_a_load_failing_while_awaited_is_the_same_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "late.pem"
    garbage.write_text("not a certificate either\n")
    store = TrustStore.__new__(TrustStore)  # loaded by hand below, after ready() waits
    store.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    store._where = str(garbage)
    store._loaded = concurrent.futures.Future()
    waiting = asyncio.create_task(store.ready())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    store._load(str(garbage), None)
    with pytest.raises(ConfigError, match="cannot load trusted certificates"):
        await waiting
