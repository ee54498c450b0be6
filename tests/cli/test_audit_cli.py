"""The ``check``, ``audit`` and ``demo`` commands end to end, on loopback only.

Pages are served on 127.0.0.1 by IP literal (no name is ever resolved) and the
archive is the local stand-in; a ``linkaudit.toml`` limits archives to the
Wayback endpoint so no Memento TimeGate on the internet is asked.
"""

from __future__ import annotations

import json
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, Site, hang, page

ARTICLE = """<!doctype html><html><head><title>A cited story</title>
<link rel="canonical" href="https://paper.example/2021/05/story/">
<meta property="article:published_time" content="2021-05-03T10:00:00Z"></head>
<body><article><h1>A cited story</h1>
<p>The <a href="{live}">live report</a> still answers, but the
<a href="{dead}">original dataset</a> is gone. The rest is in a </span>
stripped link</span></a> we can no longer follow.</p>
<p>Write to <a href="mailto:desk@paper.example">the desk</a>.</p>
</article></body></html>
"""


@pytest.fixture
def site() -> Iterator[Site]:
    with LoopbackServer() as server:
        web = server.add_site("127.0.0.1")
        web.route(
            "/report",
            page(
                "<html><head><title>Report</title></head><body>"
                + "<p>Findings of the committee on the matter at hand.</p>" * 20
                + "</body></html>"
            ),
        )
        yield web


@pytest.fixture
def archive() -> Iterator[ArchiveStandIn]:
    with ArchiveStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def workdir(
    tmp_path: Path, site: Site, archive: ArchiveStandIn, monkeypatch: pytest.MonkeyPatch
) -> Path:
    live, dead = site.url("/report"), site.url("/dataset")
    (tmp_path / "article.html").write_text(ARTICLE.format(live=live, dead=dead), encoding="utf-8")
    (tmp_path / "linkaudit.toml").write_text(
        'archives = ["wayback"]\nper_host = 2\ntimeout = 2\nmax_retries = 0\n', encoding="utf-8"
    )
    archive.add_capture(dead, "20210401000000", 200)
    archive.add_capture(dead, "20210601000000", 200)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _audit(archive: ArchiveStandIn, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["audit", "article.html", "--wayback-url", archive.base_url, "--output-dir", "out", *args],
    )
    return result.exit_code, result.stdout, result.stderr


def test_audit_writes_reports_and_fails_on_broken(workdir: Path, archive: ArchiveStandIn) -> None:
    code, out, err = _audit(archive, "--format", "json,html,sarif")
    assert code == 1, out + err  # a broken link (and a lost one) with the default --fail-on
    dated = sorted(p.suffix for p in (workdir / "out").glob("article-2*"))
    assert dated == [".html", ".json", ".sarif"]
    # a stable name beside each dated file, for scripts: a copy of the newest
    for path in (workdir / "out").glob("article-2*"):
        latest = workdir / "out" / f"article-latest{path.suffix}"
        assert latest.read_bytes() == path.read_bytes()
    assert len(list((workdir / "out").iterdir())) == 6
    data = json.loads(next((workdir / "out").glob("article-2*.json")).read_text(encoding="utf-8"))
    schema_path = Path(__file__).parents[2] / "src" / "linkaudit" / "data" / "report.schema.json"
    jsonschema.validate(data, json.loads(schema_path.read_text(encoding="utf-8")))
    by_text = {f["citation"]["text"]: f for f in data["findings"]}
    assert by_text["live report"]["verdict"] == "ok"
    dead = by_text["original dataset"]
    assert (dead["verdict"], dead["reason"]) == ("broken", "http_404")
    # the capture on or before the citation date (2021-05-03) wins over the nearer-after one
    assert dead["archive"]["url"].endswith("/web/20210401000000/" + dead["citation"]["url"])
    assert dead["archive"]["before"] is True
    assert by_text["stripped link"]["verdict"] == "lost"
    assert by_text["the desk"]["verdict"] == "skipped"
    assert "original dataset" in out
    assert "wrote out/" in out


def test_fail_on_controls_exit_code(workdir: Path, archive: ArchiveStandIn) -> None:
    code, out, err = _audit(archive, "--format", "json", "--fail-on", "stale")
    assert code == 0, out + err
    code, _, _ = _audit(archive, "--format", "json", "--fail-on", "lost", "--force")
    assert code == 1


def test_warm_cache_sends_no_requests(workdir: Path, archive: ArchiveStandIn, site: Site) -> None:
    code, out, err = _audit(archive, "--format", "json", "--no-archive")
    assert code == 1, out + err
    assert (workdir / ".linkaudit" / "cache.sqlite").exists()
    first = site.stats.requests
    assert first >= 2
    code, out, err = _audit(archive, "--format", "json", "--no-archive", "--force")
    assert code == 1, out + err
    assert site.stats.requests == first  # both verdicts are definitive: reused


