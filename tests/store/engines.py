"""The store engines the contract tests run against, behind one small interface.

Each engine says where a throwaway store lives, how to open it (here and in a
child process), how to build one at an older schema, and how to count the
connections a piece of code opens.  SQLite and PostgreSQL (one database per
test in the session's throw-away cluster, see ``tests/conftest.py``): every
contract test runs against both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

from linkaudit.store import CachePolicy, Store
from linkaudit.store.base import Clock
from linkaudit.store.migrations import MIGRATIONS


class Engine(Protocol):
    name: str

    def attach(self, request: pytest.FixtureRequest) -> None:
        """Take what the engine needs from the test session (a server, say)."""
        ...

    def location(self, tmp_path: Path) -> str:
        """Where a new, empty store for one test lives."""
        ...

    def open(self, location: str, *, now: Clock, policy: CachePolicy | None = None) -> Store: ...

    def open_in_child(self, location: str) -> str:
        """A Python expression that opens the store in another process."""
        ...

    def make_older(self, location: str, version: int) -> None:
        """Create a store at schema ``version`` (< the current one), as an older
        linkaudit left it."""
        ...

    def count_connections(self, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
        """From now on, count the connections opened to any store."""
        ...


class SQLiteEngine:
    name = "sqlite"

    def attach(self, request: pytest.FixtureRequest) -> None:
        pass

    def location(self, tmp_path: Path) -> str:
        return str(tmp_path / ".linkaudit" / "cache.sqlite")

    def open(self, location: str, *, now: Clock, policy: CachePolicy | None = None) -> Store:
        return Store.open(Path(location), now=now, policy=policy)

    def open_in_child(self, location: str) -> str:
        return f"Store.open(Path({location!r}))"

    def make_older(self, location: str, version: int) -> None:
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(location, isolation_level=None)
        try:
            for statements in MIGRATIONS[:version]:
                for statement in statements:
                    raw.execute(statement)
            raw.execute(f"PRAGMA user_version = {version}")
        finally:
            raw.close()

    def count_connections(self, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
        opened: list[str] = []
        real = sqlite3.connect

        def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
            opened.append(str(args[0]) if args else "")
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(sqlite3, "connect", connect)
        return lambda: len(opened)


class PostgresEngine:
    """A database per location in the session's cluster (the ``pg_cluster`` fixture)."""

    name = "postgresql"

    def __init__(self) -> None:
        self._cluster: Any = None

    def attach(self, request: pytest.FixtureRequest) -> None:
        self._cluster = request.getfixturevalue("pg_cluster")

    def location(self, tmp_path: Path) -> str:
        assert self._cluster is not None, "attach() first"
        dsn: str = self._cluster.new_database()
        return dsn

    def open(self, location: str, *, now: Clock, policy: CachePolicy | None = None) -> Store:
        return Store.open(location, now=now, policy=policy)

    def open_in_child(self, location: str) -> str:
        return f"Store.open({location!r})"

    def make_older(self, location: str, version: int) -> None:
        from linkaudit.store.postgres import create_at_version

        create_at_version(location, version)

    def count_connections(self, monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
        import psycopg

        opened: list[str] = []
        real = psycopg.connect

        def connect(*args: Any, **kwargs: Any) -> Any:
            opened.append(str(args[0]) if args else "")
            return real(*args, **kwargs)

        monkeypatch.setattr(psycopg, "connect", connect)
        return lambda: len(opened)


ENGINES: list[Engine] = [SQLiteEngine(), PostgresEngine()]
