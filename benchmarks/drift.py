"""Content drift on real pages: does linkaudit tell a changed page from a drifted one?

The labelled set is made of pairs (baseline, live) built from real pages nobody
here wrote (``benchmarks/data/drift/README.md``): the 292 pages of the
article-body set (``benchmarks/data/article_body/pages.tar.xz``: WCXB,
scrapinghub, Readability) and the 15 pages of the shared corpus (vendored in
``benchmarks/data/drift/corpus.tar.xz``).  The baseline is always a real page as
published; the live page is that page after one real-world kind of change,
applied to its HTML with real text from the set:

no drift (the cited content is still there)
  ``template``   the article moved into another site's template (a redesign:
                 new navigation, ads, footer, sidebars; the title gets a suffix)
  ``chrome``     the same template with other navigation and related links, a
                 cookie banner and an ad, new timestamps and comment counts
  ``edited``     lightly edited: a few words changed in a tenth of the
                 paragraphs, and a correction line appended
  ``updated``    an "Update:" paragraph added at the top (real text)

drift (the cited content is gone)
  ``swapped``    a different article in the same template (and its title)
  ``gutted``     only the first paragraphs left (at most a fifth of the words)
  ``rewritten``  same title and headings, four paragraphs in five replaced
  ``landing``    the article replaced by a landing page of teasers (real titles
                 and leads of other pages), the title by the site's name
  ``tombstone``  the article replaced by a removal notice
  ``other_site`` another site's page altogether (the domain changed hands)

Quotations, scored separately: a sentence of the baseline article quoted by the
citing page (typographic quotes, other case and spacing), and the live page
``quote_kept`` (the edited page, quote untouched), ``quote_removed`` (the quote's
paragraph deleted, the rest as is: ``quote_missing`` expected) or ``misquote`` (a
sentence of another article, the page unchanged: "never in the baseline"
expected, not drift).

The article's extent in a baseline (what "the article" is, for moving and
editing it) comes from each page's outside answer key (WCXB's and scrapinghub's
annotated text, Readability's ``expected.html``): the element whose text best
matches the key (most key words in, fewest other words).  Nothing of linkaudit's
own article finder is used to build the pairs.

Split by source page, never by pair: the held-out pairs are those of the 183
WCXB pages, with partners (template, swapped article, other site) drawn from
WCXB pages only; development pairs use the scrapinghub, Readability and shared
corpus pages only.  Thresholds (linkaudit's and the title baseline's) are chosen
on development pairs alone.

Methods: ``linkaudit`` (``linkaudit.check.drift.compare``: containment of the
baseline article's 5-word shingles in the live page) and ``title`` (cosine of
the two ``<title>`` word vectors, drift below a threshold chosen on the
development pairs to maximise F1: the Reyes Ayala et al. 2022 method).

Run: ``.venv/bin/python -m benchmarks.drift`` (both splits; ``--split dev|held-out``,
``--markdown``, ``--pairs`` for one row per wrong pair, ``--limit N`` pages per split).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import re
import sys
import tarfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from linkaudit.check import drift
from linkaudit.check.drift import DriftLevel, Fingerprint, PageText, QuoteStatus

HERE = Path(__file__).resolve().parent
BODY_SET = HERE / "data" / "article_body" / "pages.tar.xz"
CORPUS = HERE / "data" / "drift" / "corpus.tar.xz"
FAKEHOST = "http://fakehost/test/page.html"

NO_DRIFT = ("template", "chrome", "edited", "updated")
DRIFT = ("swapped", "gutted", "rewritten", "landing", "tombstone", "other_site")
CATEGORIES = NO_DRIFT + DRIFT
QUOTES = ("quote_kept", "quote_removed", "misquote")
HELD_OUT = "wcxb"
MIN_ARTICLE_WORDS = 120  # pages whose keyed article is shorter cannot be gutted or rewritten

_WORD = re.compile(r"\w+")
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title"})
_BLOCKS = ("p", "li", "blockquote", "dd", "pre")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SENTENCE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019]?\s+(?=[A-Z\u00c0-\u00dd\"\u201c])")

#: Removal notices, as real sites word them (see the README for where each is from).
TOMBSTONES = (
    "This article has been removed.",
    "Sorry, this content is no longer available.",
    "This story has been removed at the request of the author.",
    "The page you are looking for has been removed, had its name changed, or is "
    "temporarily unavailable.",
    "This post has been deleted by its author.",
    "Editor's note: this article has been retracted and removed from our website "
    "following a review of its sourcing.",
    "Content unavailable. This content has been removed for legal reasons.",
    "We have removed this article from our archive.",
)
COOKIE = (
    "We use cookies to improve your experience on our site and to show you relevant "
    "advertising. By continuing to browse you agree to our use of cookies. "
    "Accept Manage preferences"
)


# --------------------------------------------------------------------------- the pages


@dataclass(frozen=True)
class Source:
    """A real page and its article text from the page's outside key."""

    name: str
    origin: str  # wcxb, scrapinghub, readability, corpus
    html: str
    url: str
    key: str  # the article's text according to the page's answer key

    @property
    def held_out(self) -> bool:
        return self.origin == HELD_OUT

    @property
    def site(self) -> str:
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.") or self.name


