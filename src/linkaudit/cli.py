"""The command line: parses options and calls the library.  Nothing else lives here.

Each command is a small function; errors from the library (``LinkauditError``)
become one line on stderr (``linkaudit: error: ...``) and their exit code.
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

import click

from linkaudit import __version__
from linkaudit.check.local import mark_local
from linkaudit.check.options import CheckOptions
from linkaudit.commandline import (
    Group,
    base_url_option,
    cache_option,
    cited_at_option,
    color_option,
    config_option,
    confirm_options,
    echo_written,
    fail,
    force_option,
    format_option,
    handles_errors,
    max_age_option,
    no_cache_option,
    output_dir_option,
    output_option,
    parse_date_option,
    quiet_option,
    use_color,
    warn,
    wayback_option,
    write_or_print,
    write_pieces_or_print,
)
from linkaudit.config import load_config
from linkaudit.errors import AuditError
from linkaudit.model import (
    DEFAULT_FAIL_ON,
    CheckResult,
    Citation,
    ConfirmPolicy,
    Document,
    Finding,
    Relation,
    Report,
    Scope,
    Verdict,
)
from linkaudit.pipeline import AuditRun, Services, exit_code
from linkaudit.report import FORMAT_NAMES, get_formatter, write_reports
from linkaudit.report.base import moved_to, one_line, warnings_of
from linkaudit.report.files import refuse_existing, write_files, write_latest
from linkaudit.report.json_format import FindingLines, JsonFormatter
from linkaudit.report.names import dated_name, run_stem
from linkaudit.report.terminal import TerminalFormatter
from linkaudit.runner import RunRequest
from linkaudit.runner import run as run_request
from linkaudit.serialize import SCHEMA_VERSION, to_jsonable
from linkaudit.settings import RunInputs, RunPlan, body_selectors, local_options, plan_run
from linkaudit.sources import DEFAULT_MAX_BYTES, SourceOptions
from linkaudit.sources.collect import Collection, collect

if TYPE_CHECKING:  # the extract command's types: a check imports extractors only to extract
    from linkaudit.extract import MainText, ScopeDecision

P = ParamSpec("P")
R = TypeVar("R")

#: The library's defaults, which the help texts quote (declared there, not here).
_CHECK = CheckOptions()


class _LazyGroup(Group):
    """Commands whose code is imported only when they run (or ``--help`` lists them).

    ``fix``, ``health`` and ``demo`` bring their own modules (the repairer, the
    health report and its charts, the loopback zoo); an editor waiting on ``check``
    should not pay for importing them.
    """

    lazy: ClassVar[dict[str, str]] = {
        "fix": "linkaudit.fix.cli:fix_command",
        "health": "linkaudit.health.cli:health_command",
        "serve": "linkaudit.serve.cli:serve_command",
        "worker": "linkaudit.worker_cli:worker_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, name = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), name)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group("linkaudit", cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linkaudit")
def main() -> None:
    """Audit the citations and links of articles: extract, check, archive, report."""


def run() -> None:
    """The ``linkaudit`` console script: ``main``, with the cycle collector kept short.

    Nearly everything alive at start-up (modules, classes, functions: ~30,000
    objects) lives until exit, yet each full collection walks it again, and the
    interpreter runs several while it shuts down: about 0.1 s of every short run,
    and more after a big one.  Freezing moves those objects out of the
    collector's sight (``gc.freeze``); doing it again at exit lets the process end
    without one last walk over the run's results.  The library is untouched:
    only the command-line process does this.
    """
    gc.freeze()
    atexit.register(gc.freeze)
    main()


# Commands are added below, one function each.


# --- extract -------------------------------------------------------------------


_TEXT_WIDTH = 48


def _shorten(text: str, width: int = _TEXT_WIDTH) -> str:
    text = one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _citation_row(citation: Citation) -> str:
    """One table row: where, what (a precomputed verdict, else the kind), the URL, the text."""
    loc = citation.location
    where = f"{loc.line}:{loc.column}"
    what = citation.verdict.value if citation.verdict is not None else citation.kind.value
    if citation.relation is Relation.INTERNAL:
        what += " (int)"
    elif citation.relation is Relation.LOCAL:
        what += " (local)"
    url = one_line(citation.url_as_written) if citation.url_as_written is not None else "-"
    return f"  {where:>9}  {what:<15} {url}  {_shorten(citation.text)}".rstrip()


def _summary(document: Document, citations: list[Citation]) -> str:
    """One line per document, counting what ``check`` would do with its citations."""
    outbound = sum(1 for c in citations if c.needs_check and c.relation is Relation.OUTBOUND)
    internal = sum(1 for c in citations if c.relation is Relation.INTERNAL)
    by_verdict = Counter(c.verdict.value for c in citations if c.verdict is not None)
    local = sum(1 for c in citations if c.relation is Relation.LOCAL)
    parts = [f"{outbound} outbound", f"{internal} internal"] + ([f"{local} local"] if local else [])
    parts += [f"{by_verdict[v.value]} {v.value}" for v in Verdict if by_verdict[v.value]]
    noun = "citation" if len(citations) == 1 else "citations"
    return f"{one_line(document.origin)}: {len(citations)} {noun}: " + ", ".join(parts)


def _document_json(document: Document, found: MainText) -> dict[str, object]:
    """A document without its text, how its article was found (null unless a web page
    read for its article), and its citations."""
    fields = to_jsonable(document)
    assert isinstance(fields, dict)
    fields.pop("text", None)
    return {
        "document": fields,
        "scope": to_jsonable(found.scope),
        "citations": to_jsonable(list(found.citations)),
    }


def _scope_row(decision: ScopeDecision) -> str:
    """The article-scope decision in one line: the container, why, and what was left out."""
    line = f" (line {decision.line})" if decision.line else ""
    row = f"  article: {decision.container}{line}: {decision.reason}"
    if decision.left_out:
        links = sum(part.links for part in decision.left_out)
        parts = len(decision.left_out)
        row += f"; left out {parts} part{'s' if parts != 1 else ''} ({links} links)"
    return row


@main.command("extract")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@format_option(["table", "json"], "table", single=True)
@output_option("Write the list to this file instead of standard output.")
@force_option
@config_option
@base_url_option
@cited_at_option
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in Scope]),
    help="For web pages: the article body only (default) or the whole page.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse inputs larger than this many bytes.",
)
@handles_errors
def extract_command(
    sources: tuple[str, ...],
    formats: tuple[str, ...] | None,
    output: Path | None,
    force: bool,
    config_path: Path | None,
    base_url: str | None,
    cited_at: datetime | None,
    scope: str | None,
    max_bytes: int,
) -> None:
    """List the citations of each SOURCE (file, URL, or - for stdin) without checking them.

    For a web page read for its article, also say which part of the page was taken
    as the article and why (JSON: "scope").
    """
    config = load_config(Path.cwd(), config_path).merged_with(
        base_url=base_url, cited_at=cited_at, scope=scope
    )
    from linkaudit.extract import main_text  # extract's own: not check's
    from linkaudit.sources.jsonspan import place_in_file

    bodies = body_selectors(config)
    options = SourceOptions(base_url=config.base_url, cited_at=config.cited_at, max_bytes=max_bytes)
    results: list[tuple[Document, MainText]] = []
    documents, skipped = collect(Collection(specs=sources), options)
    for warning in skipped:
        warn(warning)
    shown: set[str] = set()
    for document in documents:
        for warning in document.warnings:
            if warning not in shown:  # a WP list shares its parse warnings
                shown.add(warning)
                warn(f"{document.origin}: {warning}")
        found = main_text(document, scope=config.scope or Scope.ARTICLE, bodies=bodies)
        placed = mark_local(  # as check and audit see them: files checked on disk
            document, place_in_file(document, list(found.citations)), local_options(config)
        )
        results.append((document, dataclasses.replace(found, citations=tuple(placed))))
    if formats == ("json",):
        write_pieces_or_print(_extract_json_pieces(results), output, force=force)
        return
    write_or_print(_extract_table(results), output, force=force)


#: Where each document's citations go in the JSON skeleton (see ``_extract_json_pieces``).
_CITATIONS_SLOT = "\x00citations {}\x00"
#: A citation's depth in the JSON: the payload, ``documents``' items, ``citations``.
_CITATION_INDENT = " " * 8


def _extract_json(results: list[tuple[Document, MainText]]) -> str:
    return "".join(_extract_json_pieces(results))


def _extract_json_pieces(results: list[tuple[Document, MainText]]) -> Iterator[str]:
    """``json.dumps(payload, indent=2)`` to the byte, one citation at a time.

    Converting every citation to dicts first held a tree of small objects a few
    times the size of the text: 400,000 links took 3,161 MB against the table's
    1,068.  The skeleton is dumped with a marker where each citations list goes,
    and each citation is dumped and indented on its own when its turn comes, so
    standard output gets the text in pieces and nothing is ever held whole.
    """
    documents = []
    for index, (doc, found) in enumerate(results):
        fields = _document_json(doc, dataclasses.replace(found, citations=()))
        fields["citations"] = _CITATIONS_SLOT.format(index)
        documents.append(fields)
    payload = {"schema_version": SCHEMA_VERSION, "documents": documents}
    skeleton = json.dumps(payload, indent=2, ensure_ascii=False)
    rest = skeleton
    for index, (_, found) in enumerate(results):
        marker = json.dumps(_CITATIONS_SLOT.format(index))
        before, _, rest = rest.partition(marker)
        yield before
        if not found.citations:
            yield "[]"
            continue
        yield "[\n"
        last = len(found.citations) - 1
        for number, citation in enumerate(found.citations):
            text = json.dumps(to_jsonable(citation), indent=2, ensure_ascii=False)
            yield _CITATION_INDENT + text.replace("\n", "\n" + _CITATION_INDENT)
            yield ",\n" if number < last else "\n"
        yield _CITATION_INDENT[:-2] + "]"
    yield rest + "\n"


def _extract_table(results: list[tuple[Document, MainText]]) -> str:
    lines: list[str] = []
    for document, found in results:
        title = f" {document.title!r}" if document.title else ""
        lines.append(f"{one_line(document.origin)} ({document.kind.value}){title}")
        if found.scope is not None:
            lines.append(_scope_row(found.scope))
        lines.extend(_citation_row(citation) for citation in found.citations)
        lines.append(_summary(document, list(found.citations)))
    return "".join(f"{line}\n" for line in lines)


# --- check and audit -----------------------------------------------------------


def _engine_options(func: Callable[P, R]) -> Callable[P, R]:
    """Options shared by ``check`` and ``audit``: what to read and how to check it."""
    decorators = [
        click.argument("sources", nargs=-1, metavar="SOURCE..."),
        config_option,
        base_url_option,
        cited_at_option,
        click.option(
            "--scope",
            type=click.Choice([s.value for s in Scope]),
            help="Web pages: the article body only (default) or the whole page.",
        ),
        click.option(
            "--include-internal",
            is_flag=True,
            default=None,
            help="Also check links to the article's own site.",
        ),
        click.option("--exclude", multiple=True, metavar="REGEX", help="Skip URLs matching REGEX."),
        click.option(
            "--include-path", multiple=True, metavar="GLOB", help="Directories: only these files."
        ),
        click.option(
            "--offline",
            is_flag=True,
            help="No network: local links, extraction and lost links only (pre-commit hooks).",
        ),
        click.option(
            "--root-dir",
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            metavar="DIR",
            help="Where root-relative local links (/docs/x.md) point (default: the git top).",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="A directory with no documents passes (default: exit 2, nothing checked).",
        ),
        click.option(
            "--repository",
            metavar="URL",
            help="This repository's web address: its blob/tree links are checked on disk.",
        ),
        click.option(
            "--exclude-path", multiple=True, metavar="GLOB", help="Directories: skip these files."
        ),
        click.option(
            "--changed-since",
            metavar="REF",
            help="Only citations on lines changed since the git REF (for pull requests).",
        ),
        click.option(
            "--wordpress", metavar="SITE", help="Audit every post and page of a WordPress site."
        ),
        click.option(
            "--post",
            metavar="ID|URL",
            help="With --wordpress: only this post, read for editing (drafts too; "
            "application password from LINKAUDIT_WORDPRESS_AUTH). Or the post's URL alone.",
        ),
        click.option(
            "--modified-after",
            metavar="DATE",
            callback=parse_date_option,
            help="With --wordpress: only posts modified after DATE.",
        ),
        click.option("--sitemap", metavar="URL", help="Audit every page listed in a sitemap."),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            help=f"Seconds to wait for a read (default {_CHECK.timeout_read:g}).",
        ),
        click.option(
            "--deadline",
            metavar="DURATION",
            help="Finish the whole run within DURATION (e.g. 10m); links not checked by then "
            "are reported unreachable (run_deadline).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1),
            help=f"Requests in flight (default {_CHECK.concurrency}).",
        ),
        click.option(
            "--per-host",
            type=click.IntRange(min=1),
            help=f"Requests in flight per host (default {_CHECK.per_host}).",
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0),
            help=f"Retries for transient failures (default {_CHECK.max_retries}).",
        ),
        click.option(
            "--max-retry-wait",
            type=click.FloatRange(min=0),
            help=f"Longest Retry-After waited out, seconds (default {_CHECK.max_retry_wait:g}).",
        ),
        click.option("--user-agent", help="Replace the default, honest User-Agent."),
        click.option("--insecure", is_flag=True, help="Check despite TLS errors (still noted)."),
        click.option("--no-fragments", is_flag=True, help="Do not verify #fragment targets."),
        click.option(
            "--exclude-private",
            is_flag=True,
            default=None,
            help="Never connect to private addresses (10/8, 172.16/12, 192.168/16, fc00::/7).",
        ),
        click.option(
            "--exclude-loopback",
            is_flag=True,
            default=None,
            help="Never connect to loopback addresses (127/8, ::1).",
        ),
        click.option(
            "--exclude-link-local",
            is_flag=True,
            default=None,
            help="Never connect to link-local addresses (169.254/16, cloud metadata, fe80::/10).",
        ),
        click.option(
            "--exclude-all-private",
            "-E",
            is_flag=True,
            default=None,
            help="All three: what a hostile article must not reach from a CI runner or server.",
        ),
        click.option(
            "--browser",
            is_flag=True,
            default=None,
            help="Re-check citations behind a bot wall in headless Chromium.",
        ),
        click.option(
            "--drift",
            is_flag=True,
            default=None,
            help="Say when a live page no longer has the text that was cited (content drift).",
        ),
        click.option(
            "--fail-on",
            metavar="VERDICTS",
            help="Comma-separated verdicts that make the exit code 1 "
            f"(default {','.join(DEFAULT_FAIL_ON)}).",
        ),
        cache_option,
        no_cache_option,
        max_age_option,
        click.option(
            "--max-bytes",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_BYTES,
            help="Refuse inputs larger than this many bytes.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class _Progress:
    """A one-line progress counter on stderr, only when stderr is a terminal: URLs
    checked, then archive lookups done."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.total = 0
        self.done = 0
        self.shown = False

    def start(self, total: int) -> None:
        self.total = total

    def __call__(self, result: CheckResult) -> None:
        self.done += 1
        self._show(f"checking {self.done}/{self.total} URLs")

    def archive(self, done: int, total: int) -> None:
        self._show(f"looking up archived copies {done}/{total}")

    def _show(self, line: str) -> None:
        if self.enabled:
            click.echo(f"\r{line:<44}", nl=False, err=True)
            self.shown = True

    def finish(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 44 + "\r", nl=False, err=True)


