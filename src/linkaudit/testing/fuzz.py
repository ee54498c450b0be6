"""Seeded mutations of real inputs, and the one rule every reader must keep with them.

The rule: an input file, however damaged, gives citations or a one-line error
(``InputError``), never an exception of any other kind, and ends.  The test
suite runs a few hundred mutations (``tests/hostile/test_fuzz.py``); the long
version with counts is ``benchmarks/fuzz_inputs.py``.

Mutations are the damage real files have and the tricks hostile ones play: cut
off anywhere, bytes flipped or deleted, a stretch repeated, markup or JSON
syntax spliced in (unclosed tags, stray quotes, escapes, deep nesting, long
runs), and encodings declared that are no text encoding at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: Snippets spliced into inputs: each has broken a parser somewhere.
SPLICES: tuple[bytes, ...] = (
    b"<a",
    b"<a href=",
    b'<a href="',
    b"<a href='https://x.example/\x00'>",
    b"</a>",
    b"<!--",
    b"<![CDATA[",
    b"<script>",
    b"<base href='javascript:x'>",
    b'<meta charset="idna">',
    b'<meta charset="undefined">',
    b'<meta http-equiv="Content-Type" content="text/html; charset=punycode">',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\x1b[31m",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\\u",
    b"\\ud800",
    b'"',
    b"\\",
    b"{",
    b"[",
    b'{"content": {"rendered": "',
    b'"date_gmt": "9999-99-99T99:99:99"',
    b"1" * 5000,
    b"[x](",
    b"[x]: <",
    b"](https://",
    b"<https://",
    b"www.",
    b"doi:10.",
    b"&#x",
    b"&#99999999;",
    b"\r",
    b"\n" * 50,
    b"`" * 20,
    b"*" * 40,
    b">" * 60,
    b"<div>" * 300,
    b"<a>" * 300,
    b" data-x=1" * 400,
    b"<svg><math><table><a>",
)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _delete(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 512) :]


def _repeat(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 256)]
    return data[:start] + chunk * rng.randint(2, 20) + data[start:]


def _splice(data: bytes, rng: random.Random) -> bytes:
    out = data
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        out = out[:at] + rng.choice(SPLICES) + out[at:]
    return out


MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    _truncate,
    _flip,
    _delete,
    _repeat,
    _splice,
    _splice,
)


@dataclass(frozen=True)
class Mutant:
    """One mutated input: where it came from, how it was made, its bytes and suffix."""

    origin: str
    seed: int
    steps: tuple[str, ...]
    data: bytes
    suffix: str


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, tuple[str, ...]]:
    """One to three mutations of ``data`` (and their names, to reproduce a failure)."""
    steps = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(MUTATIONS)
        data = mutation(data, rng)
        steps.append(mutation.__name__.lstrip("_"))
    return data, tuple(steps)


def window(data: bytes, rng: random.Random, size: int) -> bytes:
    """A stretch of at most ``size`` bytes: the start of the file, or anywhere in it."""
    if len(data) <= size:
        return data
    start = 0 if rng.random() < 0.5 else rng.randrange(len(data) - size)
    return data[start : start + size]


def mutants(
    inputs: list[Path], count: int, seed: int = 0, max_size: int = 32 * 1024
) -> Iterator[Mutant]:
    """``count`` mutants of ``inputs``, reproducible from ``seed``."""
    originals = [(path, path.read_bytes()) for path in inputs]
    for index in range(count):
        path, data = originals[index % len(originals)]
        rng = random.Random(seed * 1_000_003 + index)
        mutated, steps = mutate(window(data, rng, max_size), rng)
        suffix = rng.choice((path.suffix or ".txt", ".txt"))  # as named, and sniffed
        yield Mutant(str(path), seed * 1_000_003 + index, steps, mutated, suffix)
