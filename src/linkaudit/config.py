"""One home for configuration: ``linkaudit.toml`` or ``[tool.linkaudit]`` in
``pyproject.toml``, validated once, overridden by the command line.

Discovery walks up from the working directory and stops at the first file that
holds linkaudit configuration, so a content repository configures itself from its
root whatever subdirectory CI runs in.  In one directory ``linkaudit.toml`` wins
over ``pyproject.toml``: a dedicated file is the more deliberate choice, and both
present is most likely a migration in progress.  A ``pyproject.toml`` without a
``[tool.linkaudit]`` table is skipped, not treated as an empty configuration.

Every mistake is a :class:`~linkaudit.errors.ConfigError` of one line that names the
file and the full key path, and suggests the closest valid key for a typo: a CI log
is read by someone who did not write the file.

Header values can come from the environment (``"Bearer ${TOKEN}"`` or
``{env = "TOKEN"}``); such values are wrapped in :class:`Secret`, which prints as
``***`` everywhere (``repr``, ``str``, :meth:`Config.to_dict`), so a report's
settings block or a debug log never leaks a token.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

from linkaudit.archive.base import DEFAULT_TIMEGATES, WAYBACK
from linkaudit.errors import ConfigError
from linkaudit.hosts import host_key, match_host
from linkaudit.model import DEFAULT_FAIL_ON, AnchorStyle, Scope, Verdict
from linkaudit.report import FORMAT_NAMES
from linkaudit.sources.base import parse_date
from linkaudit.store.location import is_server

CONFIG_FILE = "linkaudit.toml"
PYPROJECT = "pyproject.toml"
MASK = "***"

#: Archives that need no ``timegate``: the Wayback Machine and the built-in TimeGates.
KNOWN_ARCHIVES: tuple[str, ...] = (WAYBACK, *(name for name, _ in DEFAULT_TIMEGATES))


class Secret:
    """A string that must not be shown: a header value taken from the environment.

    Deliberately *not* a ``str`` subclass: formatting, logging or JSON-encoding a
    ``str`` subclass would reveal the value, while this prints as ``***`` and makes
    httpx refuse it outright.  Call :meth:`reveal` at the one place a request is built.
    """

    __slots__ = ("_value", "variables")

    def __init__(self, value: str, variables: tuple[str, ...] = ()) -> None:
        self._value = value
        self.variables = variables  # the environment variables it came from (not secret)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def reveal(value: str | Secret) -> str:
    """The real text of a header value, secret or not."""
    return value.reveal() if isinstance(value, Secret) else value


@dataclass(frozen=True)
class ArchiveSpec:
    """An archive to ask for copies.

    ``name`` alone names a built-in archive (see :data:`KNOWN_ARCHIVES`); with a
    ``timegate`` URL it adds any RFC 7089 Memento TimeGate under that name.
    """

    name: str
    timegate: str | None = None


@dataclass(frozen=True)
class HostConfig:
    """Overrides for one host, from ``[hosts."example.org"]``.

    ``concurrency``: at most this many requests in flight to the host.
    ``interval``: seconds between request starts to the host.
    ``timeout``: seconds for one request to the host.
    ``headers``: extra request headers; values from the environment are
    :class:`Secret` (use :meth:`http_headers` to build a request).
    ``accept``: status ranges (inclusive) that count as ``ok`` for this host, e.g.
    a site that answers 403 to every robot but is known to be fine.
    None means "the global setting".
    """

    concurrency: int | None = None
    interval: float | None = None
    timeout: float | None = None
    headers: Mapping[str, str | Secret] = field(default_factory=lambda: MappingProxyType({}))
    accept: tuple[tuple[int, int], ...] = ()

    def http_headers(self) -> dict[str, str]:
        """Headers ready for httpx, secrets revealed: never log the result."""
        return {name: reveal(value) for name, value in self.headers.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "interval": self.interval,
            "timeout": self.timeout,
            "headers": {k: MASK if isinstance(v, Secret) else v for k, v in self.headers.items()},
            "accept": [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in self.accept],
        }


@dataclass(frozen=True)
class SiteConfig:
    """Settings for one site's pages, from ``[sites."example.com"]``.

    ``body``: a CSS selector naming the article body on the site's pages
    (``"div.story"``), tried before linkaudit's own judgement of where the article
    is; ``linkaudit extract --format json`` shows how each page was judged.
    ``wordpress_auth``: ``user:application-password`` for reading and repairing the
    site's drafts (``--post``), from the environment only (``"${WP_AUTH}"`` or
    ``{env = "WP_AUTH"}``): a password written into a committed file is refused.
    """

    body: str | None = None
    wordpress_auth: Secret | None = None

    def to_dict(self) -> dict[str, Any]:
        masked = {"wordpress_auth": MASK} if self.wordpress_auth else {}
        return {"body": self.body, **masked}


# --------------------------------------------------------------------------- discovery


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The first file with linkaudit configuration walking up from ``start``, and
    its linkaudit table; None when there is none up to the filesystem root."""
    found = _discover(start)
    return None if found is None else (found[0], found[1])


