"""Benchmark: thousands of seeded mutations of real inputs through the readers and extraction.

    .venv/bin/python benchmarks/fuzz_inputs.py                  # 3,000 mutants
    .venv/bin/python benchmarks/fuzz_inputs.py --count 20000 --seed 7 --max-size 65536

The long version of ``tests/hostile/test_fuzz.py`` (same mutations, same rule:
citations or a one-line ``InputError``, nothing else).  Prints how many mutants
were read, refused and crashed, by mutation; the slowest inputs; and the first
crashes with what reproduces them (origin, seed, steps).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from tests.hostile.test_fuzz import read_and_extract, real_inputs

from linkaudit.errors import LinkauditError
from linkaudit.testing.fuzz import mutants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-size", type=int, default=64 * 1024)
    args = parser.parse_args(argv)
    outcomes: Counter[str] = Counter()
    by_step: Counter[tuple[str, str]] = Counter()
    slowest: list[tuple[float, str]] = []
    crashes: list[str] = []
    citations = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for mutant in mutants(real_inputs(), args.count, seed=args.seed, max_size=args.max_size):
            path = Path(tmp) / f"m{mutant.suffix}"
            path.write_bytes(mutant.data)
            began = time.monotonic()
            try:
                citations += read_and_extract(path)
                outcome = "read"
            except LinkauditError:
                outcome = "refused (one line)"
            except Exception:
                outcome = "CRASH"
                crashes.append(
                    f"{mutant.origin} seed={mutant.seed} {mutant.steps}\n{traceback.format_exc()}"
                )
            took = time.monotonic() - began
            slowest.append(
                (took, f"{Path(mutant.origin).parent.name or mutant.origin} {mutant.steps}")
            )
            outcomes[outcome] += 1
            for step in mutant.steps:
                by_step[(step, outcome)] += 1
    wall = time.monotonic() - started
    print(
        f"mutants           {args.count:>8} (seed {args.seed}, windows of <= {args.max_size} bytes)"
    )
    print(f"wall time         {wall:>8.1f} s ({args.count / wall:.0f} inputs/s)")
    print(f"citations found   {citations:>8}")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<22} {count:>6}")
    print("by mutation (read / refused / crash):")
    for step in sorted({s for s, _ in by_step}):
        counts = [by_step[(step, o)] for o in ("read", "refused (one line)", "CRASH")]
        print(f"  {step:<10} {counts[0]:>6} {counts[1]:>6} {counts[2]:>6}")
    print("slowest inputs:")
    for took, what in sorted(slowest, reverse=True)[:5]:
        print(f"  {took:>6.2f} s  {what}")
    for crash in crashes[:3]:
        print("CRASH", crash)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
