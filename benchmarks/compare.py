"""linkaudit against lychee and LinkChecker, side by side, on the same loopback corpora.

    .venv/bin/python -m benchmarks.compare                       # everything (minutes)
    .venv/bin/python -m benchmarks.compare --corpora editor,zoo  # a subset
    .venv/bin/python -m benchmarks.compare --scale 0.1 --tools linkaudit   # quick

Installs the peers into ``benchmarks/.peers/`` on first use (``--no-install`` to
skip), serves each corpus from a separate process, runs every tool as its own
child process against the same documents in the same run, and prints a Markdown
table (wall, CPU, peak RSS, server-counted requests, peak in-flight requests at any
one host, accuracy against the truth, wall as a multiple of the politeness lower
bound), the pairwise ratios, the issue's targets, and the exact command lines.  The
JSON results go to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks import corpora, peers
from benchmarks.servers import CorpusServer

RESULTS = Path(__file__).resolve().parent / "results"
ALL_CORPORA = ("editor", "content", "zoo")
ALL_TOOLS = ("linkaudit", "lychee", "linkchecker")
COLUMNS = (
    "corpus",
    "tool",
    "wall s",
    "x bound",
    "CPU s",
    "peak RSS MB",
    "requests",
    "connections",
    "max/host",
    "correct",
    "false broken",
    "note",
)

#: Settings per corpus: the same for every tool (as far as each has the setting).
SETTINGS = {
    "editor": peers.Settings(),
    "content": peers.Settings(),
    # Zoo delays are real seconds for the peers, so keep timeouts short but sane.
    "zoo": peers.Settings(
        concurrency=16,
        per_host=2,
        timeout=2.0,
        connect_timeout=2.0,
        deadline=5.0,
        max_retries=2,
        kill_after=180.0,
    ),
}


@dataclass
class Row:
    corpus: str
    tool: str
    wall: float
    cpu: float
    rss_mb: float
    requests: int
    connections: int
    max_per_host: int
    correct: int
    total: int
    false_broken: int
    command: str
    returncode: int | None
    killed: bool
    bound: float | None = None
    notes: list[str] = field(default_factory=list)
    wrong: list[tuple[str, str, str | None]] = field(default_factory=list)  # label, truth, got

    @property
    def times_bound(self) -> float | None:
        return self.wall / self.bound if self.bound else None


def score(
    cases: tuple[corpora.Case, ...], verdicts: dict[str, str], *, scope: str
) -> tuple[int, int, int, list[tuple[str, str, str | None]]]:
    """Correct verdicts, cases scored, false "broken", and the wrong ones.

    ``scope``: ``all`` cases, only those a ``peer`` can be given (IP literals), or
    only the ``names`` cases (linkaudit's resolver run).
    """
    correct = total = false_broken = 0
    wrong: list[tuple[str, str, str | None]] = []
    for case in cases:
        if (scope == "peer" and not case.peers) or (scope == "names" and case.peers):
            continue
        total += 1
        got = verdicts.get(peers.normal_url(case.url))
        if got == case.truth:
            correct += 1
        else:
            wrong.append((case.label or case.url, case.truth, got))
            if got == "broken":
                false_broken += 1
    return correct, total, false_broken, wrong


def _run(
    web: CorpusServer,
    corpus: str,
    tool: str,
    run: peers.Run,
    workdir: Path,
    settings: peers.Settings,
    bound: float | None,
    *,
    scope: str,
    log: Any,
) -> Row:
    web.reset()
    log(f"  {corpus}: {tool} ...")
    measured = peers.measure(run.argv, cwd=workdir, env=run.env, limit=settings.kill_after)
    stats = web.stats()
    try:
        verdicts = run.parse(measured)
    except (ValueError, KeyError) as exc:
        verdicts = {}
        run.notes.append(f"output not readable: {exc}")
    correct, total, false_broken, wrong = score(web.served.cases, verdicts, scope=scope)
    notes = list(run.notes)
    if measured.killed:
        notes.append(f"killed after {settings.kill_after:g} s")
    if not verdicts:
        tail = measured.stderr.read_text(errors="replace")[-400:]
        notes.append(f"no verdicts read; stderr: {tail!r}")
    log(f"    {measured.wall:.2f} s, {stats.requests} requests, {correct}/{total} correct")
    return Row(
        corpus=corpus,
        tool=tool,
        wall=measured.wall,
        cpu=measured.cpu,
        rss_mb=measured.rss_mb,
        requests=stats.requests,
        connections=stats.connections,
        max_per_host=stats.max_in_flight,
        correct=correct,
        total=total,
        false_broken=false_broken,
        command=run.display,
        returncode=measured.returncode,
        killed=measured.killed,
        bound=bound,
        notes=notes,
        wrong=wrong,
    )


def run_corpus(
    corpus: str,
    tools: tuple[str, ...],
    *,
    seed: int,
    scale: float,
    files: int,
    root: Path,
    use_cli: bool,
    log: Any,
) -> tuple[list[Row], dict[str, Any]]:
    settings = SETTINGS[corpus]
    rows: list[Row] = []
    with CorpusServer(corpus, seed=seed, scale=scale) as web:
        served = web.served
        base = root / corpus
        base.mkdir(parents=True, exist_ok=True)
        base.chmod(0o755)
        count = max(2, round(files * scale)) if corpus == "content" else 1
        documents = corpora.write_documents(served, base / "docs", files=count)
        ca_file: Path | None = None
        if served.ca_pem:
            ca_file = base / "ca.pem"
            ca_file.write_text(served.ca_pem)
            ca_file.chmod(0o644)
        bound = (
            corpora.lower_bound(served.work, settings.per_host, settings.concurrency)
            if served.work
            else None
        )
        seconds = bound.seconds if bound else None
        info: dict[str, Any] = {
            "corpus": corpus,
            "documents": len(documents),
            "citations": len(list(served.citations)),
            "distinct_keys": len(served.cases),
            "distinct_urls": len(served.work) or None,
            "hosts": served.hosts,
            "settings": asdict(settings),
            "lower_bound": asdict(bound) if bound else None,
            "notes": list(served.notes),
        }

        def workdir(name: str) -> Path:
            path = base / name
            path.mkdir(exist_ok=True)
            path.chmod(0o755)
            return path

        for tool in tools:
            if tool == "linkaudit":
                cache = workdir("linkaudit-cache") / "cache.sqlite" if corpus == "content" else None
                run = peers.linkaudit_run(
                    documents,
                    settings,
                    workdir("linkaudit"),
                    ca_file=ca_file,
                    cache=cache,
                    use_cli=use_cli,
                )
                if not use_cli:
                    run.notes.append("library runner (CLI not importable)")
                row = _run(
                    web,
                    corpus,
                    "linkaudit",
                    run,
                    workdir("linkaudit"),
                    settings,
                    seconds,
                    scope="peer",
                    log=log,
                )
                if corpus == "zoo" and any(not c.peers for c in served.cases):
                    names = corpora.names_document(base / "docs")
                    named = peers.linkaudit_run(
                        [names],
                        settings,
                        workdir("linkaudit-names"),
                        ca_file=ca_file,
                        resolve=served.resolver,
                        servfail=served.temporary,
                    )
                    extra = _run(
                        web,
                        corpus,
                        "linkaudit (names)",
                        named,
                        workdir("linkaudit-names"),
                        settings,
                        None,
                        scope="names",
                        log=log,
                    )
                    # One accuracy for linkaudit: the named cases come from the resolver run.
                    row.correct += extra.correct
                    row.total += extra.total
                    row.false_broken += extra.false_broken
                    row.wrong += extra.wrong
                    row.notes.append(
                        f"{extra.total} name-only cases checked in a second run with an "
                        f"injected resolver ({extra.wall:.2f} s, not in the wall time)"
                    )
                    row.notes.append("command (names): " + extra.command)
                rows.append(row)
                if cache is not None:
                    # The same command again, as CI runs it.  Until 2026-12-03 the
                    # warm run had a configuration file of its own: another setting
                    # in the report, so every document's stored report was written
                    # again and the warm wall included 30 MB of store writes.
                    rows.append(
                        _run(
                            web,
                            corpus,
                            "linkaudit (warm)",
                            run,
                            workdir("linkaudit-warm"),
                            settings,
                            seconds,
                            scope="all",
                            log=log,
                        )
                    )
            elif tool == "lychee":
                run = peers.lychee_run(documents, settings, workdir("lychee"), ca_file=ca_file)
                rows.append(
                    _run(
                        web,
                        corpus,
                        "lychee",
                        run,
                        workdir("lychee"),
                        settings,
                        seconds,
                        scope="peer",
                        log=log,
                    )
                )
            elif tool == "linkchecker":
                run = peers.linkchecker_run(
                    documents, settings, workdir("linkchecker"), ca_file=ca_file
                )
                rows.append(
                    _run(
                        web,
                        corpus,
                        "linkchecker",
                        run,
                        workdir("linkchecker"),
                        settings,
                        seconds,
                        scope="peer",
                        log=log,
                    )
                )
    return rows, info


# --- output ---------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        note = "killed" if row.killed else ""
        cells = [
            row.corpus,
            row.tool,
            _fmt(row.wall),
            _fmt(row.times_bound),
            _fmt(row.cpu),
            _fmt(row.rss_mb, 0),
            str(row.requests),
            str(row.connections),
            str(row.max_per_host),
            f"{row.correct}/{row.total}",
            str(row.false_broken),
            note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(rows: list[Row]) -> list[dict[str, Any]]:
    out = []
    by = {(r.corpus, r.tool): r for r in rows}
    for (corpus, tool), row in by.items():
        if tool != "linkaudit":
            continue
        for peer in ("lychee", "linkchecker"):
            other = by.get((corpus, peer))
            if other is None:
                continue
            out.append(
                {
                    "corpus": corpus,
                    "pair": f"linkaudit/{peer}",
                    "wall": row.wall / other.wall if other.wall else None,
                    "cpu": row.cpu / other.cpu if other.cpu else None,
                    "rss": row.rss_mb / other.rss_mb if other.rss_mb else None,
                    "requests": row.requests / other.requests if other.requests else None,
                }
            )
        warm = by.get((corpus, "linkaudit (warm)"))
        if warm is not None:
            out.append(
                {
                    "corpus": corpus,
                    "pair": "linkaudit cold/warm",
                    "wall": row.wall / warm.wall if warm.wall else None,
                    "cpu": row.cpu / warm.cpu if warm.cpu else None,
                    "rss": row.rss_mb / warm.rss_mb if warm.rss_mb else None,
                    "requests": row.requests / warm.requests if warm.requests else None,
                }
            )
    return out


def ratio_table(items: list[dict[str, Any]]) -> str:
    lines = ["| corpus | pair | wall | CPU | peak RSS | requests |", "|---|---|---|---|---|---|"]
    for item in items:
        cells = [item["corpus"], item["pair"]] + [
            _fmt(item[k]) for k in ("wall", "cpu", "rss", "requests")
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(rows: list[Row]) -> list[tuple[str, bool | None, str]]:
    by = {(r.corpus, r.tool): r for r in rows}
    out: list[tuple[str, bool | None, str]] = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append((name, ok, detail))

    zoo = by.get(("zoo", "linkaudit"))
    if zoo is not None:
        add(
            "zoo: linkaudit 100% and no false broken",
            zoo.correct == zoo.total and zoo.false_broken == 0,
            f"{zoo.correct}/{zoo.total}, {zoo.false_broken} false broken",
        )
    editor, lychee = by.get(("editor", "linkaudit")), by.get(("editor", "lychee"))
    if editor is not None and lychee is not None:
        add(
            "editor: linkaudit wall <= lychee's",
            editor.wall <= lychee.wall,
            f"{editor.wall:.2f} s vs {lychee.wall:.2f} s",
        )
    if editor is not None and editor.times_bound is not None:
        add(
            "editor: linkaudit within 1.5x of the lower bound",
            editor.times_bound <= 1.5,
            f"{editor.times_bound:.2f}x of {editor.bound:.2f} s",
        )
    cold, lychee = by.get(("content", "linkaudit")), by.get(("content", "lychee"))
    warm = by.get(("content", "linkaudit (warm)"))
    if cold is not None and lychee is not None:
        add(
            "content: cold wall <= lychee's",
            cold.wall <= lychee.wall,
            f"{cold.wall:.2f} s vs {lychee.wall:.2f} s ({cold.wall / lychee.wall:.2f}x)",
        )
        add(
            "content: requests <= 1.05x lychee's",
            cold.requests <= 1.05 * lychee.requests,
            f"{cold.requests} vs {lychee.requests}",
        )
    if cold is not None and cold.times_bound is not None:
        add(
            "content: cold within 1.5x of the lower bound",
            cold.times_bound <= 1.5,
            f"{cold.times_bound:.2f}x of {cold.bound:.2f} s",
        )
    if cold is not None:
        add(
            "content: every verdict right, none falsely broken",
            cold.correct == cold.total and cold.false_broken == 0,
            f"{cold.correct}/{cold.total}, {cold.false_broken} false broken",
        )
    if cold is not None and warm is not None:
        add(
            "content: warm >= 20x faster than cold, no request",
            cold.wall >= 20 * warm.wall and warm.requests == 0,
            f"{cold.wall:.2f} s / {warm.wall:.2f} s = {cold.wall / warm.wall:.1f}x, "
            f"{warm.requests} requests",
        )
    if cold is not None:
        peak = max(cold.rss_mb, warm.rss_mb if warm else 0.0)
        add("content: peak RSS <= 150 MiB", peak <= 150 * 1.048576, f"{peak:.0f} MB")
    return out


def spread_table(runs: list[list[Row]]) -> str:
    """Min, median and max over the runs of each corpus and tool's wall, its multiple
    of the bound and its requests, and of linkaudit's wall over lychee's."""
    lines = [
        "| corpus | tool | runs | wall s min / median / max | x bound | requests |",
        "|---|---|---|---|---|---|",
    ]

    def three(values: list[float], digits: int = 2) -> str:
        ordered = sorted(values)
        middle = statistics.median(ordered)
        return " / ".join(f"{v:.{digits}f}" for v in (ordered[0], middle, ordered[-1]))

    keys = dict.fromkeys((r.corpus, r.tool) for rows in runs for r in rows)
    for corpus, tool in keys:
        got = [r for rows in runs for r in rows if (r.corpus, r.tool) == (corpus, tool)]
        bound = [r.times_bound for r in got if r.times_bound is not None]
        lines.append(
            f"| {corpus} | {tool} | {len(got)} | {three([r.wall for r in got])} | "
            f"{three(bound) if bound else 'n/a'} | {three([r.requests for r in got], 0)} |"
        )
    for corpus in dict.fromkeys(c for c, _ in keys):
        pairs = []
        for rows in runs:
            by = {(r.corpus, r.tool): r for r in rows}
            ours, theirs = by.get((corpus, "linkaudit")), by.get((corpus, "lychee"))
            if ours is not None and theirs is not None:
                pairs.append(ours.wall / theirs.wall)
        if pairs:
            lines.append(
                f"| {corpus} | linkaudit/lychee wall | {len(pairs)} | {three(pairs)} | | |"
            )
    return "\n".join(lines)


def report_text(rows: list[Row], infos: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    parts = [
        f"## linkaudit vs peers ({machine['cores']} cores, load before {machine['load_before']}, "
        f"python {machine['python']})",
        "",
        table(rows),
        "",
        "Ratios (linkaudit / peer, same run; < 1 is better for linkaudit):",
        "",
        ratio_table(ratios(rows)),
        "",
        "Politeness lower bounds (per corpus; max of per-host work / per-host limit, all "
        "work / concurrency, and the slowest single URL):",
        "",
    ]
    for info in infos:
        bound = info["lower_bound"]
        shape = (
            f"{info['documents']} document(s), {info['citations']} citations, "
            f"{info['distinct_keys']} distinct keys, {info['hosts']} hosts"
        )
        if bound:
            parts.append(
                f"- {info['corpus']}: {bound['seconds']:.2f} s (per host {bound['per_host']:.2f}, "
                f"overall {bound['overall']:.2f}, slowest {bound['slowest']:.2f}); {shape}"
            )
        else:
            parts.append(f"- {info['corpus']}: no latency model; {shape}")
        parts.extend(f"  - {note}" for note in info["notes"])
    parts += ["", "Targets (issues 9 and 17):", ""]
    for name, ok, detail in targets(rows):
        mark = "n/a" if ok is None else ("MET" if ok else "MISSED")
        parts.append(f"- [{mark}] {name}: {detail}")
    parts += ["", "Wrong verdicts (case: truth -> got):", ""]
    for row in rows:
        if row.wrong:
            shown = ", ".join(f"{label}: {truth}->{got}" for label, truth, got in row.wrong[:40])
            more = f" (+{len(row.wrong) - 40} more)" if len(row.wrong) > 40 else ""
            parts.append(f"- {row.corpus}/{row.tool}: {shown}{more}")
    parts += ["", "Commands:", ""]
    for row in rows:
        parts.append(f"- {row.corpus}/{row.tool}: `{row.command}`")
        parts.extend(f"  - {note}" for note in row.notes)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=",".join(ALL_CORPORA))
    parser.add_argument("--tools", default=",".join(ALL_TOOLS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink editor/content")
    parser.add_argument("--files", type=int, default=2000, help="content repo files")
    parser.add_argument("--no-install", action="store_true", help="do not install peers")
    parser.add_argument("--library", action="store_true", help="drive linkaudit's library")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the generated documents")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="repeat, and print the spread")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    corpora_wanted = tuple(c for c in args.corpora.split(",") if c)
    tools = tuple(t for t in args.tools.split(",") if t)
    unknown = set(corpora_wanted) - set(ALL_CORPORA) | set(tools) - set(ALL_TOOLS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if any(t != "linkaudit" for t in tools):
        ready = (
            {t: peers.available(t) for t in ("lychee", "linkchecker")}
            if args.no_install
            else peers.ensure_peers(log)
        )
        skipped = [t for t in tools if t != "linkaudit" and not ready.get(t)]
        if skipped:
            log(f"skipping (not installed): {', '.join(skipped)}")
        tools = tuple(t for t in tools if t == "linkaudit" or ready.get(t))
    if "linkaudit" in tools and not peers.compile_linkaudit():
        log("could not write linkaudit's bytecode: its start-up includes compiling it")
    use_cli = not args.library and peers.linkaudit_cli_works()
    log(f"linkaudit via {'CLI' if use_cli else 'library runner'}")
    machine = {
        "cores": os.cpu_count(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    root = Path(tempfile.mkdtemp(prefix="linkaudit-bench-", dir="/tmp"))
    root.chmod(0o755)
    runs: list[list[Row]] = []
    infos: list[dict[str, Any]] = []
    started = time.time()
    try:
        for run in range(max(args.runs, 1)):
            rows: list[Row] = []
            for corpus in corpora_wanted:
                log(f"run {run + 1} of {args.runs}")
                got, info = run_corpus(
                    corpus,
                    tools,
                    seed=args.seed,
                    scale=args.scale,
                    files=args.files,
                    root=root / f"run{run + 1}",
                    use_cli=use_cli,
                    log=log,
                )
                rows += got
                if run == 0:
                    infos.append(info)
            runs.append(rows)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    machine["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = runs[-1]
    text = "\n\n".join(
        report_text(rows_of_run, infos, machine)
        if len(runs) == 1
        else f"# Run {n} of {len(runs)}\n\n" + report_text(rows_of_run, infos, machine)
        for n, rows_of_run in enumerate(runs, 1)
    )
    if len(runs) > 1:
        text += "\n\n## Spread over the runs\n\n" + spread_table(runs)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(started))
    payload = {
        "machine": machine,
        "seed": args.seed,
        "scale": args.scale,
        "corpora": infos,
        "rows": [
            {**asdict(replace(r, wrong=r.wrong[:200])), "times_bound": r.times_bound} for r in rows
        ],
        "ratios": ratios(rows),
        "targets": [{"target": n, "met": ok, "detail": d} for n, ok, d in targets(rows)],
        "runs": [
            [{**asdict(replace(r, wrong=r.wrong[:50])), "times_bound": r.times_bound} for r in run]
            for run in runs
        ],
        "markdown": text,
    }
    for name in (f"compare-{stamp}.json", "latest.json"):
        (args.out / name).write_text(json.dumps(payload, indent=2) + "\n")
    log(f"results: {args.out / f'compare-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
