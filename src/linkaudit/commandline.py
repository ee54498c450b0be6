"""What every click command shares: how an error ends the process.

One rule for ``check``, ``audit``, ``fix``, ``health`` and ``demo``: a library error
(:class:`~linkaudit.errors.LinkauditError`) is one line on stderr
(``linkaudit: error: ...``) and its own exit code; an operating-system error that
escaped the library (a disk full, a directory that vanished) is one line and exit
2; Ctrl-C is "interrupted" and 130.  Never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

import click

from linkaudit.errors import LinkauditError

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int) -> NoReturn:
    """End the command with one line on stderr and ``code``."""
    click.echo(f"linkaudit: error: {message}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(f"linkaudit: warning: {message}", err=True)


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

    return wrapper
