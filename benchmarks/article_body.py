"""Article scope on pages linkaudit was not developed on: which links are the article's.

The set (``benchmarks/data/article_body/``, see its README) holds real pages from
three public benchmarks, each with an answer key nobody here wrote:

* ``wcxb`` (held out): the article pages of the Web Content Extraction
  Benchmark's test split, with their human-reviewed main text.
* ``scrapinghub`` (development): pages of Zyte's article-extraction benchmark with
  their human-annotated article text.
* ``readability`` (development): Mozilla Readability's test pages (other than the
  15 of the shared corpus), scored exactly as ``tests/extract/corpus.py`` scores
  those: the ``<a href>`` elements of ``expected.html``, matched by resolved URL
  and text.

Where the key is text, a link is the article's when its words sit in a run of the
page's text that the key contains (5-word shingles, at least half of the link's
words covered); links without words (image-only) cannot be placed by text and
are left out of the score on both sides.

Per page: recall (article links found / article links) and precision (article
links found / links found); the table gives the mean per page and the pooled
totals.  ``--split first-held-out`` is the half of the development pages first
held out (by a hash of their name), kept to reproduce the numbers measured on it.

Run: ``.venv/bin/python -m benchmarks.article_body`` (held-out pages, linkaudit);
``--split dev|first-held-out|all``, ``--pages`` (one row per page), ``--peers FILE``
(also score the libraries' output written by ``benchmarks/article_body_peers.py``),
``--markdown`` (the table as Markdown).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import statistics
import sys
import tarfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lxml.html

from linkaudit.extract import extract
from linkaudit.model import Document, DocumentKind, Scope
from linkaudit.urls import resolve

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "article_body"
ARCHIVE = DATA / "pages.tar.xz"
FAKEHOST = "http://fakehost/test/page.html"  # the URL Readability's keys were made with
SHINGLE = 5  # words per shingle when placing a link in the annotated text
MIN_ARTICLE_LINKS = 5  # pages with fewer article links are not in the set

_WORD = re.compile(r"\w+")
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title"})

#: (resolved URL, whitespace-collapsed link text)
Link = tuple[str, str]


@dataclass(frozen=True)
class Page:
    """One page of the set with its answer key.

    ``article`` are the article's links; ``others`` the page's other links that the
    key can place (for ``scrapinghub``: links with words; empty for ``readability``,
    whose key scores every link found).
    """

    name: str
    source: str
    html: str
    url: str
    article: tuple[Link, ...]
    others: tuple[Link, ...]

    @property
    def held_out(self) -> bool:
        """Held out from development: the WCXB pages."""
        return self.source == HELD_OUT

    @property
    def keyed_by_text(self) -> bool:
        return self.source != "readability"


HELD_OUT = "wcxb"
SOURCES = ("wcxb", "scrapinghub", "readability", "wcxb-dev")


def first_held_out(name: str) -> bool:
    """The half of the development pages first held out (by a hash of the name)."""
    return hashlib.sha256(name.encode()).digest()[0] < 128


# --------------------------------------------------------------------------- keys


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _base(root: lxml.html.HtmlElement, url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href and href.strip():
            return resolve(href, url)
    return url


def _visible_words(
    root: lxml.html.HtmlElement,
) -> tuple[list[str], list[tuple[lxml.html.HtmlElement, int, int]]]:
    """The page's visible words in document order, and each ``<a href>``'s span of them."""
    words: list[str] = []
    spans: list[tuple[lxml.html.HtmlElement, int, int]] = []
    stack: list[tuple[lxml.html.HtmlElement, bool, bool]] = [(root, False, False)]
    # (element, hidden, closing): an explicit stack, deep pages overflow recursion.
    starts: dict[int, int] = {}
    while stack:
        el, hidden, closing = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else None
        if closing:
            if tag == "a" and el.get("href") is not None and not hidden:
                spans.append((el, starts.pop(id(el)), len(words)))
            if el.tail and not hidden:
                words.extend(_words(el.tail))
            continue
        inner = hidden or tag in _HIDDEN
        starts[id(el)] = len(words)
        if tag is not None and not inner and el.text:
            words.extend(_words(el.text))
        stack.append((el, hidden, True))
        if tag is not None:
            stack.extend((child, inner, False) for child in reversed(el))
    return words, spans


def label_by_text(html: str, url: str, truth: str) -> tuple[list[Link], list[Link]]:
    """(article links, other links with words) of a page, placed by the annotated text."""
    root = lxml.html.document_fromstring(html)
    base = _base(root, url)
    words, spans = _visible_words(root)
    truth_words = _words(truth)
    shingles = {tuple(truth_words[i : i + SHINGLE]) for i in range(len(truth_words) - SHINGLE + 1)}
    covered = bytearray(len(words))
    for i in range(len(words) - SHINGLE + 1):
        if tuple(words[i : i + SHINGLE]) in shingles:
            covered[i : i + SHINGLE] = b"\x01" * SHINGLE
    article: list[Link] = []
    others: list[Link] = []
    for a, start, stop in spans:
        if start == stop:
            continue
        link = (resolve(a.get("href") or "", base), _collapse(a.text_content()))
        (article if sum(covered[start:stop]) * 2 >= stop - start else others).append(link)
    return article, others


def readability_key(expected: str) -> list[Link]:
    """Every ``<a href>`` of Readability's ``expected.html`` (hrefs already resolved)."""
    root = lxml.html.fromstring(expected)
    out = []
    for a in root.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        if href.startswith("#"):
            href = FAKEHOST + href  # Readability keeps fragment-only hrefs as written
        out.append((href, _collapse(a.text_content())))
    return out


