"""Scoring helpers for the Readability corpus (see /work/shared/corpus/README.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from linkaudit.extract import extract
from linkaudit.model import Citation, Document, DocumentKind, Scope

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus" / "readability"
FAKEHOST = "http://fakehost/test/page.html"


def pages() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if (p / "source.html").is_file())


def _norm_text(text: str) -> str:
    return " ".join(text.split())


def expected_links(page: str) -> list[tuple[str, str]]:
    """(href as Readability wrote it, link text) for every ``<a href>`` in expected.html."""
    root = lxml.html.fromstring((CORPUS / page / "expected.html").read_text(encoding="utf-8"))
    out = []
    for a in root.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        if href.startswith("#"):
            href = FAKEHOST + href  # Readability keeps fragment-only hrefs as written
        out.append((href, _norm_text(a.text_content())))
    return out


def source_document(page: str) -> Document:
    text = (CORPUS / page / "source.html").read_bytes().decode("utf-8", "replace")
    return Document(
        text=text, kind=DocumentKind.HTML, origin=page, base_url=FAKEHOST, whole_page=True
    )


def anchor_citations(citations: list[Citation]) -> list[tuple[str, str]]:
    return [(c.url, c.text) for c in citations if c.element == "a" and c.url is not None]


@dataclass(frozen=True)
class Score:
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


def match_count(expected: list[tuple[str, str]], found: list[tuple[str, str]]) -> int:
    """Per-element matching: by URL and text first, then the rest by URL alone."""
    want = Counter(expected)
    have = Counter(found)
    exact = want & have
    matched = sum(exact.values())
    rest_want = Counter(url for (url, _t), n in (want - exact).items() for _ in range(n))
    rest_have = Counter(url for (url, _t), n in (have - exact).items() for _ in range(n))
    return matched + sum((rest_want & rest_have).values())


def score(page: str, scope: Scope = Scope.ARTICLE) -> Score:
    expected = expected_links(page)
    found = anchor_citations(extract(source_document(page), scope=scope))
    return Score(page, len(expected), len(found), match_count(expected, found))
