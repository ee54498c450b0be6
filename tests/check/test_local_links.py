"""Local links on a real tree on disk: files, folders, case, roots and every anchor style.

Each test builds its tree in ``tmp_path`` and audits it the way a user would
(``linkaudit check docs/`` through click, or the pipeline offline); every expected
problem and every clean link is asserted by position, so a link that silently
turns ``skipped`` again fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.check.local import (
    LocalOptions,
    check_local,
    file_key,
    heading_ids,
    mark_local,
    slugify,
)
from linkaudit.cli import main
from linkaudit.model import AnchorStyle, Finding, Relation, Verdict
from linkaudit.pipeline import AuditOptions, audit_documents
from linkaudit.reasons import Reason
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.collect import Collection, collect


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


B_MD = """# Hello

## Install *now*

## Install *now*

## `config.toml` & friends

## Über uns 🎉

## Custom heading {#custom-id}

<a name="old-name"></a>
<div id="html-id">x</div>

Text with an inline <a id="inline-id"></a> anchor.
"""

A_MD = """# A

1. [nope](nope.md)
2. [nosuch](b.md#nosuch)
3. [zzz](#zzz)
4. ![missing](img/missing.png)
5. [hello](b.md#hello) [dup](b.md#install-now-1) [code](b.md#configtoml--friends)
6. [umlaut](b.md#über-uns-) [custom](b.md#custom-id) [name](b.md#old-name)
7. [html](b.md#html-id) [inline](b.md#inline-id) [self](#a) [top](#top) [hash](#)
8. ![logo](img/logo.png) [guide](guide/) [guide-anchor](guide/#guide-start)
9. [case](setup.md) [typo](b.mdx) [upper](b.md#HELLO) [page](page.html#frag)
10. [page-name](page.html#named) [line](../code.py#L3) [far](../code.py#L3-L99)
11. [empty](empty/) [empty-anchor](empty/#x) [root](/docs/b.md#hello)
12. [escape](../../outside.md) [pct](my%20file.md) [ws](<my file.md>)
13. [web](https://example.org/x) [mail](mailto:a@example.org) [q](b.md?plain=1#hello)
"""

TREE: dict[str, str | bytes] = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "docs/a.md": A_MD,
    "docs/b.md": B_MD,
    "docs/Setup.md": "# Setup\n",
    "docs/img/logo.png": b"\x89PNG\r\n",
    "docs/guide/README.md": "# Guide start\n",
    "docs/empty/notes.txt": "x\n",
    "docs/page.html": '<html><body><h1 id="frag">F</h1><a name="named"></a></body></html>',
    "docs/my file.md": "# Spaces\n",
    "code.py": "a = 1\nb = 2\nc = 3\n",
}


def audit(root: Path, *sources: str, **options: object) -> list[Finding]:
    documents, _warnings = collect(
        Collection(specs=tuple(str(root / s) for s in sources)), SourceOptions()
    )
    run = asyncio.run(audit_documents(documents, AuditOptions(offline=True, **options)))  # type: ignore[arg-type]
    return list(run.report.findings)


def by_text(findings: list[Finding], document: str) -> dict[str, Finding]:
    return {f.citation.text: f for f in findings if f.citation.document.endswith(document)}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path, TREE)
    return tmp_path


def test_every_link_of_the_tree_gets_the_verdict_a_reader_gets(tree: Path) -> None:
    found = by_text(audit(tree, "docs/a.md"), "a.md")
    broken = {
        "nope": Reason.FILE_NOT_FOUND,
        "nosuch": Reason.ANCHOR_NOT_FOUND,
        "zzz": Reason.ANCHOR_NOT_FOUND,
        "missing": Reason.FILE_NOT_FOUND,
        "case": Reason.FILE_NOT_FOUND,
        "typo": Reason.FILE_NOT_FOUND,
        "far": Reason.ANCHOR_NOT_FOUND,
        "empty-anchor": Reason.ANCHOR_NOT_FOUND,
        "escape": Reason.OUTSIDE_ROOT,
    }
    fine = [
        "hello", "dup", "code", "umlaut", "custom", "name", "html", "inline", "self",
        "top", "hash", "logo", "guide", "guide-anchor", "upper", "page", "page-name",
        "line", "empty", "root", "pct", "ws", "q",
    ]  # fmt: skip
    for text, reason in broken.items():
        assert (found[text].verdict, found[text].reason) == (Verdict.BROKEN, reason), text
        assert found[text].citation.relation is Relation.LOCAL
    for text in fine:
        assert (found[text].verdict, found[text].reason) == (Verdict.OK, Reason.OK_FILE), (
            text,
            found[text].detail,
        )
    assert found["web"].citation.relation is Relation.OUTBOUND
    assert found["web"].verdict is Verdict.SKIPPED  # offline: the network is not asked
    assert found["mail"].verdict is Verdict.SKIPPED
    assert len(found) == len(broken) + len(fine) + 2


def test_the_details_say_what_to_fix(tree: Path) -> None:
    found = by_text(audit(tree, "docs/a.md"), "a.md")
    assert "exists as" in found["case"].detail
    assert "Setup.md" in found["case"].detail
    assert "differs in case" in found["case"].detail
    assert "did you mean `" in found["typo"].detail
    assert "b.md`?" in found["typo"].detail
    assert "has 3 lines" in found["far"].detail
    assert "no index file" in found["empty"].detail
    assert found["escape"].citation.key is None  # decided before any look at the disk


def test_a_file_in_another_case_is_broken_even_on_a_case_insensitive_disk(tmp_path: Path) -> None:
    write(tmp_path, {"Setup.md": "# S\n"})
    key = file_key(str(tmp_path / "setup.md"), None)
    result = check_local([key], LocalOptions())[key]
    assert (result.verdict, result.reason) == (Verdict.BROKEN, Reason.FILE_NOT_FOUND)
    assert "exists as" in result.detail


def test_documents_of_one_folder_list_it_once_and_keep_the_disks_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each document's path is spelled as on disk; its folder was listed again for
    every document in it (2,000 listings on the benchmark's repository)."""
    import linkaudit.check.local as local

    folder = tmp_path / "Docs"
    folder.mkdir()
    for n in range(50):
        (folder / f"page-{n}.md").write_text("x")
    listed: list[str] = []
    real = os.listdir

    def counting(path: str) -> list[str]:
        listed.append(path)
        return real(path)

    monkeypatch.setattr(local.os, "listdir", counting)
    local._true_case.cache_clear()
    local._listing.cache_clear()
    spelled = [local._true_case(str(folder / f"page-{n}.md")) for n in range(50)]
    assert spelled == [str(folder / f"page-{n}.md") for n in range(50)]
    assert listed.count(str(folder)) == 1
    # a name in another case is looked up afresh and spelled as on disk
    assert local._true_case(str(tmp_path / "docs" / "PAGE-7.md")) == str(folder / "page-7.md")
    # so is a file newer than the listing
    (folder / "Later.md").write_text("x")
    assert local._true_case(str(folder / "later.md")) == str(folder / "Later.md")


def test_a_missing_folder_suggests_the_nearest(tmp_path: Path) -> None:
    write(tmp_path, {"guides/setup.md": "# S\n"})
    key = file_key(str(tmp_path / "guide" / "setup.md"), None)
    result = check_local([key], LocalOptions())[key]
    assert result.verdict is Verdict.BROKEN
    assert "guides/setup.md`?" in result.detail


def test_root_relative_links_use_root_dir_and_stay_unchecked_without_a_root(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "site/docs/a.md": "[x](/img/a.png) [y](/img/b.png)\n",
            "site/img/a.png": b"png",
        },
    )
    found = by_text(audit(tmp_path, "site/docs/a.md"), "a.md")  # no git, no --root-dir
    assert found["x"].verdict is Verdict.SKIPPED
    assert found["x"].reason == Reason.RELATIVE_NO_BASE
    local = LocalOptions(root=tmp_path / "site")
    found = by_text(audit(tmp_path, "site/docs/a.md", local=local), "a.md")
    assert found["x"].verdict is Verdict.OK
    assert (found["y"].verdict, found["y"].reason) == (Verdict.BROKEN, Reason.FILE_NOT_FOUND)


def test_file_urls_are_checked_on_disk(tmp_path: Path) -> None:
    there = tmp_path / "there.md"
    write(tmp_path, {"there.md": "# T\n"})
    text = f"[yes]({there.as_uri()}) [no]({(tmp_path / 'gone.md').as_uri()})\n"
    write(tmp_path, {"a.md": text})
    found = by_text(audit(tmp_path, "a.md"), "a.md")
    assert found["yes"].verdict is Verdict.OK
    assert (found["no"].verdict, found["no"].reason) == (Verdict.BROKEN, Reason.FILE_NOT_FOUND)


def test_html_documents_resolve_against_their_own_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site/index.html": (
                '<html><body><h1 id="top-title">T</h1><a href="sub/p.html#p1">p</a>'
                '<a href="sub/p.html#p9">p9</a><a href="#top-title">self</a>'
                '<img src="logo.svg" alt="logo"><a href="sub/">folder</a></body></html>'
            ),
            "site/sub/p.html": '<html><body><p id="p1">x</p></body></html>',
        },
    )
    found = by_text(audit(tmp_path, "site/index.html"), "index.html")
    assert found["p"].verdict is Verdict.OK
    assert found["self"].verdict is Verdict.OK
    assert found["folder"].verdict is Verdict.OK  # a folder with no index: GitHub lists it
    assert found["p9"].reason == Reason.ANCHOR_NOT_FOUND
    logo = next(f for f in found.values() if f.citation.kind.value == "image")
    assert logo.reason == Reason.FILE_NOT_FOUND


def test_pages_with_a_web_address_keep_their_site_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "p.html": (
                '<html><head><link rel="canonical" href="https://paper.example/p"></head>'
                '<body><article><p>See <a href="other.html">other</a>, a long enough '
                "paragraph of words for the article scope.</p></article></body></html>"
            )
        },
    )
    (finding,) = audit(tmp_path, "p.html")
    assert finding.citation.relation is Relation.INTERNAL
    assert finding.reason == Reason.INTERNAL


@pytest.mark.parametrize(
    ("text", "github", "gitlab", "python_markdown"),
    [
        ("Hello, World!", "hello-world", "hello-world", "hello-world"),
        ("Install *now*", "install-now", "install-now", "install-now"),
        ("foo -- bar", "foo----bar", "foo-bar", "foo-bar"),
        ("Über uns", "über-uns", "über-uns", "uber-uns"),
        ("🎉 Party time", "-party-time", "-party-time", "party-time"),
        ("snake_case API", "snake_case-api", "snake_case-api", "snake_case-api"),
        ("Version 2.0 (beta)", "version-20-beta", "version-20-beta", "version-20-beta"),
        ("日本語の見出し", "日本語の見出し", "日本語の見出し", ""),
    ],
)
def test_heading_slugs_follow_each_renderer(
    text: str, github: str, gitlab: str, python_markdown: str
) -> None:
    plain = text.replace("*", "")  # the slugger sees rendered text, not the markup
    assert slugify(plain, AnchorStyle.GITHUB) == github
    assert slugify(plain, AnchorStyle.GITLAB) == gitlab
    assert slugify(plain, AnchorStyle.PYTHON_MARKDOWN) == python_markdown


def test_duplicate_headings_are_numbered_the_renderers_way() -> None:
    assert heading_ids(["A", "A", "A-1", "A"]) == ["a", "a-1", "a-1-1", "a-2"]
    assert heading_ids(["A", "A", "A"], AnchorStyle.PYTHON_MARKDOWN) == ["a", "a_1", "a_2"]


def test_anchor_style_is_a_setting(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "[x](b.md#foo-bar) [y](b.md#foo--bar)\n", "b.md": "## Foo - Bar\n"})
    github = by_text(audit(tmp_path, "a.md"), "a.md")
    assert github["x"].verdict is Verdict.BROKEN
    assert github["y"].verdict is Verdict.BROKEN
    gitlab = by_text(
        audit(tmp_path, "a.md", local=LocalOptions(anchor_style=AnchorStyle.GITLAB)), "a.md"
    )
    assert gitlab["x"].verdict is Verdict.OK
    assert gitlab["y"].verdict is Verdict.BROKEN
    github_ok = by_text(
        audit(tmp_path, "a.md", local=LocalOptions(anchor_style=AnchorStyle.GITHUB)), "a.md"
    )
    assert github_ok["x"].verdict is Verdict.BROKEN  # GitHub: "foo---bar"


def test_mark_local_leaves_web_documents_alone(tmp_path: Path) -> None:
    from linkaudit.extract import extract
    from linkaudit.model import Document, DocumentKind

    doc = Document(text="[x](a.md)\n", kind=DocumentKind.MARKDOWN, origin="https://e.example/a")
    citations = extract(doc)
    assert mark_local(doc, citations, LocalOptions()) == citations


# --------------------------------------------------------------------------- the command line


def test_check_reports_the_four_broken_links_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "docs/a.md": "# A\n\n[n](nope.md) [b](b.md#nosuch) [z](#zzz) ![i](img/missing.png)\n"
            "[ok](b.md#hello) [self](#a)\n",
            "docs/b.md": "# Hello\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["check", "docs/", "--no-cache", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    rows = {
        (f["citation"]["location"]["line"], f["citation"]["location"]["column"]): (
            f["verdict"],
            f["reason"],
        )
        for f in report["findings"]
    }
    assert rows == {
        (3, 5): ("broken", "file_not_found"),
        (3, 18): ("broken", "anchor_not_found"),
        (3, 35): ("broken", "anchor_not_found"),
        (3, 46): ("broken", "file_not_found"),
        (4, 6): ("ok", "ok_file"),
        (4, 25): ("ok", "ok_file"),
    }


def test_check_is_clean_on_a_clean_tree_and_root_dir_is_an_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"docs/a.md": "[b](/b.md#hello)\n", "docs/b.md": "# Hello\n"})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["check", "docs/", "--no-cache", "--root-dir", "docs"])
    assert result.exit_code == 0, result.output
    assert "1 ok" in result.output
    result = runner.invoke(main, ["check", "docs/", "--no-cache", "--root-dir", "nowhere"])
    assert result.exit_code == 2
    assert result.output.startswith("linkaudit: error:")


