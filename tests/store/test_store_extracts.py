"""The extraction cache: exact round trips, keys that cannot go stale, bounded growth,
the v4 -> v5 upgrade, and warm runs that do not extract unchanged files again."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import Clock

import linkaudit.extract.parallel
import linkaudit.runner
import linkaudit.store.extracts
import linkaudit.store.store
from linkaudit.check import CheckOptions
from linkaudit.errors import InputError
from linkaudit.extract import extract
from linkaudit.model import (
    BodySelectors,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Relation,
    Scope,
    Verdict,
)
from linkaudit.pipeline import AuditOptions, Services
from linkaudit.runner import RunRequest, run
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.collect import Collection
from linkaudit.sources.loader import load_file
from linkaudit.store import SCHEMA_VERSION, ExtractCache, Store, document_key
from linkaudit.store.extracts import decode_citations, encode_citations, extract_key
from linkaudit.store.migrations import MIGRATIONS
from linkaudit.testing.scaling import assert_linear
from linkaudit.testing.server import LoopbackServer, Site, page
from linkaudit.testing.zoo import StaticResolver

TESTS = Path(__file__).resolve().parents[1]
SHARED = TESTS.parent.parent / "shared"  # as tests/extract/corpus.py finds it
CORPUS = SHARED / "corpus" / "readability"
SEED = SHARED / "seeds" / "000_5e9e3ade2d4e8552.txt"
PACKAGE_DATA = TESTS.parent / "src" / "linkaudit" / "data"

ODD_TEXTS = [
    "",
    "\x00\x00",
    "<p>lone surrogate \ud800 <a href='https://s.example/\udfff'>s\udc00</a></p>",
    "<<<<>>>></a></a></a><a <a <a href=",
    "<a href='http://[::1'>v6</a><a href='mailto:x@example.org'>m</a><a href='#'>h</a>",
    "[x](javascript:alert(1)) doi:10.1000/xyz www.example.org/a_(b) ![i](/img.png)",
]


def pages() -> list[Path]:
    """The Readability corpus pages (tests/store is no package: tests.extract is out of reach)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p / "source.html" for p in CORPUS.iterdir() if (p / "source.html").is_file())


def source_document(path: Path) -> Document:
    return Document(
        text=path.read_bytes().decode("utf-8", "replace"),
        kind=DocumentKind.HTML,
        origin=path.parent.name,
        base_url="http://fakehost/test/page.html",
    )


def _round_trip(citations: list[Citation], origin: str) -> None:
    assert decode_citations(encode_citations(citations), origin) == citations


def _file_documents() -> Iterator[Document]:
    """Every document the loaders make of the test fixtures, the seed and the demo."""
    files = [
        SEED,
        *sorted((TESTS / "extract" / "fixtures").iterdir()),
        *sorted((TESTS / "sources" / "fixtures").iterdir()),
        *sorted(PACKAGE_DATA.rglob("*.html")),
    ]
    for path in files:
        try:
            yield from load_file(path, SourceOptions())
        except InputError:
            continue


# --------------------------------------------------------------------------- codec


@pytest.mark.skipif(not pages(), reason="the shared Readability corpus is not available")
@pytest.mark.parametrize("scope", list(Scope))
def test_round_trip_is_exact_on_the_corpus_pages(scope: Scope) -> None:
    total = 0
    for path in pages():
        citations = extract(source_document(path), scope=scope)
        total += len(citations)
        _round_trip(citations, path.parent.name)
    assert total > 500


def test_round_trip_is_exact_on_fixtures_seed_and_odd_input() -> None:
    seen: set[CitationKind] = set()
    documents = list(_file_documents())
    assert any(d.kind is DocumentKind.MARKDOWN for d in documents)
    assert any(d.kind is DocumentKind.WORDPRESS for d in documents)
    for doc in documents:
        assert doc.sha256 is not None  # files are always hashed, so they are cacheable
        for scope in Scope:
            citations = extract(doc, scope=scope)
            seen.update(c.kind for c in citations)
            _round_trip(citations, doc.origin)
    for text in ODD_TEXTS:
        for kind in DocumentKind:
            doc = Document(text=text, kind=kind, origin="odd", base_url="https://b.example/")
            for scope in Scope:
                citations = extract(doc, scope=scope)
                seen.update(c.kind for c in citations)
                _round_trip(citations, "odd")
    assert {CitationKind.LINK, CitationKind.IMAGE, CitationKind.LOST} <= seen


