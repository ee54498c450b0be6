"""The repository, not its by-products: no audit of linkaudit's own reports, and
nothing found is not a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main

from .conftest import git


def _check(*args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["check", *args, "--offline", "--format", "json"])
    data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, data, result.stderr


def test_a_second_audit_does_not_count_the_first_ones_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.md").write_text("# A\n\n[b](b.md) [web](https://a.example/x)\n")
    (tmp_path / "b.md").write_text("# B\n")
    (tmp_path / ".linkaudit").mkdir()
    (tmp_path / ".linkaudit" / "notes.md").write_text("[n](nope.md)\n")
    monkeypatch.chdir(tmp_path)
    code, before, _ = _check(".")
    assert code == 0
    assert before["totals"] == {"citations": 2, "problems": 0}  # type: ignore[comparison-overlap]
    written = CliRunner().invoke(
        main, ["audit", ".", "--offline", "--format", "html,markdown,json"]
    )
    assert written.exit_code == 0, written.output
    assert len(list((tmp_path / "reports").glob("*.html"))) == 2  # dated, and -latest
    code, after, _ = _check(".")
    assert code == 0
    assert after["totals"] == before["totals"]
    assert [d["origin"] for d in after["documents"]] == ["a.md", "b.md"]  # type: ignore[attr-defined]


def test_a_folder_with_no_documents_is_an_error_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a document\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = _check("empty")
    assert code == 2
    assert err.startswith("linkaudit: error: empty: no documents found")
    assert err.count("\n") == 1
    code, data, _ = _check("empty", "--allow-empty")
    assert code == 0
    assert data["totals"] == {"citations": 0, "problems": 0}  # type: ignore[comparison-overlap]


def test_a_page_about_linkaudit_is_still_read(tmp_path: Path) -> None:
    from linkaudit.sources.tree import is_own_report, iter_tree

    (tmp_path / "ci.md").write_text("# linkaudit in CI\n\n[b](b.md)\n")
    (tmp_path / "notes.md").write_text("## linkaudit: what we learned\n")  # as audit writes
    (tmp_path / "page.html").write_text('<meta name="generator" content="linkaudit 0.1">')
    assert not is_own_report(tmp_path / "ci.md")
    assert [p.name for p in iter_tree([str(tmp_path)])] == ["ci.md"]