# --------------------------------------------------------------------------- the set


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:xz") as tar:
        return {
            m.name: extracted.read()
            for m in tar.getmembers()
            if m.isfile() and (extracted := tar.extractfile(m)) is not None
        }


@cache
def load(archive: Path = ARCHIVE) -> tuple[Page, ...]:
    """Every page of the set with its key, in name order."""
    files = _members(archive)
    pages: list[Page] = []
    keyed = (("scrapinghub", "articleBody", 12), ("wcxb", "main_content", 4))
    for source, text_key, short in keyed:
        truth = json.loads(files[f"{source}/ground-truth.json"])
        for key, item in truth.items():
            html = files[f"{source}/{key}.html"].decode("utf-8", "replace")
            article, others = label_by_text(html, item["url"], item[text_key])
            name = f"{source}/{key[:short]}"
            pages.append(Page(name, source, html, item["url"], (*article,), (*others,)))
    for name in sorted({n.split("/")[1] for n in files if n.startswith("readability/")}):
        if f"readability/{name}/source.html" not in files:
            continue
        html = files[f"readability/{name}/source.html"].decode("utf-8", "replace")
        expected = files[f"readability/{name}/expected.html"].decode("utf-8", "replace")
        key_links = readability_key(expected)
        pages.append(Page(f"readability/{name}", "readability", html, FAKEHOST, (*key_links,), ()))
    return tuple(sorted(pages, key=lambda p: p.name))


def load_wcxb_dev(root: Path) -> tuple[Page, ...]:
    """WCXB's own *dev* split's article pages, read from a checkout (not vendored).

    Development data in the held-out pages' own style: taken exactly as the
    held-out test pages are (5+ links placed by the reviewed text).  ``root``
    holds ``metadata.json`` and ``dev/`` (``git archive c039d5e dev metadata.json``).
    """
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))["files"]
    pages: list[Page] = []
    for key, info in sorted(meta.items()):
        if info["split"] != "dev" or info["page_type"] != "article":
            continue
        truth = json.loads((root / "dev" / "ground-truth" / f"{key}.json").read_text("utf-8"))
        text = truth["ground_truth"].get("main_content") or ""
        raw = gzip.decompress((root / "dev" / "html" / f"{key}.html.gz").read_bytes())
        html = raw.decode("utf-8", "replace")
        article, others = label_by_text(html, truth["url"], text)
        if len(article) >= MIN_ARTICLE_LINKS:
            pages.append(
                Page(f"wcxb-dev/{key}", "wcxb-dev", html, truth["url"], (*article,), (*others,))
            )
    return tuple(pages)


def select(pages: Iterable[Page], split: str) -> list[Page]:
    """``held-out``, ``dev``, ``first-held-out`` or ``all`` of ``pages``."""
    if split == "all":
        return list(pages)
    if split == "wcxb-dev":
        return [p for p in pages if p.source == "wcxb-dev"]
    if split == "first-held-out":
        return [p for p in pages if not p.held_out and first_held_out(p.name)]
    if split == "held-out":
        return [p for p in pages if p.held_out]
    return [p for p in pages if not p.held_out and p.source != "wcxb-dev"]


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Score:
    """One finder on one page."""

    page: str
    expected: int
    found: int
    matched: int

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0


def _match(wanted: Counter[Link], found: Counter[Link]) -> tuple[int, Counter[Link]]:
    """Links of ``found`` matched in ``wanted``: by URL and text, then by URL alone.

    Returns the count and what is left of ``found``.
    """
    exact = wanted & found
    rest_wanted = Counter({u: 0 for u, _ in wanted})
    for (url, _), n in (wanted - exact).items():
        rest_wanted[url] += n
    left = found - exact
    by_url = 0
    remaining: Counter[Link] = Counter()
    for (url, text), n in left.items():
        take = min(n, rest_wanted[url])
        rest_wanted[url] -= take
        by_url += take
        if n > take:
            remaining[(url, text)] = n - take
    return sum(exact.values()) + by_url, remaining


def score(page: Page, found: Sequence[Link]) -> Score:
    """Recall and precision of ``found`` links against the page's key.

    For a text-labelled page, a found link the key cannot place (no words, not a
    link of the page) does not count; one placed outside the article does.
    """
    found_counts = Counter(found)
    matched, rest = _match(Counter(page.article), found_counts)
    if page.keyed_by_text:
        wrong, _ = _match(Counter(page.others), rest)
        counted = matched + wrong
    else:
        counted = len(found)
    return Score(page.name, len(page.article), counted, matched)


