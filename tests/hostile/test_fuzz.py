"""A few hundred seeded mutations of real inputs through the readers, extraction and the CLI.

Every mutant must give citations or a one-line ``InputError``: no other
exception, no traceback, an exit code of 0, 1 or 2.  A hang is caught by an
alarm far above any real run (a guard, not a speed claim: speed is measured in
``benchmarks/fuzz_inputs.py``).
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.errors import LinkauditError
from linkaudit.extract import main_text
from linkaudit.model import Scope
from linkaudit.sources import SourceOptions
from linkaudit.sources.jsonspan import place_in_file
from linkaudit.sources.loader import load_file
from linkaudit.testing.fuzz import Mutant, mutants

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
HANG_GUARD = 120  # seconds for one input: only a hang gets near it


def real_inputs() -> list[Path]:
    """Real pages (Readability's test pages), the seed export, and the fixtures."""
    found = sorted((SHARED / "corpus" / "readability").glob("*/source.html"))
    found += sorted((SHARED / "seeds").glob("*.txt"))
    fixtures = REPO / "tests" / "sources" / "fixtures"
    found += sorted(p for p in fixtures.iterdir() if p.suffix in {".html", ".json", ".md", ".txt"})
    return found


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer in {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def read_and_extract(path: Path) -> int:
    """What ``extract`` does with a file: the number of citations, or InputError."""
    options = SourceOptions(base_url="https://site.example/a/")
    total = 0
    for document in load_file(path, options):
        for scope in (Scope.ARTICLE, Scope.PAGE):
            found = main_text(document, scope=scope)
            total += len(place_in_file(document, list(found.citations)))
    return total


def _write(mutant: Mutant, folder: Path) -> Path:
    path = folder / f"m{mutant.seed}{mutant.suffix}"
    path.write_bytes(mutant.data)
    return path


def test_there_are_real_inputs_to_mutate() -> None:
    assert len(real_inputs()) >= 10


def test_mutants_are_reproducible() -> None:
    first = list(mutants(real_inputs(), 20, seed=5))
    again = list(mutants(real_inputs(), 20, seed=5))
    assert first == again
    assert len({m.data for m in first}) == 20


def test_300_mutants_give_citations_or_one_line_errors(tmp_path: Path) -> None:
    failures: list[str] = []
    outcomes = {"citations": 0, "input_error": 0}
    for mutant in mutants(real_inputs(), 300, seed=1, max_size=12 * 1024):
        path = _write(mutant, tmp_path)
        try:
            with hang_guard(HANG_GUARD):
                read_and_extract(path)
            outcomes["citations"] += 1
        except LinkauditError as exc:
            if "\n" in str(exc):
                failures.append(f"{mutant.origin} seed={mutant.seed}: a multi-line error: {exc}")
            outcomes["input_error"] += 1
        except Exception:  # the failure this test exists to find
            failures.append(
                f"{mutant.origin} seed={mutant.seed} {mutant.steps}:\n{traceback.format_exc()}"
            )
        path.unlink()
    assert not failures, f"{len(failures)} crashes; first:\n{failures[0]}"
    assert outcomes["citations"] > 200  # most damage is read past, not refused


@pytest.mark.parametrize("seed", [2, 3])
def test_mutants_through_the_cli_exit_0_1_or_2_without_a_traceback(
    tmp_path: Path, seed: int
) -> None:
    runner = CliRunner()
    for mutant in mutants(real_inputs(), 25, seed=seed, max_size=12 * 1024):
        path = _write(mutant, tmp_path)
        for fmt in ("table", "json"):
            with hang_guard(HANG_GUARD):
                result = runner.invoke(main, ["extract", str(path), "--format", fmt])
            where = f"{mutant.origin} seed={mutant.seed} {mutant.steps}"
            assert result.exit_code in (0, 1, 2), where
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                exc = result.exception
                raise AssertionError(f"{where}: traceback") from exc
            errors = [line for line in result.stderr.splitlines() if "error" in line]
            assert len(errors) <= 1, (where, result.stderr)
