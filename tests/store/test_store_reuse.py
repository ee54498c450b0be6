"""Whole unchanged documents reused by a warm run (``linkaudit.reuse``): the same
report, findings and history as auditing them again, and audited again as soon
as anything their findings rest on is not what it was."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import linkaudit.fix.report_json
import linkaudit.reuse
import linkaudit.runner
import linkaudit.store.store
from linkaudit.check import CheckOptions
from linkaudit.errors import InputError
from linkaudit.model import Finding, Findings, Verdict
from linkaudit.pipeline import AuditOptions, AuditRun, Services, exit_code
from linkaudit.report.base import counts, problems
from linkaudit.report.json_format import FindingLines, JsonFormatter, report_header
from linkaudit.reuse import NOTHING, Reuse
from linkaudit.runner import RunRequest, run
from linkaudit.sources.collect import Collection
from linkaudit.store.base import CachePolicy
from linkaudit.testing.server import LoopbackServer, Site, page
from linkaudit.testing.zoo import StaticResolver
from linkaudit.urls import normalize

HOST = "reuse.test"
FINE = "<html><head><title>{t}</title></head><body><h2 id='here'>Here</h2><p>{t}</p></body></html>"


@pytest.fixture
def site() -> Iterator[Site]:
    with LoopbackServer() as server:
        served = server.add_site("127.0.0.1")
        for name in ("a", "b", "c", "d", "e"):
            served.route(f"/{name}", page(FINE.format(t=f"Page {name}")))
        served.route("/gone", page("<p>Not here</p>", status=404))
        yield served


def _documents(folder: Path, port: int) -> list[Path]:
    base = f"http://{HOST}:{port}"
    folder.mkdir()
    one = folder / "one.html"
    one.write_text(
        f"<html><body><article><p>A <a href='{base}/a'>source</a>, a <a href='{base}/gone'>"
        f"gone one</a> and <a href='{base}/b#nowhere'>a missing part</a>.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    two = folder / "two.md"
    two.write_text(f"# Notes\n\nSee [c]({base}/c), [a]({base}/a#here) and {base}/d.\n")
    three = folder / "three.html"
    three.write_text(
        f"<p>Kept <a href='{base}/e'>e</a>, <a href='{base}/c#nowhere'>c</a>, lost one</a>.</p>",
        encoding="utf-8",
    )
    return [one, two, three]


class Runs:
    """One store, one set of documents; each run's reused documents are kept."""

    def __init__(self, tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files = _documents(tmp_path / "docs", site.port)
        self.cache: Path | str = tmp_path / "cache.sqlite"
        self.site = site
        self.reused: list[str] = []
        self.monkeypatch = monkeypatch
        self.policy = CachePolicy()
        real = linkaudit.runner.find_reusable

        def seen(*args: Any, **kwargs: Any) -> Reuse:
            found = real(*args, **kwargs)
            self.reused = sorted(Path(o).name for o in found.documents)
            return found

        monkeypatch.setattr(linkaudit.runner, "find_reusable", seen)

    def request(self, **audit: Any) -> RunRequest:
        options = AuditOptions(
            archive=None, check=CheckOptions(max_retries=0, timeout_connect=2.0), **audit
        )
        return RunRequest(
            collection=Collection(specs=tuple(map(str, self.files))),
            audit=options,
            cache_path=self.cache,
            policy=self.policy,
        )

    def run(self, **audit: Any) -> AuditRun:
        services = Services(resolver=StaticResolver({HOST: "127.0.0.1"}))
        return run(self.request(**audit), services)

    def without_reuse(self) -> AuditRun:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(linkaudit.runner, "find_reusable", lambda *a, **k: NOTHING)
            return self.run()

    def later(self, delta: timedelta) -> None:
        moment = datetime.now(UTC) + delta
        self.monkeypatch.setattr(linkaudit.store.store, "_utcnow", lambda: moment)

    def requests(self) -> int:
        return self.site.stats.requests


@pytest.fixture
def runs(tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(tmp_path, site, monkeypatch)


_TIMES = re.compile(r'"(generated_at|started_at|finished_at|checked_at)": ?"[^"]*"')


def _json(outcome: AuditRun) -> str:
    out = io.StringIO()
    JsonFormatter(outcome.finding_lines or FindingLines()).write(outcome.report, out)
    return _TIMES.sub("", out.getvalue())


def _history(cache: Path, run_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A run's citations and results as the history reads them."""
    raw = sqlite3.connect(cache)
    try:
        citations = raw.execute(
            "SELECT document, key, url, kind, line, col, anchor_text, verdict, reason"
            " FROM run_citations WHERE run_id = ? ORDER BY document, line, col",
            (run_id,),
        ).fetchall()
        results = raw.execute(
            "SELECT r.key, r.verdict, r.reason, r.checked_at, r.from_cache,"
            " COALESCE(s.detail, r.detail) FROM results r"
            " LEFT JOIN results s ON s.id = r.same_as WHERE r.run_id = ? ORDER BY r.key",
            (run_id,),
        ).fetchall()
        return citations, results
    finally:
        raw.close()


def _to_second(finding: Finding) -> Finding:
    result = finding.result
    if result is None or result.checked_at is None:
        return finding
    return replace(
        finding, result=replace(result, checked_at=result.checked_at.replace(microsecond=0))
    )


def test_a_warm_run_takes_unchanged_documents_whole(runs: Runs) -> None:
    cold = runs.run()
    assert runs.reused == []
    sent = runs.requests()
    assert sent > 0
    audited = runs.without_reuse()  # the same warm run, every document audited again
    assert runs.requests() == sent

    warm = runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    assert runs.requests() == sent  # nothing asked
    findings = warm.report.findings
    assert isinstance(findings, Findings)
    assert findings.fresh == ()
    # the report is the one auditing them again makes, byte for byte but its times
    assert _json(warm) == _json(audited)
    assert counts(warm.report) == counts(audited.report)
    assert exit_code(warm.report) == exit_code(audited.report) == 1  # the 404
    assert warm.report.counts() == audited.report.counts()
    # read as findings, they are the audited ones, field for field (times to the
    # second, as the JSON report writes them)
    assert list(findings) == [_to_second(f) for f in audited.report.findings]
    assert {f.verdict.value for f in findings} >= {"ok", "broken", "fragment_missing", "lost"}
    assert all(f.result.from_cache for f in findings if f.result is not None)
    assert cold.report.findings != findings  # the cold run's results were fresh

    # and the history records the same: its citations and its reuse of each result
    assert _history(runs.cache, 3) == _history(runs.cache, 2)
    assert len(_history(runs.cache, 3)[1]) == len({f.result.key for f in findings if f.result})
    assert warm.report.changes == audited.report.changes


def test_the_first_warm_run_decodes_nothing_and_borrows_the_cold_runs_rows(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs.run()
    decoded: list[str] = []
    real = linkaudit.fix.report_json.finding_from_line

    def counted(line: str) -> Finding:
        decoded.append(line)
        return real(line)

    monkeypatch.setattr(linkaudit.fix.report_json, "finding_from_line", counted)
    warm = runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    _json(warm)  # the JSON report, written in full
    assert report_header(warm.report)["totals"] == {"citations": 9, "problems": 4}
    assert decoded == []  # the report, the history and the exit code read no finding
    raw = sqlite3.connect(runs.cache)
    try:
        borrowed = raw.execute("SELECT citations_run FROM documents WHERE run_id = 2").fetchall()
        own = raw.execute("SELECT COUNT(*) FROM citations WHERE run_id = 2").fetchone()
    finally:
        raw.close()
    assert borrowed == [(1,), (1,), (1,)]  # the cold run's citations, by digest
    assert own == (0,)
    # the terminal report decodes only the problems
    assert len(problems(warm.report)) == 4
    assert len(decoded) == 4


def test_a_warm_run_on_postgresql_reuses_the_same_documents(runs: Runs, pg_cluster: Any) -> None:
    """On a shared store the fresh documents go through the work queue; the reused
    ones are taken from it as on SQLite, with the same report."""
    runs.cache = pg_cluster.new_database()
    runs.run()
    sent = runs.requests()
    audited = runs.without_reuse()
    warm = runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    assert runs.requests() == sent
    assert _json(warm) == _json(audited)
    text = runs.files[1].read_text()
    runs.files[1].write_text(text.replace("/c)", "/e)"))
    changed = runs.run()
    assert runs.reused == ["one.html", "three.html"]
    assert _json(changed) == _json(runs.without_reuse())


def test_a_changed_document_alone_is_audited_again(runs: Runs) -> None:
    runs.run()
    runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    text = runs.files[1].read_text()
    runs.files[1].write_text(text.replace("/c)", "/e)"))
    changed = runs.run()
    assert runs.reused == ["one.html", "three.html"]
    findings = changed.report.findings
    assert isinstance(findings, Findings)
    assert {f.citation.document for f in findings.fresh} == {str(runs.files[1])}
    assert any(f.citation.url and f.citation.url.endswith("/e") for f in findings.fresh)
    assert _json(changed) == _json(runs.without_reuse())


def test_settings_another_scope_or_an_excluded_url_reuse_nothing(runs: Runs) -> None:
    runs.run()
    runs.run(exclude=("/gone",))
    assert runs.reused == []
    skipped = runs.run(exclude=("/gone",))
    assert runs.reused == ["one.html", "three.html", "two.md"]
    assert "skipped" in {f.verdict.value for f in skipped.report.findings}
    runs.run()
    assert runs.reused == []  # back to the first settings: their reports were replaced


def test_expired_results_send_their_documents_back_to_the_network(runs: Runs) -> None:
    runs.policy = CachePolicy(max_age=timedelta(hours=1))  # ok and moved: a week
    runs.run()
    sent = runs.requests()
    runs.later(timedelta(minutes=90))
    again = runs.run()
    # one.html and three.html cite a missing fragment, whose result is now too old
    # to reuse: they are checked for real; two.md's pages are reused
    assert runs.reused == ["two.md"]
    assert runs.requests() > sent
    missing = [f for f in again.report.findings if f.verdict is Verdict.FRAGMENT_MISSING]
    assert len(missing) == 2
    assert all(f.result is not None and not f.result.from_cache for f in missing)


def test_a_failing_url_is_checked_for_real_once_a_day(runs: Runs) -> None:
    runs.run()
    runs.run()
    assert "one.html" in runs.reused  # the same day: the 404 is reused
    runs.policy = CachePolicy(max_age=timedelta(days=7))
    runs.later(timedelta(hours=25))
    # an earlier day's 404 of a URL on its way to confirmation is not reused,
    # even within --max-age (as ``RecheckFailing`` refuses it to the engine)
    sent = runs.requests()
    runs.run()
    assert runs.reused == ["three.html", "two.md"]
    assert runs.site.stats.count("/gone") == 2
    assert runs.requests() > sent


def test_a_newer_result_for_a_url_is_not_hidden_by_a_stored_report(runs: Runs) -> None:
    runs.run()
    c_url = f"http://{HOST}:{runs.site.port}/c"
    raw = sqlite3.connect(runs.cache)
    with raw:  # another run checked /c since, and found it gone
        raw.execute(
            "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
            " run_id, from_cache) SELECT key, url, 'broken', 'http_410', 'Gone.', evidence,"
            " ?, run_id, 0 FROM results WHERE key = ?",
            (datetime.now(UTC).isoformat(timespec="microseconds"), normalize(c_url)),
        )
    raw.close()
    second = runs.run()
    assert runs.reused == ["one.html", "three.html"]  # two.md cites /c: audited again
    c = [f for f in second.report.findings if f.citation.url == c_url]
    assert [(f.verdict, f.reason) for f in c] == [(Verdict.BROKEN, "http_410")]
    runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]  # its new report holds


def test_a_damaged_stored_report_is_audited_again(runs: Runs) -> None:
    runs.run()
    raw = sqlite3.connect(runs.cache)
    with raw:
        raw.execute("UPDATE document_reports SET report = substr(report, 1, length(report) - 9)")
        raw.execute("UPDATE document_reports SET basis = 'not json' WHERE document LIKE '%two.md'")
    raw.close()
    again = runs.run()
    assert runs.reused == []
    assert _json(again) == _json(runs.without_reuse())


def test_a_report_rewritten_by_a_warm_run_is_reused_by_the_next(runs: Runs) -> None:
    """A warm run rewrites a reused document's report when its header changed (say
    the run's outages): the block it writes spells ``from_cache`` reused, and the
    next run must still find it (until 2026-12-04 it looked for the cold run's
    length and audited every such document again)."""
    runs.run()
    raw = sqlite3.connect(runs.cache)
    with raw:
        raw.execute("UPDATE document_reports SET digest = 'another header'")
    raw.close()
    runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    raw = sqlite3.connect(runs.cache)
    stored = [text for (text,) in raw.execute("SELECT report FROM document_reports")]
    raw.close()
    assert len(stored) == 3
    assert all('"from_cache":false' not in text for text in stored)  # rewritten, reused
    sent = runs.requests()
    again = runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    assert runs.requests() == sent
    assert _json(again) == _json(runs.without_reuse())


def test_a_warm_run_parses_no_unchanged_file_and_loads_the_others(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged file is taken from its basis, not parsed (``reuse.Known``); one
    that is not reused after all is loaded for real and audited as before."""
    from linkaudit.sources import loader, markdown

    parsed: list[str] = []
    real_html, real_markdown = loader.load_html_bytes, markdown.load_markdown_bytes

    def html(data: bytes, origin: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(Path(origin).name)
        return real_html(data, origin, *args, **kwargs)

    def md(data: bytes, origin: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(Path(origin).name)
        return real_markdown(data, origin, *args, **kwargs)

    monkeypatch.setattr(loader, "load_html_bytes", html)
    monkeypatch.setattr(markdown, "load_markdown_bytes", md)
    runs.policy = CachePolicy(max_age=timedelta(hours=1))  # ok and moved: a week
    cold = runs.run()
    assert sorted(parsed) == ["one.html", "three.html", "two.md"]
    parsed.clear()

    warm = runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]
    assert parsed == []
    # the documents, as the report and the history see them, are the loaded ones
    assert [replace(d, text="") for d in warm.report.documents] == [
        replace(d, text="") for d in cold.report.documents
    ]
    assert _json(warm) == _json(runs.without_reuse())
    parsed.clear()

    # the missing fragment's result is too old now: the two files citing it are
    # loaded for real (their citations extracted from their text) and checked again
    runs.later(timedelta(minutes=90))
    again = runs.run()
    assert runs.reused == ["two.md"]
    assert sorted(parsed) == ["one.html", "three.html"]
    assert [d.text != "" for d in again.report.documents] == [True, False, True]

    def per_document(outcome: AuditRun) -> list[tuple[str, str, str | None]]:
        return sorted(
            (Path(f.citation.document).name, f.verdict.value, f.citation.url)
            for f in outcome.report.findings
        )

    assert per_document(again) == per_document(cold)


def test_a_file_gone_before_it_is_loaded_for_real_is_skipped_with_a_warning(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in not reused is loaded again; a file that cannot be loaded by then
    (changed in between) is skipped with the warning ``collect`` gives one."""
    runs.run()
    runs.files[1].write_text("# Changed\n\nNothing cited.\n")  # two.md: not reused

    def gone(origin: str, options: Any = None) -> Any:
        raise InputError(f"{origin}: no such file")

    monkeypatch.setattr(linkaudit.runner, "load_source", gone)
    outcome = runs.run()
    assert runs.reused == ["one.html", "three.html"]
    assert [Path(d.origin).name for d in outcome.report.documents] == ["one.html", "three.html"]
    assert f"{runs.files[1]}: skipped: no such file" in outcome.report.warnings


def test_another_loader_reuses_nothing(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    runs.run()
    monkeypatch.setattr(linkaudit.reuse, "loader_version", lambda: "an edited loader")
    runs.run()
    assert runs.reused == []


def test_a_document_named_twice_is_audited_twice(runs: Runs) -> None:
    runs.run()
    runs.files.append(runs.files[1])  # two.md twice
    runs.run()
    twice = runs.run()
    assert runs.reused == ["one.html", "three.html"]
    assert _json(twice) == _json(runs.without_reuse())


def test_documents_with_local_links_are_never_reused(runs: Runs) -> None:
    extra = runs.files[0].parent / "four.md"
    extra.write_text("See [the notes](two.md) and [one](one.html#nowhere).\n")
    runs.files.append(extra)
    runs.run()
    runs.run()
    assert "four.md" not in runs.reused
    assert {"one.html", "two.md"} <= set(runs.reused)


def test_a_reused_documents_findings_decode_as_their_report_says(runs: Runs) -> None:
    """What the terminal and every other format read: the stored lines, decoded."""
    runs.run()
    warm = runs.run()
    findings = warm.report.findings
    assert isinstance(findings, Findings)
    for part in findings.reused:
        lines = FindingLines()
        decoded = part.findings()
        assert [lines(f) for f in decoded] == list(part.lines)
        assert {v: part.tally.get(v, 0) for v in part.tally} == {
            v: sum(1 for f in decoded if f.verdict.value == v) for v in part.tally
        }


def test_reuse_is_off_where_findings_depend_on_more_than_the_cache(runs: Runs) -> None:
    runs.run()
    for options in ({"drift": True}, {"browser": True}):
        request = runs.request(**options)
        assert not linkaudit.reuse.reuse_allowed(request.audit)
    assert linkaudit.reuse.reuse_allowed(runs.request().audit)
    assert not linkaudit.reuse.reuse_allowed(replace(runs.request().audit, offline=True))
    assert not linkaudit.reuse.reuse_allowed(AuditOptions())  # archive lookups


class Prepared:
    """A run's stored reports as it made them, some prepared while it was checking,
    beside the same reports made after its last answer from the same findings; and
    which documents' prepared reports were used."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.used: list[str] = []
        self.made: list[tuple[Any, ...]] = []
        self.after: list[tuple[Any, ...]] = []
        real_same = linkaudit.runner._same
        real_keep = linkaudit.runner._keep_document_reports

        def same(prepared: Any, final: Any) -> bool:
            held = real_same(prepared, final)
            if held and final:
                self.used.append(Path(final[0].citation.document).name)
            return held

        def keep(
            store: Any,
            run_id: int,
            report: Any,
            lines: Any,
            context: Any = None,
            reuse: Any = None,
            early: Any = None,
        ) -> None:
            real_keep(store, run_id, report, lines, context, reuse, early)
            used = list(self.used)  # by the run, not by the two calls below
            self.made = self._reports(report, lines, context, reuse, early)
            self.after = self._reports(report, FindingLines(), context, reuse, {})
            self.used = used

        monkeypatch.setattr(linkaudit.runner, "_same", same)
        monkeypatch.setattr(linkaudit.runner, "_keep_document_reports", keep)

    @staticmethod
    def _reports(*args: Any) -> list[tuple[Any, ...]]:
        return [
            (
                r.document,
                r.sha256,
                r.report if isinstance(r.report, str) else r.report(),
                r.digest,
                r.basis,
            )
            for r in linkaudit.runner._document_reports(*args)
        ]


def test_reports_prepared_while_checking_are_those_made_after_it(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold run prepares each complete document's stored report (its findings'
    lines and basis) as its last URL is decided; what it stores and prints is what
    making them all after the last answer gives, and the next run reuses them."""
    prepared = Prepared(monkeypatch)
    cold = runs.run()
    assert sorted(prepared.used) == ["one.html", "three.html", "two.md"]  # all, here
    assert len(prepared.made) == 3
    assert prepared.made == prepared.after
    printed = io.StringIO()
    JsonFormatter(FindingLines()).write(cold.report, printed)  # every line encoded anew
    assert _json(cold) == _TIMES.sub("", printed.getvalue())
    runs.run()
    assert runs.reused == ["one.html", "three.html", "two.md"]


def test_a_result_replaced_after_checking_rebuilds_its_documents_findings(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A status the configuration accepts turns the 404 into "ok" once checking has
    ended: the document citing it is built again, the others are taken as prepared."""
    prepared = Prepared(monkeypatch)
    cold = runs.run(accept={HOST: frozenset({404})})
    assert sorted(prepared.used) == ["three.html", "two.md"]  # one.html cites the 404
    gone = [f for f in cold.report.findings if f.citation.url and "/gone" in f.citation.url]
    assert [(f.verdict, f.reason) for f in gone] == [(Verdict.OK, "accepted_status")]
    assert prepared.made == prepared.after
    assert '"accepted_status"' in next(r[2] for r in prepared.made if r[0].endswith("one.html"))
