"""What only the PostgreSQL engine has: a DSN as the store's location, its password
from the environment and masked wherever it is shown, a server that cannot be
reached as one line, and ``--store postgresql://…`` on ``audit`` and ``health``.

The contract every engine keeps is in ``test_store_contract.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_helpers import make_result

from linkaudit.cli import main
from linkaudit.store import DatabaseError, Store, StoreError
from linkaudit.store.location import as_location, expand_dsn, is_server, mask_dsn
from linkaudit.testing.postgres import TempCluster, free_port
from linkaudit.testing.server import LoopbackServer, Site, page


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://u:s3cr@t@db.example:5432/la", "postgresql://u:***@db.example:5432/la"),
        ("postgresql://db.example:5432/la", "postgresql://db.example:5432/la"),
        (
            "postgres://u@h/la?password=pw&sslmode=require",
            "postgres://u@h/la?password=***&sslmode=require",
        ),
        ("postgresql://u:${LA_PW}@h/la", "postgresql://u:${LA_PW}@h/la"),
    ],
)
def test_a_dsn_is_shown_with_its_password_masked(dsn: str, shown: str) -> None:
    assert mask_dsn(dsn) == shown
    assert is_server(dsn)
    assert as_location(dsn) == dsn  # not a Path: the "//" would be folded away


def test_a_password_variable_is_read_when_opened_and_must_be_set() -> None:
    assert expand_dsn("postgresql://u:${PW}@h/d", {"PW": "a@b/c"}) == "postgresql://u:a%40b%2Fc@h/d"
    with pytest.raises(StoreError, match="environment variable PW is not set"):
        expand_dsn("postgresql://u:${PW}@h/d", {})
    assert not is_server("cache.sqlite")
    assert as_location("cache.sqlite") == Path("cache.sqlite")


def test_a_server_that_cannot_be_reached_is_one_line_without_the_password() -> None:
    dsn = f"postgresql://u:hunter2@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(StoreError) as caught:
        Store.open(dsn, busy_timeout=2)
    message = str(caught.value)
    assert "cannot connect" in message
    assert "\n" not in message
    assert "hunter2" not in message
    result = CliRunner().invoke(main, ["health", "--store", dsn])
    assert result.exit_code == 2
    assert "hunter2" not in result.output
    assert result.output.startswith("linkaudit: error:")


def test_a_schema_from_a_newer_linkaudit_is_refused(pg_dsn: str, pg_cluster: TempCluster) -> None:
    with Store.open(pg_dsn):
        pass
    pg_cluster.psql("UPDATE linkaudit_schema SET version = 999", pg_dsn.rsplit("/", 1)[1])
    with pytest.raises(StoreError, match="newer linkaudit"):
        Store.open(pg_dsn)


@pytest.fixture
def site() -> Iterator[Site]:
    with LoopbackServer() as server:
        web = server.add_site("127.0.0.1")
        web.route("/live", page("<title>Live</title><p>fine</p>"))
        web.route("/dead", page("gone", status=404))
        yield web


def test_audit_and_health_on_a_server_store(
    site: Site, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LA_STORE_PW", "sw0rdfish")  # trust auth: accepted and unused
    dsn = pg_dsn.replace("postgres@", "postgres:${LA_STORE_PW}@")
    (tmp_path / "a.html").write_text(
        f'<p><a href="{site.url("/live")}">one</a> <a href="{site.url("/dead")}">two</a></p>',
        encoding="utf-8",
    )
    args = ["audit", "a.html", "--store", dsn, "--no-archive", "--format", "json"]
    first = CliRunner().invoke(main, [*args, "--output-dir", "one"])
    assert first.exit_code == 1, first.output  # the broken link
    requests = site.stats.requests
    second = CliRunner().invoke(main, [*args, "--output-dir", "two"])
    assert second.exit_code == 1, second.output
    assert site.stats.requests == requests  # definitive verdicts reused from the server
    report = json.loads(next((tmp_path / "two").glob("a-2*.json")).read_text(encoding="utf-8"))
    assert report["settings"]["cache"] == dsn  # the variable's name, never its value
    health = CliRunner().invoke(
        main, ["health", "--store", dsn, "--format", "json", "--output-dir", "h"]
    )
    assert health.exit_code == 0, health.output
    data = json.loads(next((tmp_path / "h").glob("health-2*.json")).read_text(encoding="utf-8"))
    assert data["store"] == dsn
    with Store.open(expand_dsn(dsn)) as store:
        assert len(store.history.runs()) == 2
        settings = json.dumps([r.settings for r in store.history.runs()])
    everything = first.output + second.output + health.output + settings
    assert "sw0rdfish" not in everything


def test_an_audit_and_a_worker_share_the_queue(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``audit --store`` enqueues and follows while a ``linkaudit worker`` runs:
    together they ask each URL once, and the run records every answer as fresh."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    monkeypatch.chdir(tmp_path)
    with LoopbackServer() as server:
        sites = [server.add_site(f"127.0.0.{n}", latency=0.2) for n in (1, 2)]
        for site in sites:
            site.fallback = page("<title>fine</title><p>" + "words " * 40 + "</p>")
        links = [site.url(f"/story/{i}") for site in sites for i in range(6)]
        (tmp_path / "a.html").write_text(
            "".join(f'<p><a href="{url}">link {i}</a></p>' for i, url in enumerate(links)),
            encoding="utf-8",
        )
        with Store.open(pg_dsn):
            pass  # the schema exists before the worker polls it
        worker = subprocess.Popen(
            [sys.executable, "-m", "linkaudit", "worker", "--store", pg_dsn, "--idle-exit", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            result = CliRunner().invoke(
                main, ["audit", "a.html", "--store", pg_dsn, "--no-archive", "--format", "json"]
            )
        finally:
            _, err = worker.communicate(timeout=120)
        assert result.exit_code == 0, result.output
        assert worker.returncode == 0, err
        assert [s.stats.requests for s in sites] == [6, 6]  # each URL asked once in all
    with Store.open(pg_dsn) as store:
        (run,) = store.history.runs()
        recorded = store.history.run_results(run.id)
    assert sorted(recorded) == sorted(links)
    assert all(r.verdict.value == "ok" and not r.from_cache for r in recorded.values())


def test_a_dsn_in_the_configuration_file(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "linkaudit.toml").write_text(f'cache = "{pg_dsn}"\n', encoding="utf-8")
    with Store.open(pg_dsn):
        pass
    result = CliRunner().invoke(main, ["health", "--format", "json", "--output-dir", "h"])
    assert result.exit_code == 0, result.output
    data = json.loads(next((tmp_path / "h").glob("health-2*.json")).read_text(encoding="utf-8"))
    assert data["store"] == pg_dsn


def test_a_worker_needs_a_server_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["worker", "--store", "cache.sqlite"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "linkaudit: error: a worker needs a shared store: --store postgresql://user@host/db"
    )


def test_a_dropped_connection_costs_one_statement(pg_dsn: str, pg_cluster: TempCluster) -> None:
    """A worker outlives its database's restarts: the statement that meets a dropped
    connection fails (as DatabaseError, a warning for a cache read), the next runs
    on a new connection."""
    with Store.open(pg_dsn) as store:
        store.results.put(make_result("https://a.example/x", checked_at=None))
        database = pg_dsn.rsplit("/", 1)[1]
        pg_cluster.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{database}' AND application_name = 'linkaudit'"
        )
        with pytest.raises(DatabaseError):
            store.db.query("SELECT 1")
        assert store.db.query("SELECT count(*) FROM results") == [(1,)]


def test_an_audit_on_a_server_store_spends_the_shared_archive_budget(
    site: Site, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkaudit.testing.archive import ArchiveStandIn

    monkeypatch.chdir(tmp_path)
    dead = site.url("/dead")
    (tmp_path / "a.html").write_text(f'<p><a href="{dead}">gone</a></p>', encoding="utf-8")
    (tmp_path / "linkaudit.toml").write_text('archives = ["wayback"]\n', encoding="utf-8")
    with ArchiveStandIn() as archive:
        archive.add_capture(dead, "20200101000000", 200)
        args = ["audit", "a.html", "--store", pg_dsn, "--wayback-url", archive.base_url]
        result = CliRunner().invoke(main, [*args, "--format", "json", "--output-dir", "out"])
    assert result.exit_code == 1, result.output
    report = json.loads(next((tmp_path / "out").glob("a-2*.json")).read_text(encoding="utf-8"))
    (finding,) = report["findings"]
    assert finding["verdict"] == "broken"
    assert "/web/20200101000000/" in finding["archive"]["url"]
    with Store.open(pg_dsn) as store:
        (started,) = store.db.query_one(
            "SELECT started FROM hosts WHERE key = 'archive:wayback'"
        ) or (0,)
    assert started >= 1  # the lookup took its slot from the shared row


def test_politeness_key_in_the_configuration_groups_the_queue_by_domain(
    pg_dsn: str, tmp_path: Path
) -> None:
    """``politeness_key = "domain"``: a run's URLs on two subdomains of one publisher
    are enqueued under one host row, one budget for both."""
    from linkaudit.runner import _shared_checker
    from linkaudit.settings import RunInputs, plan_run
    from linkaudit.store.queue import WorkQueue
    from linkaudit.worker import QueueChecker

    (tmp_path / "linkaudit.toml").write_text(
        f'cache = "{pg_dsn}"\npoliteness_key = "domain"\n', encoding="utf-8"
    )
    plan = plan_run(RunInputs(sources=("a.html",), cwd=tmp_path, command="audit"))
    assert plan.request.politeness_key == "domain"
    with Store.open(pg_dsn) as store:
        checker = _shared_checker(store, plan.request)
        assert isinstance(checker, QueueChecker)
        queue = WorkQueue(store.db)
        worker = checker.options
        queue.enqueue(
            ["https://news.example.org/a", "https://www.example.org/b"],
            limits=worker.limits,
            mode=worker.politeness,
        )
        keys = [row[0] for row in store.db.query("SELECT key FROM hosts ORDER BY key")]
    assert keys == ["example.org"]


def test_an_unknown_politeness_key_is_a_one_line_config_error(tmp_path: Path) -> None:
    from linkaudit.errors import ConfigError
    from linkaudit.settings import RunInputs, plan_run

    (tmp_path / "linkaudit.toml").write_text('politeness_key = "site"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"politeness_key.*must be one of 'host', 'domain', 'ip'"):
        plan_run(RunInputs(sources=("a.html",), cwd=tmp_path))