def _members(archive: Path) -> dict[str, bytes]:
    if not archive.exists():
        return {}
    with tarfile.open(archive, "r:xz") as tar:
        return {
            m.name: extracted.read()
            for m in tar.getmembers()
            if m.isfile() and (extracted := tar.extractfile(m)) is not None
        }


def _text_of(fragment: str) -> str:
    return " ".join(lxml.html.fromstring(fragment).text_content().split())


def _canonical(html: str) -> str:
    root = lxml.html.document_fromstring(html)
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href", "").startswith(
            "http"
        ):
            return str(link.get("href"))
    for meta in root.iter("meta"):
        if meta.get("property") == "og:url" and (meta.get("content") or "").startswith("http"):
            return str(meta.get("content"))
    return FAKEHOST


def _readability_sources(archive: Mapping[str, bytes], origin: str) -> list[Source]:
    out: list[Source] = []
    for name in sorted({n.split("/")[1] for n in archive if n.startswith("readability/")}):
        source = archive.get(f"readability/{name}/source.html")
        expected = archive.get(f"readability/{name}/expected.html")
        if source is None or expected is None:
            continue
        html = source.decode("utf-8", "replace")
        key = _text_of(expected.decode("utf-8", "replace"))
        out.append(Source(f"{origin}/{name}", origin, html, _canonical(html), key))
    return out


@cache
def corpus() -> dict[str, Source]:
    """The shared corpus's 15 pages alone, by name (what the loopback tests use)."""
    return {s.name: s for s in _readability_sources(_members(CORPUS), "corpus")}


@cache
def load() -> tuple[Source, ...]:
    """Every page with a usable key, in name order."""
    out: list[Source] = []
    files = _members(BODY_SET)
    for origin, field, short in (("scrapinghub", "articleBody", 12), ("wcxb", "main_content", 4)):
        truth = json.loads(files[f"{origin}/ground-truth.json"])
        for key, item in truth.items():
            html = files[f"{origin}/{key}.html"].decode("utf-8", "replace")
            out.append(Source(f"{origin}/{key[:short]}", origin, html, item["url"], item[field]))
    out += _readability_sources(files, "readability")
    out += corpus().values()
    return tuple(sorted(out, key=lambda s: s.name))


# --------------------------------------------------------------------------- the article's extent