def test_round_trip_keeps_every_field() -> None:
    odd = Citation(
        document="ö.md",
        kind=CitationKind.QUOTE,
        url_as_written=" https://x.example/\ud800 ",
        url="https://x.example/%ED",
        key=None,
        text='"quoted" \\ ü \u2028',
        context="",
        location=Location(7, 3),
        element="blockquote",
        attribute="cite",
        rel=("nofollow", "ugc"),
        relation=Relation.INTERNAL,
        verdict=Verdict.SKIPPED,
        reason="scheme_x",
    )
    lost = replace(
        odd,
        kind=CitationKind.LOST,
        url_as_written=None,
        url=None,
        location=Location(1, 1, 2, 0),
        rel=(),
        relation=Relation.OUTBOUND,
        verdict=None,
    )
    _round_trip([odd, lost], "ö.md")
    assert decode_citations(encode_citations([]), "x") == []


def test_decoding_twenty_thousand_citations_scales_linearly() -> None:
    doc = Document(
        text="\n".join(
            f"<p>See <a href='https://site{i % 50}.example/page/{i}?q=1' rel='nofollow'>"
            f"reference number {i}</a>, which said something worth citing at length.</p>"
            for i in range(2_000)
        ),
        kind=DocumentKind.HTML,
        origin="big.html",
        whole_page=False,
    )
    extracted = extract(doc)  # extracting 20,000 would take longer than the test

    def make(copies: int) -> Callable[[], object]:
        encoded = encode_citations(extracted * copies)
        return lambda: decode_citations(encoded, "big.html")

    assert_linear(make, 2, times=10, repeats=5)  # 4,000 then 40,000 citations
    encoded = encode_citations(extracted * 10)
    assert decode_citations(encoded, "big.html") == extracted * 10


# --------------------------------------------------------------------------- keys


def _doc(text: str = "[a](https://a.example/)\n", **changes: object) -> Document:
    doc = Document(
        text=text,
        kind=DocumentKind.MARKDOWN,
        origin="notes/a.md",
        sha256="0" * 64,
        base_url="https://site.example/notes/",
    )
    return replace(doc, **changes)  # type: ignore[arg-type]


def test_the_key_covers_everything_extraction_reads() -> None:
    base = _doc()
    key = extract_key(base, Scope.ARTICLE)
    assert key is not None
    assert extract_key(replace(base), Scope.ARTICLE) == key
    # what extraction does not read does not matter
    assert extract_key(replace(base, title="T", warnings=("w",)), Scope.ARTICLE) == key
    variants = [
        extract_key(base, Scope.PAGE),
        extract_key(replace(base, text=base.text + " "), Scope.ARTICLE),
        extract_key(replace(base, sha256="1" * 64), Scope.ARTICLE),
        extract_key(replace(base, origin="notes/b.md"), Scope.ARTICLE),
        extract_key(replace(base, kind=DocumentKind.HTML), Scope.ARTICLE),
        extract_key(replace(base, base_url=None), Scope.ARTICLE),
        extract_key(replace(base, site="https://other.example"), Scope.ARTICLE),
        extract_key(replace(base, whole_page=False), Scope.ARTICLE),
    ]
    assert None not in variants
    assert len({key, *variants}) == len(variants) + 1
    assert extract_key(replace(base, sha256=None), Scope.ARTICLE) is None  # not from a file


def test_the_key_covers_the_body_selector_of_the_documents_site_only() -> None:
    base = _doc(kind=DocumentKind.HTML)  # base URL on site.example
    key = extract_key(base, Scope.ARTICLE)
    here = BodySelectors((("site.example", "div.story"),))
    elsewhere = BodySelectors((("other.example", "div.story"),))
    assert extract_key(base, Scope.ARTICLE, elsewhere) == key
    changed = extract_key(base, Scope.ARTICLE, here)
    assert changed != key
    moved = extract_key(base, Scope.ARTICLE, BodySelectors((("*.example", "main"),)))
    assert moved not in (key, changed)


