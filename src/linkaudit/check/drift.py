"""Content drift: is the page a citation points at still the one the author saw?

A 200 answer says a page is there, not that it still says what was cited.  This
module compares a **baseline** (the version the author saw: linkaudit's own first
observation of the URL, or the archived capture nearest the citation date) with
the live page, on **main text**, never markup, so a new template, other ads,
navigation, timestamps or comment counts are not drift.

The measure is *containment*: the share of the baseline article's 5-word
shingles still found anywhere on the live page.  It asks exactly the reader's
question ("is what I cited still there?"): text added to the page (an update
paragraph, comments, a new sidebar) does not lower it; text that disappeared
(gutted, swapped, rewritten, replaced by a landing page or a removal notice)
does.  The live side is read with ``Scope.PAGE`` so that an article-body finder
that draws the live article's border differently from the baseline's cannot
make a page look drifted; the baseline is read with ``Scope.ARTICLE`` so that
the old page's chrome does not count as cited content.  The threshold was
chosen on the development half of ``benchmarks/drift.py`` and checked on its
held-out half (numbers in ``benchmarks/README.md``).

A baseline is kept compact (:class:`Fingerprint`): a bottom-k sample of its
shingle hashes (at most ``SAMPLE`` 32-bit values: containment is estimated from
the sample, within about 0.03) and the first ``EXCERPT_CHARS`` characters of its
text, zlib-compressed, to show what disappeared and to find quoted passages.

Quotations (``<blockquote cite>``, ``<q cite>``) are matched as text, after
folding case, whitespace, quote marks and dashes: a passage in the baseline but
no longer on the live page is ``quote_missing`` whatever the overall similarity;
a passage never in the baseline is a misquote, said as such, not drift.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from linkaudit.check.soft404 import title_and_heading
from linkaudit.extract import main_text
from linkaudit.model import Document, DocumentKind, Scope

#: Words per shingle.  Five words are rarely shared by two different articles
#: (boilerplate aside) and one edited word disturbs only five shingles.
SHINGLE = 5
#: Baseline shingle hashes kept (the smallest ones: a bottom-k sample).
SAMPLE = 256
#: Baseline text kept, in characters, to show what disappeared and match quotes.
EXCERPT_CHARS = 8000
#: Below this containment the cited content is gone: ``stale``/``content_changed``.
#: Chosen on the benchmark's development pairs (see benchmarks/drift.py).
DRIFT_BELOW = 0.5
#: Below this (and at or above ``DRIFT_BELOW``) the page changed since it was cited:
#: still ``ok``, with a note and its similarity.
CHANGED_BELOW = 0.98
#: A baseline with fewer words than this says too little to compare.
MIN_WORDS = 20
#: Characters of "what disappeared" / "what is there now" kept as evidence.
EVIDENCE_CHARS = 300

_WORD = re.compile(r"\w+")
_FORMAT_VERSION = 1


def words(text: str) -> list[str]:
    """The words of ``text``, NFKC-normalised and case-folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _hash(shingle: Sequence[str]) -> int:
    digest = hashlib.blake2b(" ".join(shingle).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def shingle_hashes(text: str) -> set[int]:
    """32-bit hashes of the ``SHINGLE``-word shingles of ``text`` (a short text: one shingle)."""
    found = words(text)
    if len(found) < SHINGLE:
        return {_hash(found)} if found else set()
    return {_hash(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}


@dataclass(frozen=True)
class Fingerprint:
    """What is kept of a baseline's main text: compact, and enough to compare later.

    ``sample``: the smallest ``SAMPLE`` shingle hashes, sorted.  ``words``: the
    text's word count.  ``title``: the page's ``<title>``.  ``excerpt``: the text's
    first ``EXCERPT_CHARS`` characters, zlib-compressed; ``truncated`` when the
    text was longer.
    """

    sample: tuple[int, ...]
    words: int
    title: str
    excerpt: bytes
    truncated: bool = False

    @property
    def text(self) -> str:
        """The kept text (the whole main text unless ``truncated``)."""
        return zlib.decompress(self.excerpt).decode("utf-8", "replace") if self.excerpt else ""

    def to_bytes(self) -> bytes:
        """A stable serialisation for the store: a length-prefixed JSON head, the sample
        as packed 32-bit integers, then the compressed excerpt (about 1 KB + excerpt)."""
        head = {
            "v": _FORMAT_VERSION,
            "words": self.words,
            "title": self.title,
            "truncated": self.truncated,
            "sample": len(self.sample),
        }
        encoded = json.dumps(head, separators=(",", ":")).encode()
        packed = b"".join(h.to_bytes(4, "big") for h in self.sample)
        return len(encoded).to_bytes(4, "big") + encoded + packed + self.excerpt

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint | None:
        """The fingerprint ``to_bytes`` wrote; None for anything else (an older format)."""
        try:
            size = int.from_bytes(data[:4], "big")
            head = json.loads(data[4 : 4 + size])
            if not isinstance(head, dict) or head.get("v") != _FORMAT_VERSION:
                return None
            start = 4 + size
            count = int(head["sample"])
            packed = data[start : start + 4 * count]
            if len(packed) != 4 * count:
                return None
            sample = tuple(
                int.from_bytes(packed[i : i + 4], "big") for i in range(0, len(packed), 4)
            )
            return cls(
                sample=sample,
                words=int(head["words"]),
                title=str(head["title"]),
                excerpt=bytes(data[start + 4 * count :]),
                truncated=bool(head["truncated"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


def fingerprint(text: str, title: str = "") -> Fingerprint:
    """The fingerprint of a baseline's main ``text`` (one block per line)."""
    hashes = sorted(shingle_hashes(text))[:SAMPLE]
    kept = text[:EXCERPT_CHARS]
    return Fingerprint(
        sample=tuple(hashes),
        words=len(words(text)),
        title=title,
        excerpt=zlib.compress(kept.encode("utf-8"), 9) if kept else b"",
        truncated=len(text) > EXCERPT_CHARS,
    )


@dataclass(frozen=True)
class PageText:
    """One version of a page as drift sees it: the article's text, the whole page's
    text (every block, chrome included) and the title."""

    article: str
    page: str
    title: str


def read_page(html: str, url: str | None = None, *, whole_page: bool = True) -> PageText:
    """The article text, page text and title of an HTML page (via ``extract.main_text``)."""
    document = Document(
        text=html,
        kind=DocumentKind.HTML if whole_page else DocumentKind.WORDPRESS,
        origin=url or "<page>",
        base_url=url,
        whole_page=whole_page,
    )
    article = main_text(document, scope=Scope.ARTICLE).text
    page = main_text(document, scope=Scope.PAGE).text if whole_page else article
    title, heading = title_and_heading(html)
    return PageText(article=article, page=page, title=title or heading)


def baseline_of(html: str, url: str | None = None) -> Fingerprint:
    """The fingerprint of a page as a baseline (its article's text and its title)."""
    read = read_page(html, url)
    return fingerprint(read.article, read.title)


def containment(baseline: Fingerprint, live: set[int]) -> float:
    """Estimated share of the baseline's shingles found in ``live`` (1.0 for an empty baseline)."""
    if not baseline.sample:
        return 1.0
    return sum(1 for h in baseline.sample if h in live) / len(baseline.sample)


def _blocks_not_in(text: str, other: set[int], limit: int) -> str:
    """The blocks (lines) of ``text`` mostly absent from ``other``, joined, cut at ``limit``."""
    out: list[str] = []
    size = 0
    for line in text.splitlines():
        hashes = shingle_hashes(line)
        if not hashes or len(words(line)) < 3:
            continue
        if sum(1 for h in hashes if h in other) * 2 < len(hashes):
            out.append(line)
            size += len(line) + 1
            if size >= limit:
                break
    joined = " / ".join(out)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


class DriftLevel(StrEnum):
    """What the comparison says."""

    SAME = "same"  # nothing of the baseline's text is gone
    CHANGED = "changed"  # changed since cited, the cited content still there: ok, with a note
    DRIFTED = "drifted"  # the cited content is gone: stale / content_changed
    UNKNOWN = "unknown"  # the baseline says too little to compare


@dataclass(frozen=True)
class Comparison:
    """A baseline against the live page.

    ``similarity``: containment of the baseline's text in the live page, 0..1.
    ``disappeared``: a short excerpt of baseline text no longer on the page;
    ``appeared``: of the live article's text that the baseline did not have.
    """

    level: DriftLevel
    similarity: float
    title_before: str
    title_after: str
    disappeared: str = ""
    appeared: str = ""


def compare(baseline: Fingerprint, live: PageText) -> Comparison:
    """Compare a baseline with the live page (see the module docstring for the measure)."""
    if baseline.words < MIN_WORDS:
        return Comparison(DriftLevel.UNKNOWN, 1.0, baseline.title, live.title)
    live_hashes = shingle_hashes(live.page)
    score = containment(baseline, live_hashes)
    if score >= CHANGED_BELOW:
        return Comparison(DriftLevel.SAME, score, baseline.title, live.title)
    level = DriftLevel.DRIFTED if score < DRIFT_BELOW else DriftLevel.CHANGED
    before = baseline.text
    return Comparison(
        level,
        score,
        baseline.title,
        live.title,
        disappeared=_blocks_not_in(before, live_hashes, EVIDENCE_CHARS),
        appeared=_blocks_not_in(live.article, shingle_hashes(before), EVIDENCE_CHARS),
    )


# --------------------------------------------------------------------------- quotations

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)
#: Quote marks and punctuation a quotation may carry at its ends or drop inside.
_EDGE = re.compile(r"^[\s\"'.,;:!?\-()\[\]]+|[\s\"'.,;:!?\-()\[\]]+$")
_MARKS = re.compile(r"[\"']")
_SPACE = re.compile(r"\s+")
#: Fewer words than this are too short to match reliably ("yes", "the end").
MIN_QUOTE_WORDS = 4


def normalise_quote(text: str) -> str:
    """``text`` folded for matching: NFKC, case, typographic quotes and dashes, whitespace,
    quote marks dropped, ends trimmed of punctuation (an ellipsis splits a quotation)."""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    folded = _MARKS.sub("", folded)
    folded = _SPACE.sub(" ", folded)
    return _EDGE.sub("", folded)


def _pieces(quote: str) -> list[str]:
    """A quotation's pieces: split at ellipses (elided text), each normalised."""
    parts = re.split(r"\.\.\.|\[\s*\.\.\.\s*\]|\u2026", unicodedata.normalize("NFKC", quote))
    return [p for p in (normalise_quote(part) for part in parts) if p]


def contains_quote(quote: str, text: str) -> bool:
    """Whether every piece of ``quote`` is in ``text``, after folding both."""
    haystack = normalise_quote(text.replace("\n", " "))
    pieces = _pieces(quote)
    return bool(pieces) and all(piece in haystack for piece in pieces)


class QuoteStatus(StrEnum):
    PRESENT = "present"  # in the baseline and on the live page
    MISSING = "missing"  # in the baseline, gone from the live page: quote_missing
    NEVER = "never_in_baseline"  # not in the baseline either: a misquote, not drift
    UNKNOWN = "unknown"  # too short to match, or the kept baseline text is cut short


def check_quote(quote: str, baseline: Fingerprint | str, live: PageText | str) -> QuoteStatus:
    """Where ``quote`` stands between a baseline and the live page.

    ``baseline``: a fingerprint (its kept article text) or a whole page's text (an
    archived capture's); only the latter can say a passage was never there.
    """
    if len(words(quote)) < MIN_QUOTE_WORDS:
        return QuoteStatus.UNKNOWN
    live_text = live.page if isinstance(live, PageText) else live
    if contains_quote(quote, live_text):
        return QuoteStatus.PRESENT
    # A fingerprint keeps the article's text only, and only its start: a passage not
    # found there may still have been elsewhere on the page, so it is not a misquote.
    partial = isinstance(baseline, Fingerprint)
    before = baseline.text if isinstance(baseline, Fingerprint) else baseline
    if contains_quote(quote, before):
        return QuoteStatus.MISSING
    return QuoteStatus.UNKNOWN if partial else QuoteStatus.NEVER


# --------------------------------------------------------------------------- titles


def title_cosine(a: str, b: str) -> float:
    """Cosine similarity of two titles' word counts: the title-only drift baseline
    (Reyes Ayala et al.), kept for comparison in the benchmark."""
    left, right = Counter(words(a)), Counter(words(b))
    if not left or not right:
        return 1.0 if not left and not right else 0.0
    dot = sum(n * right[w] for w, n in left.items())
    norm = math.sqrt(sum(n * n for n in left.values()) * sum(n * n for n in right.values()))
    return float(dot / norm)


def excerpt_words(texts: Iterable[str], limit: int = EVIDENCE_CHARS) -> str:
    """The first ``limit`` characters of the joined ``texts`` (an evidence excerpt)."""
    joined = " ".join(t for t in texts if t)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"
