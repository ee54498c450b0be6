"""The command line: parses options and calls the library.  Nothing else lives here.

Each command is a small function; errors from the library (``LinkauditError``)
become one line on stderr (``linkaudit: error: ...``) and their exit code.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, TypeVar

import click

from linkaudit import __version__
from linkaudit.check.options import CheckOptions
from linkaudit.commandline import fail, handles_errors, warn
from linkaudit.config import load_config
from linkaudit.errors import AuditError
from linkaudit.extract import MainText, ScopeDecision, main_text
from linkaudit.history import ConfirmPolicy
from linkaudit.model import (
    DEFAULT_FAIL_ON,
    CheckResult,
    Citation,
    Document,
    Relation,
    Report,
    Scope,
    Verdict,
)
from linkaudit.pipeline import AuditRun, Services, exit_code, network_down
from linkaudit.report import FORMATS, get_formatter, write_reports
from linkaudit.report.json_format import FindingLines, JsonFormatter
from linkaudit.runner import RunRequest
from linkaudit.runner import run as run_request
from linkaudit.serialize import SCHEMA_VERSION, to_jsonable
from linkaudit.settings import RunInputs, RunPlan, body_selectors, plan_run
from linkaudit.sources import DEFAULT_MAX_BYTES, SourceOptions
from linkaudit.sources.base import parse_date
from linkaudit.sources.collect import Collection, collect
from linkaudit.store import DEFAULT_PATH as DEFAULT_CACHE_PATH

P = ParamSpec("P")
R = TypeVar("R")

#: The library's defaults, which the help texts quote (declared there, not here).
_CHECK = CheckOptions()


class _LazyGroup(click.Group):
    """Commands whose code is imported only when they run (or ``--help`` lists them).

    ``fix``, ``health`` and ``demo`` bring their own modules (the repairer, the
    health report and its charts, the loopback zoo); an editor waiting on ``check``
    should not pay for importing them.
    """

    lazy: ClassVar[dict[str, str]] = {
        "fix": "linkaudit.fix.cli:fix_command",
        "health": "linkaudit.health.cli:health_command",
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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _cited_at_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """``--cited-at``: ``2023-04-18`` or full ISO 8601 (UTC when no zone); else a usage error."""
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or ISO 8601)")
    return parsed


_TEXT_WIDTH = 48


def _shorten(text: str, width: int = _TEXT_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _citation_row(citation: Citation) -> str:
    """One table row: where, what (a precomputed verdict, else the kind), the URL, the text."""
    where = f"{citation.location.line}:{citation.location.column}"
    what = citation.verdict.value if citation.verdict is not None else citation.kind.value
    if citation.relation is Relation.INTERNAL:
        what += " (int)"
    url = citation.url_as_written if citation.url_as_written is not None else "-"
    return f"  {where:>9}  {what:<15} {url}  {_shorten(citation.text)}".rstrip()


def _summary(document: Document, citations: list[Citation]) -> str:
    """One line per document, counting what ``check`` would do with its citations."""
    outbound = sum(1 for c in citations if c.needs_check and c.relation is Relation.OUTBOUND)
    internal = sum(1 for c in citations if c.relation is Relation.INTERNAL)
    by_verdict = Counter(c.verdict.value for c in citations if c.verdict is not None)
    parts = [f"{outbound} outbound", f"{internal} internal"]
    parts += [f"{by_verdict[v.value]} {v.value}" for v in Verdict if by_verdict[v.value]]
    noun = "citation" if len(citations) == 1 else "citations"
    return f"{document.origin}: {len(citations)} {noun}: " + ", ".join(parts)


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
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Table for people, JSON for programs.",
)
@click.option("--base-url", metavar="URL", help="Resolve relative links against URL.")
@click.option(
    "--cited-at",
    metavar="DATE",
    callback=_cited_at_option,
    help="When the sources were cited (overrides the document's own date).",
)
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in Scope]),
    default=Scope.ARTICLE.value,
    show_default=True,
    help="For web pages: the article body only, or the whole page.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse inputs larger than this.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file for the sites' body selectors (default: found upwards).",
)
@handles_errors
def extract_command(
    sources: tuple[str, ...],
    output_format: str,
    base_url: str | None,
    cited_at: datetime | None,
    scope: str,
    max_bytes: int,
    config_path: Path | None,
) -> None:
    """List the citations of each SOURCE (file, URL, or - for stdin) without checking them.

    For a web page read for its article, also say which part of the page was taken
    as the article and why (JSON: "scope").
    """
    bodies = body_selectors(load_config(explicit=config_path))
    options = SourceOptions(base_url=base_url, cited_at=cited_at, max_bytes=max_bytes)
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
        results.append((document, main_text(document, scope=Scope(scope), bodies=bodies)))
    if output_format == "json":
        payload = {
            "schema_version": SCHEMA_VERSION,
            "documents": [_document_json(doc, found) for doc, found in results],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for document, found in results:
        title = f" {document.title!r}" if document.title else ""
        click.echo(f"{document.origin} ({document.kind.value}){title}")
        if found.scope is not None:
            click.echo(_scope_row(found.scope))
        for citation in found.citations:
            click.echo(_citation_row(citation))
        click.echo(_summary(document, list(found.citations)))


# --- check and audit -----------------------------------------------------------


def _engine_options(func: Callable[P, R]) -> Callable[P, R]:
    """Options shared by ``check`` and ``audit``: what to read and how to check it."""
    decorators = [
        click.argument("sources", nargs=-1, metavar="SOURCE..."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Settings file (default: linkaudit.toml or pyproject.toml found upwards).",
        ),
        click.option("--base-url", metavar="URL", help="Resolve relative links against URL."),
        click.option(
            "--cited-at",
            metavar="DATE",
            callback=_cited_at_option,
            help="When the sources were cited (overrides the documents' own dates).",
        ),
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
            "--modified-after",
            metavar="DATE",
            callback=_cited_at_option,
            help="With --wordpress: only posts modified after DATE.",
        ),
        click.option("--sitemap", metavar="URL", help="Audit every page listed in a sitemap."),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            help=f"Seconds to wait for a read (default {_CHECK.timeout_read:g}).",
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
            "--fail-on",
            metavar="VERDICTS",
            help="Comma-separated verdicts that make the exit code 1 "
            f"(default {','.join(DEFAULT_FAIL_ON)}).",
        ),
        click.option(
            "--cache",
            "cache_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help=f"SQLite cache and history (default {DEFAULT_CACHE_PATH}).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option(
            "--max-age", metavar="DURATION", help="Reuse definitive cached results this young."
        ),
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
    """A one-line progress counter on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def __call__(self, result: CheckResult) -> None:
        self.done += 1
        if self.enabled:
            click.echo(f"\rchecking {self.done}/{self.total} URLs", nl=False, err=True)

    def finish(self) -> None:
        if self.enabled and self.done:
            click.echo("\r" + " " * 40 + "\r", nl=False, err=True)


