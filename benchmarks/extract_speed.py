"""How fast extraction is on a large article: citations per second, median of runs.

Generates a ~2 MB news-style page (article body plus site chrome) with 5,000
links of every common kind, bare URLs and DOIs, and a few stray ``</a>``; then
times ``extract`` on it.  Run: ``.venv/bin/python benchmarks/extract_speed.py``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from linkaudit.extract import extract
from linkaudit.model import Document, DocumentKind, Scope

WORDS = [
    "harbour",
    "dredging",
    "council",
    "budget",
    "report",
    "engineers",
    "study",
    "costs",
    "port",
    "authority",
    "critics",
    "argued",
    "figures",
    "tonnes",
    "contract",
    "annual",
    "review",
    "silt",
    "channel",
    "vessels",
]


def sentence(rng: random.Random, length: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(length))
    return text[0].upper() + text[1:] + "."


def build_page(links: int = 5_000, target_bytes: int = 2_000_000, seed: int = 1) -> str:
    """A full page: header/nav chrome, one <article> holding nearly all links, a footer."""
    rng = random.Random(seed)
    chrome = "".join(f'<li><a href="/section/{i}/">Section {i}</a></li>' for i in range(40))
    parts = [
        "<!DOCTYPE html><html><head><title>Benchmark</title></head><body>",
        f'<header><nav><ul class="menu">{chrome}</ul></nav></header><main><article>',
    ]
    per_paragraph = 5
    paragraphs = links // per_paragraph
    filler = max(1, (target_bytes // paragraphs - 450) // 7)
    for p in range(paragraphs):
        items = []
        for j in range(per_paragraph):
            n = p * per_paragraph + j
            kind = n % 10
            if kind < 6:
                items.append(f'<a href="https://site{n % 97}.example/path/{n}?q={n}">cited {n}</a>')
            elif kind == 6:
                items.append(f'<a href="/internal/{n}.html">internal {n}</a>')
            elif kind == 7:
                items.append(f'<img src="/img/{n}.jpg" srcset="/img/{n}@2x.jpg 2x" alt="fig {n}">')
            elif kind == 8:
                items.append(f"see https://bare{n}.example/x/{n}.")
            else:
                items.append(f"(doi:10.{1000 + n}/bench.{n})")
        words = sentence(rng, filler).split(" ")
        step = max(1, len(words) // (per_paragraph + 1))
        for index, item in enumerate(items, start=1):
            words.insert(min(index * step + index - 1, len(words)), item)
        stray = " lost anchor</span></a>" if p % 200 == 0 else ""
        parts.append(f"<p>{' '.join(words)}{stray}</p>\n")
    parts.append("</article></main><footer><a href='/privacy'>Privacy</a></footer></body></html>")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=5_000)
    parser.add_argument("--bytes", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    page = build_page(args.links, args.bytes)
    document = Document(
        text=page,
        kind=DocumentKind.HTML,
        origin="benchmark.html",
        base_url="https://news.example.org/2024/05/bench.html",
    )
    timings: list[float] = []
    cpu: list[float] = []
    count = 0
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        count = len(extract(document, scope=Scope.ARTICLE))
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median, median_cpu = statistics.median(timings), statistics.median(cpu)
    size = len(page.encode("utf-8"))
    print(f"page: {size / 1e6:.2f} MB, {count} citations (article scope)")
    fastest = min(timings)
    print(f"runs: {args.runs}, wall median {median * 1000:.0f} ms (min {fastest * 1000:.0f} ms)")
    print(f"throughput: {count / median:,.0f} citations/s wall, {count / fastest:,.0f} best")
    # CPU time is less disturbed by other processes on a shared machine.
    print(f"cpu: median {median_cpu * 1000:.0f} ms, {count / median_cpu:,.0f} citations/s")


if __name__ == "__main__":
    main()
