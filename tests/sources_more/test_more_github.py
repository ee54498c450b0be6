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
    assert {"fail-on", "output-dir", "python-version"} <= set(inputs)
    assert all("description" in spec for spec in inputs.values())
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    install = _step(action, "Install")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    upload = _step(action, "SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert "!cancelled()" in upload["if"]
    # Every shell step declares its shell (required in composite actions), and no
    # input is pasted into a script, where it could inject code.
    for step in steps:
        if "run" in step:
            assert step["shell"] in ("bash", "python")
            assert "${{" not in step["run"], step["name"]
    assert set(action["outputs"]) == {"exit-code", "markdown-report", "sarif-report"}


FAKE_LINKAUDIT = """\
import json, os, sys, pathlib
argv = sys.argv[1:]
pathlib.Path(os.environ["FAKE_ARGV"]).write_text(json.dumps(argv))
out = pathlib.Path(argv[argv.index("--output-dir") + 1])
if os.environ.get("FAKE_WRITE") == "1":
    (out / "audit-20260101T000000Z.md").write_text("# linkaudit report\\n\\n2 broken\\n")
    (out / "audit-20260101T000000Z.sarif").write_text("{}")
sys.exit(int(os.environ["FAKE_CODE"]))
"""


def _run_audit_step(
    action: dict[str, Any], tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str, list[str]]:
    step = _step(action, "Audit")
    assert step["shell"] == "python"
    script = tmp_path / "step.py"
    script.write_text(step["run"], encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "linkaudit"
    fake.write_text(f"#!{sys.executable}\n{FAKE_LINKAUDIT}", encoding="utf-8")
    fake.chmod(0o755)
    summary, outputs, argv = tmp_path / "summary.md", tmp_path / "outputs", tmp_path / "argv"
    summary.write_text("earlier step\n")
    outputs.write_text("")
    full_env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "FAKE_ARGV": str(argv),
        **env,
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    parsed = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done, parsed, summary.read_text(), json.loads(argv.read_text()) if argv.exists() else []


def test_audit_step_records_exit_code_and_writes_the_summary(
    action: dict[str, Any], tmp_path: Path
) -> None:
    old = tmp_path / "reports" / "old-20200101T000000Z.sarif"
    old.parent.mkdir()
    old.write_text("{}")
    os.utime(old, (1_000_000_000, 1_000_000_000))  # a report of an earlier run
    done, outputs, summary, argv = _run_audit_step(
        action,
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
        "--fail-on",
        "broken,stale",
    ]
    assert outputs["exit-code"] == "1"
    assert outputs["markdown-report"] == str(Path("reports/audit-20260101T000000Z.md"))
    assert outputs["sarif-report"] == str(Path("reports/audit-20260101T000000Z.sarif"))
    assert summary == "earlier step\n# linkaudit report\n\n2 broken\n"


def test_audit_step_without_reports_and_with_defaults(
    action: dict[str, Any], tmp_path: Path
) -> None:
    done, outputs, summary, argv = _run_audit_step(
        action,
        tmp_path,
        {"INPUT_ARGS": "", "INPUT_FAIL_ON": "", "INPUT_FORMAT": "", "FAKE_CODE": "2"},
    )
    assert done.returncode == 0, done.stderr
    assert argv == [
        "audit",
        ".",
        "--format",
        "markdown,sarif",
        "--output-dir",
        "linkaudit-report",
    ]
    assert outputs == {"exit-code": "2", "markdown-report": "", "sarif-report": ""}
    assert summary == "earlier step\n"


def test_last_step_fails_with_linkaudits_exit_code(action: dict[str, Any]) -> None:
    final = action["runs"]["steps"][-1]
    assert final["if"] == "${{ steps.audit.outputs.exit-code != '0' }}"
    assert final["env"]["CODE"] == "${{ steps.audit.outputs.exit-code }}"
    for code in (1, 2, 3):
        done = subprocess.run(
            ["bash", "-c", final["run"]], env={**os.environ, "CODE": str(code)}, check=False
        )
        assert done.returncode == code


def test_pre_commit_hooks() -> None:
    hooks = _load(ROOT / ".pre-commit-hooks.yaml")
    by_id = {hook["id"]: hook for hook in hooks}
    offline = by_id["linkaudit"]
    assert offline["entry"] == "linkaudit audit --offline"
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
