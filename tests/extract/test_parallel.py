"""Extraction on several cores gives exactly what extraction in turn gives."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from linkaudit.extract import extract, parallel
from linkaudit.model import BodySelectors, Citation, Document, DocumentKind, Scope
from linkaudit.pipeline import AuditOptions, apply_policy, extract_all, extract_streaming

from .corpus import pages, source_document

MARKDOWN = """# Notes {n}

See [the report](https://example.org/report-{n}) and ![chart](/img/{n}.png).
A bare https://example.com/bare/{n} and doi:10.1000/xyz{n}, then [lost]() and
[ref][r{n}].

[r{n}]: https://example.net/ref/{n}
"""


def documents() -> list[Document]:
    """The shared corpus's real pages, then Markdown notes, so chunks mix kinds
    (more notes where the shared corpus is not beside the checkout)."""
    docs = [source_document(page) for page in pages()[:16]]
    notes = 30 if docs else 60
    docs += [
        Document(
            text=MARKDOWN.format(n=n),
            kind=DocumentKind.MARKDOWN,
            origin=f"notes/{n}.md",
            base_url="https://blog.example.org/notes/",
        )
        for n in range(notes)
    ]
    return docs


@pytest.fixture
def few_needed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers for a handful of documents; returns the chunks counts workers answered."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "CHUNK", 7)
    answered: list[int] = []
    real = parallel._in_workers

    def counted(
        documents: list[Document], scope: Scope, bodies: BodySelectors, count: int
    ) -> list[object]:
        out = real(documents, scope, bodies, count)  # raises (and so counts nothing) on failure
        answered.append(len(out))
        return out

    monkeypatch.setattr(parallel, "_in_workers", counted)
    return answered


@pytest.fixture
def other_thread() -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("scope", list(Scope))
def test_workers_give_what_extracting_in_turn_gives(scope: Scope, few_needed: list[int]) -> None:
    docs = documents()
    expected = [extract(doc, scope=scope) for doc in docs]
    assert sum(map(len, expected)) > 300
    assert parallel.extract_many(docs, scope, workers=2) == expected
    assert few_needed == [len(docs)]  # the workers did it, not the fallback


def test_workers_apply_the_sites_body_selectors(few_needed: list[int]) -> None:
    page = (
        "<html><body><div class='a'><p>Alpha text long enough to be prose, with "
        "<a href='https://a.example/'>a link</a>.</p></div><div class='b'><p>Beta text, "
        "longer than alpha's and so the densest, <a href='https://b.example/'>b</a>.</p>"
        "</div></body></html>"
    )
    pages = [
        Document(page, DocumentKind.HTML, f"p{n}.html", base_url=f"https://s{n % 2}.example/")
        for n in range(10)
    ]
    docs = pages + documents()[-10:]
    site = BodySelectors((("s1.example", "div.a"),))
    expected = [extract(doc, bodies=site) for doc in docs]
    assert [c.url for c in expected[0]] == ["https://b.example/"]
    assert [c.url for c in expected[1]] == ["https://a.example/"]
    assert parallel.extract_many(docs, Scope.ARTICLE, bodies=site, workers=2) == expected
    assert few_needed == [len(docs)]


@pytest.mark.usefixtures("other_thread")
def test_with_other_threads_workers_come_from_a_fork_server(few_needed: list[int]) -> None:
    assert parallel._context().get_start_method() in ("forkserver", "spawn")
    docs = documents()[-20:]
    assert parallel.extract_many(docs, Scope.ARTICLE, workers=2) == [extract(d) for d in docs]
    assert few_needed == [20]


def test_a_single_thread_forks() -> None:
    if threading.active_count() != 1:
        pytest.skip("another test left a thread running")
    assert parallel._context().get_start_method() == "fork"


@pytest.mark.usefixtures("few_needed")
def test_workers_that_cannot_start_leave_the_work_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> list[object]:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(parallel, "_in_workers", broken)
    docs = documents()[-10:]
    assert parallel.extract_many(docs, Scope.ARTICLE, workers=2) == [extract(d) for d in docs]


def test_small_runs_and_single_cores_stay_in_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> list[object]:
        raise AssertionError("no workers for this")

    monkeypatch.setattr(parallel, "_in_workers", refuse)
    docs = documents()
    assert parallel.extract_many(docs[:5], Scope.ARTICLE, workers=4) == [
        extract(d) for d in docs[:5]
    ]
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    assert len(parallel.extract_many(docs, Scope.ARTICLE, workers=1)) == len(docs)


@pytest.mark.usefixtures("few_needed")
def test_the_pipeline_keeps_document_order_with_a_partial_cache() -> None:
    docs = documents()

    class HalfCache:
        """Knows every other document (as if the others had changed since)."""

        def __init__(self) -> None:
            self.put_origins: list[str] = []

        def get(
            self, document: Document, scope: Scope, *, bodies: BodySelectors
        ) -> list[object] | None:
            index = docs.index(document)
            return None if index % 2 else list(extract(document, scope=scope, bodies=bodies))

        def get_many(
            self, documents: list[Document], scope: Scope, *, bodies: BodySelectors
        ) -> list[list[object] | None]:
            return [self.get(d, scope, bodies=bodies) for d in documents]

        def put(
            self, document: Document, scope: Scope, citations: object, *, bodies: BodySelectors
        ) -> None:
            self.put_origins.append(document.origin)

        def flush(self) -> None:
            pass

    cache = HalfCache()
    options = AuditOptions()
    got = extract_all(docs, options, cache)  # type: ignore[arg-type]
    assert [doc for doc, _ in got] == docs
    assert [citations for _, citations in got] == [
        [apply_policy(c, options, []) for c in extract(d)] for d in docs
    ]
    assert cache.put_origins == [d.origin for i, d in enumerate(docs) if i % 2]


def _sigint_handler() -> object:
    return signal.getsignal(signal.SIGINT)


def test_workers_leave_ctrl_c_to_this_process() -> None:
    context = parallel._context()
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=parallel._ignore_interrupts
    ) as pool:
        assert pool.submit(_sigint_handler).result() == signal.SIG_IGN


class _BrokenPool:
    """A pool whose workers die before answering (as an OOM kill would leave it)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def submit(self, *args: object) -> Future[object]:
        future: Future[object] = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


@pytest.mark.parametrize("pool", ["real", "broken"])
def test_streamed_extraction_gives_what_extract_all_gives(
    monkeypatch: pytest.MonkeyPatch, pool: str
) -> None:
    """Document by document as the workers finish, cached documents first, the same
    lists in the end; a pool that breaks leaves its chunks to this process."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    monkeypatch.setattr(parallel, "CHUNK", 7)
    if pool == "broken":
        # ``parallel`` imports the pool where it starts one (not for small runs)
        monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _BrokenPool)
    docs = documents()
    cached = {d.origin for d in docs[::3]}

    class ThirdCache:
        def get(
            self, document: Document, scope: Scope, *, bodies: BodySelectors
        ) -> list[object] | None:
            if document.origin not in cached:
                return None
            return list(extract(document, scope=scope, bodies=bodies))

        def get_many(
            self, documents: list[Document], scope: Scope, *, bodies: BodySelectors
        ) -> list[list[object] | None]:
            return [self.get(d, scope, bodies=bodies) for d in documents]

        def put(self, *args: object, **kwargs: object) -> None:
            pass

        def flush(self) -> None:
            pass

    options = AuditOptions()
    told: list[list[Citation]] = []
    got = asyncio.run(extract_streaming(docs, options, ThirdCache(), told.append))  # type: ignore[arg-type]
    want = [[apply_policy(c, options, []) for c in extract(d)] for d in docs]
    assert [doc for doc, _ in got] == docs
    assert [citations for _, citations in got] == want
    in_cache = [w for d, w in zip(docs, want, strict=True) if d.origin in cached]
    fresh = [w for d, w in zip(docs, want, strict=True) if d.origin not in cached]
    assert told == in_cache + fresh
