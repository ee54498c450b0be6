"""The store's contract: what every engine must do, tested through the public
interface only (no SQL), once per engine in :mod:`engines`.

Caching rules (transient never cached, ages per verdict), archive lookups,
extracts and reports, history and the confirmation inputs built on it,
migrations from every older schema, one clock for every part, crash safety,
concurrent runs in several processes, and a run that opens its store once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from engines import ENGINES, Engine
from store_helpers import T0, Clock, full_result, make_result

from linkaudit.check import CheckOptions
from linkaudit.history import ArchiveMark, LinkStatus, link_states
from linkaudit.model import (
    ArchiveCopy,
    ArchiveLookup,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Scope,
    Verdict,
)
from linkaudit.pipeline import AuditOptions, Services
from linkaudit.recording import diff_latest, failing_keys
from linkaudit.runner import RunRequest, run
from linkaudit.sources.collect import Collection
from linkaudit.store import SCHEMA_VERSION, CachePolicy, Store
from linkaudit.store.reports import DocumentReport
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

# Children run the real package from this checkout, whatever the cwd.
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}


@pytest.fixture(params=ENGINES, ids=lambda engine: engine.name)
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    chosen.attach(request)
    return chosen


@pytest.fixture
def location(engine: Engine, tmp_path: Path) -> str:
    return engine.location(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: Engine, location: str, clock: Clock) -> Iterator[Store]:
    with engine.open(location, now=clock) as opened:
        yield opened


def cite(document: str, key: str | None, line: int) -> Citation:
    return Citation(
        document=document,
        kind=CitationKind.LINK if key else CitationKind.LOST,
        url_as_written=key,
        url=key,
        key=key,
        text=f"anchor {line}",
        context="",
        location=Location(line, 1),
        verdict=None if key else Verdict.LOST,
        reason="" if key else "stripped_link",
    )


def a_copy(url: str = "https://a.example/x") -> ArchiveCopy:
    when = datetime(2020, 1, 2, tzinfo=UTC)
    return ArchiveCopy(
        "wayback", f"https://web.archive.org/web/20200102/{url}", url, when, 1.0, True
    )


# --------------------------------------------------------------------------- caching rules


@pytest.mark.parametrize(
    ("verdict", "reason", "lives"),
    [
        (Verdict.OK, "http_200", timedelta(days=7)),
        (Verdict.MOVED, "permanent_redirect", timedelta(days=7)),
        (Verdict.BROKEN, "http_404", timedelta(days=1)),
        (Verdict.STALE, "soft_404", timedelta(days=1)),
        (Verdict.BLOCKED, "bot_challenge", timedelta(days=1)),
        (Verdict.UNREACHABLE, "timeout", None),
        (Verdict.BLOCKED, "rate_limited", None),
    ],
)
def test_results_live_as_long_as_their_verdict_allows(
    store: Store, clock: Clock, verdict: Verdict, reason: str, lives: timedelta | None
) -> None:
    result = make_result("https://a.example/x", verdict, reason, checked_at=clock.now)
    store.results.put(result)
    got = store.results.get(result.key)
    if lives is None:  # transient: never reused, whatever its age
        assert got is None
        return
    assert got == replace(result, from_cache=True)
    clock.advance(seconds=lives.total_seconds() - 1)
    assert store.results.get(result.key) is not None
    clock.advance(seconds=1)
    assert store.results.get(result.key) is None


def test_a_transient_latest_result_hides_an_older_definitive_one(
    store: Store, clock: Clock
) -> None:
    store.results.put(make_result("k", Verdict.BROKEN, "http_404", checked_at=clock.now))
    clock.advance(minutes=5)
    store.results.put(make_result("k", Verdict.UNREACHABLE, "timeout", checked_at=clock.now))
    assert store.results.get("k") is None
    snapshot = store.results.snapshot(["k"])
    assert snapshot is not None
    assert snapshot.get("k") is None


def test_a_result_from_the_future_and_a_zero_age_are_never_reused(
    engine: Engine, tmp_path: Path, clock: Clock
) -> None:
    with engine.open(engine.location(tmp_path / "a"), now=clock) as store:
        store.results.put(make_result("k", Verdict.OK, "http_200", checked_at=clock.now))
        clock.advance(minutes=-1)
        assert store.results.get("k") is None
    zero = CachePolicy(max_age=timedelta(0), max_age_ok=timedelta(0))
    with engine.open(engine.location(tmp_path / "b"), now=clock, policy=zero) as store:
        store.results.put(make_result("k", Verdict.OK, "http_200", checked_at=clock.now))
        assert store.results.get("k") is None


def test_batches_and_snapshots_answer_as_get(store: Store, clock: Clock) -> None:
    keys = [f"https://bulk.example/{i}" for i in range(1203)]  # several queries' worth
    store.results.put_many(
        make_result(k, Verdict.OK if i % 2 else Verdict.BROKEN, "x", checked_at=clock.now)
        for i, k in enumerate(keys)
    )
    wanted = [*keys[::7], "https://bulk.example/missing"]
    named = store.results.snapshot(wanted)
    assert named is not None
    assert {k: named.get(k) for k in wanted} == {k: store.results.get(k) for k in wanted}
    everything = store.results.snapshot()
    assert everything is not None
    assert len(everything) == len(keys)


def test_archive_lookups_keep_copies_longer_than_absences_and_never_errors(
    store: Store, clock: Clock
) -> None:
    day = date(2020, 1, 4)
    found = ArchiveLookup(a_copy(), "nearest capture", tried=("cdx",))
    store.archives.put("https://a.example/x", day, found)
    store.archives.put("https://a.example/none", day, ArchiveLookup(None, "no capture"))
    store.archives.put("https://a.example/err", day, ArchiveLookup(None, "429", transient=True))
    assert store.archives.get("https://a.example/x", day) == found
    assert store.archives.get("https://a.example/x", date(2020, 1, 5)) is None  # other day
    assert store.archives.get("https://a.example/err", day) is None
    clock.advance(days=1)
    assert store.archives.get("https://a.example/none", day) is None
    assert store.archives.get("https://a.example/x", day) == found
    clock.advance(days=29)
    assert store.archives.get("https://a.example/x", day) is None


def test_extracts_round_trip_after_flush_and_newest_report_only(store: Store) -> None:
    document = Document("<a href='https://a.example/'>a</a>", DocumentKind.HTML, "/d/a.html")
    document = replace(document, sha256="0" * 64)
    citations = [replace(cite("/d/a.html", "https://a.example/", 1), element="a")]
    store.extracts.put(document, Scope.ARTICLE, citations)
    assert store.extracts.get(document, Scope.ARTICLE) == citations  # buffered
    store.extracts.flush()
    assert store.extracts.get(document, Scope.PAGE) is None
    assert store.extracts.get(document, Scope.ARTICLE) == citations
    first = store.history.begin_run(["/d"], {})
    second = store.history.begin_run(["/d"], {})
    store.reports.record(first, [DocumentReport("/d/a.html", "sha-1", '{"run": 1}')])
    store.reports.record(second, [DocumentReport("/d/a.html", "sha-2", '{"run": 2}')])
    assert store.reports.latest("/d/a.html", timedelta(days=1)) == ('{"run": 2}', "sha-2")
    assert store.reports.latest("/d/other.html", timedelta(days=1)) is None


# --------------------------------------------------------------------------- history


def record_day(
    store: Store, clock: Clock, day: int, verdicts: dict[str, Verdict], *, finish: bool = True
) -> int:
    """One run on ``day`` citing each URL once from one document."""
    clock.now = T0 + timedelta(days=day - 1)
    run_id = store.history.begin_run(["site"], {"day": day})
    document = Document("", DocumentKind.HTML, "a.html", cited_at=datetime(2019, 5, 1, tzinfo=UTC))
    store.history.record_citations(
        run_id, [cite("a.html", k, i) for i, k in enumerate(verdicts, 1)], [document]
    )
    store.results.record(
        run_id, [make_result(k, v, v.value, checked_at=clock.now) for k, v in verdicts.items()]
    )
    if finish:
        store.history.finish_run(run_id)
    return run_id


def test_history_records_runs_and_answers_each_question(store: Store, clock: Clock) -> None:
    dies, steady = "https://a.example/dies", "https://a.example/steady"
    first = record_day(store, clock, 1, {dies: Verdict.BROKEN, steady: Verdict.OK})
    second = record_day(store, clock, 2, {dies: Verdict.BROKEN, steady: Verdict.OK})
    history = store.history
    runs = history.runs()
    assert [r.id for r in runs] == [first, second]
    assert runs[0].settings == {"day": 1}
    assert runs[0].finished_at == T0
    assert history.latest_run() == runs[1]
    assert history.previous_run(runs[1]) == runs[0]
    assert [d.origin for d in history.documents(second)] == ["a.html"]
    assert [c.key for c in history.citations(second)] == [dies, steady]
    assert history.run_results(second)[dies].reason == "broken"
    assert [o.verdict for o in history.observations([dies])[dies]] == [Verdict.BROKEN] * 2
    assert history.decisive_keys(second) == {dies, steady}
    assert history.ever_failed() == {dies}
    assert history.cited(second, [dies]) == {dies: (dies, ("a.html",))}
    assert history.verdict_counts(first) == {
        first: {"broken": 1, "ok": 1},
        second: {"broken": 1, "ok": 1},
    }
    # an interrupted run is the latest only when no run finished
    record_day(store, clock, 3, {dies: Verdict.OK}, finish=False)
    assert history.latest_run() == runs[1]


def test_unchanged_documents_borrow_their_citations_instead_of_storing_them_again(
    store: Store, clock: Clock
) -> None:
    """A warm run of an unchanged repository stored every citation row again (20,000
    rows, 6 MB with indexes, per run of the benchmark's corpus); now a document whose
    citations are the last run's borrows that run's rows, and no reader can tell."""
    a, b = "https://a.example/1", "https://b.example/2"
    docs = [Document("", DocumentKind.HTML, name) for name in ("a.html", "b.html", "c.html")]

    def record(cites: list[Citation]) -> int:
        run_id = store.history.begin_run(["site"], {})
        store.history.record_citations(run_id, cites, docs)
        store.results.record(run_id, [make_result(k, Verdict.OK, "ok") for k in (a, b)])
        store.history.finish_run(run_id)
        return run_id

    def stored(run_id: int) -> int:
        return int(
            store.db.query("SELECT count(*) FROM citations WHERE run_id = ?", (run_id,))[0][0]
        )

    same = [cite("a.html", a, 1), cite("a.html", None, 2), cite("b.html", b, 1)]
    first, second = record(same), record(same)
    assert (stored(first), stored(second)) == (3, 0)
    # a.html changes (one anchor text): it alone is stored; b.html still borrows run 1's
    changed = [replace(same[0], text="new words"), same[1], same[2]]
    third = record(changed)
    assert stored(third) == 2
    holders = dict(
        store.db.query(
            "SELECT origin, citations_run FROM documents WHERE run_id = ? ORDER BY origin",
            (third,),
        )
    )
    assert holders == {"a.html": None, "b.html": first, "c.html": None}
    # and back: a run like the first borrows a.html from the third, not the first
    fourth = record(same)
    assert stored(fourth) == 2
    history = store.history
    for run_id, cites in ((first, same), (second, same), (third, changed), (fourth, same)):
        rows = history.citations(run_id)
        assert [(r.run_id, r.document, r.key, r.anchor_text) for r in rows] == [
            (run_id, c.document, c.key, c.text) for c in cites
        ]
        assert [r.anchor_text for r in history.citations(run_id, "b.html")] == ["anchor 1"]
        assert history.cited(run_id) == {a: (a, ("a.html",)), b: (b, ("b.html",))}
    counts = history.verdict_counts(first)
    assert counts == {r: {"ok": 2, "lost": 1} for r in (first, second, third, fourth)}


def test_a_reused_result_names_the_row_it_repeats_instead_of_storing_it_again(
    store: Store, clock: Clock
) -> None:
    """Each warm run stored every reused result's detail and evidence again (7,040
    rows, 4.8 MB with indexes, per run of the benchmark's corpus); now a reuse of a
    claimed row names it, and every reader still sees the whole result."""
    original = full_result()
    kept_alone = make_result("https://nohistory.example/", Verdict.OK, "http_200")

    def reuse_in_a_run() -> int:
        run_id = store.history.begin_run(["site"], {})
        got = store.results.get(original.key)
        assert got == replace(original, from_cache=True)
        store.results.record(run_id, [got])
        store.history.finish_run(run_id)
        return run_id

    def row(run_id: int, key: str) -> tuple[Any, ...]:
        return tuple(
            store.db.query(
                "SELECT id, detail, evidence, same_as FROM results WHERE run_id = ? AND key = ?",
                (run_id, key),
            )[0]
        )

    first = store.history.begin_run(["site"], {})
    store.results.put(original)
    store.results.record(first, [original])
    first_id = row(first, original.key)[0]
    second, third = reuse_in_a_run(), reuse_in_a_run()
    # the reuses store neither detail nor evidence, and both name the first row
    assert row(second, original.key)[1:] == ("", "", first_id)
    assert row(third, original.key)[1:] == ("", "", first_id)
    for run_id in (second, third):
        assert store.history.run_results(run_id)[original.key] == replace(original, from_cache=True)
    assert store.history.run_results(first)[original.key] == original
    assert store.results.get(original.key) == replace(original, from_cache=True)
    snapshot = store.results.snapshot([original.key])
    assert snapshot is not None
    assert snapshot.get(original.key) == replace(original, from_cache=True)
    # an unclaimed row may be deleted by a newer put: its reuse is stored whole
    store.results.put(kept_alone)
    got = store.results.get(kept_alone.key)
    assert got is not None
    fourth = store.history.begin_run(["site"], {})
    store.results.record(fourth, [got])
    _, detail, evidence, same_as = row(fourth, kept_alone.key)
    assert (detail, same_as) == (kept_alone.detail, None)
    assert evidence.startswith("{")
    assert store.history.run_results(fourth)[kept_alone.key] == got


def test_a_fresh_result_wins_over_a_reused_one_and_reuse_is_neutral(
    store: Store, clock: Clock
) -> None:
    url = "https://a.example/x"
    record_day(store, clock, 1, {url: Verdict.BROKEN})
    clock.advance(days=1)
    run_id = store.history.begin_run(["site"], {})
    reused = make_result(url, Verdict.BROKEN, "http_404", checked_at=T0, from_cache=True)
    fresh = make_result(url, Verdict.OK, "http_200", checked_at=clock.now)
    store.results.record(run_id, [reused, fresh])
    store.history.finish_run(run_id)
    assert store.history.run_results(run_id)[url].verdict is Verdict.OK
    assert not store.history.run_results(run_id)[url].from_cache


def test_archive_marks_keep_a_found_copy_over_a_later_none(store: Store, clock: Clock) -> None:
    run_id = record_day(store, clock, 1, {"https://a.example/x": Verdict.BROKEN})
    found = ArchiveMark(True, "https://web.archive.org/web/1/x", T0, "wayback")
    for mark in (found, ArchiveMark(True)):
        store.history.record_archives(run_id, [("https://a.example/x", "2019-05-01", mark, "")])
    assert store.history.archive_marks(run_id) == {"https://a.example/x": found}
    assert list(store.history.known_copies()) == ["https://a.example/x"]


def test_confirmation_inputs_over_simulated_days(store: Store, clock: Clock) -> None:
    dies, flaps = "https://a.example/dies", "https://a.example/flaps"
    walled = "https://a.example/walled"
    days = {
        1: {dies: Verdict.BROKEN, flaps: Verdict.BROKEN, walled: Verdict.BLOCKED},
        2: {dies: Verdict.BROKEN, flaps: Verdict.OK, walled: Verdict.BLOCKED},
        4: {dies: Verdict.BROKEN, flaps: Verdict.BROKEN, walled: Verdict.BLOCKED},
        5: {dies: Verdict.BROKEN, flaps: Verdict.OK, walled: Verdict.BLOCKED},
    }
    for day, verdicts in days.items():
        record_day(store, clock, day, verdicts)
    states = link_states(store.history.observations())
    assert states[dies].status is LinkStatus.CONFIRMED_DEAD  # 4 runs over 4 days
    assert states[flaps].status is LinkStatus.ALIVE
    assert states[walled].status is LinkStatus.UNKNOWN  # a bot wall says nothing
    assert failing_keys(store.history) == frozenset()
    record_day(store, clock, 6, {flaps: Verdict.BROKEN})
    assert failing_keys(store.history) == frozenset({flaps})
    assert "1 link newly failing (https://a.example/flaps)" in diff_latest(store).text()


# --------------------------------------------------------------------------- the store itself


def test_one_clock_drives_every_part(store: Store, clock: Clock) -> None:
    """Advancing the store's clock ages results, lookups and reports alike, and
    stamps the history: nothing reads the wall clock behind the store's back."""
    clock.now = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    store.results.put(make_result("k", Verdict.BROKEN, "http_404", checked_at=None))
    store.archives.put("k", date(2001, 1, 1), ArchiveLookup(None, "no capture"))
    run_id = store.history.begin_run(["x"], {})
    store.reports.record(run_id, [DocumentReport("doc", None, "{}")])
    store.history.finish_run(run_id)
    (record,) = store.history.runs()
    assert record.started_at == record.finished_at == clock.now
    got = store.results.get("k")
    assert got is not None
    assert got.checked_at == clock.now
    clock.advance(days=1)
    assert store.results.get("k") is None
    assert store.archives.get("k", date(2001, 1, 1)) is None
    assert store.reports.latest("doc", timedelta(hours=23)) is None


def test_reopening_keeps_everything(engine: Engine, location: str, clock: Clock) -> None:
    with engine.open(location, now=clock) as store:
        record_day(store, clock, 1, {"https://a.example/x": Verdict.BROKEN})
        store.archives.put("https://a.example/x", "2019-05-01", ArchiveLookup(a_copy(), "n"))
    with engine.open(location, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.results.get("https://a.example/x") is not None
        assert store.archives.get("https://a.example/x", "2019-05-01") is not None
        assert len(store.history.runs()) == 1
        assert store.warnings == []


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_older_schema_is_upgraded(
    engine: Engine, location: str, clock: Clock, version: int
) -> None:
    engine.make_older(location, version)
    with engine.open(location, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert any(f"from v{version} to v{SCHEMA_VERSION}" in note for note in store.notes)
        record_day(store, clock, 1, {"https://a.example/x": Verdict.OK})  # every part works
        store.extracts.flush()
        assert store.history.latest_run() is not None


KILLED = textwrap.dedent(
    """
    import itertools, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from linkaudit.model import CheckResult, Verdict
    from linkaudit.store import Store

    store = {open}
    run = store.history.begin_run(["loop"], {{}})
    for batch in itertools.count():
        results = [
            CheckResult(key=f"https://k.example/{{batch}}/{{i}}", url="u", verdict=Verdict.OK,
                        reason="http_200", detail="y" * 500, checked_at=datetime.now(UTC))
            for i in range(50)
        ]
        store.results.put_many(results)
        store.results.record(run, results)
        if batch == 10:
            print("ready", flush=True)
    """
)


def test_a_killed_writer_leaves_every_committed_batch(engine: Engine, location: str) -> None:
    with engine.open(location, now=Clock()):
        pass  # the store exists before the writer starts
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED.format(open=engine.open_in_child(location))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    with engine.open(location, now=Clock(datetime.now(UTC))) as store:
        assert store.warnings == []
        (interrupted,) = store.history.runs()
        assert interrupted.finished_at is None
        recorded = store.history.run_results(interrupted.id)
        assert len(recorded) >= 11 * 50
        assert len(recorded) % 50 == 0  # whole batches only: each was one transaction
        run_id = store.history.begin_run(["after"], {})  # and the store is writable
        store.history.finish_run(run_id)


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from linkaudit.model import CheckResult, Verdict
    from linkaudit.store import Store

    tag, count = sys.argv[1], int(sys.argv[2])
    sys.stdin.readline()  # start together
    with {open} as store:
        run = store.history.begin_run([tag], {{}})
        for i in range(count):
            result = CheckResult(key=f"https://{{tag}}.example/{{i}}", url="u",
                                 verdict=Verdict.BROKEN, reason="http_404", detail="x",
                                 checked_at=datetime.now(UTC))
            store.results.put(result)
            store.results.record(run, [result])
        store.history.finish_run(run)
        assert not store.warnings, store.warnings
    print("done", flush=True)
    """
)


def test_concurrent_runs_in_several_processes(engine: Engine, location: str) -> None:
    count, tags = 60, ("alpha", "beta", "gamma")
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER.format(open=engine.open_in_child(location)),
                tag,
                str(count),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for tag in tags
    ]
    for child in children:
        out, err = child.communicate("go\n", timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    with engine.open(location, now=Clock(datetime.now(UTC))) as store:
        runs = store.history.runs()
        assert sorted(r.sources[0] for r in runs) == sorted(tags)
        for record in runs:
            assert record.finished_at is not None
            assert len(store.history.run_results(record.id)) == count


def test_a_run_opens_its_store_once(
    engine: Engine, location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cache, extracts, failing URLs, recording, document reports and the changes
    paragraph all go through one connection."""
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/live", page("<title>Live</title><p>fine</p>"))
        site.route("/dead", page("gone", status=404))
        article = tmp_path / "article.html"
        article.write_text(
            f'<p><a href="http://site.test:{site.port}/live">one</a>'
            f' <a href="http://site.test:{site.port}/dead">two</a></p>',
            encoding="utf-8",
        )
        request = RunRequest(
            collection=Collection(specs=(str(article),)),
            audit=AuditOptions(archive=None, check=CheckOptions(max_retries=0)),
            cache_path=Path(location) if engine.name == "sqlite" else location,
        )
        services = Services(resolver=StaticResolver({"site.test": "127.0.0.1"}))
        opened = engine.count_connections(monkeypatch)
        cold = run(request, services)
        assert opened() == 1
        warm = run(request, services)
        assert opened() == 2
    assert [f.verdict for f in warm.report.findings] == [f.verdict for f in cold.report.findings]
    assert {f.verdict for f in cold.report.findings} == {Verdict.OK, Verdict.BROKEN}


def test_drift_baselines_captures_checks_and_runs(store: Store, clock: Clock) -> None:
    """Content drift's tables (migration 6): a first observation is kept once, a
    capture forever by memento URL, the last comparison replaced, runs counted."""
    from linkaudit.store.drift import DriftRow

    drift = store.drift
    assert drift.baseline("https://a.example/") is None
    drift.keep_baseline("https://a.example/", b"\x00first\xff")
    clock.advance(days=1)
    drift.keep_baseline("https://a.example/", b"second")  # the first observation stays
    kept = drift.baseline("https://a.example/")
    assert kept is not None
    assert kept[0] == b"\x00first\xff"
    drift.keep_capture("https://web.archive.org/web/2020/https://a.example/", b"capture")
    assert drift.capture("https://web.archive.org/web/2020/https://a.example/") == b"capture"
    drift.keep_check("https://a.example/", ('"v1"', ""), {"level": "changed"})
    drift.keep_check("https://a.example/", ('"v2"', ""), {"level": "drifted"})
    last = drift.last_check("https://a.example/")
    assert last is not None
    assert last.validators == ('"v2"', "")
    run_id = store.history.begin_run(["doc.html"], {})
    drift.record_run(
        run_id,
        [
            DriftRow("https://a.example/", "drifted", "content_changed", 0.2),
            DriftRow("https://b.example/", "changed", "", 0.8),
        ],
    )
    assert drift.run_counts()[run_id] == {"drifted": 1, "changed": 1}
    assert [row.key for row in drift.most_changed(run_id)] == [
        "https://a.example/",
        "https://b.example/",
    ]


def test_a_report_with_the_stored_digest_is_kept_not_written(store: Store) -> None:
    """The same digest: the stored report becomes the new run's without its text
    being made; another digest, or none, writes the new text."""
    runs = [store.history.begin_run(["/d"], {}) for _ in range(4)]
    made: list[str] = []

    def text(body: str) -> Callable[[], str]:
        def make() -> str:
            made.append(body)
            return body

        return make

    store.reports.record(runs[0], [DocumentReport("/d/a.html", "sha", text('{"n": 1}'), "d1")])
    store.reports.record(runs[1], [DocumentReport("/d/a.html", "sha", text('{"n": 2}'), "d1")])
    assert made == ['{"n": 1}']
    assert store.reports.latest("/d/a.html", timedelta(days=1)) == ('{"n": 1}', "sha")
    assert store.db.query("SELECT run_id FROM document_reports") == [(runs[0],)]  # not rewritten
    assert store.db.query("SELECT run_id FROM document_reports_seen") == [(runs[1],)]
    store.reports.record(runs[2], [DocumentReport("/d/a.html", "sha", text('{"n": 3}'), "d2")])
    store.reports.record(runs[3], [DocumentReport("/d/a.html", "sha", '{"n": 4}')])
    assert made == ['{"n": 1}', '{"n": 3}']
    assert store.reports.latest("/d/a.html", timedelta(days=1)) == ('{"n": 4}', "sha")
    assert store.db.query("SELECT run_id FROM document_reports") == [(runs[3],)]
    assert store.db.query("SELECT run_id FROM document_reports_seen") == [(runs[3],)]


def test_a_kept_report_is_as_fresh_as_the_last_run_that_found_it(
    store: Store, clock: Clock
) -> None:
    """``latest`` ages a kept report from the last run that found what it says, not
    from when its text was written."""
    first = store.history.begin_run(["/d"], {})
    store.reports.record(first, [DocumentReport("/d/a.html", "sha", '{"n": 1}', "d1")])
    clock.advance(days=2)
    second = store.history.begin_run(["/d"], {})
    store.reports.record(second, [DocumentReport("/d/a.html", "sha", '{"n": 2}', "d1")])
    assert store.reports.latest("/d/a.html", timedelta(days=1)) == ('{"n": 1}', "sha")
    clock.advance(days=2)
    assert store.reports.latest("/d/a.html", timedelta(days=1)) is None
