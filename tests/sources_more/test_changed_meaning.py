"""``--changed-since`` catches every citation whose meaning the diff changed.

Real git repositories under ``tmp_path``; the command line as a user runs it,
offline (outbound links are then ``skipped``, but they are still the citations
the run selected, with their exact lines and columns).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.extract import extract
from linkaudit.model import Document, DocumentKind
from linkaudit.sources.changed import definition_lines, parse_removed

from .conftest import git

REFERENCES = """Intro [x][r3] line here.
See the [first][] and the [second] later.

[r3]: https://a.example/3
[first]: https://a.example/1
[second]: https://a.example/2
"""


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def _check(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[tuple[str, int, int, str, str]]]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(
        main,
        ["check", ".", "--changed-since", "main", "--offline", "--no-cache", "--format", "json"],
        catch_exceptions=False,
    )
    report = json.loads(result.stdout)
    rows = sorted(
        (
            f["citation"]["document"],
            f["citation"]["location"]["line"],
            f["citation"]["location"]["column"],
            f["citation"]["url_as_written"],
            f["reason"],
        )
        for f in report["findings"]
    )
    return result.exit_code, rows


def test_reference_links_after_another_are_placed_on_their_own_brackets() -> None:
    doc = Document(text=REFERENCES, kind=DocumentKind.MARKDOWN, origin="refs.md")
    placed = [(c.text, c.location.line, c.location.column) for c in extract(doc)]
    assert placed == [("x", 1, 7), ("first", 2, 9), ("second", 2, 27)]


def test_images_and_inline_links_after_reference_links_keep_their_places() -> None:
    text = "A ![logo][l] then [b][] and [c](https://a.example/c) and ![d][].\n\n"
    text += "[l]: https://a.example/l.png\n[b]: https://a.example/b\n[d]: https://a.example/d\n"
    doc = Document(text=text, kind=DocumentKind.MARKDOWN, origin="x.md")
    placed = [(c.text, c.location.line, c.location.column) for c in extract(doc)]
    assert placed == [("logo", 1, 3), ("b", 1, 19), ("c", 1, 33), ("d", 1, 58)]


def test_a_changed_reference_definition_selects_the_link_that_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {"doc.md": "See [the report][r] and [other][o].\n\n[r]: https://a.example/a\n"
         "[o]: https://a.example/o\n"},
    )  # fmt: skip
    text = (repo / "doc.md").read_text().replace("https://a.example/a", "https://a.example/dead")
    (repo / "doc.md").write_text(text)
    code, rows = _check(repo, monkeypatch)
    assert rows == [("doc.md", 1, 5, "https://a.example/dead", "offline")]
    assert code == 0  # offline: the link is selected, not checked


def test_changed_lines_select_reference_links_by_their_true_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, {"refs.md": REFERENCES})
    text = REFERENCES.replace("See the", "Now see the")
    (repo / "refs.md").write_text(text)
    _code, rows = _check(repo, monkeypatch)
    assert rows == [
        ("refs.md", 2, 13, "https://a.example/1", "offline"),
        ("refs.md", 2, 31, "https://a.example/2", "offline"),
    ]


def test_a_renamed_file_breaks_links_in_files_the_diff_did_not_touch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {
            "docs/a.md": "# A\n\n[setup](setup.md#install) and [b](b.md) and [b2](b.md#usage)\n",
            "docs/setup.md": "# Setup\n\n## Install\n",
            "docs/b.md": "# B\n\n## Usage\n",
            "docs/c.md": "[also setup](./setup.md)\n",
        },
    )
    git(repo, "mv", "docs/setup.md", "docs/install.md")
    code, rows = _check(repo, monkeypatch)
    assert rows == [
        ("docs/a.md", 3, 9, "setup.md#install", "file_not_found"),
        ("docs/c.md", 1, 14, "./setup.md", "file_not_found"),
    ]
    assert code == 1


def test_a_reworded_heading_breaks_anchors_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path,
        {
            "a.md": "[usage](b.md#usage) [b](b.md) [other](b.md#other)\n",
            "b.md": "# B\n\n## Usage\n\n## Other\n",
        },
    )
    (repo / "b.md").write_text("# B\n\n## How to use it\n\n## Other\n")
    code, rows = _check(repo, monkeypatch)
    assert rows == [
        ("a.md", 1, 9, "b.md#usage", "anchor_not_found"),
        ("a.md", 1, 39, "b.md#other", "ok_file"),  # into the same file: re-checked, fine
    ]
    assert code == 1


def test_a_deleted_file_breaks_links_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path, {"a.md": "[gone](old.md) [kept](kept.md)\n", "old.md": "# Old\n",
                            "kept.md": "# Kept\n"})  # fmt: skip
    git(repo, "rm", "-q", "old.md")
    code, rows = _check(repo, monkeypatch)
    assert rows == [("a.md", 1, 8, "old.md", "file_not_found")]
    assert code == 1


def test_nothing_removed_keeps_the_audit_to_the_changed_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(
        tmp_path, {"a.md": "[b](b.md#x)\n", "b.md": "# B\n\n## X\n", "c.md": "[n](nope.md)\n"}
    )
    (repo / "b.md").write_text("# B\n\n## X\n\nMore text.\n")
    code, rows = _check(repo, monkeypatch)
    assert rows == []
    assert code == 0


def test_parse_removed_reads_renames_deletions_and_lost_headings() -> None:
    diff = (
        "diff --git a/old.md b/new.md\nsimilarity index 100%\n"
        "rename from old.md\nrename to new.md\n"
        "diff --git a/gone.md b/gone.md\ndeleted file mode 100644\n--- a/gone.md\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-# Gone\n"
        "diff --git a/b.md b/b.md\n--- a/b.md\n+++ b/b.md\n@@ -3 +3 @@\n-## Usage\n+## Use\n"
        "diff --git a/c.md b/c.md\n--- a/c.md\n+++ b/c.md\n@@ -3 +3 @@\n-text\n+more text\n"
    )
    assert parse_removed(diff) == ({"old.md", "gone.md"}, {"b.md"})


def test_definition_lines_by_destination() -> None:
    assert definition_lines(REFERENCES) == {
        "https://a.example/3": {4},
        "https://a.example/1": {5},
        "https://a.example/2": {6},
    }
