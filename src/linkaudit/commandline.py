"""What every click command shares: how an error ends the process, colour, and
the options more than one command takes.

One rule for ``extract``, ``check``, ``audit``, ``fix``, ``health`` and ``demo``: a
library error (:class:`~linkaudit.errors.LinkauditError`) is one line on stderr
(``linkaudit: error: ...``) and its own exit code; a usage error click finds
(an unknown option, a bad value) is one line and exit 2; an operating-system
error that escaped the library (a disk full, a directory that vanished) is one
line and exit 2; Ctrl-C is "interrupted" and 130.  Never a traceback.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TextIO, TypeVar

import click

from linkaudit.errors import LinkauditError
from linkaudit.model import ConfirmPolicy
from linkaudit.report.base import one_line
from linkaudit.report.files import Streamed, write_files
from linkaudit.sources.base import parse_date
from linkaudit.store.location import DEFAULT_PATH, as_location

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> NoReturn:
    """End the command with one line on stderr and ``code``."""
    click.echo(f"linkaudit: error: {one_line(message)}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(f"linkaudit: warning: {one_line(message)}", err=True)


def say(message: str) -> None:
    """A progress line on stderr (``linkaudit: wrote ...``), so stdout carries only data."""
    click.echo(f"linkaudit: {one_line(message)}", err=True)


def write_or_print(
    text: str, output: Path | None, *, force: bool = False, color: bool = False
) -> None:
    """``text`` on standard output, or with ``-o FILE`` into that file (through the
    one report writer: atomic, never through a link, never over an existing file
    without ``--force``), saying where on stderr."""
    if output is None:
        click.echo(text, nl=False, color=color)
        return
    (path,) = write_files(output.parent, [(output.name, lambda: text)], force=force)
    say(f"wrote {path}")


def write_pieces_or_print(pieces: Iterable[str], output: Path | None, *, force: bool) -> None:
    """:func:`write_or_print` for text made a piece at a time, never held whole
    (an extract of 400,000 links is ~350 MB of JSON)."""
    if output is None:
        _echo_pieces(pieces)
        return

    def write(out: TextIO) -> None:
        for piece in pieces:
            out.write(piece)

    (path,) = write_files(output.parent, [(output.name, Streamed(write))], force=force)
    say(f"wrote {path}")


def _echo_pieces(pieces: Iterable[str], size: int = 1 << 16) -> None:
    """Text in pieces to standard output, about ``size`` characters a write."""
    batch: list[str] = []
    held = 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            click.echo("".join(batch), nl=False)
            batch, held = [], 0
    click.echo("".join(batch), nl=False)


def echo_written(paths: Sequence[Path]) -> None:
    """``wrote PATH`` for each report, and one line for the stable-name copies
    beside them (``<source>-latest.<ext>``) instead of one each."""
    latest = [p for p in paths if "-latest." in p.name]
    for path in paths:
        if path not in latest:
            click.echo(f"wrote {path}")
    if latest:
        stem = latest[0].name.split("-latest.", 1)[0]
        exts = ",".join(p.name.split("-latest.", 1)[1] for p in latest)
        shown = latest[0].parent / f"{stem}-latest.{exts if len(latest) == 1 else '{' + exts + '}'}"
        click.echo(f"and the newest as {shown}")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn errors into a one-line message and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LinkauditError as exc:
            fail(str(exc), exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}", 2)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except MemoryError:
            # Whatever held the memory is unwound by now, so saying so is possible.
            fail(
                "ran out of memory: the input is too big to audit in the memory available "
                "(see --max-bytes; split the input, or give the process more memory)",
                2,
            )

    return wrapper


# --------------------------------------------------------------------------- click's own errors


class _OneLineErrors:
    """Click's usage errors as one line too (``linkaudit: error: ...``, exit 2).

    Click prints a usage block, a blank line and ``Error: ...``: three lines where
    the README promises one.  The command runs with ``standalone_mode=False`` so
    its errors come back here instead of being printed by click.
    """

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except click.exceptions.NoArgsIsHelpError as exc:  # ``linkaudit`` alone: its help
            click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            code = 0
        except click.UsageError as exc:
            fail(_usage_line(exc), exc.exit_code)
        except click.ClickException as exc:
            fail(one_line(exc.format_message()), exc.exit_code)
        except click.Abort:
            fail("interrupted", 130)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _usage_line(exc: click.UsageError) -> str:
    """The message, and where help is: ``no such option: --nope (see linkaudit audit -h)``."""
    message = one_line(exc.format_message())
    message = message[:1].lower() + message[1:]
    where = exc.ctx.command_path if exc.ctx is not None else "linkaudit"
    return f"{message} (see {where} -h)"


class Command(_OneLineErrors, click.Command):
    """A linkaudit command: ``@click.command(cls=Command)``."""


class Group(_OneLineErrors, click.Group):
    """The ``linkaudit`` group: its commands' usage errors are one line."""

    command_class = Command


