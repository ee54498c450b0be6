"""The GitHub Action, the pre-commit hooks and the documented workflow.

The YAML is parsed (PyYAML, a test-only dependency) and the action's audit
step, which is a Python script, is run for real against a stand-in
``linkaudit`` executable, so the summary, outputs and exit-code handling are
tested rather than just read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read action.yml")

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    loaded = _load(ROOT / "action.yml")
    assert isinstance(loaded, dict)
    return loaded


def _step(action: dict[str, Any], name_part: str) -> dict[str, Any]:
    steps = [s for s in action["runs"]["steps"] if name_part in s.get("name", "")]
    assert len(steps) == 1, name_part
    step: dict[str, Any] = steps[0]
    return step


def test_action_shape(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["args"]["default"] == "."
    assert inputs["format"]["default"] == "markdown,sarif"
    assert inputs["upload-sarif"]["default"] == "false"
    assert inputs["fail"]["default"] == "true"
    assert inputs["fail-if-empty"]["default"] == "true"
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert inputs["version"]["default"] == ""
    assert {"fail-on", "output-dir", "python-version", "summary"} <= set(inputs)
    assert all("description" in spec for spec in inputs.values())
    steps = action["runs"]["steps"]
    # linkaudit's own Python and venv: the caller's Python for later steps is untouched
    python = steps[0]
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"]["update-environment"] is False
    assert all("setup-python" not in str(s.get("uses", "")) for s in steps[1:])
    cache = _step(action, "Restore")
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["path"] == "${{ runner.temp }}/linkaudit-venv"
    for part in ("runner.os", "steps.python.outputs.python-version", "inputs.version"):
        assert part in cache["with"]["key"]
    install = _step(action, "Install")
    assert install["if"] == "${{ steps.cache.outputs.cache-hit != 'true' }}"
    assert '"$PYTHON" -m venv "$VENV"' in install["run"]
    assert 'spec="linkaudit==$VERSION"' in install["run"]
    assert 'spec="$GITHUB_ACTION_PATH"' in install["run"]
    audit = _step(action, "Audit")
    assert audit["env"]["LINKAUDIT_GITHUB_TOKEN"] == "${{ inputs.token }}"
    assert "scripts/github_action.py" in audit["run"]
    assert (ROOT / "scripts" / "github_action.py").is_file()
    upload = _step(action, "SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert "!cancelled()" in upload["if"]
    # Every shell step declares its shell (required in composite actions), and no
    # input is pasted into a script, where it could inject code.
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], step["name"]
    assert set(action["outputs"]) == {"exit-code", "markdown-report", "sarif-report", "json-report"}


FAKE_LINKAUDIT = """\
import json, os, sys, pathlib
argv = sys.argv[1:]
pathlib.Path(os.environ["FAKE_ARGV"]).write_text(json.dumps(argv))
pathlib.Path(os.environ["FAKE_ARGV"] + ".token").write_text(
    os.environ.get("LINKAUDIT_GITHUB_TOKEN", "")
)
out = pathlib.Path(argv[argv.index("--output-dir") + 1])
if os.environ.get("FAKE_WRITE") == "1":
    (out / "audit-20260101T000000Z.md").write_text("# linkaudit report\\n\\n2 broken\\n")
    (out / "audit-20260101T000000Z.sarif").write_text("{}")
    citations = int(os.environ.get("FAKE_CITATIONS", "3"))
    (out / "audit-20260101T000000Z.json").write_text(
        json.dumps({"totals": {"citations": citations, "problems": 0}})
    )
    (out / "audit-latest.json").write_text("{}")
sys.exit(int(os.environ["FAKE_CODE"]))
"""

SCRIPT = ROOT / "scripts" / "github_action.py"


def _run_audit_step(
    tmp_path: Path, env: dict[str, str], linkaudit: str | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str, list[str]]:
    """``scripts/github_action.py`` as the Audit step runs it, with a stand-in
    ``linkaudit`` unless ``linkaudit`` names the real one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "linkaudit"
    fake.write_text(f"#!{sys.executable}\n{FAKE_LINKAUDIT}", encoding="utf-8")
    fake.chmod(0o755)
    summary, outputs, argv = tmp_path / "summary.md", tmp_path / "outputs", tmp_path / "argv"
    summary.write_text("earlier step\n")
    outputs.write_text("")
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INPUT_")},
        "LINKAUDIT_EXE": linkaudit or str(fake),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "FAKE_ARGV": str(argv),
        **env,
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    parsed = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done, parsed, summary.read_text(), json.loads(argv.read_text()) if argv.exists() else []


