"""One way to say things on the command line: every command, every shared option.

No network: the articles here cite nothing that needs checking (lost links and
``mailto:``), so ``check`` and ``audit --offline`` run without a request.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.commandline import use_color

#: An article whose citations need no request: two lost links and a mail link.
ARTICLE = (
    "<!doctype html><html><head><title>Offline story</title></head><body><article>"
    "<p>The <a>stripped report</a> and the <a href=''>empty one</a> are lost; write to "
    "<a href='mailto:desk@paper.example'>the desk</a>.</p></article></body></html>"
)
#: A WordPress export cut off in its body: its reader warns, once.
TRUNCATED = '{"date_gmt": "2020-06-02T10:00:00", "content": {"rendered": "<p><a>lost</a> cut'


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "story.html").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "cut.json").write_text(TRUNCATED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    assert isinstance(main, click.Group)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def _shape(option: click.Option) -> tuple[Any, ...]:
    """What must agree wherever an option name appears: spellings, kind and type."""
    return (
        tuple(sorted(option.opts)),
        tuple(sorted(option.secondary_opts)),
        option.is_flag,
        option.multiple,
        type(option.type).__name__,
        getattr(option.type, "choices", None),
        option.metavar,
        option.name,
    )


# --------------------------------------------------------------------------- one meaning


def test_every_option_has_one_shape_on_every_command() -> None:
    shapes: dict[str, dict[tuple[Any, ...], list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, command in commands().items():
        for param in command.params:
            if isinstance(param, click.Option):
                for spelling in param.opts:
                    shapes[spelling][_shape(param)].append(name)
    assert len(commands()) == 8
    differing = {spelling: dict(seen) for spelling, seen in shapes.items() if len(seen) > 1}
    assert differing == {}
    # the shared ones are shared, the same way
    assert len(next(iter(shapes["-o"].values()))) == 5
    assert next(iter(shapes["-o"])) == next(iter(shapes["--output"]))


@pytest.mark.parametrize(
    ("option", "where"),
    [
        ("--format", {"extract", "check", "audit", "health", "demo"}),
        ("--output", {"extract", "check", "audit", "health", "fix"}),
        ("--output-dir", {"audit", "health", "demo"}),
        ("--quiet", {"check", "audit", "health", "fix", "demo"}),
        ("--config", {"extract", "check", "audit", "health", "fix", "serve", "worker"}),
        ("--wayback-url", {"audit", "fix", "serve"}),
        ("--color", {"check", "audit", "demo"}),
        ("--cache", {"check", "audit", "health", "fix", "serve", "worker"}),
        ("--force", {"extract", "check", "audit", "health", "fix", "demo"}),
    ],
)
def test_the_options_people_repeat_are_on_every_command_they_concern(
    option: str, where: set[str]
) -> None:
    has = {
        name
        for name, command in commands().items()
        if any(option in p.opts for p in command.params if isinstance(p, click.Option))
    }
    assert has == where


def test_short_forms_mean_one_thing() -> None:
    """``-o`` is always a file (``--output``) and ``-q`` always ``--quiet``."""
    for command in commands().values():
        for param in command.params:
            if "-o" in param.opts:
                assert param.opts == ["-o", "--output"]
                assert isinstance(param.type, click.Path)
                assert not param.type.dir_okay
            if "-q" in param.opts:
                assert param.opts == ["-q", "--quiet"]
            if "--output-dir" in param.opts:
                assert isinstance(param.type, click.Path)
                assert not param.type.file_okay


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["audit", "story.html", "--nope"], "no such option '--nope'"),
        (["auditt"], "no such command 'auditt'. Did you mean 'audit'?"),
        (["fix"], "missing argument 'SOURCE'"),
        (["health", "--format", "htm"], "unknown format 'htm'; did you mean 'html'?"),
        (["check", "story.html", "--format", "json,terminal"], "prints one format, not 2"),
        (["check", "story.html", "--color", "sometimes"], "'sometimes' is not one of"),
        (["extract", "story.html", "--cited-at", "2023-13-45"], "'2023-13-45' is not a date"),
        (["demo", "--timeout", "3"], "no such option '--timeout'"),
        (["audit", "story.html", "--per-host", "0"], "0 is not in the range x>=1"),
        (["fix", "story.html", "-o", "a.html", "--in-place"], "-o and --in-place exclude"),
        (
            ["audit", "story.html", "--offline", "-o", "x.html", "--format", "html,json"],
            "-o/--output writes one file, and 2 formats are asked",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(workdir: Path, argv: list[str], says: str) -> None:
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("linkaudit: error: ")
    assert says in line
    assert line.endswith(f"(see linkaudit {argv[0]} -h)") or argv[0] == "auditt"


def test_no_command_shows_the_help() -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: linkaudit [OPTIONS] COMMAND")


# --------------------------------------------------------------------------- colour


def test_use_color_follows_no_color_and_the_flag() -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    class Pipe:
        def isatty(self) -> bool:
            return False

    tty, pipe = Terminal(), Pipe()
    assert use_color("auto", tty, {}) is True  # type: ignore[arg-type]
    assert use_color("auto", pipe, {}) is False  # type: ignore[arg-type]
    assert use_color("auto", tty, {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert use_color("auto", tty, {"NO_COLOR": ""}) is True  # type: ignore[arg-type]
    assert use_color("auto", tty, {"TERM": "dumb"}) is False  # type: ignore[arg-type]
    assert use_color("never", tty, {}) is False  # type: ignore[arg-type]
    assert use_color("always", pipe, {"NO_COLOR": "1"}) is True  # type: ignore[arg-type]


def _on_a_terminal(args: list[str], cwd: Path, **env: str) -> str:
    """Run ``python -m linkaudit`` with a pseudo-terminal as stdout; what it printed."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    environ.update(env, TERM="xterm")
    with subprocess.Popen(
        [sys.executable, "-m", "linkaudit", *args],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=environ,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_color_is_honoured_on_a_real_terminal(workdir: Path) -> None:
    args = ["check", "story.html", "--no-cache"]
    assert "\x1b[1;31m" in _on_a_terminal(args, workdir)
    plain = _on_a_terminal(args, workdir, NO_COLOR="1")
    assert "LOST" in plain
    assert "\x1b[" not in plain
    assert "\x1b[" not in _on_a_terminal([*args, "--color", "never"], workdir)
    assert "\x1b[1;31m" in _on_a_terminal([*args, "--color", "always"], workdir, NO_COLOR="1")


def test_color_always_reaches_a_pipe_and_never_a_file(workdir: Path) -> None:
    piped = CliRunner().invoke(main, ["check", "story.html", "--no-cache", "--color", "always"])
    assert "\x1b[1;31m" in piped.stdout
    written = CliRunner().invoke(
        main, ["check", "story.html", "--no-cache", "--color", "always", "-o", "out.txt"]
    )
    assert written.exit_code == 1
    assert "\x1b[" not in (workdir / "out.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- python -m


def test_python_dash_m_runs_the_same_command_line(workdir: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-m", "linkaudit", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("linkaudit, version ")
    listed = subprocess.run(
        [sys.executable, "-m", "linkaudit", "extract", "story.html"],
        capture_output=True,
        text=True,
        cwd=workdir,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "story.html: 3 citations" in listed.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "linkaudit", "extract", "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1
    assert "Traceback" not in wrong.stderr


# --------------------------------------------------------------------------- completion


def test_shell_completion_as_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "_LINKAUDIT_COMPLETE=bash_source linkaudit" in readme
    runner = CliRunner()
    script = runner.invoke(
        main, [], prog_name="linkaudit", env={"_LINKAUDIT_COMPLETE": "bash_source"}
    )
    assert script.exit_code == 0
    assert "_linkaudit_completion" in script.stdout
    env = {"_LINKAUDIT_COMPLETE": "bash_complete", "COMP_WORDS": "linkaudit he", "COMP_CWORD": "1"}
    words = runner.invoke(main, [], prog_name="linkaudit", env=env)
    assert words.stdout.split() == ["plain,health"]
    env = {
        "_LINKAUDIT_COMPLETE": "bash_complete",
        "COMP_WORDS": "linkaudit fix a.html --wayb",
        "COMP_CWORD": "3",
    }
    option = runner.invoke(main, [], prog_name="linkaudit", env=env)
    assert option.stdout.split() == ["plain,--wayback-url"]


# --------------------------------------------------------------------------- warnings


def test_a_warning_is_printed_once(workdir: Path) -> None:
    for argv in (["check", "cut.json", "--no-cache"], ["audit", "cut.json", "--offline"]):
        result = CliRunner().invoke(
            main, [*argv, "--output-dir", "out"] if argv[0] == "audit" else argv
        )
        output = result.stdout + result.stderr
        assert output.count("truncated: input ends inside") == 1, output
        assert "linkaudit: warning: cut.json: truncated" in result.stderr


def test_no_nearest_to_now_warning_without_lookups(workdir: Path) -> None:
    """``story.html`` has no date: only a run that looks archives up needs one."""
    for argv in (
        ["check", "story.html", "--no-cache"],
        ["audit", "story.html", "--offline", "--output-dir", "out"],
        ["audit", "story.html", "--no-archive", "--no-cache", "--output-dir", "out2"],
    ):
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 1, result.output
        assert "nearest to now" not in result.stdout + result.stderr


# --------------------------------------------------------------------------- files and formats


def test_format_is_comma_separated_and_repeating_it_adds(workdir: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["audit", "story.html", "--offline", "--format", "json,csv", "--format", "SARIF"],
    )
    assert result.exit_code == 1, result.output
    written = sorted(p.name for p in (workdir / "reports").iterdir())
    assert [w.split(".", 1)[1] for w in written if "latest" not in w] == ["csv", "json", "sarif"]
    assert [w for w in written if "latest" in w] == [
        "story-latest.csv",
        "story-latest.json",
        "story-latest.sarif",
    ]


def test_output_is_one_file_everywhere(workdir: Path) -> None:
    runner = CliRunner()
    extract = runner.invoke(main, ["extract", "story.html", "--format", "json", "-o", "list.json"])
    assert extract.exit_code == 0
    assert extract.stdout == ""
    assert '"schema_version"' in (workdir / "list.json").read_text(encoding="utf-8")
    check = runner.invoke(main, ["check", "story.html", "--no-cache", "-o", "check.txt"])
    assert check.exit_code == 1
    assert check.stdout == ""
    assert "LOST" in (workdir / "check.txt").read_text(encoding="utf-8")
    audit = runner.invoke(
        main, ["audit", "story.html", "--offline", "--format", "sarif", "-o", "links.sarif"]
    )
    assert audit.exit_code == 1, audit.output
    assert "wrote links.sarif" in audit.stdout
    assert not (workdir / "reports").exists()
    # never over a file without asking
    again = runner.invoke(main, ["check", "story.html", "--no-cache", "-o", "check.txt"])
    assert again.exit_code == 2
    assert "already exists: check.txt (use --force" in again.stderr
    forced = runner.invoke(
        main, ["check", "story.html", "--no-cache", "-o", "check.txt", "--force"]
    )
    assert forced.exit_code == 1


def test_quiet_prints_the_summary_only(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["check", "story.html", "--no-cache", "-q"])
    assert result.stdout == "3 citations in 1 document: 2 lost; 1 skipped\n"


def test_the_config_file_sets_what_people_repeat(workdir: Path) -> None:
    (workdir / "linkaudit.toml").write_text(
        '[tool.linkaudit]\nformat = ["markdown"]\noutput_dir = "site-reports"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["audit", "story.html", "--offline"])
    assert result.exit_code == 1, result.output
    names = sorted(p.name for p in (workdir / "site-reports").iterdir())
    assert len(names) == 2
    assert all(n.endswith(".md") for n in names)
    override = CliRunner().invoke(
        main, ["audit", "story.html", "--offline", "--format", "csv", "--output-dir", "x"]
    )
    assert override.exit_code == 1
    assert {p.suffix for p in (workdir / "x").iterdir()} == {".csv"}


def test_quiet_means_the_same_on_every_command(workdir: Path) -> None:
    """``-q``: the summary and the files written, nothing else (warnings stay on stderr)."""
    runner = CliRunner()
    audit = runner.invoke(main, ["audit", "story.html", "--offline", "-q", "--format", "json"])
    lines = audit.stdout.splitlines()
    assert lines[0] == "3 citations in 1 document: 2 lost; 1 skipped"
    assert lines[1].startswith("wrote reports/story-")
    assert lines[2] == "and the newest as reports/story-latest.json"
    assert len(lines) == 3
    # fix: stdout is the diff alone either way; -q drops the progress lines on stderr
    report = next((workdir / "reports").glob("story-2*.json"))
    loud = runner.invoke(main, ["fix", "story.html", "--from-report", str(report)])
    quiet = runner.invoke(main, ["fix", "story.html", "--from-report", str(report), "-q"])
    assert "linkaudit: 0 edit(s)" in loud.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout
    # health: the changes paragraph goes, the files written stay
    cache = workdir / "cache.sqlite"
    assert runner.invoke(main, ["check", "story.html", "--cache", str(cache)]).exit_code == 1
    health = runner.invoke(main, ["health", "--cache", str(cache), "-q", "--format", "json"])
    assert health.exit_code == 0, health.output
    assert health.stdout.splitlines()[0].startswith("wrote reports/health-")
    assert len(health.stdout.splitlines()) == 2


def test_demo_takes_the_same_format_and_output_options(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--format", "json,csv", "--output-dir", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 4
    assert {n.rsplit(".", 1)[1] for n in names} == {"csv", "json"}
    assert "demo-article-latest.csv" in names
    assert result.stdout.splitlines()[0].startswith("32 citations in 1 document")
    assert "zoo" not in result.stdout.splitlines()[0]  # no start-up chatter under -q


def test_extract_reads_the_configuration_too(workdir: Path) -> None:
    (workdir / "relative.html").write_text(
        '<article><p><a href="/notes/a">a note</a></p></article>', encoding="utf-8"
    )
    bare = CliRunner().invoke(main, ["extract", "relative.html"])
    assert "/notes/a" in bare.stdout
    (workdir / "site.toml").write_text('base_url = "https://news.example/"\n', encoding="utf-8")
    configured = CliRunner().invoke(
        main, ["extract", "relative.html", "--config", "site.toml", "--format", "json"]
    )
    assert configured.exit_code == 0, configured.output
    assert '"url": "https://news.example/notes/a"' in configured.stdout
