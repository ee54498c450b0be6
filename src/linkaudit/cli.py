"""The command line: parses options and calls the library.  Nothing else lives here.

Each command is a small function; errors from the library (``LinkauditError``)
become one line on stderr (``linkaudit: error: ...``) and their exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from linkaudit import __version__
from linkaudit.errors import LinkauditError

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str, code: int) -> None:
    click.echo(f"linkaudit: error: {message}", err=True)
    sys.exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a one-line message and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LinkauditError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        raise AssertionError("unreachable")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linkaudit")
def main() -> None:
    """Audit the citations and links of articles: extract, check, archive, report."""


# Commands are added below, one function each.