def document(page: Page) -> Document:
    return Document(
        text=page.html, kind=DocumentKind.HTML, origin=page.name, base_url=page.url, whole_page=True
    )


def linkaudit_links(page: Page) -> list[Link]:
    """The ``<a href>`` citations linkaudit's article scope finds."""
    return [
        (c.url, c.text)
        for c in extract(document(page), scope=Scope.ARTICLE)
        if c.element == "a" and c.url is not None
    ]


def html_links(fragment: str, page: Page) -> list[Link]:
    """The ``<a href>`` links of a library's HTML output, resolved as linkaudit resolves."""
    if not fragment.strip():
        return []
    root = lxml.html.fromstring(fragment)
    base = _base(lxml.html.document_fromstring(page.html), page.url)
    return [
        (resolve(a.get("href") or "", base), _collapse(a.text_content()))
        for a in root.iter("a")
        if a.get("href") is not None
    ]


@dataclass(frozen=True)
class Summary:
    """A finder's scores over a set of pages."""

    finder: str
    scores: tuple[Score, ...]

    @property
    def recall(self) -> float:
        return statistics.fmean(s.recall for s in self.scores)

    @property
    def precision(self) -> float:
        return statistics.fmean(s.precision for s in self.scores)

    @property
    def pooled(self) -> tuple[float, float]:
        matched = sum(s.matched for s in self.scores)
        expected = sum(s.expected for s in self.scores) or 1
        found = sum(s.found for s in self.scores) or 1
        return matched / expected, matched / found


def run(finder: str, pages: Sequence[Page], links: Callable[[Page], Sequence[Link]]) -> Summary:
    return Summary(finder, tuple(score(page, links(page)) for page in pages))


def peer_finders(path: Path) -> dict[str, Callable[[Page], list[Link]]]:
    """Finders reading the libraries' output (see ``article_body_peers.py``)."""
    outputs: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    finders: dict[str, Callable[[Page], list[Link]]] = {}
    for tool, by_page in outputs.items():
        finders[tool] = lambda page, by_page=by_page: html_links(by_page.get(page.name, ""), page)
    return finders


# --------------------------------------------------------------------------- output


def _rows(summaries: Sequence[Summary], by_source: bool) -> Iterator[list[str]]:
    for summary in summaries:
        groups = [("all", summary.scores)]
        if by_source:
            for source in SOURCES:
                groups.append(
                    (source, tuple(s for s in summary.scores if s.page.split("/")[0] == source))
                )
        for group, scores in groups:
            if not scores:
                continue
            part = Summary(summary.finder, scores)
            pooled_recall, pooled_precision = part.pooled
            yield [
                summary.finder,
                group,
                str(len(scores)),
                f"{part.recall:.3f}",
                f"{part.precision:.3f}",
                f"{pooled_recall:.3f}",
                f"{pooled_precision:.3f}",
                str(sum(s.recall >= 0.95 for s in scores)),
                str(sum(s.precision >= 0.9 for s in scores)),
            ]


_HEADER = [
    "finder",
    "pages",
    "n",
    "recall",
    "precision",
    "pooled rec.",
    "pooled prec.",
    "rec>=.95",
    "prec>=.9",
]


def table(summaries: Sequence[Summary], *, markdown: bool = False) -> str:
    rows = list(_rows(summaries, by_source=True))
    if markdown:
        lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [_HEADER, *rows]) for i in range(len(_HEADER))]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i > 1 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [_HEADER, *rows]
    )


def page_rows(summary: Summary) -> str:
    lines = [
        f"{summary.finder}: {'page':40} {'key':>5} {'found':>5} {'match':>5} {'rec':>5} {'prec':>5}"
    ]
    for s in summary.scores:
        lines.append(
            f"{summary.finder}: {s.page:40} {s.expected:5} {s.found:5} {s.matched:5}"
            f" {s.recall:5.2f} {s.precision:5.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split",
        choices=["held-out", "dev", "first-held-out", "wcxb-dev", "all"],
        default="held-out",
    )
    parser.add_argument(
        "--wcxb-dev", type=Path, metavar="DIR", help="WCXB checkout: adds its dev articles"
    )
    parser.add_argument("--pages", action="store_true", help="one row per page")
    parser.add_argument("--peers", type=Path, help="libraries' output (article_body_peers.py)")
    parser.add_argument("--no-linkaudit", action="store_true", help="score only --peers")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    args = parser.parse_args(argv)
    every = load() + (load_wcxb_dev(args.wcxb_dev) if args.wcxb_dev else ())
    if args.split == "wcxb-dev" and not args.wcxb_dev:
        parser.error("--split wcxb-dev needs --wcxb-dev DIR")
    pages = select(every, args.split)
    finders: dict[str, Callable[[Page], Sequence[Link]]] = {}
    if not args.no_linkaudit:
        finders["linkaudit"] = linkaudit_links
    if args.peers is not None:
        finders.update(peer_finders(args.peers))
    summaries = [run(name, pages, links) for name, links in finders.items()]
    if args.pages:
        for summary in summaries:
            print(page_rows(summary))
    print(f"split: {args.split}, {len(pages)} pages")
    print(table(summaries, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