#: Command-line parameters that are configuration keys (``linkaudit.toml`` spelling).
_SETTING_PARAMS = {
    "scope": "scope",
    "include_internal": "include_internal",
    "exclude": "exclude",
    "include_path": "include_paths",
    "exclude_path": "exclude_paths",
    "timeout": "timeout",
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
}


def _plan(
    params: dict[str, Any], *, archive: bool = False, confirm: ConfirmPolicy | None = None
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
        modified_after=params["modified_after"],
        sitemap=params["sitemap"],
        changed_since=params["changed_since"],
        insecure=params["insecure"],
        offline=params.get("offline", False),
        archive=archive,
        use_all_archives=params.get("archives", False),
        save=params.get("save", False),
        wayback_url=params.get("wayback_url"),
        confirm=confirm or ConfirmPolicy(),
    )
    return plan_run(inputs)


def _execute(request: RunRequest) -> AuditRun:
    progress = _Progress()
    services = Services(progress=progress, on_total=progress.start)
    try:
        return run_request(request, services)
    finally:
        progress.finish()


def _print_warnings(report: Report) -> None:
    for warning in report.warnings:
        warn(warning)


def _exit(report: Report, fail_on: frozenset[Verdict]) -> None:
    """DESIGN.md exit codes; 3 when the run could not reach any host at all."""
    down = network_down(report)
    if down is not None:
        fail(down, AuditError.exit_code)
    sys.exit(exit_code(report, fail_on))


