"""Damaged WordPress exports: how many of the citations that survive the damage are read.

Exports are built from real article bodies (the Readability test pages in
``../shared/corpus/readability``, Apache-2.0, see its LICENSE.md): each page's
extracted article becomes a post's ``content.rendered``, its metadata the title
and date, written as the REST API writes JSON (slashes escaped); every third
export is a list of three posts.  Each export is then damaged once, at a seeded
random place, in one of the ways real files are damaged:

- ``stray``: a stray byte inserted (``}``, ``]``, ``:``, ``,``, a quote, a letter, NUL);
- ``quote``: one double quote deleted;
- ``splice``: a fragment of the file copied into another place;
- ``type``: a value of the wrong type (``"title": 42``, a list where a string was).

A citation is *recoverable* when the same file cut at the damage (which linkaudit
reads as a truncated export) yields it; the score is the share of recoverable
citations that the damaged file yields, and the number of files refused whole
although they held recoverable citations.

    .venv/bin/python -m benchmarks.wp_salvage [--files 331] [--seed 7]

Run it with ``PYTHONPATH=<an older checkout>/src`` to measure older code.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from linkaudit.errors import InputError
from linkaudit.extract import extract
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.wordpress import wordpress_documents

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "readability"
KINDS = ("stray", "quote", "splice", "type")
STRAYS = ("}", "]", ":", ",", '"', "x", "\x00")


@dataclass(frozen=True)
class Damaged:
    name: str
    kind: str
    text: str
    at: int  # where the damage begins (characters)
    original: str


def _post(page: Path, n: int) -> dict[str, object]:
    meta = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
    body = (page / "expected.html").read_text(encoding="utf-8")
    return {
        "id": 1000 + n,
        "date": "2023-04-18T11:05:53",
        "date_gmt": "2023-04-18T02:05:53",
        "guid": {"rendered": f"https://news.example/?p={1000 + n}"},
        "slug": page.name,
        "status": "publish",
        "type": "post",
        "link": f"https://news.example/2023/04/{page.name}/",
        "title": {"rendered": str(meta.get("title") or page.name)},
        "content": {"rendered": body, "protected": False},
        "excerpt": {"rendered": str(meta.get("excerpt") or ""), "protected": False},
        "author": 3,
        "categories": [7],
        "tags": [],
    }


def _rest_json(value: object) -> str:
    """As the WordPress REST API writes it: compact, non-ASCII escaped, slashes too."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def exports() -> list[tuple[str, str]]:
    pages = sorted(p for p in CORPUS.iterdir() if (p / "expected.html").is_file())
    out: list[tuple[str, str]] = []
    for n, page in enumerate(pages):
        if n % 3 == 2:
            group = [pages[(n + k) % len(pages)] for k in range(3)]
            out.append(
                (f"{page.name}-list", _rest_json([_post(p, n + k) for k, p in enumerate(group)]))
            )
        else:
            out.append((page.name, _rest_json(_post(page, n))))
    return out


def damage(name: str, text: str, rng: random.Random) -> Damaged:
    kind = rng.choice(KINDS)
    if kind == "stray":
        at = rng.randrange(1, len(text) - 1)
        return Damaged(name, kind, text[:at] + rng.choice(STRAYS) + text[at:], at, text)
    if kind == "quote":
        quotes = [i for i, c in enumerate(text) if c == '"' and text[i - 1 : i] != "\\"]
        at = rng.choice(quotes)
        return Damaged(name, kind, text[:at] + text[at + 1 :], at, text)
    if kind == "splice":
        start = rng.randrange(0, len(text) - 50)
        fragment = text[start : start + rng.randrange(20, 500)]
        at = rng.randrange(1, len(text) - 1)
        return Damaged(name, kind, text[:at] + fragment + text[at:], at, text)
    keys = [i for i in range(len(text)) if text.startswith(('"title":', '"date_gmt":'), i)]
    at = rng.choice(keys) if keys else 1
    colon = text.index(":", at) + 1
    end = _value_end(text, colon)
    replacement = rng.choice(("42", "[1,2]", "null", "true"))
    return Damaged(name, kind, text[:colon] + replacement + text[end:], colon, text)


def _value_end(text: str, start: int) -> int:
    """Where the JSON value starting at ``start`` ends (strings and brackets counted)."""
    depth, i, in_string = 0, start, False
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
                if depth == 0:
                    return i + 1
        elif c == '"':
            in_string = True
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in ",}" and depth == 0:
            return i
        i += 1
    return len(text)


def citations(text: str) -> set[tuple[str, str]] | None:
    """Each post's cited URLs, by post link; None when the file is refused."""
    try:
        documents = wordpress_documents(text, origin="export.json", options=SourceOptions())
    except InputError:
        return None
    return {(d.canonical_url or "", c.key) for d in documents for c in extract(d) if c.key}


def cases(files: int, seed: int) -> Iterator[Damaged]:
    rng = random.Random(seed)
    built = exports()
    for n in range(files):
        name, text = built[n % len(built)]
        yield damage(name, text, rng)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=331)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"the shared corpus is not at {CORPUS}")
        return 2
    recoverable = recovered = refused = holding = 0
    by_kind: Counter[str] = Counter()
    got_by_kind: Counter[str] = Counter()
    for case in cases(args.files, args.seed):
        cut = citations(case.original[: case.at]) or set()
        if not cut:
            continue
        holding += 1
        found = citations(case.text)
        if found is None:
            refused += 1
            found = set()
        recoverable += len(cut)
        recovered += len(cut & found)
        by_kind[case.kind] += len(cut)
        got_by_kind[case.kind] += len(cut & found)
    print(f"damaged exports: {args.files} (seed {args.seed})")
    print(f"holding citations before the damage: {holding}")
    print(f"refused whole although they held recoverable citations: {refused}")
    share = recovered / max(recoverable, 1)
    print(f"recoverable citations recovered: {recovered}/{recoverable} ({share:.1%})")
    for kind in KINDS:
        print(f"  {kind:<7} {got_by_kind[kind]}/{by_kind[kind]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