def _discover(start: Path | None) -> tuple[Path, dict[str, Any], tuple[str, ...]] | None:
    """:func:`find_config`, with the key prefix the file's messages use."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        dedicated = directory / CONFIG_FILE
        if dedicated.is_file():
            return dedicated, *_dedicated_table(dedicated)
        pyproject = directory / PYPROJECT
        if pyproject.is_file():
            table = _pyproject_table(pyproject, required=False)
            if table is not None:
                return pyproject, table, _TOOL_TABLE
    return None


def load_config(
    start: Path | None = None,
    explicit: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Find, read and validate the configuration.

    ``explicit`` (``--config PATH``) skips discovery and must exist; a file named
    ``pyproject.toml`` is read for its ``[tool.linkaudit]`` table, any other file
    uses top-level keys like ``linkaudit.toml``.  ``environ`` (default
    ``os.environ``) resolves ``${VAR}`` in header values.  No file: defaults.
    """
    env = os.environ if environ is None else environ
    if explicit is not None:
        path = explicit
        if not path.is_file():
            raise ConfigError(f"{_display(path)}: configuration file not found")
        if path.name == PYPROJECT:
            table = _pyproject_table(path, required=True)
            assert table is not None
            prefix: tuple[str, ...] = _TOOL_TABLE
        else:
            table, prefix = _dedicated_table(path)
    else:
        found = _discover(start)
        if found is None:
            return Config()
        path, table, prefix = found
    return parse_config(table, path, prefix=prefix, environ=env)


def parse_config(
    table: Mapping[str, Any],
    source: Path,
    *,
    prefix: tuple[str, ...] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed linkaudit table (``prefix`` only shapes messages)."""
    ctx = _Ctx(_display(source), prefix, base=source.resolve().parent, environ=environ)
    values: dict[str, Any] = {}
    for key, value in table.items():
        parser = _FIELDS.get(key) if key in _FILE_KEYS else None
        if parser is None:
            ctx.unknown(key, (), _FILE_KEYS)
        values[key] = parser(value, ctx, (key,))
    if values.get("cache") is False:
        values["cache"] = None
        values["no_cache"] = True
    return Config(source=source.resolve(), **values)


_TOOL_TABLE = ("tool", "linkaudit")


def _dedicated_table(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A ``linkaudit.toml``'s settings and the key prefix its messages use.

    The file may hold the keys at top level or under ``[tool.linkaudit]`` (the
    README's example, copied from ``pyproject.toml``): both are read the same.
    Mixing the two would leave it unclear which value wins, so it is an error.
    """
    data = _read_toml(path)
    tool = data.get("tool")
    if not isinstance(tool, dict) or "linkaudit" not in tool:
        return data, ()
    table = tool["linkaudit"]
    if not isinstance(table, dict):
        raise ConfigError(f"{_display(path)}: tool.linkaudit must be a table")
    if set(data) != {"tool"} or set(tool) != {"linkaudit"}:
        raise ConfigError(
            f"{_display(path)}: settings both under [tool.linkaudit] and outside it; "
            "put them all in one place"
        )
    return table, _TOOL_TABLE


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from exc
    return _parse_toml(data, path)


def _parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read (a run without one needs none)

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_display(path)}: not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries "(at line L, column C)".
        raise ConfigError(f"{_display(path)}: invalid TOML: {exc}") from exc


