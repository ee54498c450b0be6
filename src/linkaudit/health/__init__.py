"""``linkaudit health``: what has rotted, what is confirmed dead, how much is archived.

Reads only the store (no network): :func:`build_health` computes a
:class:`HealthReport` and the formats (HTML with inline SVG charts, Markdown,
JSON) render it.  :func:`write_health` writes through the same
``report.files.write_files`` as the audit's reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Protocol

from linkaudit.errors import InputError
from linkaudit.health.compute import build_health
from linkaudit.health.html import HealthHtmlFormatter
from linkaudit.health.json_format import HealthJsonFormatter, health_document
from linkaudit.health.markdown import HealthMarkdownFormatter
from linkaudit.health.model import DEFAULT_NEAR_DAYS, HEALTH_SCHEMA_VERSION, HealthReport
from linkaudit.report.files import write_files


class HealthFormatter(Protocol):
    name: str
    extension: str

    def render(self, report: HealthReport) -> str: ...


#: Formats by name, in the order ``--format all`` writes them.
HEALTH_FORMATS: dict[str, HealthFormatter] = {
    f.name: f for f in (HealthHtmlFormatter(), HealthMarkdownFormatter(), HealthJsonFormatter())
}
_ALIASES = {"md": "markdown", "htm": "html"}


def get_health_formatter(name: str) -> HealthFormatter:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in HEALTH_FORMATS:
        raise InputError(
            f"unknown health report format {name!r} (choose from {', '.join(HEALTH_FORMATS)})"
        )
    return HEALTH_FORMATS[key]


def health_filename(formatter: HealthFormatter, now: datetime) -> str:
    stamp = (now.astimezone(UTC) if now.tzinfo else now).strftime("%Y%m%dT%H%M%SZ")
    return f"health-{stamp}.{formatter.extension}"


def write_health(
    report: HealthReport,
    formats: Sequence[str | HealthFormatter],
    output_dir: Path | str,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> list[Path]:
    """Render each format into ``output_dir`` as ``health-<UTC stamp>.<ext>``.

    Raises :class:`ReportExistsError` if any target exists and ``force`` is false,
    before writing anything.
    """
    moment = now or report.generated_at
    chosen = [get_health_formatter(f) if isinstance(f, str) else f for f in formats]
    return write_files(
        output_dir,
        [(health_filename(f, moment), partial(f.render, report)) for f in chosen],
        force=force,
    )


__all__ = [
    "DEFAULT_NEAR_DAYS",
    "HEALTH_FORMATS",
    "HEALTH_SCHEMA_VERSION",
    "HealthFormatter",
    "HealthHtmlFormatter",
    "HealthJsonFormatter",
    "HealthMarkdownFormatter",
    "HealthReport",
    "build_health",
    "get_health_formatter",
    "health_document",
    "write_health",
]
