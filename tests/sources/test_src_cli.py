"""``linkaudit extract``: exit codes, one-line errors, warnings on stderr, parseable JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.extract import MainText
from linkaudit.model import (
    BodySelectors,
    Citation,
    CitationKind,
    Document,
    Location,
    Relation,
    Scope,
    Verdict,
)
from linkaudit.serialize import SCHEMA_VERSION


def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def fake_extract(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Document, Scope]]:
    """Stand in for the extractor, to test only how the CLI presents citations."""
    calls: list[tuple[Document, Scope]] = []

    def main_text(
        document: Document, *, scope: Scope = Scope.ARTICLE, bodies: BodySelectors
    ) -> MainText:
        calls.append((document, scope))

        def cite(kind: CitationKind, url: str | None, text: str, **extra: object) -> Citation:
            return Citation(
                document=document.origin,
                kind=kind,
                url_as_written=url,
                url=url,
                key=url,
                text=text,
                context=text,
                location=Location(line=3, column=7),
                **extra,  # type: ignore[arg-type]
            )

        citations = (
            cite(CitationKind.LINK, "https://out.example.test/a", "an outbound " + "long " * 20),
            cite(CitationKind.LINK, "/about/", "about", relation=Relation.INTERNAL),
            cite(CitationKind.LOST, None, "floated the idea", verdict=Verdict.LOST, reason="x"),
        )
        return MainText("", citations)

    monkeypatch.setattr("linkaudit.extract.main_text", main_text)  # the extract command's own
    return calls


def test_table_output(fixtures: Path, fake_extract: list[tuple[Document, Scope]]) -> None:
    path = fixtures / "wp_post.json"
    result = runner().invoke(main, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"{path} (wordpress) 'Harbour dredging: what it really costs \u2013 and who pays'"
    )
    assert lines[1].split()[:3] == ["3:7", "link", "https://out.example.test/a"]
    assert lines[1].endswith("\u2026")
    assert len(lines[1]) < 120
    assert lines[2].split()[:3] == ["3:7", "link", "(int)"]
    assert lines[3].split()[:3] == ["3:7", "lost", "-"]
    assert lines[4] == f"{path}: 3 citations: 1 outbound, 1 internal, 1 lost"
    assert fake_extract[0][1] is Scope.ARTICLE
    assert result.stderr == ""


def test_options_reach_the_document_and_the_extractor(
    fixtures: Path, fake_extract: list[tuple[Document, Scope]]
) -> None:
    args = ["extract", str(fixtures / "wp_post.json"), "--scope", "page",
            "--base-url", "https://b.example.test/x", "--cited-at", "2020-02-03"]  # fmt: skip
    result = runner().invoke(main, args)
    assert result.exit_code == 0, result.output
    document, scope = fake_extract[0]
    assert scope is Scope.PAGE
    assert document.base_url == "https://b.example.test/x"
    assert (document.cited_at_source, document.cited_at.isoformat()) == (  # type: ignore[union-attr]
        "option",
        "2020-02-03T00:00:00+00:00",
    )


def test_json_output(fixtures: Path, fake_extract: list[tuple[Document, Scope]]) -> None:
    result = runner().invoke(
        main,
        ["extract", "--format", "json", str(fixtures / "wp_list.json"), str(fixtures / "post.md")],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema_version"] == SCHEMA_VERSION
    docs = payload["documents"]
    assert [d["document"]["kind"] for d in docs] == ["wordpress", "wordpress", "markdown"]
    assert "text" not in docs[0]["document"]
    assert docs[1]["document"]["cited_at"] == "2021-02-06T11:30:00Z"
    assert docs[2]["citations"][2] == {
        **docs[2]["citations"][2],
        "kind": "lost",
        "verdict": "lost",
        "url": None,
        "location": {
            "line": 3,
            "column": 7,
            "paragraph": None,
            "offset": None,
            "body_line": None,  # Markdown: the file is the text
            "body_column": None,
        },
    }
    assert "in_file" not in docs[0]["document"]  # the post body's raw text stays out
    # The list's shared warning is shown once, not once per post.
    skipped = [line for line in result.stderr.splitlines() if "skipped 1 list item" in line]
    assert len(skipped) == 1
    assert skipped[0].startswith(f"linkaudit: warning: {fixtures / 'wp_list.json'}[0]: ")


def test_warnings_go_to_stderr(fixtures: Path, fake_extract: list[tuple[Document, Scope]]) -> None:
    path = fixtures / "wp_truncated.txt"
    result = runner().invoke(main, ["extract", str(path)])
    assert result.exit_code == 0
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"linkaudit: warning: {path}: truncated: input ends inside")
    assert "input ends" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.html"], "linkaudit: error: missing.html: no such file"),
        (["{fixtures}/image.png"], "looks like binary data (PNG image)"),
        (["--max-bytes", "10", "{fixtures}/wp_post.json"], "larger than the limit of 10 bytes"),
        (["{fixtures}/*.nothing"], "no files match this pattern"),
    ],
)
def test_input_errors_are_one_line_and_exit_2(
    fixtures: Path, fake_extract: list[tuple[Document, Scope]], args: list[str], message: str
) -> None:
    argv = ["extract", *(arg.format(fixtures=fixtures) for arg in args)]
    result = runner().invoke(main, argv)
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("linkaudit: error: ")
    assert message in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--cited-at", "last tuesday", "x.html"],
        ["--format", "xml", "x.html"],
        ["--scope", "everything", "x.html"],
        ["--max-bytes", "0", "x.html"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner().invoke(main, ["extract", *args])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("linkaudit: error: ")
    assert line.endswith("(see linkaudit extract -h)")


def test_bad_cited_at_names_the_problem() -> None:
    result = runner().invoke(main, ["extract", "--cited-at", "2023-13-45", "x.html"])
    assert result.exit_code == 2
    assert "'2023-13-45' is not a date" in result.stderr


def test_seed_gives_ten_lost_citations_and_nothing_outbound(seed_path: Path) -> None:
    result = runner().invoke(main, ["extract", str(seed_path)])
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith(f"{seed_path}: 10 citations: 0 outbound, 0 internal, 10 lost")
    rows = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(rows) == 10
    assert all(row.split()[1] == "lost" for row in rows)
    assert any("floated the idea" in row for row in rows)
    assert "truncated" in result.stderr
    assert "raw control character" in result.stderr


def test_seed_as_json(seed_path: Path) -> None:
    result = runner().invoke(main, ["extract", "--format", "json", str(seed_path)])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["documents"]
    assert entry["document"]["cited_at"] == "2023-04-18T11:05:53Z"
    lost = [c for c in entry["citations"] if c["verdict"] == "lost"]
    assert len(lost) == 10
    assert lost[0]["text"] == "floated the idea"


def test_bundled_example_has_every_kind_of_citation() -> None:
    from linkaudit.sources import example_path

    result = runner().invoke(main, ["extract", "--format", "json", str(example_path())])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["documents"]
    kinds = {c["kind"] for c in entry["citations"]}
    assert {"link", "image", "embed", "quote", "text_url", "doi", "lost"} <= kinds
    verdicts = {c["verdict"] for c in entry["citations"]}
    assert {"lost", "skipped"} <= verdicts


PROSE = "The council's figures were checked against the port's own report, line by line. "
PAGE = (
    '<html><head><link rel="canonical" href="https://news.example.com/a"></head><body>'
    f'<div class="story"><p>{PROSE}<a href="https://cited.example/">cited</a></p></div>'
    f'<div class="rail"><p>{PROSE * 3}<a href="https://rail.example/">rail</a></p>'
    '<ul class="more"><li><a href="/b">Another story</a></li><li><a href="/c">And one more</a>'
    "</li></ul></div></body></html>"
)


def test_json_says_how_the_article_was_found(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(PAGE, encoding="utf-8")
    result = runner().invoke(main, ["extract", "--format", "json", str(page)])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["documents"]
    assert entry["scope"] == {
        "container": "div.rail",
        "line": 1,
        "rule": "text",
        "reason": "holds 75% of the page's prose",
        "left_out": [
            {
                "element": "ul.more",
                "line": 1,
                "reason": "a list of links: 2 links, 100% of its text is link text,"
                " 2 to the page's own site",
                "links": 2,
            }
        ],
    }
    assert [c["url"] for c in entry["citations"]] == ["https://rail.example/"]
    whole = runner().invoke(main, ["extract", "--format", "json", "--scope", "page", str(page)])
    assert json.loads(whole.stdout)["documents"][0]["scope"] is None


def test_a_site_selector_in_the_config_names_the_article(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(PAGE, encoding="utf-8")
    config = tmp_path / "settings.toml"
    config.write_text('[sites."news.example.com"]\nbody = "div.story"\n', encoding="utf-8")
    result = runner().invoke(main, ["extract", "--config", str(config), str(page)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[1] == "  article: div.story (line 1): the site's configured body selector 'div.story'"
    )
    assert lines[2].split()[1:3] == ["link", "https://cited.example/"]
    assert lines[3] == f"{page}: 1 citation: 1 outbound, 0 internal"
    bad = tmp_path / "bad.toml"
    bad.write_text('[sites."news.example.com"]\nbody = "div..story"\n', encoding="utf-8")
    result = runner().invoke(main, ["extract", "--config", str(bad), str(page)])
    assert result.exit_code == 2
    assert "'div..story' is not a CSS selector" in result.stderr
