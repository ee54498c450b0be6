"""Soft-404 evidence: what a page says, and how alike two pages are.

A "page not found" served with 200 looks live to every status-code checker.  The
decisive evidence is comparative (the host serves the same page for a path that
cannot exist), so this module turns HTML into comparable visible text and measures
likeness cheaply enough for 512 KB bodies.  Title/heading cues are offered too, but
only as a secondary signal: "Not Found" is also the title of books and songs.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterator
from urllib.parse import unquote

from lxml import etree

from linkaudit.check.quirks import element_text, parse_html

__all__ = [
    "MAX_TEXT",
    "MAX_TOKENS",
    "not_found_cues",
    "path_words",
    "removal_notice",
    "similarity",
    "title_and_heading",
    "tokens",
    "visible_text",
]

MAX_TEXT = 20_000  # characters of visible text kept: more than MAX_TOKENS words need
MAX_TOKENS = 2_000  # tokens compared: bounds the cost whatever the page size
_SHINGLE = 3

_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def visible_text(html: str, limit: int = MAX_TEXT) -> str:
    """The text a reader sees, whitespace collapsed, at most ``limit`` characters.

    Scripts, styles, templates, comments and ``<noscript>`` are skipped (a reader
    with a modern browser does not see them), as is ``<head>``: per-request tokens
    and timestamps there would only add noise to comparisons.  The walk stops once
    enough text is gathered, so a 512 KB page costs little more than its parse.
    """
    root = parse_html(html)
    if root is None:
        return ""
    pieces: list[str] = []
    gathered = 0
    budget = limit * 2 + 1024  # raw characters; collapsing whitespace shrinks them
    # Walk without modifying (the parsed tree is shared), skipping hidden subtrees.
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        if gathered >= budget:
            break
        if event == "start":
            if not isinstance(el.tag, str) or el.tag in _INVISIBLE:
                walker.skip_subtree()
            elif el.text:
                pieces.append(el.text)
                gathered += len(el.text)
        elif el.tail and el is not root:
            pieces.append(el.tail)
            gathered += len(el.tail)
    return _collapse(" ".join(pieces))[:limit]


@functools.lru_cache(maxsize=8)
def title_and_heading(html: str) -> tuple[str, str]:
    """The page's ``<title>`` and first ``<h1>`` (either may be empty).

    Remembered for the last few pages: the engine asks before choosing a probe and
    the classifier asks again for the same page right after.
    """
    root = parse_html(html)
    if root is None:
        return "", ""
    title = ""
    heading = ""
    for el in root.iter("title"):
        title = element_text(el)
        break
    for el in root.iter("h1"):
        heading = element_text(el)
        if heading:
            break
    return title, heading


def tokens(text: str, limit: int = MAX_TOKENS, ignore: Collection[str] = ()) -> list[str]:
    """Lower-cased word tokens, at most ``limit``, without those in ``ignore``.

    ``findall`` on a prefix is several times cheaper than matching word by word
    (it ran for every page a content run reads); the prefix grows until it holds
    ``limit`` words or is the whole text.
    """
    folded = text.casefold()
    span = max(limit * 8, 256)
    while True:
        words = _WORD.findall(folded, 0, span)
        if ignore:
            words = [w for w in words if w not in ignore]
        if len(words) > limit or span >= len(folded):
            return words[:limit]
        span *= 4


def path_words(*urls: str) -> frozenset[str]:
    """The words of URLs' paths and queries, as ``tokens`` would spell them."""
    words: set[str] = set()
    for url in urls:
        _scheme, _sep, rest = url.partition("://")
        _host, _slash, path = rest.partition("/")
        words.update(m.group() for m in _WORD.finditer(unquote(path).casefold()))
    return frozenset(words)


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < _SHINGLE:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}


def similarity(a: str, b: str, ignore: Collection[str] = ()) -> float:
    """Jaccard similarity of word 3-shingles over the first ``MAX_TOKENS`` words, 0..1.

    Shingles rather than a bag of words, so two articles from one site (same
    navigation, same vocabulary) score low while a template that only echoes the
    requested path scores high.  Linear in the bounded prefix, so cheap on any page.
    Two empty texts are identical (1.0); the caller decides whether that means much.
    ``ignore`` drops words before comparing: the words of the two requested paths,
    which a not-found template echoes ("Nothing found at /2019/07/...").
    """
    sa, sb = _shingles(tokens(a, ignore=ignore)), _shingles(tokens(b, ignore=ignore))
    if not sa and not sb:
        return 1.0
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


_CUES = re.compile(
    "|".join(
        (
            r"\b404\b",
            r"\b410\b.*\bgone\b",
            r"\bnot found\b",
            r"\bpage (?:cannot|can't|could not|couldn't) be found\b",
            r"\b(?:cannot|can't|could not|couldn't) be found\b",
            r"\b(?:cannot|can't|could not|couldn't) find (?:that|this|the) page\b",
            r"\bpage\b.*\b(?:does not|doesn't|no longer) exists?\b",
            r"^nothing here\b",
            r"\b(?:page|article|post|content) (?:is )?no longer available\b",
            r"\bnothing (?:was )?found\b",
            r"\bpage missing\b",
            # French
            r"\bpage introuvable\b",
            r"\bpage non trouvée\b",
            r"\bintrouvable\b",
            r"\bn'existe (?:pas|plus)\b",
            r"\berreur 404\b",
            # German
            r"\bnicht gefunden\b",
            r"\bseite existiert nicht\b",
            r"\bexistiert nicht mehr\b",
            # Spanish / Portuguese
            r"\bno encontrad[ao]\b",
            r"\bno se encontr[óo]\b",
            r"\bnão encontrad[ao]\b",
            r"\bno existe\b",
            r"\bnão existe\b",
            # Italian
            r"\bnon trovat[ao]\b",
            r"\bnon esiste\b",
            # Dutch
            r"\bniet gevonden\b",
            # Scandinavian
            r"\bkunde inte hittas\b",
            r"\bhittades inte\b",
            r"\bikke fundet\b",
            r"\bfinnes ikke\b",
            # Polish / Czech / Russian / Ukrainian / Turkish
            r"\bnie znaleziono\b",
            r"\bstrona nie istnieje\b",
            r"\bnenalezena\b",
            r"\bне найден[аоы]?\b",
            r"\bне знайдено\b",
            r"\bbulunamadı\b",
            # CJK and Korean: no word boundaries there
            r"見つかりません",
            r"存在しません",
            r"页面不存在",
            r"頁面不存在",
            r"找不到",
            r"未找到",
            r"찾을 수 없",
            r"존재하지 않",
        )
    ),
    re.IGNORECASE,
)