#: Command-line parameters that are configuration keys (``linkaudit.toml`` spelling).
_SETTING_PARAMS = {
    "scope": "scope",
    "include_internal": "include_internal",
    "exclude": "exclude",
    "include_path": "include_paths",
    "exclude_path": "exclude_paths",
    "root_dir": "root_dir",
    "repository": "repository",
    "timeout": "timeout",
    "deadline": "run_deadline",
    "concurrency": "concurrency",
    "per_host": "per_host",
    "max_retries": "max_retries",
    "max_retry_wait": "max_retry_wait",
    "user_agent": "user_agent",
    "fail_on": "fail_on",
    "cache_path": "cache",
    "max_age": "max_age",
    "no_cache": "no_cache",
    "archive_all": "archive_all",
    "browser": "browser",
    "drift": "drift",
    "exclude_private": "exclude_private",
    "exclude_loopback": "exclude_loopback",
    "exclude_link_local": "exclude_link_local",
    "exclude_all_private": "exclude_all_private",
}


def _plan(
    params: dict[str, Any],
    *,
    command: str,
    archive: bool = False,
    confirm: ConfirmPolicy | None = None,
) -> RunPlan:
    """The parsed options as :class:`RunInputs`; the library plans the run."""
    overrides: dict[str, object] = {}
    for param, key in _SETTING_PARAMS.items():
        value = params.get(param)
        if isinstance(value, tuple):  # options given several times
            value = list(value) or None
        overrides[key] = (value or None) if isinstance(value, bool) else value  # flag not given
    overrides["check_fragments"] = False if params.get("no_fragments") else None
    inputs = RunInputs(
        sources=tuple(params["sources"]),
        config=params.get("config_path"),
        overrides=overrides,
        base_url=params["base_url"],
        cited_at=params["cited_at"],
        max_bytes=params["max_bytes"],
        wordpress=params["wordpress"],
        post=params.get("post"),
        modified_after=params["modified_after"],
        sitemap=params["sitemap"],
        changed_since=params["changed_since"],
        allow_empty=params.get("allow_empty", False),
        insecure=params["insecure"],
        offline=params.get("offline", False),
        archive=archive,
        use_all_archives=params.get("archives", False),
        save=params.get("save", False),
        wayback_url=params.get("wayback_url"),
        confirm=confirm or ConfirmPolicy(),
        command=command,
    )
    return plan_run(inputs)


