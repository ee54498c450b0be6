"""Directories and globs: which files of a content repository get audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.errors import InputError
from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions
from linkaudit.sources.collect import Collection, collect
from linkaudit.sources.tree import iter_tree

from .conftest import SHARED_LINKS, ContentRepo, git


def _rel(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def _make_git_repo(repo: ContentRepo) -> None:
    git(repo.root, "init", "-q", "-b", "main")
    # Commit half the tree; the rest stays untracked, which git ls-files --others covers.
    git(repo.root, "add", ".gitignore", "content/posts/.gitignore", "content/posts/2021")
    git(repo.root, "commit", "-q", "-m", "first")


def test_plain_directory_honours_nested_gitignore(content_repo: ContentRepo) -> None:
    found = _rel(iter_tree([str(content_repo.root)]), content_repo.root)
    assert len(content_repo.expected) > 370
    assert set(found) == content_repo.expected
    assert found == sorted(found), "order must be deterministic"
    assert "drafts/keep.md" in found  # negation re-includes it
    assert "content/posts/2022/10/scratch.md" in found  # anchored pattern stays anchored
    assert not set(found) & content_repo.ignored


def test_git_work_tree_gives_the_same_files(content_repo: ContentRepo) -> None:
    _make_git_repo(content_repo)
    found = _rel(iter_tree([str(content_repo.root)]), content_repo.root)
    assert set(found) == content_repo.expected
    assert found == sorted(found)


def test_git_tracked_file_is_not_ignored_and_deleted_file_is_skipped(
    content_repo: ContentRepo,
) -> None:
    _make_git_repo(content_repo)
    git(content_repo.root, "add", "-f", "_site/posts/p3.html")
    git(content_repo.root, "commit", "-q", "-m", "force-add build output")
    (content_repo.root / "content/posts/2021/01/post-01.markdown").unlink()
    found = set(_rel(iter_tree([str(content_repo.root)]), content_repo.root))
    assert "_site/posts/p3.html" in found  # git semantics: tracked files are never ignored
    assert "_site/posts/p4.html" not in found
    assert "content/posts/2021/01/post-01.markdown" not in found


def test_git_info_exclude_applies_inside_a_work_tree(content_repo: ContentRepo) -> None:
    _make_git_repo(content_repo)
    (content_repo.root / ".git/info/exclude").write_text("content/pages/\n")
    found = set(_rel(iter_tree([str(content_repo.root)]), content_repo.root))
    assert not any(f.startswith("content/pages/") for f in found)
    assert "README.md" in found


def test_subdirectory_of_a_work_tree(content_repo: ContentRepo) -> None:
    _make_git_repo(content_repo)
    sub = content_repo.root / "content/posts/2022"
    found = _rel(iter_tree([str(sub)]), sub)
    expected = sorted(
        f.removeprefix("content/posts/2022/")
        for f in content_repo.expected
        if f.startswith("content/posts/2022/")
    )
    assert found == expected


@pytest.mark.parametrize("in_git", [False, True])
def test_include_and_exclude(content_repo: ContentRepo, in_git: bool) -> None:
    if in_git:
        _make_git_repo(content_repo)
    root = content_repo.root
    found = set(
        _rel(
            iter_tree(
                [str(root)],
                include=["content/posts/**"],
                exclude=["2022/", "*.htm", "content/posts/2023/0[1-6]/**"],
            ),
            root,
        )
    )
    expected = {
        f
        for f in content_repo.expected
        if f.startswith("content/posts/")
        and "/2022/" not in f
        and not f.endswith(".htm")
        and not any(f.startswith(f"content/posts/2023/0{m}/") for m in range(1, 7))
    }
    assert found == expected
    assert len(expected) > 100


def test_patterns_also_match_relative_to_the_working_directory(
    content_repo: ContentRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(content_repo.root.parent)
    found = iter_tree(["site/content"], exclude=["site/content/posts/"])
    assert {p.as_posix() for p in found} == {
        f"site/{f}" for f in content_repo.expected if f.startswith("content/pages/")
    }
    # Paths keep the form they were given in, so findings read "site/content/...:12".
    assert all(not p.is_absolute() for p in found)


def test_globs_are_shell_like_and_still_honour_gitignore(
    content_repo: ContentRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(content_repo.root)
    top = iter_tree(["*.md"])
    assert [p.as_posix() for p in top] == ["README.md"]  # * does not cross directories
    deep = {p.as_posix() for p in iter_tree(["**/*.html"])}
    assert deep == {f for f in content_repo.expected if f.endswith(".html")}
    assert not any(p.startswith("_site/") for p in deep)
    month = [p.as_posix() for p in iter_tree(["content/posts/2021/0?/post-0[12].*"])]
    assert len(month) == 9 * 2
    assert month == sorted(month)


def test_explicit_files_dedupe_and_keep_argument_order(
    content_repo: ContentRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(content_repo.root)
    found = iter_tree(
        ["README.md", "content/pages", "content/pages/page03.HTML", "content/../README.md"]
    )
    names = [p.as_posix() for p in found]
    assert names[0] == "README.md"
    assert names[1:] == sorted(f for f in content_repo.expected if f.startswith("content/pages/"))
    # An explicit file is the user's choice even if ignored or of another suffix...
    assert [p.as_posix() for p in iter_tree(["content/notes.txt", "_site/posts/p1.html"])] == [
        "content/notes.txt",
        "_site/posts/p1.html",
    ]
    # ...but a configured exclude still holds for it.
    assert iter_tree(["README.md"], exclude=["README.md"]) == []


def test_missing_path_and_empty_glob_are_input_errors(
    content_repo: ContentRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(content_repo.root)
    with pytest.raises(InputError, match=r"^nope: no such file or directory$"):
        iter_tree(["nope"])
    with pytest.raises(InputError, match="no files match"):
        iter_tree(["content/**/*.rst"])


def test_empty_directory_is_not_an_error(tmp_path: Path) -> None:
    assert iter_tree([str(tmp_path)]) == []


def test_a_tree_turns_unreadable_files_into_warnings(
    content_repo: ContentRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = content_repo.root
    (root / "content/posts/2021/05/broken.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (root / "content/empty.md").write_text("   \n\n")
    monkeypatch.chdir(root)
    documents, warnings = collect(Collection(specs=(".",)), SourceOptions())
    assert len(documents) == len(content_repo.expected)
    origins = [d.origin for d in documents]
    assert origins == sorted(content_repo.expected)  # "content/posts/...", ready for file:line
    assert len(warnings) == 2
    assert warnings[0].startswith("content/empty.md: skipped: ")
    assert warnings[1].startswith("content/posts/2021/05/broken.html: skipped: ")
    assert all(w.count("content/") == 1 for w in warnings)  # each names its file once
    assert "PNG" in warnings[1]
    kinds = {d.origin.rsplit(".", 1)[1].lower(): d.kind for d in documents}
    assert kinds["md"] is DocumentKind.MARKDOWN
    assert kinds["htm"] is DocumentKind.HTML
    # The same sources are cited across many files, as the generator intended.
    citing = [d for d in documents if SHARED_LINKS[0] in d.text]
    assert len(citing) > 100


def test_a_tree_passes_include_exclude_and_options(content_repo: ContentRepo) -> None:
    cited = datetime(2019, 5, 1, tzinfo=UTC)
    documents, warnings = collect(
        Collection(
            specs=(str(content_repo.root / "content"),),
            include=("pages/",),
            exclude=("page1*",),
        ),
        SourceOptions(cited_at=cited),
    )
    assert warnings == []
    assert len(documents) == 10  # page00..page09; page10..page19 excluded
    assert all(d.cited_at == cited and d.cited_at_source == "option" for d in documents)


def test_a_named_directory_is_audited_even_if_git_ignores_it(content_repo: ContentRepo) -> None:
    _make_git_repo(content_repo)
    site = content_repo.root / "_site"
    (site / ".gitignore").write_text("p1*.html\n")
    found = {p.name for p in iter_tree([str(site)])}
    assert found == {f"p{k}.html" for k in range(30) if not str(k).startswith("1")}
    # ...while the same files stay out of an audit of the whole repository.
    assert not any("_site" in p.parts for p in iter_tree([str(content_repo.root)]))