def _normalise_cue_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")


def not_found_cues(title: str, heading: str) -> bool:
    """Whether the title or main heading says "not found", in one of many languages.

    Only ever a secondary signal: it may strengthen a borderline likeness to the
    host's page for a random path, never decide alone.  Plain "error" is not a cue
    ("Error Correction in Quantum Codes").
    """
    return any(_says_not_found(t) for t in (title, heading) if t)


#: Texts up to this long have their answer remembered (longer ones are asked anew).
_REMEMBERED_TEXT = 300


def _says_not_found(text: str) -> bool:
    if len(text) <= _REMEMBERED_TEXT:
        return _says_not_found_remembered(text)
    return _CUES.search(_normalise_cue_text(text)) is not None


@functools.lru_cache(maxsize=4096)
def _says_not_found_remembered(text: str) -> bool:
    """``_CUES`` over one short title or heading, remembered: its 44 alternatives cost
    30-50 µs per search, and one page's title and heading are asked about three
    times (the engine's two looks at the page, then the classifier's); a site's
    shared heading is asked about on every page."""
    return _CUES.search(_normalise_cue_text(text)) is not None


#: What a publisher's notice says when the cited content is gone, in the languages
#: linkaudit's users publish in most: English, German, French and Spanish.  Matched
#: in the title, the main heading and the first words of the page's prose.
_REMOVAL = re.compile(
    "|".join(
        (
            r"\b(?:is|are) no longer (?:available|online|accessible)\b",
            r"\bno longer exists?\b",
            r"\b(?:has|have) been (?:removed|deleted|taken down|unpublished|withdrawn)\b",
            r"\bwas (?:removed|deleted|taken down|unpublished|withdrawn)\b",
            r"\b(?:page|article|story|post|content|video) (?:is )?(?:not available|unavailable)\b",
            r"\b(?:page|article|story|post|content) not found\b",
            r"\b410\b.*\bgone\b",
            r"^(?:404\b|page not found\b)",
            # German
            r"\bnicht mehr (?:verfügbar|online|erreichbar|abrufbar)\b",
            r"\bwurde (?:entfernt|gelöscht|depubliziert)\b",
            r"\bseite (?:wurde )?nicht gefunden\b",
            r"\bexistiert nicht mehr\b",
            # French
            r"\bn'est plus (?:disponible|accessible|en ligne)\b",
            r"\ba été (?:supprimée?|retirée?|dépubliée?)\b",
            r"\bpage (?:introuvable|non trouvée)\b",
            r"\bn'existe plus\b",
            r"\bcontenu (?:indisponible|supprimé)\b",
            # Spanish
            r"\bya no (?:está|se encuentra) disponible\b",
            r"\bha sido (?:eliminad[oa]|retirad[oa]|borrad[oa])\b",
            r"\bpágina no encontrada\b",
            r"\bya no existe\b",
            r"\bcontenido no disponible\b",
        )
    ),
    re.IGNORECASE,
)
#: Prose longer than this is an article, whatever its title says ("How to fix a
#: 404 Page Not Found error" is not a removal notice).
NOTICE_MAX_WORDS = 120
_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "menu"})
_PROSE = frozenset({"p", "li", "blockquote", "td", "dd", "h2", "h3"})


def _prose(root: etree._Element) -> Iterator[str]:
    """The texts of the page's prose blocks, in order, site chrome (navigation,
    header, footer, sidebars, forms) and invisible parts left out."""
    walker = etree.iterwalk(root, events=("start",))
    for _, el in walker:
        if not isinstance(el.tag, str) or el.tag in _INVISIBLE or el.tag in _CHROME:
            walker.skip_subtree()
        elif el.tag in _PROSE:
            text = element_text(el)
            if text:
                yield text
            walker.skip_subtree()


def removal_notice(html: str) -> str | None:
    """What says the cited content is gone, when the page is a removal or error notice
    rather than an article: the notice's words in the title, the main heading or
    the opening prose, on a page with little prose of its own.  None otherwise."""
    root = parse_html(html)
    if root is None:
        return None
    prose: list[str] = []
    words = 0
    for text in _prose(root):  # an article's first paragraphs decide: read no further
        prose.append(text)
        words += len(_WORD.findall(text))
        if words > NOTICE_MAX_WORDS:
            return None
    title, heading = title_and_heading(html)
    for where, text in (("title", title), ("heading", heading), ("text", " ".join(prose)[:300])):
        found = _REMOVAL.search(_normalise_cue_text(text)) if text else None
        if found:
            return f"the {where} says {text[:120]!r}"
    return None
