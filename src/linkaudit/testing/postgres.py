"""A throw-away PostgreSQL cluster for tests, the demo and benchmarks.

The PostgreSQL engine is only believable when tested against a real server, and a
server the suite starts itself is the only one a contributor or CI can count on:
Debian's ``postgresql`` package gives ``initdb`` and ``pg_ctl``; this module makes
a cluster in a temporary directory, starts it on a free loopback port with
settings that trade durability for speed (``fsync=off``: a test database that
a power cut loses costs nothing), hands out one fresh database per caller, and
stops and deletes it all at the end.

``pg_ctl`` refuses to run as root, so when we are root the cluster directory
belongs to the ``postgres`` user and the server programs run as that user.
Authentication is ``trust`` on the loopback address only: the cluster exists
for one process tree and for minutes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

#: Where Debian and Ubuntu put the server programs (``pg_ctl`` is not on PATH there).
_DEBIAN_BINS = Path("/usr/lib/postgresql")


class ClusterUnavailable(RuntimeError):
    """No cluster could be started here (no server installed, or it failed)."""


def server_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, newest version first."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    if _DEBIAN_BINS.is_dir():
        for version in sorted(_DEBIAN_BINS.iterdir(), key=_version_key, reverse=True):
            if (version / "bin" / "pg_ctl").is_file():
                return version / "bin"
    return None


def _version_key(path: Path) -> tuple[int, str]:
    return (int(path.name), "") if path.name.isdigit() else (0, path.name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TempCluster:
    """One throw-away cluster; ``with TempCluster() as cluster: cluster.new_database()``."""

    def __init__(self, *, name: str = "linkaudit") -> None:
        self._name = name
        self._dir: Path | None = None
        self._bin: Path | None = None
        self._as_postgres = os.geteuid() == 0
        self._counter = itertools.count(1)
        self.port = 0
        self.user = "postgres"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> TempCluster:
        self._bin = server_bin_dir()
        if self._bin is None:
            raise ClusterUnavailable(
                "no PostgreSQL server programs (initdb, pg_ctl): install Debian's postgresql"
            )
        self._dir = Path(tempfile.mkdtemp(prefix=f"{self._name}-pg-"))
        data = self._dir / "data"
        if self._as_postgres:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterUnavailable("running as root, and there is no postgres user") from exc
            os.chown(self._dir, account.pw_uid, account.pw_gid)
        self.port = free_port()
        self._run(
            [
                "initdb",
                "-D",
                str(data),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self._dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=32MB",
            ]
        )
        self._run(
            ["pg_ctl", "-D", str(data), "-l", str(self._dir / "log"), "-o", options, "-w", "start"]
        )
        return self

    def stop(self) -> None:
        if self._dir is None:
            return
        with contextlib.suppress(ClusterUnavailable):
            self._run(["pg_ctl", "-D", str(self._dir / "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its DSN.  Cheaper than a cluster per test, and
        as separate: nothing one test writes is visible to another."""
        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        try:
            import psycopg
        except ImportError:  # the server's own client will do, a little slower
            self.psql(f'CREATE DATABASE "{name}"')
        else:
            with psycopg.connect(self.dsn(), autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.dsn(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with the server's own client (no driver needed)."""
        psql = self._program("psql")
        done = subprocess.run(
            [psql, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql, self.dsn(database)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterUnavailable(f"psql: {done.stderr.strip()}")
        return done.stdout

    # ------------------------------------------------------------------ helpers

    def _program(self, name: str) -> str:
        assert self._bin is not None
        path = self._bin / name
        return str(path) if path.is_file() else name

    def _run(self, command: Sequence[str]) -> None:
        argv = [self._program(command[0]), *command[1:]]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            log = ""
            if self._dir is not None and (self._dir / "log").is_file():
                with contextlib.suppress(OSError):
                    log = (self._dir / "log").read_text(errors="replace")[-2000:]
            raise ClusterUnavailable(
                f"{command[0]} failed ({done.returncode}): {done.stderr.strip()} {log}".strip()
            )