def _words(text: str | None) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def _visible(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and el.tag not in _HIDDEN


def locate(root: lxml.html.HtmlElement, key: str) -> lxml.html.HtmlElement | None:
    """The element whose text best matches ``key``: most key words in, fewest others.

    A page's words are marked as the key's when they lie in a 5-word shingle of
    the key; each element scores (key words inside) - (other words inside), and the
    best-scoring element is the article.
    """
    key_words = _words(key)
    shingles = {tuple(key_words[i : i + 5]) for i in range(len(key_words) - 4)}
    # Pass 1: the page's visible words, each tagged with its innermost element.
    sequence: list[tuple[str, etree._Element]] = []

    def walk(el: etree._Element) -> None:
        if not _visible(el):
            return
        sequence.extend((w, el) for w in _words(el.text))
        for child in el:
            walk(child)
            if child.tail:
                sequence.extend((w, el) for w in _words(child.tail))

    try:
        walk(root)
    except RecursionError:
        return None
    covered = [False] * len(sequence)
    for i in range(len(sequence) - 4):
        if tuple(w for w, _ in sequence[i : i + 5]) in shingles:
            for j in range(i, i + 5):
                covered[j] = True
    gain: dict[etree._Element, int] = defaultdict(int)
    for (_, el), hit in zip(sequence, covered, strict=True):
        gain[el] += 1 if hit else -1
    total: dict[etree._Element, int] = {}
    for el in root.iter():
        if not _visible(el):
            continue
    # Sum gains bottom-up: every element's score is its own words plus its descendants'.
    order = [el for el in root.iter() if _visible(el)]
    for el in reversed(order):
        total[el] = gain.get(el, 0) + sum(total.get(child, 0) for child in el)
    best = max(order, key=lambda el: total[el], default=None)
    if best is None or total[best] <= 0:
        return None
    return best  # type: ignore[return-value]


def _blocks(article: etree._Element) -> list[etree._Element]:
    """The article's paragraphs (outermost text blocks with words)."""
    found = [el for el in article.iter(*_BLOCKS) if len(_words(el.text_content())) >= 3]
    return [el for el in found if not any(a in found for a in el.iterancestors(*_BLOCKS))]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


@dataclass
class Parsed:
    """A source page parsed, with its article element located."""

    source: Source
    root: lxml.html.HtmlElement
    article: lxml.html.HtmlElement
    path: str  # the article's path in root, to find it again in a copy

    def copy(self) -> tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]:
        root = copy.deepcopy(self.root)
        found = root.getroottree().xpath(self.path)
        return root, found[0]

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(b.text_content().split()) for b in _blocks(self.article)]

    @property
    def title(self) -> str:
        found = self.root.find(".//title")
        return " ".join((found.text_content() if found is not None else "").split())


@cache
def parsed(source: Source) -> Parsed | None:
    """``source`` parsed, or None when its key does not locate a long enough article."""
    try:
        root = lxml.html.document_fromstring(source.html)
    except (etree.ParserError, ValueError):
        return None
    article = locate(root, source.key)
    if article is None or len(_words(article.text_content())) < MIN_ARTICLE_WORDS:
        return None
    if len(_blocks(article)) < 3:
        return None
    return Parsed(source, root, article, root.getroottree().getpath(article))


# --------------------------------------------------------------------------- the changes


def _serialise(root: lxml.html.HtmlElement) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _set_title(root: lxml.html.HtmlElement, title: str) -> None:
    found = root.find(".//title")
    if found is None:
        head = root.find("head")
        if head is None:
            return
        found = etree.SubElement(head, "title")
    for child in list(found):
        found.remove(child)
    found.text = _clean(title)


def _replace_children(
    target: etree._Element, new: Sequence[etree._Element], text: str = ""
) -> None:
    for child in list(target):
        target.remove(child)
    target.text = text
    for el in new:
        target.append(el)


def _element(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html, create_parent="div")


def _esc(text: str) -> str:
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _site_name(page: Parsed) -> str:
    for meta in page.root.iter("meta"):
        if meta.get("property") == "og:site_name" and meta.get("content"):
            return str(meta.get("content"))
    return page.source.site


