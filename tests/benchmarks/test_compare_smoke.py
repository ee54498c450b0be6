"""Smoke test: the comparison harness still runs end to end on a tiny corpus.

linkaudit only (peers are optional and slow to install); no wall-clock assertions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import compare


def test_harness_runs_on_a_tiny_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = compare.main(
        [
            "--corpora",
            "editor",
            "--tools",
            "linkaudit",
            "--scale",
            "0.05",
            "--no-install",
            "--quiet",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.startswith("| corpus"))
    assert [c.strip() for c in header.strip("|").split("|")] == list(compare.COLUMNS)
    results = json.loads((tmp_path / "latest.json").read_text())
    (row,) = results["rows"]
    assert row["tool"] == "linkaudit"
    assert row["requests"] > 0  # counted by the loopback servers
    assert row["total"] > 0
    assert results["corpora"][0]["lower_bound"]["seconds"] > 0


def test_lower_bound_takes_the_slowest_constraint() -> None:
    from benchmarks.corpora import Work, lower_bound

    work = [Work("a", (1.0,)), Work("a", (1.0,)), Work("a", (1.0, 1.0)), Work("b", (0.5,), 2.0)]
    bound = lower_bound(work, per_host=2, concurrency=64)
    assert bound.per_host == 2.0  # host a: 4 s of answers over 2 slots
    assert bound.slowest == 2.5  # b: 0.5 s answer + 2 s Retry-After
    assert bound.seconds == 2.5