# --------------------------------------------------------------------------- colour


def use_color(choice: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour ``stream``: ``--color always|never``, else (``auto``) only a
    terminal, and never when ``NO_COLOR`` is set to anything (https://no-color.org)
    or the terminal is ``dumb``.  An explicit ``--color always`` beats ``NO_COLOR``,
    as the convention asks of command-line flags."""
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never" or env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# --------------------------------------------------------------------------- shared options
#
# An option that two commands share is declared once, here, so its name, short
# form, type and meaning cannot drift apart (tests/cli/test_options.py walks the
# commands and compares).


def parse_date_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """A date option: ``2023-04-18`` or full ISO 8601 (UTC when no zone); else a usage error."""
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or ISO 8601)")
    return parsed


def _formats(choices: Sequence[str], *, single: bool) -> Callable[..., tuple[str, ...] | None]:
    """The ``--format`` callback: comma-separated names, each one of ``choices``
    (given twice, ``--format a --format b`` means ``a,b``: never silently the last)."""

    def parse(
        ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        if not value:
            return None
        words = (word.strip().lower() for text in value for word in text.split(","))
        names = tuple(dict.fromkeys(word for word in words if word))
        for name in names:
            if name not in choices:
                close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise click.BadParameter(
                    f"unknown format {name!r}{hint} (choose from {', '.join(choices)})"
                )
        if not names:
            raise click.BadParameter("name at least one format")
        if single and len(names) > 1:
            raise click.BadParameter(f"this command prints one format, not {len(names)}")
        return names

    return parse


def format_option(
    choices: Sequence[str], default: str | None, *, single: bool = False
) -> Callable[[F], F]:
    """``--format FORMATS``: one syntax on every command, comma-separated names.

    The callback returns None when the option is not given, so a command can take
    its default from linkaudit.toml first (``default`` is what the help shows).
    """
    shown = f" (default {default})" if default else ""
    what = "Output format" if single else "Formats, comma-separated"
    return click.option(
        "--format",
        "formats",
        metavar="FORMATS",
        multiple=True,
        callback=_formats(tuple(choices), single=single),
        help=f"{what}: {', '.join(choices)}{shown}.",
    )


def output_option(help: str = "Write to this file instead.") -> Callable[[F], F]:
    """``-o/--output FILE``: always one file (a folder is ``--output-dir``)."""
    return click.option(
        "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE", help=help
    )


def output_dir_option(help: str = "Where report files go (default reports/).") -> Callable[[F], F]:
    """``--output-dir DIR``: always a folder; its default comes from ``output_dir``
    in linkaudit.toml, else ``reports/``, so it has none here."""
    return click.option(
        "--output-dir",
        type=click.Path(path_type=Path, file_okay=False),
        metavar="DIR",
        help=help,
    )


quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="Print only the summary and the files written."
)
force_option = click.option("--force", is_flag=True, help="Replace files that already exist.")
color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the terminal output (auto: on a terminal, unless NO_COLOR is set).",
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Settings file (default: linkaudit.toml or pyproject.toml found upwards).",
)
wayback_option = click.option(
    "--wayback-url", metavar="URL", help="Base URL of the Wayback Machine (or a mirror)."
)
base_url_option = click.option(
    "--base-url", metavar="URL", help="Resolve relative links against URL."
)
cited_at_option = click.option(
    "--cited-at",
    metavar="DATE",
    callback=parse_date_option,
    help="When the sources were cited (overrides the documents' own dates).",
)


def _store_location(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> Path | str | None:
    """A SQLite file as a Path, a ``postgresql://`` DSN as text (see ``store.location``)."""
    return None if value is None else as_location(value)


cache_option = click.option(
    "--cache",
    "--store",
    "cache_path",
    metavar="FILE|DSN",
    callback=_store_location,
    help=f"Cache and run history: a SQLite file (default {DEFAULT_PATH}) or a"
    " postgresql://user@host/db DSN (its password from PGPASSWORD or ${VAR}).",
)
no_cache_option = click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
max_age_option = click.option(
    "--max-age",
    metavar="DURATION",
    help="Reuse what the cache holds (results, a stored audit) this young (default 1d).",
)


def confirm_options(func: F) -> F:
    """``--confirm-runs`` and ``--confirm-days``: when a failing link counts as dead."""
    func = click.option(
        "--confirm-days",
        type=click.IntRange(min=0),
        default=ConfirmPolicy.days,
        show_default=True,
        help="Days those failing runs must span.",
    )(func)
    return click.option(
        "--confirm-runs",
        type=click.IntRange(min=1),
        default=ConfirmPolicy.runs,
        show_default=True,
        help="Failing runs needed before a link is confirmed dead.",
    )(func)
