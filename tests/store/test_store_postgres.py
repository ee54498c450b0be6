"""What only the PostgreSQL engine has: a DSN as the store's location, its password
from the environment and masked wherever it is shown, a server that cannot be
reached as one line, and ``--store postgresql://…`` on ``audit`` and ``health``.

The contract every engine keeps is in ``test_store_contract.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.cli import main
from linkaudit.store import Store, StoreError
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