def template(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """``page``'s article in ``other``'s template, the title with ``other``'s site name."""
    root, article = other.copy()
    moved = [copy.deepcopy(child) for child in page.article]
    _replace_children(article, moved, page.article.text or "")
    _set_title(root, f"{page.title} | {_site_name(other)}" if rng.random() < 0.5 else page.title)
    return _serialise(root)


_NUMBER = re.compile(r"\d+")


def chrome(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """Same template: other nav and related links, cookie banner, ad, new numbers and dates."""
    root, article = page.copy()
    inside = set(article.iter())
    donor = [
        " ".join(a.text_content().split())
        for a in other.root.iter("a")
        if a not in set(other.article.iter()) and len(_words(a.text_content())) >= 2
    ]
    links = [a for a in root.iter("a") if a not in inside]
    for a in links:
        if donor and rng.random() < 0.5:
            for child in list(a):
                a.remove(child)
            a.text = _clean(rng.choice(donor))
    for el in root.iter():
        if el in inside or not _visible(el):
            continue
        if el.text and _NUMBER.search(el.text):
            el.text = _NUMBER.sub(lambda m: str(rng.randint(1, 999)), el.text)
        if el.tail and _NUMBER.search(el.tail):
            el.tail = _NUMBER.sub(lambda m: str(rng.randint(1, 999)), el.tail)
    body = root.find("body")
    if body is not None:
        body.insert(0, _element(f'<div class="cookie-banner"><p>{_esc(COOKIE)}</p></div>')[0])
        teasers = "".join(
            f'<li><a href="/x{i}">{_esc(t)}</a></li>' for i, t in enumerate(donor[:8])
        )
        body.append(
            _element(f'<aside class="related"><h3>Related</h3><ul>{teasers}</ul></aside>')[0]
        )
        body.append(_element('<div class="ad"><p>Advertisement</p></div>')[0])
    parent = article.getparent()
    if parent is not None:
        count = rng.randint(2, 400)
        parent.append(_element(f'<div class="comments"><p>{count} comments</p></div>')[0])
    return _serialise(root)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """``text`` without the control characters lxml refuses in a text node."""
    return _CONTROL.sub("", text)


def _edit_words(text: str, rng: random.Random) -> str:
    tokens = text.split(" ")
    if len(tokens) < 6:
        return text
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(1, len(tokens) - 1)
        action = rng.random()
        if action < 0.4:
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif action < 0.7:
            del tokens[i]
        else:
            tokens.insert(i, rng.choice(("also", "reportedly", "now", "still", "however,")))
        if len(tokens) < 6:
            break
    return " ".join(tokens)


def edited(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """A few words changed in a tenth of the paragraphs; a correction line appended."""
    root, article = page.copy()
    blocks = _blocks(article)
    for block in rng.sample(blocks, max(1, len(blocks) // 10)):
        text = " ".join(block.text_content().split())
        for child in list(block):
            block.remove(child)
        block.text = _clean(_edit_words(text, rng))
    note = "Correction: an earlier version of this article misstated a date and a name."
    article.append(_element(f"<p><em>{_esc(note)}</em></p>")[0])
    return _serialise(root)


def updated(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """An "Update:" paragraph at the top, with real sentences (from ``other``)."""
    root, article = page.copy()
    sentences = [s for p in other.paragraphs for s in _sentences(p)]
    start = rng.randrange(max(1, len(sentences) - 3))
    text = "Update, " + rng.choice(("March 3", "June 12", "October 30")) + ": "
    text += " ".join(sentences[start : start + 3])
    first = _blocks(article)[0]
    first.addprevious(_element(f"<p><strong>{_esc(text)}</strong></p>")[0])
    return _serialise(root)


def swapped(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """``other``'s article in ``page``'s template, with ``other``'s title."""
    root, article = page.copy()
    _replace_children(article, [copy.deepcopy(c) for c in other.article], other.article.text or "")
    _set_title(root, other.title)
    return _serialise(root)


def _text_slots(article: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """Every visible text node of ``article`` in reading order: (element, "text"|"tail")."""
    for el in article.iter():
        if not _visible(el) and el is not article:
            if el.tail and el is not article:
                yield el, "tail"
            continue
        if el.text:
            yield el, "text"
        if el.tail and el is not article:
            yield el, "tail"


def gutted(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """Only the opening left: text up to a fifth of the article's words, the rest blanked
    (every text node past the budget, wherever it sits: paragraphs, captions, loose text)."""
    root, article = page.copy()
    budget = len(_words(article.text_content())) // 5
    kept = 0
    slots = list(_text_slots(article))
    for el, slot in slots:
        text = el.text if slot == "text" else el.tail
        size = len(_words(text))
        if kept + size <= budget or kept == 0:
            kept += size
            continue
        kept = budget + 1  # past the budget: everything after goes
        if slot == "text":
            el.text = ""
        else:
            el.tail = ""
    return _serialise(root)


def rewritten(page: Parsed, others: Sequence[Parsed], rng: random.Random) -> str:
    """Same title and headings; four paragraphs in five replaced by other sentences.

    The sentences come from ``others`` (other articles); when they run out, the
    paragraph is dropped (the rewrite is shorter).
    """
    root, article = page.copy()
    pool = [s for other in others for p in other.paragraphs for s in _sentences(p)]
    rng.shuffle(pool)
    blocks = _blocks(article)
    for block in blocks:
        if rng.random() < 0.2:
            continue
        size = len(_words(block.text_content()))
        text: list[str] = []
        while pool and sum(len(_words(t)) for t in text) < size:
            text.append(pool.pop())
        for child in list(block):
            block.remove(child)
        block.text = _clean(" ".join(text))
    # Loose text outside paragraphs (captions, text nodes) is rewritten away too.
    for el in article.iter():
        in_block = any(a.tag in _BLOCKS for a in el.iterancestors())
        loose = el.tag not in _BLOCKS and el.tag not in _HEADINGS and _visible(el)
        if loose and el.text and len(_words(el.text)) > 3 and not in_block:
            el.text = ""
        tail_loose = not in_block or el.getparent() is article
        if el is not article and el.tail and len(_words(el.tail)) > 3 and tail_loose:
            el.tail = ""
    return _serialise(root)


def landing(page: Parsed, others: Sequence[Parsed], rng: random.Random) -> str:
    """The article replaced by teasers of other pages (their titles and first sentences)."""
    root, article = page.copy()
    items = []
    for i, other in enumerate(others):
        lead = _sentences(other.paragraphs[0])[:1] if other.paragraphs else []
        items.append(
            f'<li><h3><a href="/story/{i}">{_esc(other.title)}</a></h3>'
            f"<p>{_esc(' '.join(lead))}</p></li>"
        )
    # The page's own teaser, as a section front lists its own story.
    lead = _sentences(page.paragraphs[0])[:1]
    items.insert(
        rng.randrange(len(items) + 1),
        f'<li><h3><a href="/story/self">{_esc(page.title)}</a></h3>'
        f"<p>{_esc(' '.join(lead))}</p></li>",
    )
    fragment = _element(
        f'<section class="latest"><h2>Latest</h2><ul>{"".join(items)}</ul></section>'
    )
    _replace_children(article, [fragment[0]])
    _set_title(root, _site_name(page))
    return _serialise(root)


def tombstone(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """The article replaced by a removal notice (title kept half the time)."""
    root, article = page.copy()
    notice = rng.choice(TOMBSTONES)
    _replace_children(article, [_element(f"<h1>Content removed</h1><p>{_esc(notice)}</p>")[0]])
    if rng.random() < 0.5:
        _set_title(root, f"Content removed | {_site_name(page)}")
    return _serialise(root)


def other_site(page: Parsed, other: Parsed, rng: random.Random) -> str:
    """Another site's page, whole."""
    return other.source.html


# --------------------------------------------------------------------------- the pairs


@dataclass(frozen=True)
class Pair:
    """One labelled pair: the baseline page, the category, the live page's HTML."""

    page: str
    category: str
    held_out: bool
    baseline: Parsed
    live: str
    partner: str
    quote: str = ""

    @property
    def drift(self) -> bool:
        return self.category in DRIFT or self.category == "quote_removed"


def _seed(*parts: str) -> random.Random:
    return random.Random(hashlib.sha256("\0".join(parts).encode()).digest())


def usable(held_out: bool, limit: int | None = None) -> list[Parsed]:
    """The split's pages whose key locates an article (one per page name)."""
    pages = [p for s in load() if s.held_out == held_out and (p := parsed(s)) is not None]
    return pages[:limit] if limit else pages


def _partner(pages: Sequence[Parsed], page: Parsed, rng: random.Random) -> Parsed:
    """Another page of the split from another site."""
    candidates = [p for p in pages if p.source.site != page.source.site]
    return rng.choice(candidates)


_BUILD: dict[str, Callable[[Parsed, Parsed, random.Random], str]] = {
    "template": template,
    "chrome": chrome,
    "edited": edited,
    "updated": updated,
    "swapped": swapped,
    "gutted": gutted,
    "tombstone": tombstone,
    "other_site": other_site,
}


def _quote(page: Parsed, rng: random.Random) -> tuple[str, int] | None:
    """A sentence of the article to quote (8 to 40 words), and its paragraph's index."""
    choices = [
        (s, i)
        for i, p in enumerate(page.paragraphs)
        for s in _sentences(p)
        if 8 <= len(_words(s)) <= 40
    ]
    return rng.choice(choices) if choices else None


def _typeset(quote: str, rng: random.Random) -> str:
    """The quotation as a citing author typed it: other quote marks, case, spacing."""
    out = quote.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace("'", "\u2019")
    if rng.random() < 0.5:
        out = out.lower()
    return "  ".join(out.split(" ", 2)) if rng.random() < 0.5 else out


def pairs(held_out: bool, limit: int | None = None) -> Iterator[Pair]:
    """Every pair of one split, in a fixed order."""
    pages = usable(held_out, limit)
    for page in pages:
        name = page.source.name
        for category in CATEGORIES:
            rng = _seed(name, category)
            other = _partner(pages, page, rng)
            if category == "landing":
                teasers = [_partner(pages, page, rng) for _ in range(8)]
                live = landing(page, teasers, rng)
            elif category == "rewritten":
                live = rewritten(
                    page, [other, *(_partner(pages, page, rng) for _ in range(4))], rng
                )
            else:
                live = _BUILD[category](page, other, rng)
            yield Pair(name, category, held_out, page, live, other.source.name)
        rng = _seed(name, "quote")
        found = _quote(page, rng)
        if found is None:
            continue
        quote, index = found
        typed = _typeset(quote, rng)
        yield Pair(name, "quote_kept", held_out, page, _kept(page, index, rng), "", typed)
        yield Pair(name, "quote_removed", held_out, page, _removed(page, index), "", typed)
        other = _partner(pages, page, rng)
        foreign = _quote(other, rng)
        if foreign is not None and not drift.contains_quote(foreign[0], page.source.html):
            yield Pair(
                name, "misquote", held_out, page, page.source.html, other.source.name, foreign[0]
            )


def build(category: str, page: Parsed, others: Sequence[Parsed], seed: str = "") -> str:
    """The live page of one category for ``page`` (``others``: partner pages, at
    least one, of other sites); what the loopback tests serve."""
    rng = _seed(page.source.name, category, seed)
    if category == "landing":
        return landing(page, others, rng)
    if category == "rewritten":
        return rewritten(page, others, rng)
    return _BUILD[category](page, others[0], rng)


def quote_pair(page: Parsed) -> tuple[str, str, str]:
    """(a quoted sentence of ``page``, the page with it kept and edited elsewhere,
    the page with the quote's paragraph removed)."""
    rng = _seed(page.source.name, "quote")
    found = _quote(page, rng)
    assert found is not None
    quote, index = found
    return quote, _kept(page, index, rng), _removed(page, index)


def _kept(page: Parsed, index: int, rng: random.Random) -> str:
    """The edited page, with the quoted paragraph left alone."""
    root, article = page.copy()
    blocks = _blocks(article)
    choices = [b for i, b in enumerate(blocks) if i != index]
    for block in rng.sample(choices, max(1, len(choices) // 10)):
        text = " ".join(block.text_content().split())
        for child in list(block):
            block.remove(child)
        block.text = _clean(_edit_words(text, rng))
    return _serialise(root)


def _removed(page: Parsed, index: int) -> str:
    """The page with the quoted paragraph deleted, nothing else changed."""
    root, article = page.copy()
    block = _blocks(article)[index]
    parent = block.getparent()
    if parent is not None:
        tail = block.tail
        parent.remove(block)
        if tail:
            parent.text = (parent.text or "") + tail
    return _serialise(root)


# --------------------------------------------------------------------------- the methods


@dataclass(frozen=True)
class Outcome:
    """One pair judged: linkaudit's similarity and level, the title cosine, the quote status."""

    pair: Pair
    similarity: float
    level: DriftLevel
    title: float
    quote: QuoteStatus | None = None


@cache
def _baseline(source: Source) -> tuple[Fingerprint, str]:
    read = drift.read_page(source.html, source.url)
    return drift.fingerprint(read.article, read.title), read.page


def judge(pair: Pair) -> Outcome:
    """Both methods on one pair.  Quotes are looked up in the baseline's whole page
    text (an archived capture's; a stored first observation keeps only its article's
    first ``EXCERPT_CHARS`` characters, where a passage not found is "unknown")."""
    baseline, article = _baseline(pair.baseline.source)
    live: PageText = drift.read_page(pair.live, pair.baseline.source.url)
    result = drift.compare(baseline, live)
    title = drift.title_cosine(baseline.title, live.title)
    quote = drift.check_quote(pair.quote, article, live) if pair.quote else None
    return Outcome(pair, result.similarity, result.level, title, quote)


def predicted(outcome: Outcome, method: str, title_below: float) -> bool:
    """Whether ``method`` calls the pair drifted (quote pairs: ``quote_missing``)."""
    if outcome.pair.category in QUOTES:
        if method == "title":
            return outcome.title < title_below
        return outcome.quote is QuoteStatus.MISSING
    if method == "title":
        return outcome.title < title_below
    return outcome.level is DriftLevel.DRIFTED


def best_title_threshold(outcomes: Sequence[Outcome]) -> float:
    """The title-cosine threshold with the best F1 on ``outcomes`` (development pairs)."""
    scored = [o for o in outcomes if o.pair.category in CATEGORIES]
    best, best_f1 = 0.5, -1.0
    for step in range(1, 100):
        below = step / 100
        tp = sum(1 for o in scored if o.pair.drift and o.title < below)
        fp = sum(1 for o in scored if not o.pair.drift and o.title < below)
        fn = sum(1 for o in scored if o.pair.drift and o.title >= below)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1:
            best, best_f1 = below, f1
    return best


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, said: bool) -> Counts:
        return Counts(
            self.tp + (truth and said),
            self.fp + (said and not truth),
            self.fn + (truth and not said),
            self.tn + (not truth and not said),
        )

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else 1.0


def tally(
    outcomes: Sequence[Outcome], method: str, title_below: float
) -> tuple[dict[str, Counts], Counts, Counts]:
    """Per category counts, the overall ``content_changed`` counts, the quote counts."""
    per: dict[str, Counts] = defaultdict(Counts)
    overall = Counts()
    quotes = Counts()
    for o in outcomes:
        said = predicted(o, method, title_below)
        per[o.pair.category] = per[o.pair.category].add(o.pair.drift, said)
        if o.pair.category in QUOTES:
            quotes = quotes.add(o.pair.drift, said)
        else:
            overall = overall.add(o.pair.drift, said)
    return per, overall, quotes


def _cell(counts: Counts, drifting: bool) -> str:
    """Per category: the share called right (recall for drift, specificity otherwise)."""
    right = counts.tp if drifting else counts.tn
    return f"{right}/{counts.n} ({right / counts.n:.0%})" if counts.n else "-"


def table(results: dict[str, list[Outcome]], title_below: float, markdown: bool) -> str:
    splits = list(results)
    head = ["category", "drift?"]
    for split in splits:
        head += [f"{split}: linkaudit", f"{split}: title cosine"]
    rows: list[list[str]] = []
    tallies = {
        (s, m): tally(results[s], m, title_below) for s in splits for m in ("linkaudit", "title")
    }
    for category in CATEGORIES + QUOTES:
        drifting = category in DRIFT or category == "quote_removed"
        row = [category, "yes" if drifting else "no"]
        for split in splits:
            for method in ("linkaudit", "title"):
                row.append(_cell(tallies[split, method][0].get(category, Counts()), drifting))
        rows.append(row)
    for label, index in (("content_changed P / R", 1), ("quote_missing P / R", 2)):
        row = [label, ""]
        for split in splits:
            for method in ("linkaudit", "title"):
                c = tallies[split, method][index]
                row.append(f"{c.precision:.3f} / {c.recall:.3f} (n={c.n})")
        rows.append(row)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "held-out", "both"), default="both")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--pairs", action="store_true", help="list the pairs linkaudit gets wrong")
    parser.add_argument("--limit", type=int, default=None, help="pages per split (a quick look)")
    parser.add_argument("--dump", type=Path, default=None, help="write every outcome as JSON lines")
    args = parser.parse_args(argv)
    wanted = {"dev": ("dev",), "held-out": ("held-out",), "both": ("dev", "held-out")}[args.split]
    results: dict[str, list[Outcome]] = {}
    # The title threshold is always chosen on the development pairs.
    results["dev"] = [judge(p) for p in pairs(held_out=False, limit=args.limit)]
    title_below = best_title_threshold(results["dev"])
    if "held-out" in wanted:
        results["held-out"] = [judge(p) for p in pairs(held_out=True, limit=args.limit)]
    shown = {k: v for k, v in results.items() if k in wanted}
    pages = {k: len({o.pair.page for o in v}) for k, v in shown.items()}
    print(
        f"pages: {pages}; linkaudit drift below {drift.DRIFT_BELOW} containment; "
        f"title cosine drift below {title_below} (best F1 on dev)"
    )
    print(table(shown, title_below, args.markdown))
    if args.pairs:
        for split, outcomes in shown.items():
            for o in outcomes:
                if predicted(o, "linkaudit", title_below) != o.pair.drift:
                    print(
                        f"{split}\t{o.pair.category}\t{o.pair.page}\t{o.pair.partner}\t"
                        f"sim={o.similarity:.3f}\tquote={o.quote}"
                    )
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for split, outcomes in results.items():
                for o in outcomes:
                    row = {
                        "split": split,
                        "page": o.pair.page,
                        "category": o.pair.category,
                        "partner": o.pair.partner,
                        "similarity": round(o.similarity, 4),
                        "title": round(o.title, 4),
                        "quote": o.quote.value if o.quote else None,
                    }
                    out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
