"""Report names: unique per source, and decided (and refused if taken) before any request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit import cli
from linkaudit.report.names import dated_name, run_stem
from linkaudit.testing.server import LoopbackServer, page

WHEN = datetime(2026, 12, 3, 4, 20, 17, tzinfo=UTC)


class _Frozen(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _Frozen:  # type: ignore[override]
        return cls.fromtimestamp(WHEN.timestamp(), tz=UTC)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run starts in the same second, as two CI jobs may."""
    monkeypatch.setattr(cli, "datetime", _Frozen)


@pytest.mark.parametrize(
    ("specs", "stem"),
    [
        (["article.html"], "article"),
        (["a/index.md"], "a-index"),
        (["b/index.md"], "b-index"),
        (["./content/a/index.md"], "content-a-index"),
        (["content/"], "content"),
        (["-"], "stdin"),
        (["https://mag.example/2023/sea-level/"], "mag.example-2023-sea-level"),
        (["https://mag.example/"], "mag.example"),
    ],
)
def test_a_source_is_folded_into_its_name(specs: list[str], stem: str) -> None:
    assert run_stem(specs, cwd=Path("/work/site")) == stem


def test_what_folding_would_lose_gets_a_hash() -> None:
    here = Path("/work/site")
    spaced, dashed = run_stem(["my notes/a.md"], cwd=here), run_stem(["my-notes/a.md"], cwd=here)
    assert spaced.startswith("my-notes-a-")
    assert dashed == "my-notes-a"
    assert run_stem(["/elsewhere/x/y.md"], cwd=here) != run_stem(["/other/x/y.md"], cwd=here)
    long = run_stem(["x" * 200 + ".md"], cwd=here)
    assert len(long) <= 80
    assert long != run_stem(["x" * 199 + ".md"], cwd=here)
    several = run_stem(["a.md", "b.md"], cwd=here)
    assert several.startswith("audit-")
    assert several != run_stem(["a.md", "c.md"], cwd=here)
    assert several == run_stem(["b.md", "a.md"], cwd=here)  # the same set, the same name
    assert run_stem([], wordpress="https://blog.example", cwd=here) == "blog.example"


def test_two_index_files_in_the_same_second_get_their_own_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "index.md").write_text("[x](https://example.org/)\n")
    monkeypatch.chdir(tmp_path)
    for folder in ("a", "b"):
        args = ["audit", f"{folder}/index.md", "--offline", "--format", "json", "-q"]
        result = CliRunner().invoke(cli.main, args)
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    stamp = "20261203T042017Z"
    assert names == [
        f"a-index-{stamp}.json",
        "a-index-latest.json",
        f"b-index-{stamp}.json",
        "b-index-latest.json",
    ]


def test_a_taken_name_is_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page("<title>A</title><p>Live words of a page.</p>"))
        (tmp_path / "story.html").write_text(
            f'<article><p><a href="{site.url("/a")}">source</a></p></article>'
        )
        monkeypatch.chdir(tmp_path)
        taken = tmp_path / "reports" / dated_name("story", "json", WHEN)
        taken.parent.mkdir()
        taken.write_text("an earlier run's report")
        args = ["audit", "story.html", "--no-cache", "--no-archive", "--format", "json,html"]
        result = CliRunner().invoke(cli.main, args)
        asked = site.stats.requests
    assert result.exit_code == 2
    assert f"report file already exists: {Path('reports') / taken.name}" in result.stderr
    assert asked == 0  # refused before the run, not after it
    assert taken.read_text() == "an earlier run's report"
    assert sorted(p.name for p in taken.parent.iterdir()) == [taken.name]  # nothing half-written


def test_a_taken_output_file_is_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page("<title>A</title><p>Live words of a page.</p>"))
        (tmp_path / "story.html").write_text(f'<p><a href="{site.url("/a")}">source</a></p>')
        (tmp_path / "out.json").write_text("keep me")
        monkeypatch.chdir(tmp_path)
        args = ["audit", "story.html", "--no-cache", "--no-archive", "--format", "json"]
        result = CliRunner().invoke(cli.main, [*args, "-o", "out.json"])
        asked = site.stats.requests
    assert result.exit_code == 2, result.output
    assert "out.json" in result.stderr
    assert asked == 0
    assert (tmp_path / "out.json").read_text() == "keep me"
