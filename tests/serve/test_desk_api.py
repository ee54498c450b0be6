"""The desk over HTTP (no browser): its gates, its audits, its repairs, on loopback only."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.serve.app import Running
from linkaudit.serve.page import CSP
from linkaudit.testing.wordpress import WordPressStandIn
from tests.serve.conftest import World


class Client:
    """The page's side of the API: its CSRF token, and a wait for an audit to finish."""

    def __init__(self, running: Running, **kwargs: Any) -> None:
        self.http = httpx.Client(base_url=running.url, **kwargs)
        home = self.http.get("/")
        found = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
        self.csrf = found.group(1) if found else ""

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf, **headers})

    def audit(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.post("/api/audits", body)
        assert answer.status_code == 202, answer.text
        job = answer.json()["id"]
        for _ in range(600):
            status: dict[str, Any] = self.http.get(f"/api/audits/{job}").json()
            if status["state"] in ("done", "failed"):
                return status
            time.sleep(0.05)
        raise AssertionError("the audit did not finish")


def test_the_page_carries_its_csp_and_refuses_other_hosts(running: Running) -> None:
    client = Client(running)
    home = client.http.get("/")
    assert home.headers["content-security-policy"] == CSP
    assert home.headers["x-frame-options"] == "DENY"
    assert client.csrf
    # a page that rebinds its own name to 127.0.0.1 still sends that name
    assert client.http.get("/", headers={"Host": "attacker.example"}).status_code == 421


def test_writes_need_the_csrf_token_a_json_body_and_the_desks_origin(
    running: Running, world: World
) -> None:
    client = Client(running)
    body = {"kind": "wordpress", "site": world.wp.url, "post": "12"}
    assert client.http.post("/api/audits", json=body).status_code == 403
    wrong = client.http.post("/api/audits", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    foreign = client.post("/api/audits", body, Origin="https://attacker.example")
    assert foreign.status_code == 403
    form = client.http.post(
        "/api/audits",
        content=b"kind=url",
        headers={"X-CSRF-Token": client.csrf, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    assert world.wp.requests == []  # none of them started anything


def test_a_draft_is_audited_and_repaired_in_place(running: Running, world: World) -> None:
    client = Client(running)
    status = client.audit({"kind": "wordpress", "site": world.wp.url, "post": "12"})
    assert status["state"] == "done", status
    assert status["target"] == "wordpress"
    verdicts = {f["url"]: f["verdict"] for f in status["findings"]}
    assert verdicts == {world.live: "ok", world.dead: "broken"}
    assert status["repairs"]["replace-dead"] == 1
    job = status["id"]
    shown = client.post(f"/api/audits/{job}/preview", {"repairs": ["replace-dead"]}).json()
    assert f"+{world.repaired().splitlines()[1]}" in shown["diff"]
    assert world.wp.writes == []  # showing is not writing
    stale = client.post(f"/api/audits/{job}/apply", {"repairs": ["replace-dead"], "digest": "0"})
    assert stale.status_code == 400
    assert world.wp.writes == []
    done = client.post(
        f"/api/audits/{job}/apply", {"repairs": ["replace-dead"], "digest": shown["digest"]}
    )
    assert done.status_code == 200, done.text
    assert [w.body for w in world.wp.writes] == [{"content": world.repaired()}]
    assert world.wp.posts[12].status == "draft"
    assert len(list((world.workdir / "backups").iterdir())) == 1


def test_a_draft_edited_after_the_audit_is_not_written(running: Running, world: World) -> None:
    client = Client(running)
    status = client.audit({"kind": "wordpress", "site": world.wp.url, "post": "12"})
    job = status["id"]
    shown = client.post(f"/api/audits/{job}/preview", {"repairs": ["replace-dead"]}).json()
    world.wp.edit(12, world.raw.replace("is gone", "was withdrawn"))
    answer = client.post(
        f"/api/audits/{job}/apply", {"repairs": ["replace-dead"], "digest": shown["digest"]}
    )
    assert answer.status_code == 409
    assert "changed since it was audited" in answer.json()["error"]
    assert world.wp.writes == []


def test_pasted_markdown_gives_a_repaired_file_to_download(running: Running, world: World) -> None:
    client = Client(running)
    text = f"# Notes\n\nThe [dataset]({world.dead}) and the [report]({world.live}).\n"
    status = client.audit({"kind": "markdown", "text": text, "filename": "../../notes.md"})
    assert status["state"] == "done", status
    assert status["target"] == "file"
    download = client.http.get(f"/audits/{status['id']}/repaired?repairs=replace-dead")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="notes.md"'
    assert download.text == text.replace(f"({world.dead})", f"({world.archived})")
    report = client.http.get(f"/audits/{status['id']}/report")
    assert "frame-ancestors 'self'" in report.headers["content-security-policy"]
    assert "Link audit" in report.text


def test_the_desk_stays_warm_between_audits(running: Running, world: World) -> None:
    """The second article's links are answered from the store the first one filled."""
    client = Client(running)
    text = f'<p><a href="{world.live}">a</a> <a href="{world.dead}">b</a></p>'
    first = client.audit({"kind": "html", "text": text})
    assert first["state"] == "done", first
    before = world.web.stats.requests
    second = client.audit({"kind": "html", "text": text + "<p>Edited.</p>"})
    assert second["state"] == "done"
    assert world.web.stats.requests == before
    assert {f["verdict"] for f in second["findings"]} == {"ok", "broken"}


def test_a_url_audit_offers_no_repairs(running: Running, world: World) -> None:
    world.web.route(
        "/story", lambda r, c: c.send(r, 200, f'<p><a href="{world.dead}">x</a></p>'.encode())
    )
    client = Client(running)
    status = client.audit({"kind": "url", "url": world.web.url("/story")})
    assert status["state"] == "done", status
    assert status["target"] is None
    answer = client.post(f"/api/audits/{status['id']}/preview", {"repairs": ["replace-dead"]})
    assert answer.status_code == 400
    assert "paste its source" in answer.json()["error"]


def test_the_password_goes_to_no_site_the_desk_was_not_started_for(
    running: Running, world: World
) -> None:
    other = WordPressStandIn(world.server, host="127.0.0.7").start()
    other.add_post(12, world.raw)
    answer = Client(running).post(
        "/api/audits", {"kind": "wordpress", "site": other.url, "post": "12"}
    )
    assert answer.status_code == 400
    assert "does not send its WordPress password" in answer.json()["error"]
    assert other.requests == []


def test_wrong_password_is_one_clear_line_without_the_password(
    running: Running, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKAUDIT_WORDPRESS_AUTH", "editor:not the password")
    status = Client(running).audit({"kind": "wordpress", "site": world.wp.url, "post": "12"})
    assert status["state"] == "failed"
    assert "rejected the application password of user 'editor'" in status["error"]
    assert "not the password" not in status["error"]


def test_beyond_loopback_a_token_is_required_and_private_links_are_not_checked(
    world: World,
) -> None:
    token = "t" * 24
    desk = world.desk(public=True)
    try:
        with Running(desk, token=token) as served:
            anonymous = httpx.Client(base_url=served.url)
            assert anonymous.get("/").status_code == 401
            assert anonymous.get("/?token=wrong").status_code == 401
            opened = anonymous.get(f"/?token={token}", follow_redirects=True)
            assert opened.status_code == 200  # the cookie now carries the token
            client = Client(served, headers={"Authorization": f"Bearer {token}"})
            text = f'<p><a href="{world.live}">a</a></p>'
            status = client.audit({"kind": "html", "text": text})
            assert status["state"] == "done", status
            [finding] = status["findings"]
            assert (finding["verdict"], finding["reason"]) == ("skipped", "private_address")
            assert world.web.stats.requests == 0
            fetched = client.audit({"kind": "url", "url": world.web.url("/report")})
            assert fetched["state"] == "failed"
            assert "loopback" in fetched["error"]
            assert world.web.stats.requests == 0
            draft = client.audit({"kind": "wordpress", "site": world.wp.url, "post": "12"})
            assert draft["state"] == "failed"
            assert "loopback" in draft["error"]
            assert world.wp.requests == []  # nor is the password sent into the network
    finally:
        desk.close()


def test_serve_refuses_to_listen_beyond_loopback_without_a_token() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--host", "0.0.0.0"], env={"LINKAUDIT_SERVE_TOKEN": ""}
    )
    assert result.exit_code == 2
    assert "needs --token" in result.stderr


def test_serve_without_its_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "linkaudit.serve.app", None)  # as if starlette were absent
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "pip install 'linkaudit[serve]'" in result.stderr
