"""A citation date for every citation: the day git says its line was added.

A repository with commits at known dates; two dead links added years apart in
one Markdown file with no date of its own.  Each archive pick must follow its
own line's date (what the author saw), not "now" and not one date per file.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.sources.gitdates import blame_dates, parse_porcelain
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, Site

from .conftest import GIT_ENV


def commit(repo: Path, message: str, when: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for args in (["add", "."], ["commit", "-q", "-m", message], ["rev-parse", "HEAD"]):
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
        )
    return done.stdout.strip()


@pytest.fixture
def site() -> Iterator[Site]:
    with LoopbackServer() as server:
        yield server.add_site("127.0.0.1")  # nothing routed: every path is a 404


@pytest.fixture
def archive() -> Iterator[ArchiveStandIn]:
    with ArchiveStandIn() as stand_in:
        yield stand_in


def test_blame_dates_follow_the_commit_that_added_each_line_through_a_rename(
    tmp_path: Path,
) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / "old.md").write_text("first\n")
    first = commit(tmp_path, "one", "2019-05-01T12:00:00Z")
    (tmp_path / "old.md").write_text("first\nsecond\n")
    second = commit(tmp_path, "two", "2023-08-01T12:00:00Z")
    subprocess.run(["git", "-C", str(tmp_path), "mv", "old.md", "new.md"], check=True)
    commit(tmp_path, "rename", "2025-01-01T12:00:00Z")
    (tmp_path / "new.md").write_text("first\nsecond\nthird, not committed\n")
    dates = blame_dates(tmp_path / "new.md")
    assert {line: (d.commit, d.when.date().isoformat()) for line, d in dates.items()} == {
        1: (first[:7], "2019-05-01"),
        2: (second[:7], "2023-08-01"),
    }
    assert dates[2].source == f"line added in {second[:7]} on 2023-08-01"
    assert blame_dates(tmp_path / "missing.md") == {}
    assert blame_dates(Path("/") / "not-a-repo.md") == {}


def test_porcelain_with_repeated_commits_and_uncommitted_lines() -> None:
    sha = "a" * 40
    text = (
        f"{sha} 1 1 2\nauthor x\nauthor-time 1556712000\nsummary s\nfilename f.md\n\tone\n"
        f"{sha} 2 2\n\ttwo\n"
        f"{'0' * 40} 3 3 1\nauthor Not Committed Yet\nauthor-time 1700000000\n\tthree\n"
    )
    dates = parse_porcelain(text)
    assert sorted(dates) == [1, 2]
    assert dates[2].when.date().isoformat() == "2019-05-01"


def test_each_archive_pick_follows_its_own_lines_date(
    tmp_path: Path, site: Site, archive: ArchiveStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    old, new = site.url("/old-dataset"), site.url("/new-dataset")
    (repo / "linkaudit.toml").write_text(
        'archives = ["wayback"]\ntimeout = 2\nmax_retries = 0\n', encoding="utf-8"
    )
    (repo / "notes.md").write_text(f"# Notes\n\nThe [old data]({old}) said so.\n")
    first = commit(repo, "one", "2019-05-01T12:00:00Z")
    (repo / "notes.md").write_text(
        f"# Notes\n\nThe [old data]({old}) said so.\n\nLater, [new data]({new}).\n"
    )
    second = commit(repo, "two", "2023-08-01T12:00:00Z")
    for url in (old, new):
        for stamp in ("20190401000000", "20190601000000", "20230701000000", "20230901000000"):
            archive.add_capture(url, stamp, 200)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(
        main,
        ["audit", "notes.md", "--wayback-url", archive.base_url, "--no-cache", "--format",
         "json", "-o", "out.json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    report = json.loads((repo / "out.json").read_text(encoding="utf-8"))
    picks = {
        f["citation"]["text"]: (f["archive"]["captured_at"][:10], f["archive_note"])
        for f in report["findings"]
    }
    assert picks["old data"][0] == "2019-04-01"  # on or before 2019-05-01
    assert picks["new data"][0] == "2023-07-01"  # on or before 2023-08-01
    assert f"line added in {first[:7]} on 2019-05-01" in picks["old data"][1]
    assert f"line added in {second[:7]} on 2023-08-01" in picks["new data"][1]
    assert "no citation date found" not in result.stderr


def test_cited_at_still_wins_over_git(
    tmp_path: Path, site: Site, archive: ArchiveStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    old = site.url("/old-dataset")
    (repo / "linkaudit.toml").write_text('archives = ["wayback"]\ntimeout = 2\n', encoding="utf-8")
    (repo / "notes.md").write_text(f"The [old data]({old}) said so.\n")
    commit(repo, "one", "2019-05-01T12:00:00Z")
    archive.add_capture(old, "20190401000000", 200)
    archive.add_capture(old, "20230901000000", 200)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(
        main,
        ["audit", "notes.md", "--wayback-url", archive.base_url, "--no-cache", "--cited-at",
         "2024-01-01", "--format", "json", "-o", "out.json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    (finding,) = json.loads((repo / "out.json").read_text(encoding="utf-8"))["findings"]
    assert finding["archive"]["captured_at"][:10] == "2023-09-01"
    assert "line added" not in finding["archive_note"]