# --------------------------------------------------------------------------- hosted URLs


def _git(repo: Path, *args: str) -> None:
    import subprocess

    env = {
        "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


HOSTED = """# Docs

- [setup](https://github.com/acme/docs/blob/main/guide/setup.md#install)
- [nope](https://github.com/Acme/Docs/blob/main/guide/nope.md)
- [folder](https://github.com/acme/docs/tree/main/guide)
- [line](https://github.com/acme/docs/blob/main/src/app.py#L2)
- [past](https://github.com/acme/docs/blob/main/src/app.py#L50)
- [pinned](https://github.com/acme/docs/blob/0123456789abcdef0123456789abcdef01234567/old.md)
- [other](https://github.com/other/repo/blob/main/x.md)
- [lab](https://gitlab.com/group/sub/proj/-/blob/main/guide/setup.md#install)
- ![raw](https://raw.githubusercontent.com/acme/docs/main/img/gone.png)
- ![raw-ok](https://github.com/acme/docs/raw/main/src/app.py)
"""


def test_the_repositorys_own_hosted_links_are_checked_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "README.md": HOSTED,
            "guide/setup.md": "# Setup\n\n## Install\n",
            "src/app.py": "a = 1\nb = 2\n",
        },
    )
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "remote", "add", "origin", "git@github.com:acme/docs.git")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "one")
    monkeypatch.chdir(tmp_path)
    found = by_text(audit(tmp_path, "README.md"), "README.md")
    local = {
        t: (f.verdict, f.reason) for t, f in found.items() if f.citation.relation is Relation.LOCAL
    }
    assert local == {
        "setup": (Verdict.OK, Reason.OK_FILE),
        "nope": (Verdict.BROKEN, Reason.FILE_NOT_FOUND),
        "folder": (Verdict.OK, Reason.OK_FILE),
        "line": (Verdict.OK, Reason.OK_FILE),
        "past": (Verdict.BROKEN, Reason.ANCHOR_NOT_FOUND),
        "raw": (Verdict.BROKEN, Reason.FILE_NOT_FOUND),
        "raw-ok": (Verdict.OK, Reason.OK_FILE),
    }
    # a commit's file is history, not the disk; another repository is the web
    assert found["pinned"].citation.relation is Relation.OUTBOUND
    assert found["other"].citation.relation is Relation.OUTBOUND
    assert found["lab"].citation.relation is Relation.OUTBOUND
    gitlab = LocalOptions(repository="https://gitlab.com/group/sub/proj")
    found = by_text(audit(tmp_path, "README.md", local=gitlab), "README.md")
    assert (found["lab"].verdict, found["lab"].citation.relation) == (Verdict.OK, Relation.LOCAL)
    assert found["setup"].citation.relation is Relation.OUTBOUND


