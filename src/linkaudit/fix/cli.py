"""``linkaudit fix``: the command (``linkaudit.cli`` loads it when run).

Where the audit comes from, in order: ``--from-report`` (a JSON report written
by ``linkaudit audit --format json``), else the latest audit of the file that
``linkaudit audit`` kept in the store if younger than ``--max-age`` (neither sends
a request), else a fresh audit of the file, planned exactly as ``linkaudit audit``
plans one (``settings.plan_run``: linkaudit.toml's exclusions, archives, mirror and
dates apply, and the run is kept in the store's history).
The output is a unified diff unless ``-o`` or ``--in-place`` says otherwise, so
nothing is written by accident.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from linkaudit.archive.reach import UNREACHABLE
from linkaudit.commandline import (
    Command,
    base_url_option,
    cache_option,
    cited_at_option,
    config_option,
    handles_errors,
    max_age_option,
    no_cache_option,
    output_option,
    quiet_option,
    say,
    wayback_option,
)
from linkaudit.errors import InputError
from linkaudit.fix.draft import DEFAULT_BACKUP_DIR
from linkaudit.fix.formats import (
    FixResult,
    fix_file,
    read_source,
    remove_stale_temporaries,
    write_in_place,
    write_new,
)
from linkaudit.fix.plan import Repair, summary_lines
from linkaudit.fix.report_json import report_from_json
from linkaudit.fix.rewrite import SourceMismatch
from linkaudit.model import OutageKind, Report
from linkaudit.settings import RunInputs, RunPlan, plan_run
from linkaudit.sources.base import SourceOptions
from linkaudit.store import Store, document_key
from linkaudit.store.location import exists as store_exists

__all__ = ["fix_command", "load_report", "run_fix"]


def load_report(path: Path) -> tuple[Report, dict[str, str]]:
    """A JSON report and the sha256 it recorded per document origin (if it has any)."""
    try:
        data: Any = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the JSON report ({exc})") from None
    hashes: dict[str, str] = {}
    for document in data.get("documents") or () if isinstance(data, dict) else ():
        if isinstance(document, dict) and isinstance(document.get("sha256"), str):
            hashes[str(document.get("origin"))] = document["sha256"]
    return report_from_json(data), hashes


def fresh_audit(plan: RunPlan) -> Report:
    """Audit the file as ``linkaudit audit`` would (the network part, lazily imported)."""
    from linkaudit.runner import run

    return run(plan.request).report


def run_fix(
    path: Path,
    repairs: set[Repair],
    *,
    report: Report | None = None,
    audited_sha256: str | None = None,
    options: SourceOptions | None = None,
    audit: Callable[[Path], Report] | None = None,
) -> FixResult:
    """Fix ``path`` from ``report``, or from ``audit(path)`` when None (default: a
    fresh audit planned from the configuration found for ``path``, as ``audit`` does)."""
    options = options or SourceOptions()
    source = read_source(path, options)
    if report is None:
        audited_sha256 = source.sha256
        report = (audit or _default_audit)(path)
    return fix_file(path, report, repairs, audited_sha256=audited_sha256, source=source)


def _default_audit(path: Path) -> Report:
    return fresh_audit(plan_run(RunInputs(sources=(str(path),), command="fix")))


@click.command("fix", cls=Command)
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--robust-links",
    is_flag=True,
    help="Add data-originalurl/versionurl/versiondate to checked <a> with an archive copy.",
)
@click.option(
    "--replace-dead",
    is_flag=True,
    help="Point broken and stale links at their archive copy (original kept in data-originalurl).",
)
@click.option(
    "--replace-drifted",
    is_flag=True,
    help="Point links whose page drifted (audit --drift) at the archived version cited.",
)
@click.option(
    "--update-moved", is_flag=True, help="Replace permanently redirected URLs with their final URL."
)
@click.option(
    "--restore-lost",
    is_flag=True,
    help="Put back the href of lost links recovered from the archived article.",
)
@click.option(
    "--from-report",
    "from_report",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Use this JSON report (linkaudit audit --format json) instead of auditing again.",
)
@output_option("Write the repaired file here (default: print a diff).")
@click.option("--in-place", is_flag=True, help="Rewrite SOURCE, after writing a backup next to it.")
@click.option(
    "--force",
    is_flag=True,
    help="Let -o overwrite a file; let --in-place trust a report without a hash.",
)
@click.option("--dry-run", is_flag=True, help="Only show the diff (the default).")
@click.option("--wordpress", metavar="SITE", help="With --post: the WordPress site of the post.")
@click.option(
    "--post",
    metavar="ID|URL",
    help="Repair this WordPress post (a draft too) instead of a file; see --apply.",
)
@click.option(
    "--apply",
    is_flag=True,
    help="With --post: after the diff, write the repairs to the post (its status never changes).",
)
@click.option(
    "--backup-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BACKUP_DIR,
    show_default=True,
    help="With --post --apply: where the replaced content is kept.",
)
@config_option
@base_url_option
@cited_at_option
@wayback_option
@cache_option
@no_cache_option
@max_age_option
@quiet_option
@handles_errors
def fix_command(
    source: Path | None,
    robust_links: bool,
    replace_dead: bool,
    replace_drifted: bool,
    update_moved: bool,
    restore_lost: bool,
    from_report: Path | None,
    output: Path | None,
    in_place: bool,
    force: bool,
    dry_run: bool,
    wordpress: str | None,
    post: str | None,
    apply: bool,
    backup_dir: Path,
    config_path: Path | None,
    base_url: str | None,
    cited_at: datetime | None,
    wayback_url: str | None,
    cache_path: Path | None,
    no_cache: bool,
    max_age: str | None,
    quiet: bool,
) -> None:
    """Write SOURCE back with the selected repairs, changing no other byte.

    Without -o or --in-place, prints a unified diff (a dry run).  With no
    repair selected the output is identical to the input.  With --post instead of
    SOURCE, repairs a WordPress post (a draft too): the diff, and with --apply the
    same repairs written back to the post over the REST API.
    """
    _check_destination(output, in_place=in_place, dry_run=dry_run)
    repairs = _selected_repairs(
        robust_links=robust_links,
        replace_dead=replace_dead,
        update_moved=update_moved,
        restore_lost=restore_lost,
        replace_drifted=replace_drifted,
    )
    if post is not None or wordpress is not None:
        from linkaudit.fix.draft_cli import fix_post  # only for posts
        from linkaudit.sources.wordpress_draft import post_in_url

        if source is not None or output is not None or in_place:
            raise click.UsageError("--post repairs a post: drop SOURCE, -o and --in-place")
        if post is None and wordpress is not None and post_in_url(wordpress):
            wordpress, post = None, wordpress  # the post's own URL names site and post
        if post is None:
            raise click.UsageError("--wordpress needs --post ID (fix repairs one post)")
        fix_post(
            wordpress,
            post,
            repairs,
            apply=apply and not dry_run,
            from_report=from_report,
            backup_dir=backup_dir,
            inputs=RunInputs(
                config=config_path,
                overrides={"cache": cache_path, "no_cache": no_cache or None, "max_age": max_age},
                base_url=base_url,
                cited_at=cited_at,
                wayback_url=wayback_url,
                wordpress=wordpress,
                post=post,
                command="fix",
            ),
            tell=(lambda _line: None) if quiet else _say,
            archive_gap=archive_gap,
            needs_archives=bool(repairs & ARCHIVE_REPAIRS),
        )
        return
    if source is None:  # SOURCE is optional only because --post may replace it
        ctx = click.get_current_context()
        param = next(p for p in ctx.command.params if p.name == "source")
        raise click.MissingParameter(ctx=ctx, param=param, param_hint="'SOURCE'")
    if apply:
        raise click.UsageError("--apply is for --post; a file is rewritten with --in-place")
    # A fresh audit for --replace-drifted must compare pages with what was cited.
    drift = True if Repair.REPLACE_DRIFTED in repairs else None
    plan = plan_run(
        RunInputs(
            sources=(str(source),),
            config=config_path,
            overrides={
                "cache": cache_path,
                "no_cache": no_cache or None,
                "max_age": max_age,
                "drift": drift,
            },
            base_url=base_url,
            cited_at=cited_at,
            wayback_url=wayback_url,
            command="fix",
        )
    )
    tell = (lambda _line: None) if quiet else _say
    audit = _choose_audit(
        source,
        from_report,
        cache_path=plan.request.cache_path,
        max_age=plan.request.policy.max_age,
        trust_unhashed=force or not in_place,
        needs_archives=bool(repairs & ARCHIVE_REPAIRS),
    )
    if audit.passed_over:
        tell(
            f"not repairing from the stored audit of {source}: it {audit.passed_over}; "
            "auditing afresh"
        )
    if audit.stored:
        tell("repairing from the stored audit (no new requests)")
    audits: list[Report] = []

    def afresh(_path: Path) -> Report:
        audits.append(fresh_audit(plan))
        return audits[-1]

    result = run_fix(
        source,
        repairs,
        report=audit.report,
        audited_sha256=audit.sha256,
        options=plan.request.sources,
        audit=afresh,
    )
    for line in summary_lines(result.plan):
        tell(line)
    why = _why_nothing(result, repairs, audit.report or audits[0])
    if why:
        tell(why)
    done = _deliver(
        result, source, output=output, in_place=in_place, force=force, audited=audit.sha256
    )
    if done is not None:
        tell(done)


def _say(line: str) -> None:
    """A progress line on stderr, so stdout carries nothing but the diff."""
    say(line)


def _check_destination(output: Path | None, *, in_place: bool, dry_run: bool) -> None:
    """-o, --in-place and --dry-run each say where the result goes: at most one may."""
    if output is not None and in_place:
        raise click.UsageError("-o and --in-place exclude each other")
    if dry_run and (output is not None or in_place):
        raise click.UsageError("--dry-run writes nothing; drop -o/--in-place")


def _selected_repairs(
    *,
    robust_links: bool,
    replace_dead: bool,
    update_moved: bool,
    restore_lost: bool,
    replace_drifted: bool = False,
) -> set[Repair]:
    """The repairs whose flags are on (none: the output equals the input)."""
    flags = {
        Repair.ROBUST_LINKS: robust_links,
        Repair.REPLACE_DEAD: replace_dead,
        Repair.UPDATE_MOVED: update_moved,
        Repair.RESTORE_LOST: restore_lost,
        Repair.REPLACE_DRIFTED: replace_drifted,
    }
    return {repair for repair, wanted in flags.items() if wanted}


@dataclass(frozen=True)
class _Audit:
    """The audit to repair from; an empty one means "audit SOURCE afresh"."""

    report: Report | None = None
    sha256: str | None = None  # SOURCE's hash when it was audited, if recorded
    stored: bool = False  # taken from the store that ``linkaudit audit`` keeps
    passed_over: str = ""  # why the stored audit was not used (then: afresh)


#: The repairs that need the archives: an archived copy, or the archived article.
ARCHIVE_REPAIRS = frozenset(
    {Repair.REPLACE_DEAD, Repair.ROBUST_LINKS, Repair.RESTORE_LOST, Repair.REPLACE_DRIFTED}
)


def archive_gap(report: Report) -> str:
    """Why an audit holds no archived copies to repair from, said as "the audit ..."
    (empty: it may hold some).

    A ``check`` (or an audit with ``--no-archive``/``--offline``) never asked the
    archives; a run that could not reach them asked in vain.  Either way its "no
    copy" means "not known", and repairing from it would silently repair nothing.
    """
    if report.settings.get("archive") is False:
        if report.settings.get("command") == "check":
            return "is a `check`, which looks up no archived copies"
        return "looked up no archived copies (--no-archive or --offline)"
    if report.outage(OutageKind.ARCHIVES) is not None or any(
        warning.startswith(UNREACHABLE) for warning in report.warnings
    ):
        return "could not reach the archives"
    return ""


def _why_nothing(result: FixResult, repairs: set[Repair], report: Report) -> str:
    """Why the archive repairs asked for made no edit, when the audit is the cause."""
    gap = archive_gap(report)
    if result.plan.edits or not repairs & ARCHIVE_REPAIRS or not gap:
        return ""
    then = (
        "try again when the archives answer"
        if gap.startswith("could not reach")
        else "run `linkaudit audit` first, or fix without --from-report"
    )
    return f"nothing repaired from the archives: the audit {gap}; {then}"


def _choose_audit(
    source: Path,
    from_report: Path | None,
    *,
    cache_path: Path | str | None,
    max_age: timedelta,
    trust_unhashed: bool,
    needs_archives: bool = False,
) -> _Audit:
    """``--from-report`` first, else the store's latest audit if young enough, else none.

    ``cache_path`` is None under ``--no-cache``.  ``trust_unhashed`` (``--force``,
    or not ``--in-place``) lets a report that recorded no hash for SOURCE be used
    even if SOURCE changed after the audit began: only a rewrite in place needs
    that guard.  A stored audit without archived copies to offer (:func:`archive_gap`)
    is passed over when the repairs asked for need them (``needs_archives``).
    """
    if from_report is not None:
        report, hashes = load_report(from_report)
        audited = next(
            (h for o, h in hashes.items() if Path(o).resolve() == source.resolve()), None
        )
        if audited is None and not trust_unhashed:
            _refuse_if_newer(source, report)
        return _Audit(report, audited)
    if cache_path is None:
        return _Audit()
    stored = _stored_audit(source, cache_path, max_age)
    if stored is None:
        return _Audit()
    report, audited = stored
    gap = archive_gap(report)
    if gap and needs_archives:
        return _Audit(passed_over=gap)
    return _Audit(report, audited, stored=True)


def _deliver(
    result: FixResult,
    source: Path,
    *,
    output: Path | None,
    in_place: bool,
    force: bool,
    audited: str | None,
) -> str | None:
    """Write the repaired text where the flags say; the line to report, or None for a diff.

    The default is the diff on stdout, so nothing is written by accident.
    """
    target = output if output is not None else source
    if in_place and source.is_symlink():
        target = source.resolve()
    if output is not None or in_place:
        for temp in remove_stale_temporaries(target):
            say(f"removed {temp}, left by an interrupted run")
    if output is not None:
        write_new(result, output, force=force)
        return f"wrote {output}"
    if in_place:
        backup = write_in_place(result, audited_sha256=audited)
        if backup is None:
            return f"{source} unchanged; nothing written"
        through = f" through the symbolic link, to {target}" if target != source else ""
        return f"rewrote {source}{through} (backup: {backup})"
    sys.stdout.write(result.diff(str(source)))
    return None


def _stored_audit(
    source: Path, cache_path: Path | str, max_age: timedelta
) -> tuple[Report, str | None] | None:
    """The latest audit of ``source`` kept by ``linkaudit audit``, when fresh enough."""
    if not store_exists(cache_path):
        return None
    with Store.open(cache_path) as store:
        found = store.reports.latest(document_key(str(source)), max_age)
    if found is None:
        return None
    text, sha256 = found
    return report_from_json(json.loads(text)), sha256


def _refuse_if_newer(source: Path, report: Report) -> None:
    """Without a recorded hash, a file modified after the audit started cannot be trusted."""
    try:
        modified = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    except OSError:
        return
    # JSON reports keep whole seconds: a file saved just before the audit is not "after".
    if modified - timedelta(seconds=1) > report.started_at:
        raise SourceMismatch(
            f"{source}: modified after the audit in the report and the report records no hash; "
            "not rewritten (audit again, or use --force to rely on the per-edit checks)"
        )
