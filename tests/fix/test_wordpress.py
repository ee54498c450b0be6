"""WordPress JSON: edits land inside content.rendered, escaped as the file escapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from linkaudit.extract import extract
from linkaudit.fix.formats import read_source
from linkaudit.fix.plan import Repair
from linkaudit.model import CitationKind
from tests.fix.helpers import ARCHIVE, by_url, fix, hunks, write

SEED = Path("/work/shared/seeds/000_5e9e3ade2d4e8552.txt")

BODY = (
    '<p>Caf\u00e9 \u201cquote\u201d <a href="http://dead.test/a?x=1&amp;y=2">dead</a>,\n'
    "<a href='http://old.test/p'>moved</a> and recently </span>floated</span></a> it.</p>\n"
)
POST = {
    "id": 7,
    "date_gmt": "2021-01-02T03:04:05",
    "link": "https://blog.test/2021/post/",
    "title": {"rendered": "A \u201ctitle\u201d"},
    "content": {"rendered": BODY, "protected": False},
    "meta": [],
}
MAKE = by_url(
    dead=["dead.test"],
    moved={"old.test": "https://new.test/p"},
    restore=lambda c: "https://restored.test/" + c.text,
)


def php_json(value: object) -> str:
    """What WordPress writes: ASCII only with \\uXXXX, and every slash escaped."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


@pytest.mark.parametrize("style", ["php", "plain"])
def test_no_repairs_is_byte_identical(tmp_path: Path, style: str) -> None:
    text = php_json(POST) if style == "php" else json.dumps(POST, ensure_ascii=False, indent=1)
    path = write(tmp_path, "post.json", text)
    result = fix(path, MAKE)
    assert result.fixed_bytes == path.read_bytes()


def test_edits_change_only_the_body_string_in_the_files_escaping(tmp_path: Path) -> None:
    text = php_json(POST)
    path = write(tmp_path, "post.json", text)
    result = fix(path, MAKE, *Repair)
    out = result.fixed_text
    assert [old for old, _ in hunks(result)] == [
        "http:\\/\\/dead.test\\/a?x=1&amp;y=2",
        "",
        "http:\\/\\/old.test\\/p",
        "",
    ]
    assert '<a href=\\"https:\\/\\/restored.test\\/floated\\">floated' in out
    loaded = json.loads(out)
    original = json.loads(text)
    body = loaded["content"]["rendered"]
    loaded["content"]["rendered"] = original["content"]["rendered"]
    assert loaded == original  # every other value unchanged
    assert out.startswith(text[: text.index('"content"')])  # and every byte before the body
    assert out.endswith(text[text.index(',"protected"') :])  # and after it
    assert f'href="{ARCHIVE}http://dead.test/a?x=1&amp;y=2"' in body
    assert "href='https://new.test/p'" in body
    assert out.isascii()  # the file had no raw non-ASCII, and still has none


def test_plain_json_gets_plain_slashes(tmp_path: Path) -> None:
    path = write(tmp_path, "post.json", json.dumps(POST, ensure_ascii=False, indent=2))
    result = fix(path, MAKE, Repair.UPDATE_MOVED)
    assert hunks(result) == [("http://old.test/p", "https://new.test/p")]
    assert json.loads(result.fixed_text)["content"]["rendered"] == BODY.replace(
        "http://old.test/p", "https://new.test/p"
    )


def test_a_list_of_posts_is_fixed_post_by_post(tmp_path: Path) -> None:
    second = dict(POST, id=8, content={"rendered": '<p><a href="http://dead.test/b">b</a></p>'})
    path = write(tmp_path, "posts.json", php_json([POST, second]))
    result = fix(path, MAKE, Repair.REPLACE_DEAD)
    posts = json.loads(result.fixed_text)
    assert ARCHIVE + "http://dead.test/a?x=1&amp;y=2" in posts[0]["content"]["rendered"]
    assert posts[1]["content"]["rendered"] == (
        f'<p><a href="{ARCHIVE}http://dead.test/b" data-originalurl="http://dead.test/b">b</a></p>'
    )


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    if not SEED.exists():
        pytest.skip("seed article not available")
    target = tmp_path / SEED.name
    shutil.copy(SEED, target)
    return target


def test_seed_unchanged_without_repairs(seed: Path) -> None:
    assert fix(seed, MAKE).fixed_bytes == SEED.read_bytes()


def test_seed_lost_links_are_restored_in_place(seed: Path) -> None:
    result = fix(seed, MAKE, Repair.RESTORE_LOST)
    edits = hunks(result)
    assert len(edits) == 10
    assert all(old == "" for old, _ in edits)
    assert (
        'recently <\\/span><a href=\\"https:\\/\\/restored.test\\/floated the idea\\">floated'
        in (result.fixed_text)
    )
    seed.write_bytes(result.fixed_bytes)
    document = read_source(seed).documents[0]  # the malformed file still loads the same way
    again = extract(document)
    assert not [c for c in again if c.kind is CitationKind.LOST]
    anchors = [c.text for c in again if c.kind is CitationKind.LINK]
    assert "floated the idea" in anchors
    assert len(anchors) == 10
