"""``linkaudit health``: the click command (``linkaudit.cli`` loads it when run).

Thin on purpose: open the store, build the report, write the files, print where
they went and what changed.  No network: the report is about what past runs saw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import click

from linkaudit.commandline import (
    Command,
    cache_option,
    config_option,
    confirm_options,
    echo_written,
    force_option,
    format_option,
    handles_errors,
    output_dir_option,
    output_option,
    quiet_option,
    warn,
)
from linkaudit.config import load_config
from linkaudit.errors import InputError
from linkaudit.health import HEALTH_FORMATS, build_health, get_health_formatter, write_health
from linkaudit.health.model import DEFAULT_NEAR_DAYS
from linkaudit.history import ConfirmPolicy
from linkaudit.report.files import write_files, write_latest
from linkaudit.store import DEFAULT_PATH, Store


def _now() -> datetime:
    return datetime.now(UTC)


def run_health(
    cache: Path | str,
    formats: tuple[str, ...],
    output_dir: Path,
    *,
    output: Path | None = None,
    force: bool = False,
    confirm_runs: int = ConfirmPolicy.runs,
    confirm_days: int = ConfirmPolicy.days,
    near_days: int = DEFAULT_NEAR_DAYS,
    top_hosts: int = 10,
    now: Callable[[], datetime] = _now,
) -> tuple[list[Path], str]:
    """The command without click: returns the written paths and the changes paragraph.

    ``output`` (``-o``) names the one file to write instead of a dated file per
    format in ``output_dir``.
    """
    if isinstance(cache, Path) and not cache.exists():  # a server says when opened
        raise InputError(f"{cache}: no history here; run `linkaudit audit` with a cache first")
    if output is not None and len(formats) != 1:
        raise InputError(
            f"-o/--output writes one file, and {len(formats)} formats are asked "
            "(choose one with --format, or use --output-dir)"
        )
    try:
        policy = ConfirmPolicy(confirm_runs, confirm_days)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    with Store.open(cache, now=now) as store:
        for warning in store.warnings:
            warn(warning)
        report = build_health(
            store,
            policy=policy,
            near_days=near_days,
            top_hosts=top_hosts,
            store_name=store.name,
        )
    chosen = list(dict.fromkeys(formats))
    if output is not None:
        formatter = get_health_formatter(chosen[0])
        written = write_files(
            output.parent, [(output.name, partial(formatter.render, report))], force=force
        )
    else:
        written = write_health(report, chosen, output_dir, force=force, now=report.generated_at)
        written += write_latest(written)
    return written, report.diff.text()


@click.command("health", cls=Command)
@config_option
@cache_option
@format_option(list(HEALTH_FORMATS), ",".join(HEALTH_FORMATS))
@output_dir_option("Where health-<UTC time>.<ext> files go (default reports/).")
@output_option("Write the one report (a single --format) to this file.")
@force_option
@confirm_options
@click.option(
    "--near-days",
    type=click.IntRange(min=0),
    default=DEFAULT_NEAR_DAYS,
    show_default=True,
    help="A capture within this many days of the citation date counts as coverage.",
)
@click.option(
    "--top-hosts",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many hosts the chart of dead links shows.",
)
@quiet_option
@handles_errors
def health_command(
    config_path: Path | None,
    cache_path: Path | None,
    formats: tuple[str, ...] | None,
    output_dir: Path | None,
    output: Path | None,
    force: bool,
    confirm_runs: int,
    confirm_days: int,
    near_days: int,
    top_hosts: int,
    quiet: bool,
) -> None:
    """Write a health report from the recorded runs: confirmed deaths, trends, coverage.

    Reads the store only and sends no request: the runs are ``linkaudit audit``'s
    (scheduled), which re-checks links on their way to confirmation once a day.
    The store and the output directory may come from linkaudit.toml (``cache``,
    ``output_dir``).
    """
    config = load_config(Path.cwd(), config_path)
    written, changes = run_health(
        cache_path or config.cache or DEFAULT_PATH,
        formats or tuple(HEALTH_FORMATS),
        output_dir or config.output_dir or Path("reports"),
        output=output,
        force=force,
        confirm_runs=confirm_runs,
        confirm_days=confirm_days,
        near_days=near_days,
        top_hosts=top_hosts,
    )
    if not quiet:
        click.echo(changes)
    echo_written(written)