def _execute(request: RunRequest) -> AuditRun:
    progress = _Progress()
    services = Services(progress=progress, on_total=progress.start, on_archive=progress.archive)
    try:
        return run_request(request, services)
    finally:
        progress.finish()


def _print_warnings(report: Report) -> None:
    """The run's warnings, once, on stderr (the terminal report then leaves them out)."""
    for warning in warnings_of(report):
        warn(warning)


#: The terminal report as commands print it: warnings went to stderr already.
_TERMINAL = TerminalFormatter(show_warnings=False)


def _exit(outcome: AuditRun, fail_on: frozenset[Verdict]) -> None:
    """DESIGN.md exit codes; 3 when the run could not reach any host at all."""
    if outcome.network_down is not None:
        fail(outcome.network_down, AuditError.exit_code)
    sys.exit(exit_code(outcome.report, fail_on))


def _summary_only(text: str) -> str:
    """``--quiet``: the terminal report's last line, its summary."""
    lines = text.rstrip("\n").splitlines()
    return f"{lines[-1]}\n" if lines else ""


@main.command("check")
@_engine_options
@format_option(["terminal", "json"], "terminal", single=True)
@output_option("Write the report to this file instead of standard output.")
@force_option
@quiet_option
@color_option
@handles_errors
def check_command(
    formats: tuple[str, ...] | None,
    output: Path | None,
    force: bool,
    quiet: bool,
    color: str,
    **params: Any,
) -> None:
    """Extract and check the citations of each SOURCE; print what is wrong.

    No archive lookups and no report files: for that, use ``audit``.
    """
    plan = _plan(params, command="check")
    outcome = _execute(plan.request)
    _print_warnings(outcome.report)
    if formats == ("json",):
        formatter = JsonFormatter(outcome.finding_lines or FindingLines())
        if output is None:  # streamed: a big site's report is never one string here
            formatter.write(outcome.report, sys.stdout)
        else:
            write_or_print(formatter.render(outcome.report), output, force=force)
    else:
        colored = output is None and use_color(color, sys.stdout)
        text = _TERMINAL.render(outcome.report, color=colored)
        write_or_print(_summary_only(text) if quiet else text, output, force=force, color=colored)
    _exit(outcome, plan.fail_on)


