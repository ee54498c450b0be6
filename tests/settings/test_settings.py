"""Configuration reaches each stage: settings.py is the only bridge, so test it."""

from __future__ import annotations

from pathlib import Path

from linkaudit.check.options import host_settings
from linkaudit.config import load_config
from linkaudit.model import Scope
from linkaudit.settings import audit_options

CONFIG = """
per_host = 2
timeout = "15s"
max_retries = 1
scope = "page"
exclude = ['^https?://ads\\.']
archives = ["wayback", "archive.today"]

[hosts."api.example.org"]
concurrency = 1
interval = 2.5
headers = { Authorization = "${TOKEN}" }

[hosts."*.linkedin.com"]
accept = [999, "200-299"]
"""


def test_config_reaches_engine_archives_and_policy(tmp_path: Path) -> None:
    (tmp_path / "linkaudit.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path, environ={"TOKEN": "s3cret-token"})
    options = audit_options(config, insecure=True)
    check = options.check
    assert (check.per_host, check.timeout_read, check.max_retries) == (2, 15.0, 1)
    assert check.verify_tls is False
    assert check.concurrency == 64  # not configured: the engine's default
    api = host_settings(check, "api.example.org")
    assert api is not None
    assert (api.concurrency, api.interval) == (1, 2.5)
    assert api.headers["Authorization"] == "s3cret-token"
    assert "s3cret-token" not in repr(check)
    assert host_settings(check, "other.example.org") is None
    assert options.scope is Scope.PAGE
    assert options.exclude == ("^https?://ads\\.",)
    assert options.archive is not None
    assert [name for name, _ in options.archive.timegates] == ["archive.today"]
    assert 999 in options.accept["*.linkedin.com"]
    assert 250 in options.accept["*.linkedin.com"]


def test_offline_and_no_archive_turn_lookups_off(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert audit_options(config, offline=True).archive is None
    assert audit_options(config, archive=False).archive is None
    assert audit_options(config).archive is not None


def test_accepted_statuses_turn_a_verdict_ok_with_evidence() -> None:
    from linkaudit.model import CheckResult, Verdict
    from linkaudit.pipeline import _accepted

    refused = CheckResult(
        key="https://www.linkedin.com/in/x",
        url="https://www.linkedin.com/in/x",
        verdict=Verdict.BLOCKED,
        reason="status_999",
        detail="Answers 999.",
        status=999,
    )
    table = {"*.linkedin.com": frozenset({999})}
    accepted = _accepted(refused, table)
    assert (accepted.verdict, accepted.reason) == (Verdict.OK, "accepted_status")
    assert "would have been blocked (status_999)" in accepted.notes
    assert _accepted(refused, {"linkedin.com.evil": frozenset({999})}) is refused
    assert _accepted(refused, {"*.linkedin.com": frozenset({403})}) is refused
