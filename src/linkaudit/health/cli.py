"""``linkaudit health``: the click command (registered by ``linkaudit.cli`` with
``main.add_command(health_command)``).

Thin on purpose: open the store, build the report, write the files, print where
they went and what changed.  No network: the report is about what past runs saw.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from linkaudit.commandline import handles_errors, warn
from linkaudit.errors import InputError
from linkaudit.health import HEALTH_FORMATS, build_health, write_health
from linkaudit.health.model import DEFAULT_NEAR_DAYS
from linkaudit.history import ConfirmPolicy
from linkaudit.store import DEFAULT_PATH, Store


def _now() -> datetime:
    return datetime.now(UTC)


def run_health(
    cache: Path,
    formats: tuple[str, ...],
    output_dir: Path,
    *,
    force: bool = False,
    confirm_runs: int = ConfirmPolicy.runs,
    confirm_days: int = ConfirmPolicy.days,
    near_days: int = DEFAULT_NEAR_DAYS,
    top_hosts: int = 10,
    now: Callable[[], datetime] = _now,
) -> tuple[list[Path], str]:
    """The command without click: returns the written paths and the changes paragraph."""
    if not cache.exists():
        raise InputError(f"{cache}: no history here; run `linkaudit audit` with a cache first")
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
            store_name=str(cache),
        )
    chosen = list(HEALTH_FORMATS) if "all" in formats else list(dict.fromkeys(formats))
    written = write_health(report, chosen, output_dir, force=force, now=report.generated_at)
    return written, report.diff.text()


@click.command("health")
@click.option(
    "--cache",
    "cache",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_PATH,
    show_default=True,
    help="The store the audits recorded their runs in.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice([*HEALTH_FORMATS, "all"], case_sensitive=False),
    default=("all",),
    show_default=True,
    help="Report format; repeat for several.",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Where to write health-<timestamp>.<ext>.",
)
@click.option("--force", is_flag=True, help="Replace report files that already exist.")
@click.option(
    "--confirm-runs",
    type=click.IntRange(min=1),
    default=ConfirmPolicy.runs,
    show_default=True,
    help="Failed runs needed before a link is confirmed dead.",
)
@click.option(
    "--confirm-days",
    type=click.IntRange(min=0),
    default=ConfirmPolicy.days,
    show_default=True,
    help="Days the failures must span before a link is confirmed dead.",
)
@click.option(
    "--near-days",
    type=click.IntRange(min=0),
    default=DEFAULT_NEAR_DAYS,
    show_default=True,
    help="A capture within this many days of the citation date counts as coverage.",
)
@click.option("--top-hosts", type=click.IntRange(min=1), default=10, show_default=True)
@handles_errors
def health_command(
    cache: Path,
    formats: tuple[str, ...],
    output_dir: Path,
    force: bool,
    confirm_runs: int,
    confirm_days: int,
    near_days: int,
    top_hosts: int,
) -> None:
    """Write a health report from the recorded runs: confirmed deaths, trends, coverage.

    Reads the store only and sends no request: the runs are ``linkaudit audit``'s
    (scheduled), which re-checks links on their way to confirmation once a day.
    """
    written, changes = run_health(
        cache,
        tuple(f.lower() for f in formats),
        output_dir,
        force=force,
        confirm_runs=confirm_runs,
        confirm_days=confirm_days,
        near_days=near_days,
        top_hosts=top_hosts,
    )
    click.echo(changes)
    for path in written:
        click.echo(f"wrote {path}")
