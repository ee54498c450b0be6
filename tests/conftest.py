"""Suite-wide fixtures: one throw-away PostgreSQL cluster per test session.

Started on first use only (a run of tests that never touch PostgreSQL starts
nothing), stopped at the end.  Each test asks it for its own database.  Where no
cluster can start the tests that need one skip, except under ``CI=true``, where
they fail: CI installs the server, so a cluster that does not start is a bug.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from linkaudit.testing.postgres import ClusterUnavailable, TempCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TempCluster]:
    try:
        import psycopg  # noqa: F401 - the engine needs it; say so before starting a server
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[test]')")
    cluster = TempCluster()
    try:
        cluster.start()
    except ClusterUnavailable as exc:
        cluster.stop()
        _unavailable(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL cluster unavailable under CI: {why}", pytrace=False)
    pytest.skip(f"PostgreSQL cluster unavailable: {why}")


@pytest.fixture
def pg_dsn(pg_cluster: TempCluster) -> str:
    """A fresh, empty database of the session's cluster."""
    return pg_cluster.new_database()


@pytest.fixture(scope="module")
def forget_drift_pages() -> Iterator[None]:
    """The drift benchmark's parsed pages are cached for one test module only: the rest
    of the suite (and its timing-based scaling checks) should not carry them."""
    yield
    from benchmarks import drift

    drift.parsed.cache_clear()
    drift.corpus.cache_clear()
