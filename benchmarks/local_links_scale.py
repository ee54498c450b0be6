"""Local links at repository scale: 2,000 Markdown files, time and memory, no requests.

Generates a docs repository (40 folders of 50 files; each file has 12 headings,
two of them duplicates, and 12 local links: to files in its own and other
folders, to their headings, to images and folders), with a known number of
broken links (a missing file, a missing heading, a case-only difference, in
every 25th file).  Then:

1. ``linkaudit check . --offline --no-cache`` in a child process: wall time and
   peak memory (``ru_maxrss`` of the child), and the broken links it reports
   against the number planted;
2. the same audit in-process *without* ``--offline``, through an HTTP transport
   that counts every request: local links must cost none.

    python -m benchmarks.local_links_scale [--files 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from linkaudit.pipeline import AuditOptions, Services, audit_documents
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.collect import Collection, collect

FOLDERS = 40


def build(root: Path, files: int) -> int:
    """Write the repository; returns how many broken links were planted."""
    per_folder = max(1, files // FOLDERS)
    (root / ".git").mkdir()  # the root is a repository top (root-relative links)
    (root / "img").mkdir()
    (root / "img" / "logo.png").write_bytes(b"png")
    broken = 0
    for f in range(FOLDERS):
        folder = root / f"part-{f:02d}"
        folder.mkdir()
        (folder / "README.md").write_text(f"# Part {f}\n\n## Overview\n", encoding="utf-8")
    for n in range(files):
        f, i = divmod(n, per_folder)
        f %= FOLDERS
        other = (f + 7) % FOLDERS
        heads = [f"## Section {k}: the *{k}th* part" for k in range(10)]
        heads += ["## Notes", "## Notes"]
        links = [
            f"[next](page-{(i + 1) % per_folder:03d}.md)",
            f"[sec](page-{(i + 3) % per_folder:03d}.md#section-4-the-4th-part)",
            f"[notes](../part-{other:02d}/page-{i % per_folder:03d}.md#notes-1)",
            f"[part](../part-{other:02d}/)",
            f"[overview](../part-{other:02d}/#overview)",
            "![logo](/img/logo.png)",
            "[self](#section-9-the-9th-part)",
            "[top](#)",
            f"[root](/part-{f:02d}/README.md#part-{f})",
            f"[line](page-{i:03d}.md#L3)",
        ]
        if n % 25 == 0:
            links += [
                "[gone](missing-page.md)",
                f"[old](page-{(i + 1) % per_folder:03d}.md#section-99)",
                f"[case](Page-{(i + 2) % per_folder:03d}.md)",
            ]
            broken += 3
        else:
            links += ["[again](#notes)", f"[up](../part-{f:02d}/README.md)", "[x](#notes-1)"]
        body = "\n\n".join(
            f"{head}\n\nText about the matter, see {link}."
            for head, link in zip(heads, links, strict=False)
        )
        body += "\n\n" + " ".join(links[len(heads) :]) + "\n"
        (root / f"part-{f:02d}" / f"page-{i:03d}.md").write_text(f"# Page {n}\n\n{body}")
    return broken


def timed_child(root: Path) -> tuple[float, int, dict[str, int]]:
    argv = [sys.executable, "-m", "linkaudit", "check", ".", "--offline", "--no-cache"]
    argv += ["--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = json.loads(done.stdout)["summary"]
    return elapsed, peak_kib, summary


def requests_made(root: Path) -> tuple[int, int]:
    """(requests sent, local citations) for an online run of the same tree."""
    sent = 0

    def count(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(200)

    documents, _ = collect(Collection(specs=(str(root),)), SourceOptions())
    run = asyncio.run(
        audit_documents(
            documents,
            AuditOptions(archive=None),
            Services(transport=httpx.MockTransport(count)),
        )
    )
    local = sum(1 for f in run.report.findings if f.citation.relation.value == "local")
    return sent, local


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        planted = build(root, args.files)
        elapsed, peak_kib, summary = timed_child(root)
        sent, local = requests_made(root)
    total = sum(summary.values())
    print(f"{args.files} files (+{FOLDERS} READMEs), {total} citations, {planted} broken planted")
    print(f"check --offline: {elapsed:.1f} s wall, peak RSS {peak_kib / 1024:.0f} MiB")
    print(f"verdicts: {summary}")
    print(f"online run: {local} local citations, {sent} HTTP requests")


if __name__ == "__main__":
    main()
