"""Configuration reaches each stage: settings.py is the only bridge, so test it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkaudit import DEFAULT_USER_AGENT, __version__
from linkaudit.check import CheckOptions
from linkaudit.check.options import host_settings
from linkaudit.config import Config, load_config
from linkaudit.errors import ConfigError
from linkaudit.model import Scope, Verdict
from linkaudit.settings import RunInputs, audit_options, plan_run
from linkaudit.store import DEFAULT_PATH

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


def test_plan_run_is_the_one_path_from_file_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the CLI's options do, as a library call: the file, then overrides."""
    from linkaudit.settings import RunInputs, plan_run

    monkeypatch.setenv("TOKEN", "s3cret-token")
    (tmp_path / "linkaudit.toml").write_text(CONFIG, encoding="utf-8")
    plan = plan_run(
        RunInputs(
            sources=("a.html",),
            cwd=tmp_path,
            overrides={"per_host": 3, "fail_on": "broken,stale", "no_cache": None},
        )
    )
    check = plan.request.audit.check
    assert check.per_host == 3  # the override beats the file's 2
    assert check.max_retries == 1  # the file
    assert plan.fail_on == frozenset({Verdict.BROKEN, Verdict.STALE})
    assert plan.request.cache_path == DEFAULT_PATH
    assert plan.request.collection.specs == ("a.html",)
    settings = plan.request.settings
    assert settings["per_host"] == 3
    assert settings["concurrency"] == CheckOptions().concurrency  # defaults included
    assert settings["fail_on"] == ["broken", "stale"]
    assert "s3cret" not in json.dumps(settings, default=str)


def test_user_agent_reaches_every_client(tmp_path: Path) -> None:
    from linkaudit.settings import RunInputs, plan_run

    default = plan_run(RunInputs(cwd=tmp_path, archive=True)).request
    assert __version__ in DEFAULT_USER_AGENT
    for agent in (
        default.sources.user_agent,
        default.audit.check.user_agent,
        default.audit.archive.user_agent if default.audit.archive else None,
    ):
        assert agent == DEFAULT_USER_AGENT
    own = plan_run(
        RunInputs(cwd=tmp_path, archive=True, overrides={"user_agent": "NewsroomBot/2"})
    ).request
    assert own.sources.user_agent == own.audit.check.user_agent == "NewsroomBot/2"
    assert own.audit.archive is not None
    assert own.audit.archive.user_agent == "NewsroomBot/2"


def test_a_report_shows_the_settings_its_run_used_and_stored(tmp_path: Path) -> None:
    from linkaudit.pipeline import Services
    from linkaudit.runner import run
    from linkaudit.settings import RunInputs, plan_run
    from linkaudit.store import Store

    article = tmp_path / "a.html"
    article.write_text('<p><a href="mailto:x@example.org">mail</a></p>', encoding="utf-8")
    cache = tmp_path / "cache.sqlite"
    plan = plan_run(
        RunInputs(
            sources=(str(article),),
            cwd=tmp_path,
            archive=False,
            overrides={"cache": str(cache), "timeout": 7},
        )
    )
    report = run(plan.request, Services()).report
    with Store.open(cache) as store:
        (stored,) = store.history.runs()
    assert report.settings == stored.settings == json.loads(json.dumps(plan.request.settings))
    assert report.settings["timeout"] == 7.0
    assert report.settings["per_host"] == CheckOptions().per_host