@main.command("audit")
@_engine_options
@format_option(list(FORMAT_NAMES), None)
@output_dir_option()
@output_option("Write the one report (a single --format) to this file.")
@force_option
@click.option("--no-archive", "no_archive", is_flag=True, help="Do not look up archived copies.")
@click.option("--archive-all", is_flag=True, help="Find archived copies for ok citations too.")
@click.option("--archives", is_flag=True, help="Ask every configured archive, keep the nearest.")
@click.option(
    "--save", is_flag=True, help="Submit live, not recently archived citations to Save Page Now."
)
@wayback_option
@confirm_options
@quiet_option
@color_option
@handles_errors
def audit_command(
    formats: tuple[str, ...] | None,
    output_dir: Path | None,
    output: Path | None,
    force: bool,
    no_archive: bool,
    quiet: bool,
    color: str,
    **params: Any,
) -> None:
    """Extract, check and archive the citations of each SOURCE, and write reports.

    Prints the findings and the report files written; exits 1 when a finding is
    at a --fail-on verdict.  Formats (default html,json,markdown) and the output
    directory (default reports/) may also come from linkaudit.toml.
    """
    confirm = ConfirmPolicy(runs=params.pop("confirm_runs"), days=params.pop("confirm_days"))
    plan = _plan(params, command="audit", archive=not no_archive, confirm=confirm)
    names = formats or plan.config.format or _AUDIT_FORMATS
    if output is not None and len(names) != 1:
        raise click.UsageError(
            f"-o/--output writes one file, and {len(names)} formats are asked "
            "(choose one with --format, or use --output-dir)"
        )
    directory = output_dir or plan.config.output_dir or DEFAULT_OUTPUT_DIR
    # the report files are named, and refused if taken, before any request is sent
    started = datetime.now(UTC)
    collection = plan.request.collection
    stem = run_stem(collection.specs, wordpress=collection.wordpress, sitemap=collection.sitemap)
    if not force:
        if output is not None:
            refuse_existing(output.parent, [output.name])
        else:
            extensions = [get_formatter(name).extension for name in names]
            refuse_existing(directory, [dated_name(stem, ext, started) for ext in extensions])
    outcome = _execute(plan.request)
    report = outcome.report
    _print_warnings(report)
    colored = use_color(color, sys.stdout)
    terminal = _TERMINAL.render(report, color=colored)
    click.echo(_summary_only(terminal) if quiet else terminal, nl=False, color=colored)
    for save in outcome.saves:
        click.echo(f"save: {save.status.value}: {save.url} {save.archive_url or save.reason}")
    written = _write_audit(
        report, names, output, directory, force, plan.fail_on, stem=stem, now=started
    )
    echo_written(written)
    # the store keeps the run (for fix) unless offline or the network was down
    stored = plan.request.cache_path is not None and not params.get("offline")
    stored = stored and outcome.network_down is None
    for line in next_steps(report, stored=stored, written=written):
        click.echo(line)
    _exit(outcome, plan.fail_on)