def test_audit_step_records_exit_code_and_writes_the_summary(tmp_path: Path) -> None:
    old = tmp_path / "reports" / "old-20200101T000000Z.sarif"
    old.parent.mkdir()
    old.write_text("{}")
    os.utime(old, (1_000_000_000, 1_000_000_000))  # a report of an earlier run
    done, outputs, summary, argv = _run_audit_step(
        tmp_path,
        {
            "INPUT_ARGS": "content 'my notes/a.md' --changed-since origin/main",
            "INPUT_FAIL_ON": "broken,stale",
            "INPUT_FORMAT": "markdown,sarif,json",
            "INPUT_OUTPUT_DIR": "reports",
            "INPUT_SUMMARY": "true",
            "FAKE_CODE": "1",
            "FAKE_WRITE": "1",
        },
    )
    assert done.returncode == 0, done.stderr  # the step succeeds; the last step fails the job
    assert argv == [
        "audit",
        "content",
        "my notes/a.md",
        "--changed-since",
        "origin/main",
        "--format",
        "markdown,sarif,json",
        "--output-dir",
        "reports",
        "--allow-empty",  # the action judges an empty run itself (fail-if-empty)
        "--exclude-all-private",  # a pull request's article must not reach the runner's network
        "--fail-on",
        "broken,stale",
    ]
    assert outputs["exit-code"] == "1"
    assert outputs["fail-with"] == "1"
    assert outputs["markdown-report"] == str(Path("reports/audit-20260101T000000Z.md"))
    assert outputs["sarif-report"] == str(Path("reports/audit-20260101T000000Z.sarif"))
    assert outputs["json-report"] == str(Path("reports/audit-20260101T000000Z.json"))
    assert summary == "earlier step\n# linkaudit report\n\n2 broken\n"


def test_check_private_lets_the_audit_reach_the_runners_network(tmp_path: Path) -> None:
    done, _, _, argv = _run_audit_step(
        tmp_path, {"INPUT_ARGS": "docs", "INPUT_CHECK_PRIVATE": "true", "FAKE_CODE": "0"}
    )
    assert done.returncode == 0, done.stderr
    assert argv[:2] == ["audit", "docs"]
    assert "--exclude-all-private" not in argv


def test_audit_step_without_reports_and_with_defaults(tmp_path: Path) -> None:
    done, outputs, summary, argv = _run_audit_step(
        tmp_path,
        {"INPUT_ARGS": "", "INPUT_FAIL_ON": "", "INPUT_FORMAT": "", "FAKE_CODE": "2"},
    )
    assert done.returncode == 0, done.stderr
    assert argv == [
        "audit",
        ".",
        "--format",
        "markdown,sarif,json",  # the JSON report is always asked for: its totals decide
        "--output-dir",
        "linkaudit-report",
        "--allow-empty",
        "--exclude-all-private",
    ]
    assert outputs == {
        "exit-code": "2",
        "fail-with": "2",
        "markdown-report": "",
        "sarif-report": "",
        "json-report": "",
    }
    assert summary == "earlier step\n"


@pytest.mark.parametrize(
    ("code", "citations", "fail", "fail_if_empty", "fail_with"),
    [
        ("1", "3", "true", "true", "1"),
        ("1", "3", "false", "true", "0"),  # findings allowed
        ("2", "3", "false", "true", "2"),  # errors still fail
        ("3", "3", "false", "true", "3"),
        ("0", "0", "true", "true", "2"),  # nothing audited: fails by default
        ("0", "0", "true", "false", "0"),
        ("0", "3", "true", "true", "0"),
    ],
)
def test_fail_and_fail_if_empty(
    tmp_path: Path, code: str, citations: str, fail: str, fail_if_empty: str, fail_with: str
) -> None:
    done, outputs, _, _ = _run_audit_step(
        tmp_path,
        {
            "FAKE_CODE": code,
            "FAKE_WRITE": "1",
            "FAKE_CITATIONS": citations,
            "INPUT_FAIL": fail,
            "INPUT_FAIL_IF_EMPTY": fail_if_empty,
        },
    )
    assert done.returncode == 0, done.stderr
    assert (outputs["exit-code"], outputs["fail-with"]) == (code, fail_with)
    if fail_with == "2" and code == "0":
        assert "::error::linkaudit found nothing to audit" in done.stdout


def test_the_token_is_masked_and_reaches_linkaudit_only_through_its_environment(
    tmp_path: Path,
) -> None:
    done, _, _, argv = _run_audit_step(
        tmp_path, {"FAKE_CODE": "0", "LINKAUDIT_GITHUB_TOKEN": "ghs_s3cret"}
    )
    assert "::add-mask::ghs_s3cret" in done.stdout
    assert (tmp_path / "argv.token").read_text() == "ghs_s3cret"
    assert "ghs_s3cret" not in json.dumps(argv)
    assert done.stdout.count("ghs_s3cret") == 1  # the mask command only