def test_a_sites_body_selector_reaches_extraction_and_the_settings(tmp_path: Path) -> None:
    from linkaudit.pipeline import Services
    from linkaudit.runner import run
    from linkaudit.settings import RunInputs, plan_run

    prose = "The council's figures were checked against the port's own report, line by line. "
    (tmp_path / "a.html").write_text(
        '<html><head><link rel="canonical" href="https://news.example.com/a"></head><body>'
        f'<div class="story"><p>{prose}<a href="https://cited.example/">cited</a></p></div>'
        f'<div class="rail"><p>{prose * 3}<a href="https://rail.example/">rail</a></p></div>'
        "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "linkaudit.toml").write_text(
        '[sites."news.example.com"]\nbody = "div.story"\n', encoding="utf-8"
    )
    article = str(tmp_path / "a.html")
    plan = plan_run(RunInputs(sources=(article,), cwd=tmp_path, offline=True))
    assert plan.request.audit.bodies.by_host == (("news.example.com", "div.story"),)
    assert plan.request.settings["sites"] == {"news.example.com": {"body": "div.story"}}
    report = run(plan.request, Services()).report
    assert [f.citation.url for f in report.findings] == ["https://cited.example/"]
    assert report.settings["sites"] == {"news.example.com": {"body": "div.story"}}
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "linkaudit.toml").write_text("", encoding="utf-8")
    unset = plan_run(RunInputs(sources=(article,), cwd=tmp_path / "plain", offline=True))
    assert unset.request.settings["sites"] == {}
    assert [f.citation.url for f in run(unset.request, Services()).report.findings] == [
        "https://rail.example/"
    ]


def test_cli_help_quotes_the_library_defaults() -> None:
    from click.testing import CliRunner

    from linkaudit.cli import main

    text = " ".join(CliRunner().invoke(main, ["check", "--help"]).output.split())
    options = CheckOptions()
    assert f"Requests in flight per host (default {options.per_host})" in text
    assert f"Requests in flight (default {options.concurrency})" in text
    assert f"(default {options.max_retries})" in text
    assert "(default broken,lost)" in text


def test_a_github_token_goes_to_githubs_hosts_only_and_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkaudit.settings import GITHUB_HOSTS, GITHUB_TOKEN_ENV, RunInputs, plan_run

    (tmp_path / "linkaudit.toml").write_text(
        '[hosts."api.github.com"]\nheaders = { Authorization = "token mine" }\n'
        '[hosts."example.org"]\nconcurrency = 1\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(GITHUB_TOKEN_ENV, "ghs_s3cret")
    plan = plan_run(RunInputs(cwd=tmp_path))
    hosts = plan.request.audit.check.hosts
    assert hosts["github.com"].headers == {"Authorization": "Bearer ghs_s3cret"}
    assert hosts["raw.githubusercontent.com"].headers == {"Authorization": "Bearer ghs_s3cret"}
    assert hosts["api.github.com"].headers == {"Authorization": "token mine"}  # configured wins
    assert hosts["example.org"].headers == {}
    assert set(hosts) == {*GITHUB_HOSTS, "example.org"}
    shown = json.dumps(plan.request.settings, default=str)
    assert "ghs_s3cret" not in shown
    assert '"Authorization": "***"' in shown
    monkeypatch.setenv(GITHUB_TOKEN_ENV, "  ")
    assert "github.com" not in plan_run(RunInputs(cwd=tmp_path)).request.audit.check.hosts


def test_archive_budgets_are_settings(tmp_path: Path) -> None:
    """A self-hosted archive or a mirror may be asked faster than the public one."""
    (tmp_path / "linkaudit.toml").write_text(
        "archive_rate = 600\ntimegate_rate = 120\nsave_rate = 12.5\n", encoding="utf-8"
    )
    archive = audit_options(load_config(tmp_path)).archive
    assert archive is not None
    assert (archive.requests_per_minute, archive.timegate_requests_per_minute) == (600, 120)
    assert archive.saves_per_minute == 12.5
    default = audit_options(Config()).archive
    assert default is not None
    assert default.requests_per_minute == 30.0  # half the CDX server's published 60
    (tmp_path / "linkaudit.toml").write_text("archive_rate = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"archive_rate: must be > 0 requests per minute"):
        load_config(tmp_path)


def test_an_audit_keeps_first_observations_and_a_check_does_not(tmp_path: Path) -> None:
    plans = {
        command: plan_run(RunInputs(sources=("a.html",), cwd=tmp_path, command=command))
        for command in ("audit", "check", None)
    }
    assert plans["audit"].request.audit.first_observations is True
    assert plans["check"].request.audit.first_observations is False
    assert plans[None].request.audit.first_observations is False  # a library caller opts in
