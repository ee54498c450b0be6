"""A run-level deadline: one slow host cannot hold a run past it, and what it stops is said."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.archive import find_copies
from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.cli import main
from linkaudit.model import Verdict
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, hang, page

LIVE = "<title>Live</title>" + "<p>Words of the live page, plenty of them.</p>" * 20


def test_what_the_deadline_stops_is_unreachable_run_deadline_and_the_rest_stands() -> None:
    with LoopbackServer() as server:
        fast, slow = server.add_site("127.0.0.1"), server.add_site("127.0.0.2")
        fast.route("/ok", page(LIVE))
        slow.fallback = hang()
        slow_urls = [slow.url(f"/s{n}") for n in range(12)]
        # per URL, 300 s would be allowed and 1 request at a time: 12 slow URLs would take an hour
        options = CheckOptions(per_host=1, deadline=300, timeout_read=300, max_retries=0)
        results = check_urls_sync(
            [fast.url("/ok"), *slow_urls], options, until=time.monotonic() + 0.5
        )
        asked = slow.stats.requests
    assert results[fast.url("/ok")].verdict is Verdict.OK
    for url in slow_urls:
        assert (results[url].verdict, results[url].reason) == (Verdict.UNREACHABLE, "run_deadline")
        assert "says nothing about the link" in results[url].detail
    assert asked == 1  # the slow host held its one slot; nothing else was sent to it


def test_a_cli_run_ends_at_its_deadline_and_still_writes_its_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LoopbackServer() as server:
        fast, slow = server.add_site("127.0.0.1"), server.add_site("127.0.0.2")
        fast.route("/ok", page(LIVE))
        slow.fallback = hang()
        links = [fast.url("/ok")] + [slow.url(f"/s{n}") for n in range(6)]
        body = "".join(f'<p><a href="{u}">source {n}</a></p>' for n, u in enumerate(links))
        (tmp_path / "a.html").write_text(f"<article>{body}</article>", encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        args = ["check", "a.html", "--no-cache", "--per-host", "1", "--timeout", "600"]
        result = CliRunner().invoke(main, [*args, "--deadline", "1s", "--format", "json"])
    assert result.exit_code == 0, result.output  # unreachable is not in --fail-on
    assert "the run's deadline (1 s) passed: 6 of 7 links" in result.stderr
    report = json.loads(result.stdout)
    reasons = sorted(f["reason"] for f in report["findings"])
    assert reasons == ["ok"] + ["run_deadline"] * 6
    assert report["settings"]["run_deadline"] == 1.0


def test_a_bad_deadline_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.html").write_text("<p><a href='http://127.0.0.1:9/'>x</a></p>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "a.html", "--deadline", "soon"])
    assert result.exit_code == 2
    assert result.stderr.startswith("linkaudit: error: command line: --deadline: ")
    assert "Traceback" not in result.output


def test_archive_lookups_not_done_by_the_deadline_say_so() -> None:
    when = datetime(2021, 5, 1, tzinfo=UTC)
    with ArchiveStandIn() as archive:
        archive.add_capture("https://gone.example/a", "20210401000000", 200)
        found = asyncio.run(
            find_copies(
                [("https://gone.example/a", when)],
                archive.options(),
                until=time.monotonic() - 1,  # already past
            )
        )
        asked = archive.requests
    lookup = found[("https://gone.example/a", when)]
    assert lookup.copy is None
    assert lookup.note == "not looked up: the run's deadline passed"
    assert lookup.transient  # never cached
    assert asked == []