_DEAD = frozenset({Verdict.BROKEN, Verdict.STALE})
#: A finding's repair by ``fix``'s flag: what it takes for the flag to help.
_REPAIRS: tuple[tuple[str, Callable[[Finding], bool]], ...] = (
    ("--replace-dead", lambda f: f.archive is not None and f.verdict in _DEAD),
    ("--restore-lost", lambda f: f.restoration is not None),
    ("--update-moved", lambda f: moved_to(f) is not None),
)
_MAX_NEXT = 5


def next_steps(report: Report, *, stored: bool, written: Sequence[Path]) -> list[str]:
    """The exact ``linkaudit fix`` commands that apply this audit's repairs, one per
    file that has some: repairs from the store (this run is kept there) or, without
    a cache, from the JSON report just written.  None when there is nothing to do or
    nothing ``fix`` could read the audit back from."""
    source = [] if stored else [p for p in written if p.suffix == ".json"][:1]
    if not stored and not source:
        return []
    import shlex  # audit's closing advice only

    commands = []
    for origin, flags in _repairs_by_file(report).items():
        command = ["linkaudit", "fix", origin, *flags]
        if source:
            command += ["--from-report", str(source[0])]
        commands.append("  " + shlex.join(command))
    if not commands:
        return []
    more = len(commands) - _MAX_NEXT
    return [
        "next: repair from this audit (prints a diff; add --in-place to rewrite, with a backup):",
        *commands[:_MAX_NEXT],
        *([f"  ... and {more} more file(s)"] if more > 0 else []),
    ]