def test_only_markdown_keys_follow_the_markdown_parsers_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import markdown_it

    markdown, html = _doc(), _doc(kind=DocumentKind.HTML)
    before = extract_key(markdown, Scope.ARTICLE), extract_key(html, Scope.ARTICLE)
    monkeypatch.setattr(markdown_it, "__version__", "0.0.0-other")
    version = linkaudit.store.extracts.extractor_version
    version.cache_clear()
    try:
        after = extract_key(markdown, Scope.ARTICLE), extract_key(html, Scope.ARTICLE)
    finally:
        monkeypatch.undo()
        version.cache_clear()
    assert after[0] != before[0]
    assert after[1] == before[1]


def test_an_html_key_does_not_import_the_markdown_parser() -> None:
    """markdown-it is ~60 modules: an HTML-only check paid for them before its first
    request just to read a version number (benchmarks/README.md, start-up)."""
    assert _key_in_a_new_process("'<p>x</p>'", "HTML", "a.html") == ["[]"]


def _key_in_a_new_process(text: str, kind: str, origin: str, then: str = "") -> list[str]:
    """What a fresh interpreter prints after one document's extraction key: the
    markdown_it modules it imported, then ``then``'s output."""
    code = (
        "import sys\n"
        "from linkaudit.model import Document, DocumentKind, Scope\n"
        "from linkaudit.store.extracts import _markdown_it_version, extract_key\n"
        f"doc = Document(text={text}, kind=DocumentKind.{kind}, origin={origin!r},"
        " sha256='0' * 64)\n"
        "assert extract_key(doc, Scope.ARTICLE)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'markdown_it'))\n"
        f"{then}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip().splitlines()


def test_a_markdown_key_reads_the_parsers_version_without_importing_it() -> None:
    """A warm run with Markdown documents extracts nothing, so it need not import
    markdown-it either; the version it reads is the one the package says."""
    imported, version = _key_in_a_new_process(
        "'[a](http://x.test/)'", "MARKDOWN", "a.md", then="print(_markdown_it_version())"
    )
    assert imported == "[]"
    import markdown_it

    assert version == markdown_it.__version__


# --------------------------------------------------------------------------- store


def _rows(db_path: Path) -> list[tuple[str, str]]:
    raw = sqlite3.connect(db_path)
    try:
        return raw.execute("SELECT origin, stored_at FROM extracts ORDER BY origin").fetchall()
    finally:
        raw.close()


def test_put_flush_get_and_misses(store: Store, db_path: Path) -> None:
    cache: ExtractCache = store.extracts
    doc = _doc("[a](https://a.example/) and <https://b.example/>\n")
    citations = extract(doc)
    assert len(citations) == 2
    assert cache.get(doc, Scope.ARTICLE) is None
    cache.put(doc, Scope.ARTICLE, citations)
    assert cache.get(doc, Scope.ARTICLE) == citations  # pending puts are visible
    assert _rows(db_path) == []  # ... but not written before flush
    cache.flush()
    assert len(_rows(db_path)) == 1
    fresh = store.extracts
    assert fresh.get(doc, Scope.ARTICLE) == citations
    assert fresh.get(doc, Scope.PAGE) is None
    assert fresh.get(replace(doc, sha256="1" * 64), Scope.ARTICLE) is None
    assert fresh.get(replace(doc, base_url="https://elsewhere.example/"), Scope.ARTICLE) is None
    unhashed = replace(doc, sha256=None)
    fresh.put(unhashed, Scope.ARTICLE, citations)
    fresh.flush()
    assert fresh.get(unhashed, Scope.ARTICLE) is None
    assert len(_rows(db_path)) == 1
    assert store.warnings == []


def test_a_new_version_of_a_file_replaces_the_old_row(store: Store, db_path: Path) -> None:
    cache = store.extracts
    old, new, other = _doc(), _doc(sha256="1" * 64), _doc(origin="notes/b.md")
    for doc in (old, other):
        cache.put(doc, Scope.ARTICLE, extract(doc))
    cache.flush()
    cache.put(new, Scope.ARTICLE, extract(new))
    cache.flush()
    assert [origin for origin, _ in _rows(db_path)] == ["notes/a.md", "notes/b.md"]
    assert cache.get(old, Scope.ARTICLE) is None
    assert cache.get(new, Scope.ARTICLE) == extract(new)
    assert cache.get(other, Scope.ARTICLE) == extract(other)


def test_rows_unused_for_a_month_are_pruned(store: Store, db_path: Path, clock: Clock) -> None:
    cache = store.extracts
    unused, used, new = _doc(), _doc(origin="notes/b.md"), _doc(origin="notes/c.md")
    for doc in (unused, used):
        cache.put(doc, Scope.ARTICLE, extract(doc))
    cache.flush()
    stored = dict(_rows(db_path))
    clock.advance(days=10)
    cache = store.extracts
    assert cache.get(used, Scope.ARTICLE) is not None
    cache.flush()
    assert dict(_rows(db_path)) == stored  # a young row is not re-stamped on every read
    clock.advance(days=10)
    cache = store.extracts
    assert cache.get(used, Scope.ARTICLE) is not None
    cache.flush()  # twenty days old, half-way to pruning: re-stamped
    assert dict(_rows(db_path))["notes/b.md"] > stored["notes/b.md"]
    clock.advance(days=11)
    cache = store.extracts
    cache.put(new, Scope.ARTICLE, extract(new))
    cache.flush()
    assert [origin for origin, _ in _rows(db_path)] == ["notes/b.md", "notes/c.md"]


def test_get_many_answers_what_get_answers_in_few_queries(
    store: Store, db_path: Path, clock: Clock
) -> None:
    """A warm run asks for every document at once: 2,000 point queries were 2,000
    round trips on PostgreSQL.  Stored, pending, damaged, unhashed and unknown
    documents, over more than one chunk of keys, each answered as get answers."""
    cache = store.extracts
    stored = [_doc(f"[{n}](https://a.example/{n})\n", origin=f"notes/{n}.md") for n in range(520)]
    for doc in stored:
        cache.put(doc, Scope.ARTICLE, extract(doc))
    cache.flush()
    raw = sqlite3.connect(db_path)
    raw.execute(
        "UPDATE extracts SET citations = '[[\"no-such-kind\"]]' WHERE origin = 'notes/7.md'"
    )
    raw.commit()
    raw.close()
    pending = _doc("[p](https://p.example/)\n", origin="notes/pending.md")
    cache = store.extracts
    cache.put(pending, Scope.ARTICLE, extract(pending))
    unknown = _doc("[u](https://u.example/)\n", origin="notes/unknown.md")
    unhashed = replace(stored[3], sha256=None)
    asked = [*stored, pending, unknown, unhashed]
    queries: list[str] = []
    query = store.db.query

    def counting(sql: str, params: Any = ()) -> Any:
        queries.append(sql)
        return query(sql, params)

    store.db.query = counting  # type: ignore[method-assign]
    try:
        many = cache.get_many(asked, Scope.ARTICLE)
    finally:
        del store.db.query
    assert len(queries) == 2  # 520 keys: two chunks
    assert many == [cache.get(doc, Scope.ARTICLE) for doc in asked]
    assert many[7] is None
    assert many[-3:-2] != [None]
    assert many[-2:] == [None, None]
    assert many[0] == extract(stored[0])
    cache.flush()  # the end of the batch
    # rows read by get_many are kept from pruning as rows read by get are
    clock.advance(days=20)
    cache = store.extracts
    before = dict(_rows(db_path))
    assert cache.get_many(stored[:2], Scope.ARTICLE)[1] is not None
    cache.flush()
    after = dict(_rows(db_path))
    assert after["notes/0.md"] > before["notes/0.md"]
    assert after["notes/1.md"] > before["notes/1.md"]
    assert after["notes/2.md"] == before["notes/2.md"]


def test_a_damaged_row_is_a_miss(store: Store, db_path: Path) -> None:
    cache = store.extracts
    doc = _doc()
    cache.put(doc, Scope.ARTICLE, extract(doc))
    cache.flush()
    raw = sqlite3.connect(db_path)
    try:
        raw.execute("UPDATE extracts SET citations = '[[\"no-such-kind\"]]'")
        raw.commit()
    finally:
        raw.close()
    assert store.extracts.get(doc, Scope.ARTICLE) is None


def test_citations_of_another_document_are_not_cached(store: Store) -> None:
    cache = store.extracts
    doc = _doc()
    foreign = [replace(c, document="elsewhere.md") for c in extract(doc)]
    cache.put(doc, Scope.ARTICLE, foreign)
    assert cache.get(doc, Scope.ARTICLE) is None


# --------------------------------------------------------------------------- migration


def test_upgrade_from_v4_keeps_rows_and_adds_the_extraction_cache(
    db_path: Path, clock: Clock
) -> None:
    assert SCHEMA_VERSION >= 5
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path)
    try:
        for statements in MIGRATIONS[:4]:
            for statement in statements:
                raw.execute(statement)
        raw.execute(
            "INSERT INTO runs (id, started_at, sources, settings)"
            " VALUES (1, '2026-03-01T09:00:00.000000+00:00', '[\"a.md\"]', '{}')"
        )
        raw.execute(
            "INSERT INTO document_reports (run_id, document, sha256, report, created_at)"
            " VALUES (1, '/abs/a.md', 'abc', '{\"x\": 1}', '2026-03-01T09:01:00.000000+00:00')"
        )
        raw.execute("PRAGMA user_version = 4")
        raw.commit()
    finally:
        raw.close()
    with Store.open(db_path, now=clock) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert any(
            f"from v4 to v{SCHEMA_VERSION}" in note and "bak-v4" in note for note in store.notes
        )
        assert [r.id for r in store.history.runs()] == [1]
        kept = store.db.query("SELECT document, sha256 FROM document_reports")
        assert kept == [("/abs/a.md", "abc")]
        cache = store.extracts
        doc = _doc()
        cache.put(doc, Scope.ARTICLE, extract(doc))
        cache.flush()
        assert cache.get(doc, Scope.ARTICLE) == extract(doc)
    assert db_path.with_name("cache.sqlite.bak-v4").is_file()