def _pyproject_table(path: Path, *, required: bool) -> dict[str, Any] | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from exc
    # A pyproject.toml that never mentions us is someone else's business: skip it
    # without parsing, so a broken unrelated pyproject up the tree cannot stop a run.
    if b"linkaudit" not in data and not required:
        return None
    parsed = _parse_toml(data, path)
    tool = parsed.get("tool")
    table = tool.get("linkaudit") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{_display(path)}: no [tool.linkaudit] table")
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{_display(path)}: tool.linkaudit must be a table")
    return table


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


# --------------------------------------------------------------------------- validation

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


#: Settings whose command-line option is not spelled like the key.
_CLI_SPELLING = {
    "run_deadline": "deadline",
    "include_paths": "include-path",
    "exclude_paths": "exclude-path",
}


@dataclass(frozen=True)
class _Ctx:
    """Where a value came from, so an error can say exactly which key is wrong."""

    file: str
    prefix: tuple[str, ...]
    cli: bool = False
    base: Path | None = None
    environ: Mapping[str, str] | None = None

    def path(self, keys: Sequence[str]) -> str:
        if self.cli:
            option = _CLI_SPELLING.get(keys[0], keys[0].replace("_", "-"))
            return "--" + option + "".join(f".{k}" for k in keys[1:])
        return ".".join(k if _BARE_KEY.match(k) else f'"{k}"' for k in (*self.prefix, *keys))

    def fail(self, keys: Sequence[str], message: str) -> NoReturn:
        raise ConfigError(f"{self.file}: {self.path(keys)}: {message}")

    def unknown(self, key: str, table: Sequence[str], valid: Sequence[str]) -> NoReturn:
        where = self.path(table) if (table or self.prefix) else ""
        located = f"in [{where}]" if where else "at top level"
        message = f"{self.file}: unknown key {key!r} {located}"
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        else:
            message += f" (valid keys: {', '.join(valid)})"
        raise ConfigError(message)


