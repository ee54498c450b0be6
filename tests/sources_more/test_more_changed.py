"""``--changed-since``: exact changed lines from a real git history."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.errors import InputError
from linkaudit.model import Citation, CitationKind, Location
from linkaudit.sources.changed import (
    changed_files,
    citations_on_changed_lines,
    parse_diff,
    restrict_to_changed,
)
from linkaudit.sources.tree import iter_tree

from .conftest import build_content_repo, git


def _lines(n: int, tag: str = "line") -> str:
    return "".join(f"{tag} {i} https://example.org/{tag}/{i}\n" for i in range(1, n + 1))


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """main: one commit.  feature (HEAD): a second commit, plus uncommitted edits.

    Meanwhile main moves on, touching a file the feature did not: with merge-base
    semantics that must not count as the feature's change.
    """
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "docs").mkdir()
    (repo / "docs/a.md").write_text(_lines(10))
    (repo / "b.html").write_text(_lines(6, "b"))
    (repo / "c.md").write_text(_lines(5, "c"))
    (repo / "untouched.md").write_text(_lines(3, "u"))
    (repo / "gone.md").write_text(_lines(2, "g"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "checkout", "-q", "-b", "feature")

    a = _lines(10).splitlines(keepends=True)
    a[2] = "line 3 changed https://example.org/new/3\n"
    a[6] = "line 7 changed\n"
    a.append("line 11 appended\n")
    (repo / "docs/a.md").write_text("".join(a))
    c = _lines(5, "c").splitlines(keepends=True)
    del c[1]  # a pure deletion
    (repo / "c.md").write_text("".join(c))
    (repo / "d.md").write_text(_lines(4, "d"))
    git(repo, "mv", "b.html", "b2.html")
    git(repo, "rm", "-q", "gone.md")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "two")

    # Uncommitted: one more modified line in a.md (staged) and a new untracked file.
    a[0] = "line 1 edited in the working tree\n"
    (repo / "docs/a.md").write_text("".join(a))
    git(repo, "add", "docs/a.md")
    (repo / "e.md").write_text("fresh\n")
    (repo / ".gitignore").write_text("ignored.md\n")
    (repo / "ignored.md").write_text("not counted\n")

    git(repo, "stash", "-q", "--include-untracked")  # keep the edits away from main
    git(repo, "checkout", "-q", "main")
    (repo / "untouched.md").write_text(_lines(3, "changed-on-main"))
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "feature")
    git(repo, "stash", "pop", "-q")
    return repo


def test_changed_lines_since_the_merge_base(history: Path) -> None:
    changed = changed_files("main", history)
    root = history.resolve()
    assert changed == {
        root / "docs/a.md": {1, 3, 7, 11},
        root / "c.md": set(),  # only a deletion: the file changed, no line to audit
        root / "d.md": None,  # new file: all of it
        root / "b2.html": None,  # renamed: all of it
        root / "e.md": None,  # untracked
        root / ".gitignore": None,
    }
    # untouched.md changed on main only; gone.md was deleted; ignored.md is ignored.


def test_from_a_subdirectory_and_with_a_commit_id(history: Path) -> None:
    first = git(history, "rev-list", "--max-parents=0", "HEAD").strip()
    changed = changed_files(first, history / "docs")
    assert changed[history.resolve() / "docs/a.md"] == {1, 3, 7, 11}
    assert history.resolve() / "e.md" in changed


def test_bad_ref_and_not_a_repository_are_one_line_input_errors(
    history: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError) as bad:
        changed_files("no-such-branch", history)
    assert str(bad.value) == "--changed-since: unknown git ref 'no-such-branch'"
    with pytest.raises(InputError, match="unknown git ref"):
        changed_files("--output=/tmp/x", history)  # not an option injection either
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(InputError, match="not in a git work tree") as err:
        changed_files("main", outside)
    assert "\n" not in str(err.value)


def _citation(document: str, line: int) -> Citation:
    return Citation(
        document=document,
        kind=CitationKind.LINK,
        url_as_written="https://example.org/",
        url="https://example.org/",
        key="https://example.org/",
        text="x",
        context="x",
        location=Location(line=line, column=1),
    )


def test_citation_filter_by_changed_lines(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(history)
    changed = changed_files("main", history)
    citations = [
        _citation("docs/a.md", 1),
        _citation("docs/a.md", 2),
        _citation("docs/a.md", 3),
        _citation(str(history / "docs/a.md"), 11),
        _citation("c.md", 1),
        _citation("d.md", 4),
        _citation("b2.html", 2),
        _citation("untouched.md", 1),
        _citation("https://example.org/post", 1),
        _citation("<stdin>", 1),
    ]
    kept = citations_on_changed_lines(citations, changed)
    assert [(c.document.rsplit("/", 2)[-1], c.location.line) for c in kept] == [
        ("a.md", 1),
        ("a.md", 3),
        ("a.md", 11),
        ("d.md", 4),
        ("b2.html", 2),
    ]
    files = [Path("docs/a.md"), Path("untouched.md"), Path("d.md")]
    assert restrict_to_changed(files, changed) == [Path("docs/a.md"), Path("d.md")]


def test_parse_diff_edge_cases() -> None:
    diff = "\n".join(
        [
            "diff --git a/x.md b/x.md",
            "index 1..2 100644",
            "--- a/x.md",
            "+++ b/x.md",
            "@@ -3 +3 @@",
            "-old",
            "+new",
            "@@ -10,0 +11,2 @@",
            "+a",
            "+b",
            'diff --git "a/sp\\303\\251cial\\tname.md" "b/sp\\303\\251cial\\tname.md"',
            "index 1..2 100644",
            '--- "a/sp\\303\\251cial\\tname.md"',
            '+++ "b/sp\\303\\251cial\\tname.md"',
            "@@ -1,2 +1,0 @@",
            "-gone",
            "-gone",
            "diff --git a/mode.md b/mode.md",
            "old mode 100644",
            "new mode 100755",
            "diff --git a/img.html b/img.html",
            "index 1..2 100644",
            "Binary files a/img.html and b/img.html differ",
            "diff --git a/old.md b/new.md",
            "similarity index 100%",
            "rename from old.md",
            "rename to new.md",
            "diff --git a/del.md b/del.md",
            "deleted file mode 100644",
            "--- a/del.md",
            "+++ /dev/null",
            "@@ -1 +0,0 @@",
            "-x",
        ]
    )
    assert parse_diff(diff) == {
        "x.md": {3, 11, 12},
        "spécial\tname.md": set(),
        "mode.md": set(),
        "img.html": None,
        "new.md": None,
    }


def test_changed_since_on_a_generated_content_repo(tmp_path: Path) -> None:
    repo = build_content_repo(tmp_path / "site")
    root = repo.root
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "site")
    git(root, "checkout", "-q", "-b", "pr")
    edited = ["content/posts/2021/03/post-04.md", "content/pages/page07.HTML"]
    edited_line: dict[str, int] = {}
    for rel in edited:
        path = root / rel
        lines = path.read_text().splitlines(keepends=True)
        index = next(i for i, line in enumerate(lines) if "https://" in line)
        lines[index] = lines[index].replace("https://", "https://edited.")
        path.write_text("".join(lines))
        edited_line[rel] = index + 1
    (root / "content/posts/2023/12/new-post.md").write_text("# New\n\n[x](https://n.example/)\n")
    (root / "_site/posts/p0.html").write_text("<p>rebuilt</p>")  # ignored build output
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pr")

    changed = changed_files("main", root)
    audited = restrict_to_changed(iter_tree([str(root)]), changed)
    assert sorted(p.relative_to(root).as_posix() for p in audited) == sorted(
        [*edited, "content/posts/2023/12/new-post.md"]
    )
    assert edited_line == {edited[0]: 3, edited[1]: 2}
    for rel in edited:
        assert changed[(root / rel).resolve()] == {edited_line[rel]}
    assert changed[(root / "content/posts/2023/12/new-post.md").resolve()] is None
