"""Short runs with a slow-loading trust store end cleanly, never in a crash at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import certifi

RUNS = 10
#: The shortest run there is: start loading the trust store, and end.
SHORT_RUN = "from linkaudit.check.client import trust_store; trust_store()"


def _run_all(command: list[str], cwd: Path, env: dict[str, str]) -> list[tuple[int, str]]:
    runs = [
        subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(RUNS)
    ]
    return [(run.wait(timeout=300), run.communicate()[1]) for run in runs]


def _bundle(tmp_path: Path, copies: int) -> Path:
    bundle = tmp_path / "corporate-ca-bundle.pem"
    bundle.write_text(Path(certifi.where()).read_text(encoding="ascii") * copies, encoding="ascii")
    return bundle


def test_runs_that_end_while_the_trust_store_loads_exit_cleanly(tmp_path: Path) -> None:
    """A daemon loader thread still inside OpenSSL when the interpreter finalised
    died with it: SIGSEGV or "double free" in about one run in four."""
    env = {**os.environ, "SSL_CERT_FILE": str(_bundle(tmp_path, 10))}
    outcomes = _run_all([sys.executable, "-c", SHORT_RUN], tmp_path, env)
    assert [code for code, _ in outcomes] == [0] * RUNS, outcomes
    assert not any(err.strip() for _, err in outcomes), outcomes