# --------------------------------------------------------------------------- runs

HOST = "cache.extract.test"
Seen = tuple[Citation, Verdict, str]  # what a run found, without timings


@pytest.fixture
def site() -> Iterator[Site]:
    with LoopbackServer() as server:
        served = server.add_site("127.0.0.1")
        for path in ("/a", "/b", "/c", "/d"):
            served.route(path, page("<html><body><p>Fine.</p></body></html>"))
        yield served


def _articles(folder: Path, port: int) -> list[Path]:
    base = f"http://{HOST}:{port}"
    folder.mkdir()
    html = folder / "one.html"
    html.write_text(
        f"<html><body><article><p>A <a href='{base}/a'>first source</a> and"
        f" <a href='{base}/b'>a second</a>.</p></article></body></html>",
        encoding="utf-8",
    )
    markdown = folder / "two.md"
    markdown.write_text(f"# Notes\n\nSee [c]({base}/c) and {base}/d too.\n", encoding="utf-8")
    stripped = folder / "three.html"
    stripped.write_text(
        f"<p>A link <a href='{base}/a'>kept</a>, one whose tag was lost</a>.</p>",
        encoding="utf-8",
    )
    return [html, markdown, stripped]


class _Counting:
    """Wraps the ``extract`` the pipeline ends up calling (through ``extract_many``,
    in this process for a few documents) to record which documents it parsed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real = extract  # what the pipeline calls, as imported there

        def counted(
            document: Document, *, scope: Scope = Scope.ARTICLE, bodies: BodySelectors
        ) -> list[Citation]:
            self.calls.append(Path(document.origin).name)
            return real(document, scope=scope, bodies=bodies)

        monkeypatch.setattr(linkaudit.extract.parallel, "extract", counted)

    def take(self) -> list[str]:
        calls, self.calls = sorted(self.calls), []
        return calls


def test_a_warm_run_extracts_only_what_changed(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _articles(tmp_path / "docs", site.port)
    cache_path = tmp_path / ".linkaudit" / "cache.sqlite"
    services = Services(resolver=StaticResolver({HOST: "127.0.0.1"}))

    def audit(scope: Scope = Scope.ARTICLE, cache: Path | None = cache_path) -> list[Seen]:
        request = RunRequest(
            collection=Collection(specs=tuple(map(str, files))),
            audit=AuditOptions(
                scope=scope,
                archive=None,
                check=CheckOptions(max_retries=0, timeout_connect=2.0, timeout_read=2.0),
            ),
            cache_path=cache,
        )
        report = run(request, services).report
        return [(f.citation, f.verdict, f.reason) for f in report.findings]

    extracted = _Counting(monkeypatch)
    cold = audit()
    assert extracted.take() == ["one.html", "three.html", "two.md"]
    kinds = {c.kind for c, _, _ in cold}
    assert {CitationKind.LINK, CitationKind.TEXT_URL, CitationKind.LOST} <= kinds
    assert {v for _, v, _ in cold} == {Verdict.OK, Verdict.LOST}

    warm = audit()
    assert extracted.take() == []  # nothing parsed again ...
    assert warm == cold  # ... and the same findings, citation for citation

    # One byte changed: that file alone is parsed again, and its change is seen.
    text = files[1].read_text(encoding="utf-8")
    files[1].write_text(text.replace("/c)", "/b)"), encoding="utf-8")
    changed = audit()
    assert extracted.take() == ["two.md"]
    assert changed != cold
    untouched = [c for c in cold if "two.md" not in c[0].document]
    assert [c for c in changed if "two.md" not in c[0].document] == untouched
    assert audit() == changed
    assert extracted.take() == []
    assert [origin for origin, _ in _rows(cache_path)] == sorted(map(str, files))

    # Another scope is another extraction; without a cache nothing is kept.
    audit(scope=Scope.PAGE)
    assert extracted.take() == ["one.html", "three.html", "two.md"]
    assert audit(cache=None) == changed
    assert extracted.take() == ["one.html", "three.html", "two.md"]


def _reports(db_path: Path) -> dict[str, tuple[int, str, str]]:
    """Each document's stored report: (the last run that found it, its JSON text,
    when that run did), by file name."""
    raw = sqlite3.connect(db_path)
    try:
        rows = raw.execute(
            "SELECT r.document, s.run_id, r.report, s.seen_at FROM document_reports AS r"
            " JOIN document_reports_seen AS s ON s.document = r.document"
        )
        return {Path(doc).name: (run_id, text, seen) for doc, run_id, text, seen in rows}
    finally:
        raw.close()


def test_a_warm_run_keeps_the_reports_that_say_the_same(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document whose report says what its stored one says (all but when it was
    made) keeps the stored one, now counted as the new run's: it is not made,
    written and replaced again.  A document that changed gets its new report."""
    files = _articles(tmp_path / "docs", site.port)
    cache_path = tmp_path / ".linkaudit" / "cache.sqlite"
    services = Services(resolver=StaticResolver({HOST: "127.0.0.1"}))
    request = RunRequest(
        collection=Collection(specs=tuple(map(str, files))),
        audit=AuditOptions(archive=None, check=CheckOptions(max_retries=0)),
        cache_path=cache_path,
    )
    made: list[int] = []
    real = linkaudit.runner.compact

    def counted(header: Mapping[str, Any], findings: Iterable[str]) -> str:
        made.append(1)
        return real(header, findings)

    monkeypatch.setattr(linkaudit.runner, "compact", counted)
    run(request, services)  # cold: fresh results
    first = _reports(cache_path)
    made.clear()
    run(request, services)  # warm: the same results, now from the cache
    second = _reports(cache_path)
    assert made == []  # what was found is the same, however it reached the run
    assert {name: row[1] for name, row in second.items()} == {
        name: row[1] for name, row in first.items()
    }
    assert len(second) == 3
    later = datetime.now(UTC) + timedelta(hours=1)  # the store's clock, an hour on
    monkeypatch.setattr(linkaudit.store.store, "_utcnow", lambda: later)
    third = run(request, services)
    assert made == []  # nothing made again ...
    now = _reports(cache_path)
    for name, (run_id, text, created) in now.items():
        assert text == second[name][1] == first[name][1]  # ... nor written again
        assert run_id == second[name][0] + 1  # but this run found it true
        assert created > second[name][2]  # and it is as fresh as this run for ``fix``
    with Store.open(cache_path) as store:
        kept = store.reports.latest(document_key(str(files[0])), timedelta(days=1))
    assert kept is not None
    assert [f["citation"]["url"] for f in json.loads(kept[0])["findings"]] == [
        f.citation.url for f in third.report.findings if f.citation.document == str(files[0])
    ]

    text = files[1].read_text(encoding="utf-8")
    files[1].write_text(text.replace("/c)", "/b)"), encoding="utf-8")
    run(request, services)
    after = _reports(cache_path)
    assert len(made) == 1  # the changed document's report alone
    assert after["two.md"][1] != now["two.md"][1]
    assert "/b" in after["two.md"][1]
    assert {name: row[1] for name, row in after.items() if name != "two.md"} == {
        name: row[1] for name, row in now.items() if name != "two.md"
    }