# --------------------------------------------------------------------------- no network at all


def _no_network_available() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    return (
        subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0
    )


@pytest.mark.skipif(not _no_network_available(), reason="needs unshare -n (a network namespace)")
@pytest.mark.parametrize("offline", [True, False])
def test_the_labelled_fixture_in_a_network_namespace_with_no_network(offline: bool) -> None:
    """Every broken link of the benchmark's labelled fixture, and no other, with no
    network interface at all (not even loopback up): with and without --offline."""
    import subprocess
    import sys

    from benchmarks.local_links import DATA, EXPECTED_BROKEN

    tree = DATA / "fixture"
    argv = ["unshare", "-n", sys.executable, "-m", "linkaudit", "check", ".", "--no-cache"]
    argv += ["--root-dir", ".", "--format", "json", *(["--offline"] if offline else [])]
    done = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    flagged = {
        (f["citation"]["document"], f["citation"]["url_as_written"])
        for f in findings
        if f["verdict"] != "ok"
    }
    assert flagged == EXPECTED_BROKEN
    assert all(f["citation"]["relation"] == "local" for f in findings)
    assert len(findings) == 50


def test_only_github_matches_heading_ids_case_insensitively(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "[x](b.md#Usage) [y](b.md#usage)\n", "b.md": "## Usage\n"})
    for style, upper in (
        (AnchorStyle.GITHUB, Verdict.OK),
        (AnchorStyle.GITLAB, Verdict.BROKEN),
        (AnchorStyle.PYTHON_MARKDOWN, Verdict.BROKEN),
    ):
        found = by_text(audit(tmp_path, "a.md", local=LocalOptions(anchor_style=style)), "a.md")
        assert (found["x"].verdict, found["y"].verdict) == (upper, Verdict.OK), style


def test_the_health_report_groups_local_links_and_asks_no_archive_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {"docs/a.md": "# A\n\n[n](nope.md) [z](#zzz) [b](b.md#hello)\n", "docs/b.md": "# Hello\n"},
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    audited = runner.invoke(main, ["audit", "docs", "--no-archive", "--format", "json"])
    assert audited.exit_code == 1, audited.output
    health = runner.invoke(main, ["health", "--format", "json", "-o", "health.json"])
    assert health.exit_code == 0, health.output
    data = json.loads((tmp_path / "health.json").read_text(encoding="utf-8"))
    assert data["top_hosts"] == [{"host": "(local files)", "confirmed_dead": 0, "failing": 2}]
    assert data["coverage"]["considered"] == 0  # no archive holds a file of the repository
    assert data["coverage"]["save_candidates"] == []


def test_extract_lists_local_links_as_check_sees_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.md": "[b](b.md) [web](https://a.example/x) [m](mailto:a@a.example)\n"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["extract", "a.md"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split()[:4] == ["1:5", "link", "(local)", "b.md"]
    assert lines[-1] == "a.md: 3 citations: 1 outbound, 0 internal, 1 local, 1 skipped"
