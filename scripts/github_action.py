"""The GitHub Action's audit step (``action.yml``): run linkaudit, fill the job
summary and the step outputs, and decide what the job's exit code is.

Run by the Python of the action's own environment, so it needs nothing but the
standard library and the ``linkaudit`` installed beside it.  Inputs arrive as
environment variables (``INPUT_*``), never pasted into a script, so an argument
cannot inject code.  The step itself always succeeds and records two codes:
``exit-code`` is linkaudit's own, ``fail-with`` what the action's last step
fails the job with, after the summary and the SARIF upload:

- ``fail: false`` turns findings (exit 1) into a pass; errors (2, 3) still fail;
- ``fail-if-empty: true`` (the default) fails a run that audited no citation at
  all (a mistyped path must not pass for a clean site), read from the JSON
  report, which the action therefore always writes.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

#: GitHub refuses job summaries over 1 MiB.
SUMMARY_LIMIT = 1_000_000


def linkaudit_command(env: Mapping[str, str]) -> str:
    """The ``linkaudit`` beside this Python (the action's environment), else on PATH."""
    explicit = env.get("LINKAUDIT_EXE")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "linkaudit"
    if beside.is_file():
        return str(beside)
    return shutil.which("linkaudit") or "linkaudit"


def formats_with_json(text: str) -> str:
    """The formats asked for, and ``json``: the action reads the totals from it."""
    names = [name.strip() for name in (text or "markdown,sarif").split(",") if name.strip()]
    if "json" not in [name.lower() for name in names]:
        names.append("json")
    return ",".join(names)


def newest(out: Path, suffix: str, since: float) -> Path | None:
    """This run's report of one format (the folder may hold earlier runs' and the
    ``-latest`` copies, which are the same text)."""
    found = [
        p for p in out.glob("*" + suffix) if p.stat().st_mtime >= since and "-latest." not in p.name
    ]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def citations_in(report: Path | None) -> int | None:
    """How many citations the JSON report counts (None: no readable report)."""
    if report is None:
        return None
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        return int(data["totals"]["citations"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fail_with(code: int, citations: int | None, *, fail: bool, fail_if_empty: bool) -> int:
    """The exit code the job fails with (0: it passes)."""
    if code in (0, 1) and citations == 0 and fail_if_empty:
        print(
            "::error::linkaudit found nothing to audit (no citation in what `args` names); "
            "check the paths, or set fail-if-empty: false",
            flush=True,
        )
        return 2
    if code == 1 and not fail:
        print("::notice::linkaudit found problems; fail: false keeps the job green", flush=True)
        return 0
    return code


def write_summary(markdown: Path | None, env: Mapping[str, str]) -> None:
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if not markdown or not summary_path or env.get("INPUT_SUMMARY", "true") == "false":
        return
    text = markdown.read_text(encoding="utf-8")
    if len(text.encode("utf-8")) > SUMMARY_LIMIT:
        text = text.encode("utf-8")[:SUMMARY_LIMIT].decode("utf-8", "ignore")
        text += f"\n\n*Report truncated; the full report is {markdown}.*\n"
    with open(summary_path, "a", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n")


def run(env: Mapping[str, str]) -> dict[str, str]:
    """Run the audit; the step outputs."""
    out = Path(env.get("INPUT_OUTPUT_DIR") or "linkaudit-report")
    out.mkdir(parents=True, exist_ok=True)
    token = env.get("LINKAUDIT_GITHUB_TOKEN", "").strip()
    if token:
        print(f"::add-mask::{token}", flush=True)
    command = [linkaudit_command(env), "audit", *shlex.split(env.get("INPUT_ARGS") or ".")]
    command += [
        "--format",
        formats_with_json(env.get("INPUT_FORMAT", "")),
        "--output-dir",
        str(out),
    ]
    # The action decides about an empty run itself (fail-if-empty: no citation at
    # all, stricter than linkaudit's "no document"), so linkaudit must not.
    command += ["--allow-empty"]
    # An article from a pull request must not reach inside the runner's network.
    if env.get("INPUT_CHECK_PRIVATE", "false") != "true":
        command += ["--exclude-all-private"]
    fail_on = (env.get("INPUT_FAIL_ON") or "").strip()
    if fail_on:
        command += ["--fail-on", fail_on]
    print("+ " + shlex.join(command), flush=True)
    started = time.time() - 1
    try:
        code = subprocess.run(command, check=False, env={**os.environ, **env}).returncode
    except OSError as exc:
        print(f"::error::linkaudit could not be started: {exc}", flush=True)
        code = 3
    markdown, sarif, report = (newest(out, s, started) for s in (".md", ".sarif", ".json"))
    write_summary(markdown, env)
    decided = fail_with(
        code,
        citations_in(report),
        fail=env.get("INPUT_FAIL", "true") != "false",
        fail_if_empty=env.get("INPUT_FAIL_IF_EMPTY", "true") != "false",
    )
    return {
        "exit-code": str(code),
        "fail-with": str(decided),
        "markdown-report": str(markdown or ""),
        "sarif-report": str(sarif or ""),
        "json-report": str(report or ""),
    }


def main() -> int:
    outputs = run(os.environ)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            handle.write(f"{name}={value}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