@main.command("check")
@_engine_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["terminal", "json"]),
    default="terminal",
    show_default=True,
    help="A readable summary, or the full JSON report.",
)
@handles_errors
def check_command(output_format: str, **params: Any) -> None:
    """Extract and check the citations of each SOURCE; print what is wrong.

    No archive lookups and no report files: for that, use ``audit``.
    """
    plan = _plan(params)
    outcome = _execute(plan.request)
    _print_warnings(outcome.report)
    if output_format == "json":
        JsonFormatter(outcome.finding_lines or FindingLines()).write(outcome.report, sys.stdout)
    else:
        click.echo(FORMATS["terminal"].render(outcome.report, color=sys.stdout.isatty()))
    _exit(outcome.report, plan.fail_on)


@main.command("audit")
@_engine_options
@click.option(
    "--format",
    "formats",
    default="html,json,markdown",
    show_default=True,
    metavar="FORMATS",
    help=f"Report files to write, comma-separated ({', '.join(FORMATS)}).",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where report files go.",
)
@click.option("--force", is_flag=True, help="Replace report files that already exist.")
@click.option("--no-archive", "no_archive", is_flag=True, help="Do not look up archived copies.")
@click.option("--archive-all", is_flag=True, help="Find archived copies for ok citations too.")
@click.option("--archives", is_flag=True, help="Ask every configured archive, keep the nearest.")
@click.option(
    "--save", is_flag=True, help="Submit live, not recently archived citations to Save Page Now."
)
@click.option(
    "--offline",
    is_flag=True,
    help="No network: extraction and lost links only (for pre-commit hooks).",
)
@click.option("--wayback-url", metavar="URL", help="Base URL of the Wayback Machine (or a mirror).")
@click.option(
    "--confirm-runs",
    type=click.IntRange(min=1),
    default=ConfirmPolicy.runs,
    show_default=True,
    help="History: failing runs needed before a link is confirmed dead.",
)
@click.option(
    "--confirm-days",
    type=click.IntRange(min=0),
    default=ConfirmPolicy.days,
    show_default=True,
    help="History: days those failing runs must span.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line and file names.")
@handles_errors
def audit_command(
    formats: str,
    output_dir: Path,
    force: bool,
    no_archive: bool,
    quiet: bool,
    **params: Any,
) -> None:
    """Extract, check and archive the citations of each SOURCE, and write reports.

    Prints the findings and the report files written; exits 1 when a finding is
    at a --fail-on verdict.
    """
    confirm = ConfirmPolicy(runs=params.pop("confirm_runs"), days=params.pop("confirm_days"))
    plan = _plan(params, archive=not no_archive, confirm=confirm)
    names = [f.strip() for f in formats.split(",") if f.strip()]
    for name in names:
        get_formatter(name)  # unknown formats fail before any network work
    outcome = _execute(plan.request)
    report = outcome.report
    _print_warnings(report)
    terminal = FORMATS["terminal"].render(report, color=sys.stdout.isatty())
    click.echo(terminal.splitlines()[-1] if quiet and terminal else terminal)
    for save in outcome.saves:
        click.echo(f"save: {save.status.value}: {save.url} {save.archive_url or save.reason}")
    paths = write_reports(report, names, output_dir, force=force, fail_on=plan.fail_on)
    for path in paths:
        click.echo(f"wrote {path}")
    _exit(report, plan.fail_on)


# --- demo (fix and health: see _LazyGroup) ------------------------------------------


@main.command("demo")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where the demo's reports go.",
)
@click.option("--force", is_flag=True, help="Replace report files that already exist.")
@handles_errors
def demo_command(output_dir: Path, force: bool) -> None:
    """Audit the bundled example article against a misbehaving web on loopback.

    Starts a local link zoo and archive stand-in, audits the article, writes every
    report format, checks its verdicts against the zoo's truth and stops everything.
    No internet is needed.  Exits 0 when the demo ran as intended.
    """
    from linkaudit.demo import run_demo  # the zoo and its servers: only for this command

    result = run_demo(output_dir, force=force, echo=click.echo)
    report = result.run.report
    click.echo(FORMATS["terminal"].render(report, color=sys.stdout.isatty()))
    for path in result.paths:
        click.echo(f"wrote {path}")
    if result.mismatches:
        for line in result.mismatches:
            click.echo(f"linkaudit: error: demo verdict mismatch: {line}", err=True)
        sys.exit(3)
    click.echo(f"demo: all {result.expected} cited zoo cases got their true verdict")
