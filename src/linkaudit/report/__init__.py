"""Report formats: one interface (``Formatter``), one module per format, one registry.

``write_reports`` is the only code here that touches the filesystem: it names files
``<source>-<UTC timestamp>.<ext>`` so runs never collide, and refuses to overwrite
an existing file unless forced, checking every target before writing any, so a
refused run leaves nothing half-written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from linkaudit import _lazy
from linkaudit.errors import InputError
from linkaudit.model import DEFAULT_FAIL_ON, Report, Verdict
from linkaudit.report.base import (
    Formatter,
    ReportExistsError,
    problems,
    verdicts_at_or_above,
)
from linkaudit.report.files import Streamed, write_files
from linkaudit.report.names import dated_name

# The formats are imported on first use (``FORMATS`` and the classes below are
# module attributes made by ``__getattr__``): ``check`` prints JSON or the terminal
# report and should not import the five others (issue 17).
if TYPE_CHECKING:
    from linkaudit.report.csv_format import CsvFormatter
    from linkaudit.report.html import HtmlFormatter
    from linkaudit.report.json_format import JsonFormatter
    from linkaudit.report.junit import JunitFormatter
    from linkaudit.report.markdown import MarkdownFormatter
    from linkaudit.report.sarif import SarifFormatter
    from linkaudit.report.terminal import TerminalFormatter

    #: Every format by name, with default options (the order ``--format all`` writes them).
    FORMATS: dict[str, Formatter]

#: ``FORMATS``'s names, in its order, for what needs them without the formats
#: (the command line's ``--format`` choices).
FORMAT_NAMES = ("terminal", "json", "markdown", "html", "csv", "junit", "sarif")


@functools.cache
def _formats() -> dict[str, Formatter]:
    """``FORMATS``, made once, on first use."""
    from linkaudit.report.csv_format import CsvFormatter
    from linkaudit.report.html import HtmlFormatter
    from linkaudit.report.json_format import JsonFormatter
    from linkaudit.report.junit import JunitFormatter
    from linkaudit.report.markdown import MarkdownFormatter
    from linkaudit.report.sarif import SarifFormatter
    from linkaudit.report.terminal import TerminalFormatter

    return {
        f.name: f
        for f in (
            TerminalFormatter(),
            JsonFormatter(),
            MarkdownFormatter(),
            HtmlFormatter(),
            CsvFormatter(),
            JunitFormatter(),
            SarifFormatter(),
        )
    }


def get_formatter(name: str, *, fail_on: Collection[Verdict] | None = None) -> Formatter:
    """A formatter by name; ``fail_on`` configures the one format that depends on it (junit)."""
    key = name.strip().lower()
    formats = _formats()
    if key not in formats:
        raise InputError(f"unknown report format {name!r} (choose from {', '.join(formats)})")
    if key == "junit" and fail_on is not None:
        from linkaudit.report.junit import JunitFormatter

        return JunitFormatter(fail_on=fail_on)
    return formats[key]


def source_name(report: Report) -> str:
    """The file-name stem for a run: the document's own stem, or "audit" for several."""
    if len(report.documents) != 1:
        return "audit"
    origin = report.documents[0].origin
    if "://" in origin:
        path = urlsplit(origin).path.rstrip("/")
        stem = PurePosixPath(path).stem if path else urlsplit(origin).hostname or ""
    elif origin == "<stdin>":
        stem = "stdin"
    else:
        stem = PurePosixPath(origin.replace("\\", "/").rstrip("/")).stem
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")
    return safe[:80] or "audit"


def report_filename(
    report: Report, formatter: Formatter, now: datetime, stem: str | None = None
) -> str:
    """``<stem>-<UTC time>.<ext>``; the stem from the report's documents unless given
    (the CLI gives ``names.run_stem`` of what the user named, decided before the run)."""
    return dated_name(stem or source_name(report), formatter.extension, now)


def write_reports(
    report: Report,
    formats: Sequence[str | Formatter],
    output_dir: Path | str,
    *,
    force: bool = False,
    now: datetime | None = None,
    fail_on: Collection[Verdict] | None = None,
    stem: str | None = None,
) -> list[Path]:
    """Render each format into ``output_dir`` (created if missing); return the paths.

    Raises ``ReportExistsError`` naming the file if any target exists and ``force``
    is false; nothing is written in that case.
    """
    moment = now or datetime.now(UTC)
    chosen = [get_formatter(f, fail_on=fail_on) if isinstance(f, str) else f for f in formats]
    return write_files(
        output_dir,
        [(report_filename(report, f, moment, stem), _renderer(f, report)) for f in chosen],
        force=force,
    )


def _renderer(formatter: Formatter, report: Report) -> Callable[[], str] | Streamed:
    """How a format is written: streamed into its file when the format can (JSON)."""
    from linkaudit.report.json_format import JsonFormatter

    if isinstance(formatter, JsonFormatter):
        return Streamed(partial(formatter.write, report))
    return partial(formatter.render, report, color=False)


__all__ = [
    "DEFAULT_FAIL_ON",
    "FORMATS",
    "FORMAT_NAMES",
    "CsvFormatter",
    "Formatter",
    "HtmlFormatter",
    "JsonFormatter",
    "JunitFormatter",
    "MarkdownFormatter",
    "ReportExistsError",
    "SarifFormatter",
    "TerminalFormatter",
    "get_formatter",
    "problems",
    "report_filename",
    "source_name",
    "verdicts_at_or_above",
    "write_reports",
]

_attribute = _lazy.attributes(
    __name__,
    {
        "CsvFormatter": "linkaudit.report.csv_format",
        "HtmlFormatter": "linkaudit.report.html",
        "JsonFormatter": "linkaudit.report.json_format",
        "JunitFormatter": "linkaudit.report.junit",
        "MarkdownFormatter": "linkaudit.report.markdown",
        "SarifFormatter": "linkaudit.report.sarif",
        "TerminalFormatter": "linkaudit.report.terminal",
    },
)


def __getattr__(name: str) -> object:
    if name == "FORMATS":
        globals()["FORMATS"] = formats = _formats()
        return formats
    return _attribute(name)