def test_the_step_runs_the_real_linkaudit_on_the_fixture_site(tmp_path: Path) -> None:
    """What the ``action`` job of ci.yml does on GitHub, here without the network."""
    real = str(Path(sys.executable).parent / "linkaudit")
    site = ROOT / "tests" / "fixtures" / "action-site"
    done, outputs, summary, _ = _run_audit_step(
        tmp_path, {"INPUT_ARGS": f"{site} --offline", "INPUT_FAIL": "false"}, linkaudit=real
    )
    assert done.returncode == 0, done.stderr
    assert (outputs["exit-code"], outputs["fail-with"]) == ("1", "0")  # two lost links
    assert "published its figures" in summary
    assert Path(tmp_path / outputs["sarif-report"]).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    done, outputs, _, _ = _run_audit_step(
        empty, {"INPUT_ARGS": f"{site / 'empty'} --offline"}, linkaudit=real
    )
    assert (outputs["exit-code"], outputs["fail-with"]) == ("0", "2")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    done, outputs, _, _ = _run_audit_step(
        allowed,
        {"INPUT_ARGS": f"{site / 'empty'} --offline", "INPUT_FAIL_IF_EMPTY": "false"},
        linkaudit=real,
    )
    assert (outputs["exit-code"], outputs["fail-with"]) == ("0", "0")


def test_last_step_fails_with_the_decided_code(action: dict[str, Any]) -> None:
    final = action["runs"]["steps"][-1]
    assert final["if"] == "${{ steps.audit.outputs.fail-with != '0' }}"
    assert final["env"]["CODE"] == "${{ steps.audit.outputs.fail-with }}"
    for code in (1, 2, 3):
        done = subprocess.run(
            ["bash", "-c", final["run"]], env={**os.environ, "CODE": str(code)}, check=False
        )
        assert done.returncode == code


def test_pre_commit_hooks() -> None:
    hooks = _load(ROOT / ".pre-commit-hooks.yaml")
    by_id = {hook["id"]: hook for hook in hooks}
    offline = by_id["linkaudit"]
    assert offline["entry"] == "linkaudit check --offline"  # no report files written
    assert offline["language"] == "python"
    assert offline["pass_filenames"] is True
    files = re.compile(offline["files"])
    for name in ("a.html", "b/C.HTM", "post.md", "x.markdown"):
        assert files.search(name), name
    for name in ("a.txt", "md", "x.md.bak", "style.css"):
        assert not files.search(name), name
    network = by_id["linkaudit-network"]
    assert "--offline" not in network["entry"]
    assert network["stages"] == ["manual"]


def test_documented_workflow_parses_and_caches_by_date() -> None:
    text = (ROOT / "docs/github-action.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    workflow = yaml.safe_load(blocks[0])
    steps = workflow["jobs"]["linkaudit"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == ".linkaudit/"
    assert "steps.date.outputs.today" in cache["with"]["key"]
    audit = next(s for s in steps if "linkaudit@" in str(s.get("uses", "")))
    assert set(audit["with"]) <= set(_load(ROOT / "action.yml")["inputs"])
    hooks = yaml.safe_load(blocks[1])["repos"][0]["hooks"]
    listed = {hook["id"] for hook in _load(ROOT / ".pre-commit-hooks.yaml")}
    assert {hook["id"] for hook in hooks} == listed


# --------------------------------------------------------------------------- workflows


def _workflow(name: str) -> dict[str, Any]:
    loaded = _load(ROOT / ".github" / "workflows" / name)
    assert isinstance(loaded, dict)
    return loaded


def _on(workflow: dict[str, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def test_ci_runs_the_readmes_test_command_and_the_action_itself() -> None:
    ci = _workflow("ci.yml")
    assert ci["permissions"] == {"contents": "read"}
    runs = [step.get("run", "") for step in ci["jobs"]["test"]["steps"]]
    assert "make test" in runs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("make test")
    upload = next(s for s in ci["jobs"]["test"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "test-artifacts/"
    action = ci["jobs"]["action"]["steps"]
    uses = [step for step in action if step.get("uses") == "./"]
    assert len(uses) == 2
    for step in uses:
        target = step["with"]["args"].split()[0]
        assert (ROOT / target).is_dir(), target
    assert uses[1]["with"]["fail-if-empty"] == "false"


def test_release_builds_from_a_tag_that_is_the_version() -> None:
    from linkaudit import __version__

    release = _workflow("release.yml")
    assert _on(release) == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    build = release["jobs"]["build"]["steps"]
    script = "\n".join(step.get("run", "") for step in build)
    assert "python -m build" in script
    assert "twine check --strict dist/*" in script
    check = next(step for step in build if step.get("name") == "The tag is the package's version")
    for tag, code in ((f"v{__version__}", 0), ("v99.0.0", 1)):
        done = subprocess.run(
            ["bash", "-c", check["run"]],
            cwd=ROOT,
            env={**os.environ, "GITHUB_REF_NAME": tag},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == code, done.stdout + done.stderr
    assert release["jobs"]["github-release"]["permissions"] == {"contents": "write"}
    assert release["jobs"]["pypi"]["permissions"] == {"id-token": "write"}


def test_the_documented_tags_are_the_release_of_this_version() -> None:
    from linkaudit import __version__

    for name in ("README.md", "docs/github-action.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        uses = re.findall(r"uses: linkaudit/linkaudit@(\S+)", text)
        revs = re.findall(r"rev: (\S+)", text)
        assert uses, name
        assert revs, name
        assert set(uses) | set(revs) == {f"v{__version__}"}, name
