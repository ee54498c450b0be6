"""A WordPress draft read, audited and repaired from the command line, on loopback only.

The site is :class:`~linkaudit.testing.wordpress.WordPressStandIn` (the REST shapes
of WordPress core, application-password auth, recorded writes); the article's
links are on another loopback site and the archive is the local stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.sources.wordpress_draft import (
    AUTH_ENV,
    AppPassword,
    DraftChanged,
    draft_ref,
    fetch_draft,
    write_draft,
)
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, Site
from linkaudit.testing.wordpress import WordPressStandIn, draft_scene


@dataclass
class World:
    wp: WordPressStandIn
    web: Site
    archive: ArchiveStandIn
    raw: str
    dead: str
    live: str


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with LoopbackServer() as server, ArchiveStandIn() as archive:
        scene = draft_scene(server, archive)
        web, wp, raw, live, dead = scene.web, scene.wp, scene.raw, scene.live, scene.dead
        (tmp_path / "linkaudit.toml").write_text(
            'archives = ["wayback"]\ntimeout = 2\nmax_retries = 0\n', encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(AUTH_ENV, wp.auth())
        yield World(wp, web, archive, raw, dead, live)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _fix(world: World, *args: str) -> tuple[int, str, str]:
    return _run(
        "fix",
        "--wordpress",
        world.wp.url,
        "--post",
        "12",
        "--replace-dead",
        "--wayback-url",
        world.archive.base_url,
        *args,
    )


def test_check_reads_the_draft_raw_content_with_the_application_password(world: World) -> None:
    code, out, err = _run("check", "--no-cache", "--wordpress", world.wp.url, "--post", "12")
    assert code == 1, out + err  # the dead link
    assert "original dataset" in out
    assert "broken" in out
    assert f"{world.wp.url}/wp-admin/post.php?post=12&action=edit" in out
    gets = [(m, t, u) for m, t, u in world.wp.requests if m == "GET"]
    assert gets == [("GET", "/wp-json/wp/v2/posts/12?context=edit", "editor")]


def test_the_post_can_be_named_by_its_editing_url(world: World) -> None:
    url = f"{world.wp.url}/wp-admin/post.php?post=12&action=edit"
    code, out, err = _run("check", "--no-cache", "--post", url)
    assert code == 1, out + err
    assert "original dataset" in out


def test_wordpress_may_name_the_post_itself(world: World) -> None:
    url = f"{world.wp.url}/?p=12"
    code, out, err = _run("check", "--no-cache", "--wordpress", url)
    assert code == 1, out + err
    assert "original dataset" in out
    code, out, err = _run(
        "fix",
        "--wordpress",
        url,
        "--replace-dead",
        "--no-cache",
        "--wayback-url",
        world.archive.base_url,
    )
    assert code == 0, out + err
    assert "/web/20210401000000/" in out


def test_apply_from_a_json_report_of_the_draft(world: World, tmp_path: Path) -> None:
    code, out, err = _run(
        "audit",
        "--wordpress",
        world.wp.url,
        "--post",
        "12",
        "--no-cache",
        "--format",
        "json",
        "-o",
        "draft.json",
        "--wayback-url",
        world.archive.base_url,
    )
    assert code == 1, out + err
    report = json.loads((tmp_path / "draft.json").read_text("utf-8"))
    assert (
        report["documents"][0]["origin"] == f"{world.wp.url}/wp-admin/post.php?post=12&action=edit"
    )
    requests = len(world.wp.requests)
    code, out, err = _fix(world, "--from-report", "draft.json", "--apply")
    assert code == 0, out + err
    assert [w.body for w in world.wp.writes] == [
        {
            "content": world.raw.replace(
                f'href="{world.dead}"',
                f'href="{world.archive.base_url}/web/20210401000000/{world.dead}" '
                f'data-originalurl="{world.dead}"',
            )
        }
    ]
    # read once to plan, once more right before the write; no audit of its own
    assert [m for m, _, _ in world.wp.requests[requests:]] == ["GET", "GET", "POST"]
    # saved again after that audit, back to the audited text (so its hash matches):
    # only modified_gmt, a second after the write, tells that the report is stale
    world.wp.edit(12, world.raw)
    code, _, err = _fix(world, "--from-report", "draft.json", "--apply")
    assert code == 2
    assert "modified after the audit" in err
    assert len(world.wp.writes) == 1


def test_fix_shows_the_diff_and_writes_nothing_without_apply(world: World) -> None:
    code, out, err = _fix(world)
    assert code == 0, out + err
    assert f'-<p>The <a href="{world.live}">' in out
    assert "/web/20210401000000/" in out
    assert "add --apply" in err
    assert world.wp.writes == []
    assert world.wp.posts[12].raw == world.raw


def test_apply_writes_exactly_the_diffed_content_to_the_same_draft(
    world: World, tmp_path: Path
) -> None:
    code, out, err = _fix(world)
    assert code == 0, out + err
    code, out, err = _fix(world, "--apply")
    assert code == 0, out + err
    assert "repairing from the stored audit" in err  # the first run's audit, no new checks
    assert len(world.wp.writes) == 1
    write = world.wp.writes[0]
    assert (write.post_id, write.user) == (12, "editor")
    assert set(write.body) == {"content"}  # never a status: a draft is never published
    sent = write.body["content"]
    archived = f"{world.archive.base_url}/web/20210401000000/{world.dead}"
    assert f'href="{archived}"' in sent
    assert f'data-originalurl="{world.dead}"' in sent
    # the only change is that link: put the old href back and it is the draft as it was
    restored = sent.replace(f'href="{archived}" data-originalurl="{world.dead}"', "")
    restored = restored.replace("<a >", "<a>")
    before = world.raw.replace(f'href="{world.dead}"', "")
    assert restored.replace(" >", ">") == before.replace(" >", ">")
    added = [line[1:] for line in out.splitlines() if line.startswith("+<p>")]
    assert added == [sent.splitlines()[1]]  # what was shown is what was sent
    assert world.wp.posts[12].status == "draft"
    backups = list((tmp_path / "linkaudit-backups").iterdir())
    assert len(backups) == 1
    assert json.loads(backups[0].read_text("utf-8"))["content"]["raw"] == world.raw
    assert "status draft, unchanged" in err


def test_a_pending_post_stays_pending(world: World) -> None:
    world.wp.posts[12].status = "pending"
    code, out, err = _fix(world, "--apply", "--no-cache")
    assert code == 0, out + err
    assert [set(w.body) for w in world.wp.writes] == [{"content"}]
    assert world.wp.posts[12].status == "pending"


def test_apply_refuses_a_post_edited_after_the_audit(world: World) -> None:
    code, out, err = _fix(world)
    assert code == 0, out + err
    world.wp.edit(12, world.raw.replace("is gone", "has vanished"))  # the editor keeps writing
    code, out, err = _fix(world, "--apply")
    assert code == 2
    assert "changed since it was audited" in err
    assert "nothing written" in err
    assert world.wp.writes == []
    assert "has vanished" in world.wp.posts[12].raw


def test_apply_refuses_a_post_saved_after_the_audit_even_with_the_same_text(
    world: World,
) -> None:
    code, out, err = _fix(world)
    assert code == 0, out + err
    world.wp.clock = lambda: datetime.now(UTC) + timedelta(seconds=5)
    world.wp.edit(12, world.raw)  # saved again (a title, a tag): modified_gmt moves on
    code, out, err = _fix(world, "--apply")
    assert code == 2
    assert "modified after the audit" in err
    assert "modified_gmt" in err
    assert world.wp.writes == []


def test_write_refuses_a_post_edited_between_reading_and_writing(world: World) -> None:
    auth = AppPassword.parse(world.wp.auth(), AUTH_ENV)
    draft = fetch_draft(draft_ref(world.wp.url, "12"), auth)
    world.wp.edit(12, world.raw + "<p>More.</p>")
    with pytest.raises(DraftChanged, match="modified after the audit"):
        write_draft(draft, "<p>repaired</p>", auth)
    assert world.wp.writes == []


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("wrong_password", "rejected the application password of user 'editor'"),
        ("no_rights", "user 'editor' may not edit this post"),
        ("missing", "post 12: no such post"),
        ("rest_disabled", "REST API is disabled"),
        ("login_wall", "behind a login wall"),
        ("no_password", "asks for a login"),
    ],
)
def test_each_failure_is_one_clear_line_without_the_password(
    world: World, monkeypatch: pytest.MonkeyPatch, setup: str, expected: str
) -> None:
    password = world.wp.users["editor"]
    if setup == "wrong_password":
        monkeypatch.setenv(AUTH_ENV, "editor:wrong wrong wrong")
        password = "wrong wrong wrong"
    elif setup == "no_rights":
        world.wp.posts[12].editors = frozenset({"chief"})
    elif setup == "missing":
        del world.wp.posts[12]
    elif setup in ("rest_disabled", "login_wall"):
        world.wp.mode = setup
    elif setup == "no_password":
        monkeypatch.delenv(AUTH_ENV)
    code, out, err = _run("check", "--no-cache", "--wordpress", world.wp.url, "--post", "12")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("linkaudit: error: ")
    assert expected in lines[0]
    assert password not in out + err
    assert "Traceback" not in out + err


def test_apply_without_a_password_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(AUTH_ENV)
    code, _, err = _fix(world, "--apply")
    assert code == 2
    assert "needs an application password" in err
    assert world.wp.writes == []


def test_the_password_may_come_from_the_configuration(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(AUTH_ENV)
    monkeypatch.setenv("MY_WP", world.wp.auth())
    config = tmp_path / "linkaudit.toml"
    config.write_text(
        config.read_text("utf-8") + '[sites."127.0.0.1"]\nwordpress_auth = "${MY_WP}"\n',
        encoding="utf-8",
    )
    code, out, err = _run("check", "--no-cache", "--wordpress", world.wp.url, "--post", "12")
    assert code == 1, out + err
    assert world.wp.users["editor"] not in out + err


def test_a_password_written_into_the_configuration_is_refused(world: World, tmp_path: Path) -> None:
    config = tmp_path / "linkaudit.toml"
    config.write_text(
        config.read_text("utf-8") + '[sites."127.0.0.1"]\nwordpress_auth = "editor:abcd"\n',
        encoding="utf-8",
    )
    code, _, err = _run("check", "--no-cache", "--wordpress", world.wp.url, "--post", "12")
    assert code == 2
    assert "wordpress_auth: must come from the environment" in err
    assert "abcd" not in err


def test_a_site_without_pretty_permalinks_is_read_through_rest_route(world: World) -> None:
    world.wp.pretty = False
    code, out, err = _fix(world, "--apply", "--no-cache")
    assert code == 0, out + err
    assert len(world.wp.writes) == 1
    assert any("rest_route=" in target for m, target, _ in world.wp.requests if m == "POST")


@pytest.mark.parametrize(
    ("site", "post", "expected"),
    [
        ("https://blog.example", "12", ("https://blog.example", 12)),
        (
            None,
            "https://blog.example/news/wp-admin/post.php?post=7&action=edit",
            ("https://blog.example/news", 7),
        ),
        (None, "https://blog.example/?p=31", ("https://blog.example", 31)),
        (None, "https://blog.example/?page_id=4&preview=true", ("https://blog.example", 4)),
        (None, "https://blog.example/wp-json/wp/v2/pages/9", ("https://blog.example", 9)),
        ("blog.example", "https://blog.example/?p=3", ("https://blog.example", 3)),
    ],
)
def test_post_references(site: str | None, post: str, expected: tuple[str, int]) -> None:
    ref = draft_ref(site, post)
    assert (ref.site, ref.post_id) == expected


@pytest.mark.parametrize(
    ("site", "post", "message"),
    [
        (None, "12", "name the site too"),
        ("https://blog.example", "twelve", "not a post id"),
        ("https://other.example", "https://blog.example/?p=3", "not on the site"),
    ],
)
def test_bad_post_references(site: str | None, post: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        draft_ref(site, post)


def test_the_password_is_never_sent_over_plain_http_to_another_machine() -> None:
    auth = AppPassword.parse("editor:secret words", AUTH_ENV)
    assert "secret" not in repr(auth)
    assert "secret" not in str(auth)
    with pytest.raises(Exception, match="plain http"):
        fetch_draft(draft_ref("http://blog.example", "3"), auth)


def test_the_readmes_wordpress_auth_example_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkaudit.config import load_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Before publication") :]
    block = section[section.index("```toml\n") + len("```toml\n") :]
    (tmp_path / "linkaudit.toml").write_text(block[: block.index("```")], encoding="utf-8")
    monkeypatch.setenv("BLOG_WP_AUTH", "editor:abcd efgh")
    config = load_config(start=tmp_path)
    secret = config.sites["blog.example"].wordpress_auth
    assert secret is not None
    assert secret.reveal() == "editor:abcd efgh"
    assert "abcd" not in repr(config)