def _repairs_by_file(report: Report) -> dict[str, list[str]]:
    """Each local file with repairs on offer, and the ``fix`` flags that make them."""
    flags: dict[str, list[str]] = {}
    for finding in report.findings:
        origin = finding.citation.document
        for flag, applies in _REPAIRS:
            if applies(finding) and flag not in flags.setdefault(origin, []):
                flags[origin].append(flag)
    return {
        origin: sorted(wanted)
        for origin, wanted in flags.items()
        if wanted and "://" not in origin and Path(origin).is_file()
    }


#: What ``audit`` writes when neither ``--format`` nor linkaudit.toml says.
_AUDIT_FORMATS = ("html", "json", "markdown")
#: Where ``audit`` and ``health`` write when neither ``--output-dir`` nor linkaudit.toml says.
DEFAULT_OUTPUT_DIR = Path("reports")


def _write_audit(
    report: Report,
    names: Sequence[str],
    output: Path | None,
    output_dir: Path,
    force: bool,
    fail_on: frozenset[Verdict],
    *,
    stem: str | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """The report files: the one ``-o`` names, else each format into the directory."""
    if output is not None:
        formatter = get_formatter(names[0], fail_on=fail_on)
        return write_files(
            output.parent,
            [(output.name, partial(formatter.render, report, color=False))],
            force=force,
        )
    written = write_reports(
        report, names, output_dir, force=force, fail_on=fail_on, stem=stem, now=now
    )
    return [*written, *write_latest(written)]


# --- demo (fix and health: see _LazyGroup) ------------------------------------------


@main.command("demo")
@format_option(list(FORMAT_NAMES), ",".join(FORMAT_NAMES))
@output_dir_option("Where the demo's reports go (default reports/).")
@force_option
@quiet_option
@color_option
@handles_errors
def demo_command(
    formats: tuple[str, ...] | None, output_dir: Path | None, force: bool, quiet: bool, color: str
) -> None:
    """Audit the bundled example article against a misbehaving web on loopback.

    Starts a local link zoo and archive stand-in, audits the article, writes the
    reports, checks its verdicts against the zoo's truth and stops everything.
    No internet is needed.  Exits 0 when the demo ran as intended.
    """
    from linkaudit.demo import run_demo  # the zoo and its servers: only for this command

    echo = (lambda _line: None) if quiet else click.echo
    result = run_demo(
        output_dir or DEFAULT_OUTPUT_DIR, force=force, formats=formats or FORMAT_NAMES, echo=echo
    )
    report = result.run.report
    _print_warnings(report)
    colored = use_color(color, sys.stdout)
    terminal = _TERMINAL.render(report, color=colored)
    click.echo(_summary_only(terminal) if quiet else terminal, nl=False, color=colored)
    echo_written([*result.paths, *write_latest(result.paths)])
    if result.mismatches:
        for line in result.mismatches:
            click.echo(f"linkaudit: error: demo verdict mismatch: {line}", err=True)
        sys.exit(3)
    click.echo(f"demo: all {result.expected} cited zoo cases got their true verdict")