_Parser = Callable[[Any, _Ctx, tuple[str, ...]], Any]


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _int(minimum: int) -> _Parser:
    def parse(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.fail(keys, f"must be an integer >= {minimum}, got {_type_name(value)}")
        if value < minimum:
            ctx.fail(keys, f"must be an integer >= {minimum}, got {value}")
        return value

    return parse


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> timedelta | None:
    """``"1d"``, ``"12h"``, ``"30m"``, ``"45s"``, ``"2w"`` or sums like ``"1d12h"``;
    None when the text is not a duration."""
    compact = text.strip().replace(" ", "")
    if not compact:
        return None
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if position != len(compact):
        return None
    return timedelta(seconds=total)


def _seconds_value(value: Any, ctx: _Ctx, keys: tuple[str, ...], what: str) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        ctx.fail(
            keys, f"must be {what} (seconds, or a duration like '30s'), got {_type_name(value)}"
        )
    if isinstance(value, str):
        parsed = parse_duration(value)
        if parsed is None:
            ctx.fail(keys, f"{value!r} is not a duration (use e.g. '30s', '5m', '12h', '1d')")
        return parsed.total_seconds()
    return float(value)


def _positive_seconds(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> float:
    seconds = _seconds_value(value, ctx, keys, "a number > 0")
    if seconds <= 0:
        ctx.fail(keys, f"must be > 0 seconds, got {value!r}")
    return seconds


def _per_minute(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> float:
    """A request budget: a number of requests per minute, > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.fail(keys, f"must be a number of requests per minute, got {_type_name(value)}")
    if value <= 0:
        ctx.fail(keys, f"must be > 0 requests per minute, got {value!r}")
    return float(value)


def _nonnegative_seconds(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> float:
    seconds = _seconds_value(value, ctx, keys, "a number >= 0")
    if seconds < 0:
        ctx.fail(keys, f"must be >= 0 seconds, got {value!r}")
    return seconds


def _age(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> timedelta:
    return timedelta(seconds=_nonnegative_seconds(value, ctx, keys))


def _bool(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> bool:
    if not isinstance(value, bool):
        ctx.fail(keys, f"must be true or false, got {_type_name(value)}")
    return value


def _str(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> str:
    if not isinstance(value, str) or not value.strip():
        ctx.fail(keys, f"must be a non-empty string, got {_type_name(value)}")
    return value


def _str_list(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        ctx.fail(keys, f"must be a list of strings, got {_type_name(value)}")
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            ctx.fail((*keys, str(index)), f"must be a string, got {_type_name(item)}")
        out.append(item)
    return tuple(out)


def _regexes(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    if isinstance(value, str | re.Pattern):
        value = [value]
    if not isinstance(value, list | tuple):
        ctx.fail(keys, f"must be a list of regular expressions, got {_type_name(value)}")
    out: list[re.Pattern[str]] = []
    for item in value:
        if isinstance(item, re.Pattern):
            out.append(item)
            continue
        if not isinstance(item, str):
            ctx.fail(keys, f"must be a list of strings, got {_type_name(item)} in it")
        try:
            out.append(re.compile(item))
        except re.error as exc:
            ctx.fail(keys, f"invalid regular expression {item!r}: {exc}")
    return tuple(out)


def _verdicts(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[Verdict, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        ctx.fail(keys, f"must be a list of verdicts or a comma string, got {_type_name(value)}")
    words = [v.value for v in Verdict]
    out: list[Verdict] = []
    for item in value:
        if not isinstance(item, str):
            ctx.fail(keys, f"must be a list of verdict words, got {_type_name(item)} in it")
        word = item.strip().lower()
        if word not in words:
            close = difflib.get_close_matches(word, words, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (one of: {', '.join(words)})"
            ctx.fail(keys, f"unknown verdict {item!r}{hint}")
        if Verdict(word) not in out:
            out.append(Verdict(word))
    return tuple(out)


def _scope(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Scope:
    choices = [s.value for s in Scope]
    if not isinstance(value, str) or value.lower() not in choices:
        ctx.fail(keys, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return Scope(value.lower())


#: What one politeness budget covers on a shared (PostgreSQL) store's work queue.
POLITENESS_KEYS = ("host", "domain", "ip")


def _politeness_key(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in POLITENESS_KEYS:
        ctx.fail(keys, f"must be one of {', '.join(map(repr, POLITENESS_KEYS))}, got {value!r}")
    return str(value.lower())


def _anchor_style(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> AnchorStyle:
    choices = [s.value for s in AnchorStyle]
    if not isinstance(value, str) or value.lower() not in choices:
        ctx.fail(keys, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return AnchorStyle(value.lower())


def _cache(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Path | str | bool:
    if value is False:
        return False
    if isinstance(value, Path) or is_server(value):  # a DSN is not relative to anything
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or not value.strip():
        ctx.fail(keys, f"must be a path or false, got {_type_name(value)}")
    path = Path(value).expanduser()
    if ctx.base is not None and not path.is_absolute():
        path = ctx.base / path
    return path


_HTTP_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)


def _formats(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Report formats: a list, or the command line's comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    names = _str_list(value, ctx, keys)
    out: list[str] = []
    for name in names:
        word = name.strip().lower()
        if word not in FORMAT_NAMES:
            close = difflib.get_close_matches(word, list(FORMAT_NAMES), n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f" (one of: {', '.join(FORMAT_NAMES)})"
            )
            ctx.fail(keys, f"unknown report format {name!r}{hint}")
        if word not in out:
            out.append(word)
    if not out:
        ctx.fail(keys, "must name at least one report format")
    return tuple(out)


def _path(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Path:
    """A path; in a file, relative to the file's directory (as ``cache`` is)."""
    if isinstance(value, Path):
        return value
    path = Path(_str(value, ctx, keys)).expanduser()
    if ctx.base is not None and not path.is_absolute():
        path = ctx.base / path
    return path


def _http_url(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> str:
    text = _str(value, ctx, keys).strip()
    if not _HTTP_URL.match(text):
        ctx.fail(keys, f"must be an http(s) URL, got {value!r}")
    return text


def _date(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> datetime:
    """A citation date: TOML's own date or date-time, or ISO 8601 text (UTC when no zone)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        ctx.fail(keys, f"must be a date (YYYY-MM-DD or ISO 8601), got {value!r}")
    return parsed


def _archives(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[ArchiveSpec, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        ctx.fail(keys, f"must be a list of archive names or tables, got {_type_name(value)}")
    out: list[ArchiveSpec] = []
    for index, item in enumerate(value):
        where = (*keys, str(index))
        if isinstance(item, ArchiveSpec):
            out.append(item)
        elif isinstance(item, str):
            if item not in KNOWN_ARCHIVES:
                close = difflib.get_close_matches(item, KNOWN_ARCHIVES, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f" (known: {', '.join(KNOWN_ARCHIVES)}; others need a timegate)"
                )
                ctx.fail(where, f"unknown archive {item!r}{hint}")
            out.append(ArchiveSpec(item))
        elif isinstance(item, dict):
            for key in item:
                if key not in ("name", "timegate"):
                    ctx.unknown(key, where, ["name", "timegate"])
            name = _str(item.get("name"), ctx, (*where, "name"))
            gate = item.get("timegate")
            if gate is None:
                if name not in KNOWN_ARCHIVES:
                    ctx.fail(where, f"archive {name!r} is not built in and needs a timegate URL")
            elif not isinstance(gate, str) or not _HTTP_URL.match(gate):
                ctx.fail((*where, "timegate"), f"must be an http(s) URL, got {gate!r}")
            out.append(ArchiveSpec(name, gate))
        else:
            ctx.fail(where, f"must be an archive name or a table, got {_type_name(item)}")
    return tuple(out)


_HOST_KEYS = ("concurrency", "interval", "timeout", "headers", "accept")
_HOST_NAME = re.compile(
    r"^(\*\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$"
)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_T = TypeVar("_T")


def _per_host(
    value: Any,
    ctx: _Ctx,
    keys: tuple[str, ...],
    kind: type[_T],
    allowed: tuple[str, ...],
    build: Callable[[Mapping[str, Any], tuple[str, ...]], _T],
) -> Mapping[str, _T]:
    """A table of tables keyed by host name (``[hosts."x"]``, ``[sites."x"]``): each
    name checked and keyed as entries are, each key known, each table built."""
    if not isinstance(value, Mapping):
        ctx.fail(
            keys,
            f'must be a table of {keys[-1][:-1]} tables ([{keys[-1]}."example.org"]), '
            f"got {_type_name(value)}",
        )
    out: dict[str, _T] = {}
    for raw_name, table in value.items():
        where = (*keys, raw_name)
        name = _host_name(raw_name, ctx, where, out)
        if isinstance(table, kind):
            out[name] = table
            continue
        if not isinstance(table, Mapping):
            ctx.fail(where, f"must be a table, got {_type_name(table)}")
        for key in table:
            if key not in allowed:
                ctx.unknown(key, where, allowed)
        out[name] = build(table, where)
    return MappingProxyType(out)


def _hosts(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Mapping[str, HostConfig]:
    def build(table: Mapping[str, Any], where: tuple[str, ...]) -> HostConfig:
        return HostConfig(
            concurrency=_opt(table, "concurrency", _int(1), ctx, where),
            interval=_opt(table, "interval", _nonnegative_seconds, ctx, where),
            timeout=_opt(table, "timeout", _positive_seconds, ctx, where),
            headers=MappingProxyType(_headers(table.get("headers", {}), ctx, (*where, "headers"))),
            accept=_accept(table.get("accept", []), ctx, (*where, "accept")),
        )

    return _per_host(value, ctx, keys, HostConfig, _HOST_KEYS, build)


def _host_name(raw: object, ctx: _Ctx, where: tuple[str, ...], seen: Mapping[str, Any]) -> str:
    """A table's host name as entries are keyed (``host_key``), or a one-line error."""
    name = host_key(str(raw))
    if "://" in name or "/" in name:
        ctx.fail(where, 'use a host name such as "example.org", not a URL')
    if not _HOST_NAME.match(name):
        ctx.fail(where, f"{raw!r} is not a host name")
    if name in seen:
        ctx.fail(where, f"the same host as another entry ({name!r}); merge the two tables")
    return name


_SITE_KEYS = ("body", "wordpress_auth")


def _sites(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Mapping[str, SiteConfig]:
    def build(table: Mapping[str, Any], where: tuple[str, ...]) -> SiteConfig:
        return SiteConfig(
            body=_opt(table, "body", _css_selector, ctx, where),
            wordpress_auth=_opt(table, "wordpress_auth", _env_secret, ctx, where),
        )

    return _per_host(value, ctx, keys, SiteConfig, _SITE_KEYS, build)


def _css_selector(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> str:
    selector = _str(value, ctx, keys)
    # imported here: only a configuration that names selectors needs cssselect
    from cssselect import HTMLTranslator, SelectorError

    try:
        HTMLTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        ctx.fail(keys, f"{selector!r} is not a CSS selector ({exc})")
    return selector


def _opt(
    table: Mapping[str, Any], key: str, parser: _Parser, ctx: _Ctx, where: tuple[str, ...]
) -> Any:
    return parser(table[key], ctx, (*where, key)) if key in table else None


def _headers(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> dict[str, str | Secret]:
    if not isinstance(value, Mapping):
        ctx.fail(keys, f"must be a table of header names to strings, got {_type_name(value)}")
    env = os.environ if ctx.environ is None else ctx.environ
    out: dict[str, str | Secret] = {}
    for name, raw in value.items():
        where = (*keys, name)
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            ctx.fail(where, f"{name!r} is not a valid HTTP header name")
        if isinstance(raw, Secret):
            out[name] = raw
        elif isinstance(raw, Mapping):
            if set(raw) != {"env"} or not isinstance(raw["env"], str):
                ctx.fail(where, 'must be a string or {env = "VARIABLE"}')
            variable = raw["env"]
            if variable not in env:
                ctx.fail(where, f"environment variable {variable!r} is not set")
            _one_header_line(env[variable], ctx, where, (variable,))
            out[name] = Secret(env[variable], (variable,))
        elif isinstance(raw, str):
            variables = tuple(_ENV_REF.findall(raw))
            if not variables:
                _one_header_line(raw, ctx, where, ())
                out[name] = raw
                continue
            for variable in variables:
                if variable not in env:
                    ctx.fail(where, f"environment variable {variable!r} is not set")
            value = _ENV_REF.sub(lambda m: env[m.group(1)], raw)
            _one_header_line(value, ctx, where, variables)
            out[name] = Secret(value, variables)
        else:
            ctx.fail(where, f"must be a string, got {_type_name(raw)}")
    return out


def _env_secret(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> Secret:
    """A secret that must come from the environment (``"${VAR}"`` or ``{env = "VAR"}``)."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, str) and not _ENV_REF.search(value):
        ctx.fail(keys, 'must come from the environment ("${VARIABLE}"), not be written here')
    secret = _headers({keys[-1]: value}, ctx, keys[:-1]).get(keys[-1])
    if not isinstance(secret, Secret):
        ctx.fail(keys, 'must be "${VARIABLE}" or {env = "VARIABLE"}')
    return secret


_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _one_header_line(
    value: str, ctx: _Ctx, where: tuple[str, ...], variables: tuple[str, ...]
) -> None:
    """A header value is one line of printable ASCII (RFC 9110); say which variable
    broke the rule, never the value (a token pasted with its newline is common)."""
    if _HEADER_VALUE.fullmatch(value):
        return
    source = f" (from environment variable {', '.join(map(repr, variables))})" if variables else ""
    what = (
        "a line break"
        if ("\n" in value or "\r" in value)
        else "a character that is not printable ASCII"
    )
    ctx.fail(
        where,
        f"the value{source} contains {what}; a header value must be one line of printable ASCII",
    )


def _accept(value: Any, ctx: _Ctx, keys: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    if isinstance(value, int | str) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        ctx.fail(keys, f"must be a list of statuses or ranges, got {_type_name(value)}")
    out: list[tuple[int, int]] = []
    for item in value:
        if isinstance(item, tuple) and len(item) == 2:
            low, high = item
        elif isinstance(item, int) and not isinstance(item, bool):
            low = high = item
        elif isinstance(item, str) and re.fullmatch(r"\s*\d{3}\s*(-\s*\d{3}\s*)?", item):
            parts = [int(p) for p in item.split("-")]
            low, high = parts[0], parts[-1]
        else:
            ctx.fail(keys, f"{item!r} is not a status (403) or range ('200-299')")
        # Up to 999: LinkedIn answers robots with 999, and some sites are known to.
        if not (100 <= low <= high <= 999):
            ctx.fail(keys, f"{item!r} is not a status range within 100-999")
        out.append((low, high))
    return tuple(out)


def _setting(parse: _Parser, default: Any = None, *, in_file: bool = True) -> Any:
    """A configuration field: its default and the parser that validates it, from a
    file or the command line alike."""
    return field(default=default, metadata={"parse": parse, "in_file": in_file})


def _jsonable(value: Any) -> Any:
    """A configured value as JSON (what ``to_dict`` writes into reports and history)."""
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ArchiveSpec):
        return dataclasses.asdict(value)
    if isinstance(value, HostConfig | SiteConfig):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class Config:
    """Validated settings. Every key is optional in the file.

    ``source``: the file these came from (None: defaults only).
    ``exclude``: URL regexes (``re.search``); matching URLs are ``skipped``.
    ``exclude_paths`` / ``include_paths``: path globs for directory sources,
    relative to the config file's directory (:attr:`root`).
    ``fail_on``: verdicts that make the exit code 1 (list or ``"broken,lost"``).
    ``timeout`` / ``connect_timeout``: seconds per request / per connect;
    ``deadline``: seconds for one URL including retries; ``run_deadline``: for the
    whole run (what is not done by then is ``unreachable``, ``run_deadline``, and the
    reports are still written).  Numbers are seconds; strings are durations
    (``"30s"``, ``"2m"``).
    ``concurrency``: requests in flight overall; ``per_host``: per host;
    ``host_interval``: seconds between request starts to one host.
    ``max_retries`` (retries after the first attempt), ``max_retry_wait`` (the
    longest ``Retry-After`` honoured, seconds), ``max_redirects`` (more is ``broken``).
    ``user_agent``: replaces the default honest User-Agent.
    ``scope``: ``"article"`` or ``"page"``; ``include_internal``: check links to the
    article's own site too; ``check_fragments``: verify ``#fragment`` targets.
    ``archives``: names (``"wayback"``) or ``{name, timegate}`` tables, in order;
    ``archive_all``: look up copies for every citation, not only failing ones.
    ``archive_rate`` / ``timegate_rate`` / ``save_rate``: requests per minute to the
    Wayback Machine (CDX, Availability, captures), to each TimeGate, and to Save
    Page Now (defaults: the public services' published limits, halved; raise them
    for a self-hosted archive or a mirror given with ``--wayback-url``).
    ``browser``: re-check citations blocked by a bot wall in headless Chromium.
    ``drift``: compare ``ok``/``moved`` pages with the version cited (content drift).
    ``politeness_key``: on a PostgreSQL store's work queue, what one host row (one
    politeness budget) covers: ``"host"`` (default), ``"domain"`` (the registrable
    domain: every subdomain of a publisher shares it) or ``"ip"`` (every name on
    one server shares it), as Nutch's and Heritrix's queue modes.
    ``exclude_private`` / ``exclude_loopback`` / ``exclude_link_local``: never connect
    to such addresses (judged after name resolution and on every redirect hop);
    ``exclude_all_private``: all three.  The links are ``skipped (private_address)``.
    ``cache``: the SQLite file (relative to the config file) or a ``postgresql://``
    DSN (its password as ``${VAR}`` or from ``PGPASSWORD``), or ``false`` for
    ``no_cache``.  ``max_age``: how long a definitive result is reused;
    ``max_age_ok``: the same for ``ok``/``moved`` (durations: ``"1d"``, ``"12h"``,
    ``"30m"``, ``"1d12h"`` or seconds).
    ``hosts``: per-host overrides, see :class:`HostConfig`.
    ``format``: the report files ``audit`` writes (``["html", "sarif"]``);
    ``output_dir``: where ``audit`` and ``health`` write them (relative to the file).
    ``wayback_url``: the Wayback Machine or a mirror; ``base_url``: resolves
    relative links; ``cited_at``: the citation date of every document
    (``2023-04-18``); ``root_dir``: the directory root-relative links point into
    (relative to the file); ``anchor_style``: whose heading ids ``#fragment`` links
    into Markdown files are matched against (``github``, ``gitlab``,
    ``python-markdown``; see :class:`~linkaudit.check.local.AnchorStyle`);
    ``repository``: the repository's web address, whose own ``blob``/``tree`` links
    are checked on disk (default: the git remote ``origin``).
    ``sites``: per-site settings for the pages audited, see :class:`SiteConfig`.

    None means "not configured": the stage's own default applies (declared once,
    with the stage: ``CheckOptions``, ``AuditOptions``, ``CachePolicy``).  This
    module validates settings; it does not decide how the stages behave.  Each
    field's parser is in its metadata, so a new setting is one field here and
    one mapping onto its stage (``linkaudit.settings``).
    """

    source: Path | None = None
    exclude: tuple[re.Pattern[str], ...] = _setting(_regexes, ())
    exclude_paths: tuple[str, ...] = _setting(_str_list, ())
    include_paths: tuple[str, ...] = _setting(_str_list, ())
    fail_on: tuple[Verdict, ...] = _setting(_verdicts, DEFAULT_FAIL_ON)
    timeout: float | None = _setting(_positive_seconds)
    connect_timeout: float | None = _setting(_positive_seconds)
    deadline: float | None = _setting(_positive_seconds)
    run_deadline: float | None = _setting(_positive_seconds)
    concurrency: int | None = _setting(_int(1))
    per_host: int | None = _setting(_int(1))
    host_interval: float | None = _setting(_nonnegative_seconds)
    max_retries: int | None = _setting(_int(0))
    max_retry_wait: float | None = _setting(_nonnegative_seconds)
    max_redirects: int | None = _setting(_int(0))
    user_agent: str | None = _setting(_str)
    scope: Scope | None = _setting(_scope)
    include_internal: bool | None = _setting(_bool)
    check_fragments: bool | None = _setting(_bool)
    archives: tuple[ArchiveSpec, ...] = _setting(_archives, ())
    archive_all: bool | None = _setting(_bool)
    archive_rate: float | None = _setting(_per_minute)
    timegate_rate: float | None = _setting(_per_minute)
    save_rate: float | None = _setting(_per_minute)
    browser: bool | None = _setting(_bool)
    drift: bool | None = _setting(_bool)
    politeness_key: str | None = _setting(_politeness_key)
    exclude_private: bool | None = _setting(_bool)
    exclude_loopback: bool | None = _setting(_bool)
    exclude_link_local: bool | None = _setting(_bool)
    exclude_all_private: bool | None = _setting(_bool)
    cache: Path | str | None = _setting(_cache)  # str: a postgresql:// DSN
    no_cache: bool = _setting(_bool, False, in_file=False)  # ``cache = false`` in a file
    max_age: timedelta | None = _setting(_age)
    max_age_ok: timedelta | None = _setting(_age)
    format: tuple[str, ...] = _setting(_formats, ())
    output_dir: Path | None = _setting(_path)
    wayback_url: str | None = _setting(_http_url)
    base_url: str | None = _setting(_http_url)
    cited_at: datetime | None = _setting(_date)
    root_dir: Path | None = _setting(_path)
    anchor_style: AnchorStyle | None = _setting(_anchor_style)
    repository: str | None = _setting(_http_url)
    hosts: Mapping[str, HostConfig] = field(
        default_factory=lambda: MappingProxyType({}), metadata={"parse": _hosts, "in_file": True}
    )
    sites: Mapping[str, SiteConfig] = field(
        default_factory=lambda: MappingProxyType({}), metadata={"parse": _sites, "in_file": True}
    )

    @property
    def root(self) -> Path | None:
        """The directory relative paths in the file are relative to."""
        return self.source.parent if self.source is not None else None

    def host(self, hostname: str) -> HostConfig | None:
        """Overrides for a host (the rule of :func:`linkaudit.hosts.match_host`)."""
        return match_host(self.hosts, hostname)

    def merged_with(self, **overrides: object) -> Config:
        """This configuration with command-line values on top.

        None means "option not given" and keeps the file's value; anything else is
        validated exactly as the file's value would be (so ``fail_on="broken,stale"``
        or ``max_age="2h"`` work) and replaces it: lists replace, they do not extend.
        An unknown name is a programming error (TypeError), not a user error.
        """
        names = {f.name for f in dataclasses.fields(self)} - {"source"}
        changes: dict[str, Any] = {}
        ctx = _Ctx("command line", (), cli=True)
        for name, value in overrides.items():
            if name not in names:
                raise TypeError(f"merged_with() got an unknown setting {name!r}")
            if value is None:
                continue
            changes[name] = _FIELDS[name](value, ctx, (name,))
        if "cache" in changes and changes["cache"] is False:
            changes["cache"] = None
            changes["no_cache"] = True
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings as configured, field by field; secrets masked."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


#: Every setting's parser, by name (``source`` is where they came from, not a setting).
_FIELDS: dict[str, _Parser] = {
    f.name: f.metadata["parse"] for f in dataclasses.fields(Config) if "parse" in f.metadata
}
#: Keys a file may use (``no_cache`` is spelled ``cache = false`` there).
_FILE_KEYS: tuple[str, ...] = tuple(
    sorted(f.name for f in dataclasses.fields(Config) if f.metadata.get("in_file"))
)