def test_no_cache_checks_again(workdir: Path, archive: ArchiveStandIn, site: Site) -> None:
    _audit(archive, "--format", "json", "--no-archive", "--no-cache")
    first = site.stats.requests
    _audit(archive, "--format", "json", "--no-archive", "--no-cache", "--force")
    assert site.stats.requests > first
    assert not (workdir / ".linkaudit").exists()


def test_offline_sends_nothing_and_still_finds_lost_links(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    code, out, err = _audit(archive, "--format", "json", "--offline")
    assert code == 1, out + err  # the lost link
    assert site.stats.requests == 0
    assert sum(archive.counts.values()) == 0
    assert "stripped link" in out


def test_check_prints_json_to_stdout(workdir: Path, site: Site) -> None:
    result = CliRunner().invoke(main, ["check", "article.html", "--format", "json", "--no-cache"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    verdicts = sorted(f["verdict"] for f in data["findings"])
    assert verdicts == ["broken", "lost", "ok", "skipped"]


def test_bad_input_is_one_line_and_exit_2(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["check", "missing.html"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("linkaudit: error:")
    (workdir / "linkaudit.toml").write_text("concurency = 3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "article.html"])
    assert result.exit_code == 2
    assert "did you mean 'concurrency'" in result.stderr


def test_unknown_format_fails_before_any_request(workdir: Path, site: Site) -> None:
    result = CliRunner().invoke(main, ["audit", "article.html", "--format", "pdf"])
    assert result.exit_code == 2
    assert "unknown format 'pdf'" in result.stderr
    assert site.stats.requests == 0


def test_demo_runs_offline_and_gets_every_verdict_right(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--output-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert "got their true verdict" in result.stdout
    dated = (tmp_path / "reports").glob("demo-article-2*")
    suffixes = sorted(p.name.split(".", 1)[1] for p in dated)
    assert suffixes == ["csv", "html", "json", "junit.xml", "md", "sarif", "txt"]
    assert (tmp_path / "reports" / "demo-article-latest.junit.xml").is_file()
    data = json.loads(next((tmp_path / "reports").glob("*.json")).read_text(encoding="utf-8"))
    verdicts = {f["verdict"] for f in data["findings"]}
    # every verdict of DESIGN.md's table appears in the demo
    assert verdicts == {
        "ok",
        "moved",
        "broken",
        "stale",
        "blocked",
        "unreachable",
        "insecure",
        "fragment_missing",
        "invalid",
        "skipped",
        "lost",
    }
    lost = next(f for f in data["findings"] if f["verdict"] == "lost")
    assert lost["restoration"]["url"].startswith("http://busy.zoo.test:")


def test_fix_after_audit_repairs_from_the_store_without_requests(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    code, out, err = _audit(archive, "--format", "json")
    assert code == 1, out + err
    requests, lookups = site.stats.requests, sum(archive.counts.values())
    result = CliRunner().invoke(main, ["fix", "article.html", "--replace-dead"])
    assert result.exit_code == 0, result.output
    assert "stored audit" in result.stderr
    assert site.stats.requests == requests  # nothing checked again
    assert sum(archive.counts.values()) == lookups
    dead = site.url("/dataset")
    assert f'-<a href="{dead}">original dataset</a>' in result.stdout
    assert f"/web/20210401000000/{dead}" in result.stdout
    assert 'data-originalurl="' + dead in result.stdout
    # an edited file no longer matches the stored audit's hash: refused, untouched
    page = workdir / "article.html"
    page.write_text(page.read_text(encoding="utf-8") + "\n<!-- edited -->\n", encoding="utf-8")
    before = page.read_bytes()
    refused = CliRunner().invoke(main, ["fix", "article.html", "--replace-dead", "--in-place"])
    assert refused.exit_code == 2
    assert page.read_bytes() == before


def test_no_host_answering_at_all_is_exit_3_not_a_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LoopbackServer() as server:
        silent = [server.add_site("127.0.0.1"), server.add_site("127.0.0.2")]
        for site in silent:
            site.fallback = hang()
        links = "".join(
            f'<p><a href="{s.url("/page")}">source {i}</a></p>' for i, s in enumerate(silent)
        )
        (tmp_path / "a.html").write_text(f"<article>{links}</article>", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        args = ["check", "a.html", "--no-cache", "--timeout", "0.2", "--max-retries", "0"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3, result.output
        assert "no network: none of the 2 hosts answered" in result.stderr
        # and the report says so first, not as an error repeated in every row
        assert result.stdout.splitlines()[1].startswith("!! No network: none of the 2 hosts")
        # one host answering means the network works: the silent one is just unreachable
        silent[1].fallback = page("<html><body><p>Here.</p></body></html>")
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "unreachable" in result.stdout


# --------------------------------------------------------------------------- audit -> fix


def _printed_fix_commands(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    start = lines.index(
        "next: repair from this audit (prints a diff; add --in-place to rewrite, with a backup):"
    )
    return [shlex.split(line) for line in lines[start + 1 :] if line.startswith("  linkaudit ")]


def test_audit_prints_the_exact_fix_command_and_it_works(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    code, out, err = _audit(archive, "--format", "html")
    assert code == 1, out + err
    [command] = _printed_fix_commands(out)
    assert command == ["linkaudit", "fix", "article.html", "--replace-dead"]
    result = CliRunner().invoke(main, command[1:])
    assert result.exit_code == 0, result.output
    assert "repairing from the stored audit" in result.stderr
    assert "/web/20210401000000/" + site.url("/dataset") in result.stdout


def test_without_a_cache_the_fix_command_reads_the_json_report(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    code, out, err = _audit(archive, "--format", "json,html", "--no-cache")
    assert code == 1, out + err
    [command] = _printed_fix_commands(out)
    assert command[:4] == ["linkaudit", "fix", "article.html", "--replace-dead"]
    assert command[4] == "--from-report"
    assert command[5].startswith("out/article-2")
    assert command[5].endswith(".json")
    requests = site.stats.requests
    result = CliRunner().invoke(main, command[1:])
    assert result.exit_code == 0, result.output
    assert "/web/20210401000000/" + site.url("/dataset") in result.stdout
    assert site.stats.requests == requests


def test_nothing_to_repair_prints_no_fix_command(workdir: Path, archive: ArchiveStandIn) -> None:
    code, out, _ = _audit(archive, "--format", "html", "--no-archive")
    assert code == 1
    assert "next:" not in out
    assert "linkaudit fix" not in out


def test_fix_passes_over_a_stored_check_and_audits_with_the_config(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    """A ``check`` after the audit replaced the stored audit of the file: it looked up
    no archived copies, so ``fix`` audits afresh, as linkaudit.toml says (mirror
    included), instead of repairing nothing."""
    (workdir / "linkaudit.toml").write_text(
        f'archives = ["wayback"]\nwayback_url = "{archive.base_url}"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["audit", "article.html", "--output-dir", "out"]).exit_code == 1
    assert CliRunner().invoke(main, ["check", "article.html"]).exit_code == 1
    lookups = sum(archive.counts.values())
    result = CliRunner().invoke(main, ["fix", "article.html", "--replace-dead"])
    assert result.exit_code == 0, result.output
    assert (
        "not repairing from the stored audit of article.html: it is a `check`, which looks up "
        "no archived copies; auditing afresh"
    ) in result.stderr
    assert "/web/20210401000000/" + site.url("/dataset") in result.stdout
    assert sum(archive.counts.values()) > lookups  # the configured mirror was asked
    # --update-moved needs no archive: the stored check is good enough for it
    moved = CliRunner().invoke(main, ["fix", "article.html", "--update-moved"])
    assert "repairing from the stored audit" in moved.stderr


def test_fix_audits_afresh_with_the_configured_exclusions(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    (workdir / "linkaudit.toml").write_text(
        f'archives = ["wayback"]\nwayback_url = "{archive.base_url}"\nexclude = ["/dataset$"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["fix", "article.html", "--replace-dead", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert site.stats.by_path[("GET", "/dataset")] == 0
    assert site.stats.by_path[("HEAD", "/dataset")] == 0
    assert site.stats.requests > 0  # the live report was checked
    assert result.stdout == ""  # the excluded link is skipped, so nothing to replace


def test_fix_says_why_nothing_was_repaired(workdir: Path, archive: ArchiveStandIn) -> None:
    check = CliRunner().invoke(
        main, ["check", "article.html", "--format", "json", "-o", "check.json", "--no-cache"]
    )
    assert check.exit_code == 1, check.output
    result = CliRunner().invoke(
        main, ["fix", "article.html", "--replace-dead", "--from-report", "check.json"]
    )
    assert result.exit_code == 0
    assert (
        "nothing repaired from the archives: the audit is a `check`, which looks up no "
        "archived copies; run `linkaudit audit` first"
    ) in result.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = CliRunner().invoke(
        main, ["fix", "article.html", "--replace-dead", "--no-cache", "--wayback-url", closed]
    )
    assert down.exit_code == 0, down.output
    assert (
        "nothing repaired from the archives: the audit could not reach the archives; "
        "try again when the archives answer"
    ) in down.stderr


def test_drift_on_the_command_line_compares_and_stores_a_first_observation(
    workdir: Path, archive: ArchiveStandIn, site: Site
) -> None:
    code, _out, err = _audit(archive, "--drift", "--format", "json")
    assert code == 1, err
    data = json.loads(next((workdir / "out").glob("*.json")).read_text("utf-8"))
    assert data["settings"]["drift"] is True
    live = next(f for f in data["findings"] if f["citation"]["text"] == "live report")
    assert live["verdict"] == "ok"
    # no capture of the live report near 2021-05: nothing to compare with yet, so the
    # page as seen now is kept as its first observation for the next run
    assert live["drift"] is None
    from linkaudit.store import Store

    with Store.open(workdir / ".linkaudit" / "cache.sqlite") as store:
        assert store.drift.baseline(site.url("/report")) is not None
