"""Where a store lives: a SQLite file (a path) or a PostgreSQL server (a DSN).

One option names both (``--store``, ``--cache``), so the choice is made here, by
the spelling: ``postgresql://`` or ``postgres://`` is a server, anything else a
file.  A DSN is a secret-bearing string: its password may be written as
``${VAR}`` and is then read from the environment when the store is opened (or
left out altogether, for libpq's own ``PGPASSWORD`` and ``~/.pgpass``), and
:func:`mask_dsn` is how a DSN is ever shown (messages, reports, the run history).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from linkaudit.store.base import StoreError

#: The default store: a SQLite file beside the work (named here, not in
#: ``store.sqlite``, so that naming it imports no database driver).
DEFAULT_PATH = Path(".linkaudit") / "cache.sqlite"

#: How a server store's location starts.
SCHEMES = ("postgresql://", "postgres://")

#: ``${NAME}`` in a DSN: taken from the environment when the store is opened.
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: ``scheme://user:password@`` (the password up to the last ``@`` of the authority).
_USERINFO = re.compile(r"^(?P<head>[a-z]+://[^:/@?#]*):(?P<secret>[^/?#]*)@")
#: ``password=...`` as a URI query parameter or a key=value DSN word.
_PASSWORD_PARAM = re.compile(r"(?P<head>(?:^|[?&\s])password\s*=\s*)(?P<secret>'[^']*'|[^&\s]*)")

MASK = "***"


def is_server(location: Path | str | None) -> bool:
    """Whether ``location`` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(location, str) and location.lower().startswith(SCHEMES)


def as_location(value: Path | str) -> Path | str:
    """What a user wrote as a store: a DSN kept as text, a path as a :class:`Path`
    (``Path("postgresql://h/db")`` would fold the ``//`` and lose the scheme)."""
    if isinstance(value, Path):
        return value
    return value if is_server(value) else Path(value)


def _hide(secret: str) -> str:
    return secret if _VARIABLE.fullmatch(secret) else MASK


def mask_dsn(dsn: str) -> str:
    """``dsn`` with its password shown as ``***`` (a ``${VAR}`` reference is not a
    secret and stays readable, so the message says where the password comes from)."""
    dsn = _USERINFO.sub(lambda m: f"{m['head']}:{_hide(m['secret'])}@", dsn)
    return _PASSWORD_PARAM.sub(lambda m: m["head"] + _hide(m["secret"]), dsn)


def shown(location: Path | str | None) -> str | None:
    """A store location as messages, reports and the history show it."""
    if location is None:
        return None
    return mask_dsn(location) if isinstance(location, str) else str(location)


def exists(location: Path | str) -> bool:
    """Whether a store may hold something already: a SQLite file that exists, or a
    server (only opening it can say more; a database without our tables is empty)."""
    return isinstance(location, str) or location.is_file()


def expand_dsn(dsn: str, environ: Mapping[str, str] | None = None) -> str:
    """``dsn`` with each ``${VAR}`` replaced by the variable's value (URL-quoted, so
    a password with ``@`` or ``/`` stays one password).  A variable that is not set
    is an error that names it, never a silent empty password."""
    env = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise StoreError(f"{mask_dsn(dsn)}: the environment variable {name} is not set")
        return quote(env[name], safe="")

    return _VARIABLE.sub(value, dsn)
