"""Where a full web page's article body is, what inside it is not the article, and why.

A reader tells the article from the site around it by its prose: sentences in
paragraphs, list items and table rows, with a link here and there.  Navigation,
related-article rails, tag lists and author boxes are runs of links with little
text between them.  So the finder measures, in one pass over the page, how much
prose each element holds and how much of its text is link text, then

1. chooses the container: a site's configured selector when it matches; else the
   markup that names the body (``itemprop=articleBody``, ``#mw-content-text``,
   ``<article>``, CMS body classes, ``<main>``) when it agrees with where the prose
   is (a ``<main>`` that adds little prose around it is the page's layout, not the
   article; a marker holding almost none of the prose is a card in it); else the
   element holding the most prose, widened to its ancestors while they hold
   substantially more (a body split into sibling sections); with its siblings
   named like it (a body cut into like-named blocks around a table); and the
   article's own table of contents where the theme put it outside (a sticky
   sidebar), matched to the body by ids or by the headings' text;
2. leaves out the blocks of a marked container after the element holding 4/5 of
   its prose (the theme's footer under the text: author box, "back to blog");
   and what inside it is chrome: navigation, asides, headers, footers and
   forms by tag or role; blocks whose class or id names chrome (share bars,
   related posts, newsletters, comments, bylines); links styled as buttons, share
   links, links standing alone in a bare block (teasers, "Check price"), bylines and
   invitations to subscribe or follow in short lines of their own; lists
   of links to the page's own site with little text of their own (related
   articles, tags, "more from").  Kept whatever the markup says: what holds half
   the prose (the article under an unlucky class, an ASP.NET page's one <form>),
   the article's own table of contents, a list that continues the prose between
   paragraphs or sits in an item of a kept list, lists of links to other sites
   (reference lists, sources: what an audit is for), rows of tables, and the
   <header> of a section inside the body (a part's linked heading).

Every decision carries a reason, so a user whose site is misjudged can see it
(``linkaudit extract --format json``) and name the body with a selector instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, takewhile
from typing import TypeAlias

import lxml.etree as etree
import lxml.html

Element: TypeAlias = lxml.html.HtmlElement

__all__ = [
    "Body",
    "LeftOut",
    "Measure",
    "ScopeDecision",
    "describe",
    "find_body",
    "page_addresses",
    "page_forms",
    "site_hosts",
]

#: Text inside these is not what a reader sees.
HIDDEN = frozenset(["script", "style", "template", "head", "title", "noscript"])
#: Elements whose text is a unit of prose (a paragraph, an item, a row).
_UNITS = frozenset(
    {"p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "tr"}
    | {"div", "section", "article", "main", "header", "footer", "aside", "nav", "form"}
    | {"ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "figure", "details", "summary"}
    | {"address", "fieldset", "center", "body", "html"}
    | {f"h{n}" for n in range(1, 7)}
)
#: Elements judged as a whole for being a list of links.  Not their items (a
#: reference list has items that are all link), not tables (rows of links are data).
_LISTS = frozenset({"ul", "ol", "dl", "div", "section", "span"})
_MIN_PROSE = 20  # non-space characters for a unit to count as prose
_MAX_LINK_SHARE = 0.5  # a unit with more of its text in links is not prose
_CLIMB = 1.5  # an ancestor must hold this much more prose to be taken
_CLIMB_LEVELS = 8

#: Words that name page chrome in a class or id, as whole parts of it: "share-tools",
#: "post_tags", "relatedPosts" and "c-byline__author" name chrome; "no-sidebars",
#: "components" and "shared-content" do not.
_CHROME_WORDS = frozenset(
    {
        *("share", "sharing", "sharetool", "sharetools", "sharedaddy", "social"),
        *("related", "relatedposts", "recommended", "recirc", "trending", "popular"),
        *("newsletter", "subscribe", "subscription", "signup", "promo", "sponsor", "sponsored"),
        *("advert", "advertisement", "outbrain", "taboola", "nocontent"),
        *("comment", "comments", "byline", "author", "meta", "tags", "keywords"),
        *("rubric", "kicker", "categories", "breadcrumb", "breadcrumbs"),
        *("nav", "navbar", "navigation", "navbox", "menu", "toolbar", "sidebar", "footer"),
        *("masthead",),
        *("cookie", "consent", "gdpr", "modal", "popup"),
        *("cta", "megamenu", "dropdown", "disclosure", "disclaimer", "avatar"),
        *("pagination", "pager"),
    }
)
#: Words that make a link a call-to-action button rather than a reference.
_BUTTON_WORDS = frozenset({"btn", "button", "cta"})
_NAME_PARTS = re.compile(r"[a-z0-9]+|[A-Z][a-z0-9]*")
#: Inline elements: their class says what the text is, not where the page's regions are.
_INLINE = frozenset(
    {
        *("a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i"),
        *("img", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup"),
        *("time", "u", "var", "wbr"),
    }
)
#: A heading's id is most often its own text as a slug ("popular-ev-models-2025"),
#: the target of the article's table of contents: it names no region.
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Table parts: a cell's class names its column ("category", "author"), not a region.
_TABLE_PARTS = frozenset({"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "col"})
_SHARE_URL = re.compile(
    r"facebook\.com/shar|twitter\.com/(?:intent/tweet|share)|x\.com/intent/|linkedin\.com/"
    r"(?:shareArticle|sharing|cws/share)|reddit\.com/submit|pinterest\.[a-z.]+/pin/create|"
    r"share\.flipboard\.com|getpocket\.com/(?:edit|save)|tumblr\.com/(?:share|widgets/share)|"
    r"whatsapp://send|api\.whatsapp\.com/send|wa\.me/\?|t\.me/share|^mailto:\?|"
    r"news\.ycombinator\.com/submitlink|plus\.google\.com/share|vk\.com/share|"
    r"digg\.com/submit|addthis\.com/bookmark|sharethis\.com",
    re.IGNORECASE,
)
#: An embedded post (a tweet, an Instagram card) is quoted content, whatever its class says.
_EMBED = re.compile(r"embed|tweet|twitter|instagram", re.IGNORECASE)
_CHROME_TAGS = frozenset({"nav", "aside", "header", "footer", "form", "button", "select", "dialog"})
_CHROME_ROLES = frozenset({"navigation", "complementary", "banner", "contentinfo"})

#: MediaWiki's content: a wiki links its own pages everywhere (lists of them are
#: content: "See also", infobox lists), and marks its chrome by class (navbox).
_WIKI = "mw-content-text"
_MARKERS: tuple[tuple[str, etree.XPath], ...] = (
    ("itemprop=articleBody", etree.XPath("//*[@itemprop='articleBody']")),
    (f"#{_WIKI}", etree.XPath(f"//*[@id='{_WIKI}']")),
    ("<article>", etree.XPath("//article")),
    *(
        (
            f".{name}",
            etree.XPath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"),
        )
        for name in (
            "entry-content",
            "post-content",
            "article-body",
            "article-content",
            "story-body",
            "post-body",
            "articleContent",
        )
    ),
    ("<main>", etree.XPath("//main")),
    ("role=main", etree.XPath("//*[@role='main']")),
)
#: Markers that name the article body itself; ``<article>`` and ``<main>`` name
#: containers that teaser cards and page layouts use as well.
_BODY_MARKERS = tuple(
    xpath for name, xpath in _MARKERS if name not in {"<article>", "<main>", "role=main"}
)


def chrome_reason(el: Element, tag: str) -> str | None:
    """Why ``el`` looks like page chrome (by tag, role, class or id), or None.

    It is chrome only when it also holds little of the prose (see :func:`measure`):
    ASP.NET pages wrap the whole page in a <form>, a page with an unclosed
    <header> has the article inside it.
    """
    return structural_chrome(el, tag) or named_chrome(el, tag)


def structural_chrome(el: Element, tag: str) -> str | None:
    """Why ``el`` looks like chrome by its tag or ARIA role, or None."""
    if tag in _CHROME_TAGS:
        return f"a <{tag}> element"
    role = el.get("role")
    if role in _CHROME_ROLES:
        return f"role={role}"
    return None


def named_chrome(el: Element, tag: str) -> str | None:
    """Why ``el`` looks like chrome by its class or id, or None.

    Blocks are judged by region names; an inline element's class describes the
    text it marks up (a newspaper's ``a.meta-org`` is a link in a sentence), so a
    link is judged only for being styled as a button ("Book now", "Get a quote").
    """
    if tag == "a":
        return _button(el.get("class"))
    if tag in _INLINE or tag in _TABLE_PARTS:
        return None
    for attribute in ("class",) if tag in _HEADING_TAGS else ("class", "id"):
        value = el.get(attribute)
        if value:
            word = _chrome_word(value)
            if word is not None:
                return f"{attribute} {word!r}"
    return None


@functools.lru_cache(maxsize=4096)
def _button(value: str | None) -> str | None:
    """Why a link's class makes it a button (``btn``, ``button``, ``cta``), or None.

    Cached: a page repeats the same few class values on thousands of elements.
    """
    for token in (value or "").split():
        if any(part.lower() in _BUTTON_WORDS for part in _NAME_PARTS.findall(token)):
            return f"a link styled as a button (class {token!r})"
    return None


@functools.lru_cache(maxsize=4096)
def _chrome_word(value: str) -> str | None:
    """The chrome-naming token of a class or id value, or None (see ``_CHROME_WORDS``)."""
    if _EMBED.search(value) is not None:
        return None
    for token in value.split():
        if any(part.lower() in _CHROME_WORDS for part in _NAME_PARTS.findall(token)):
            return token
    return None


def share_link(href: str) -> bool:
    """Whether ``href`` asks a social site to share the page (a button, not a source)."""
    return _SHARE_URL.search(href) is not None


def _chars(text: str | None) -> int:
    """Visible characters of a text node (whitespace does not count)."""
    if not text:
        return 0
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


@dataclass(frozen=True)
class Measure:
    """Per element of a page: its text, links and prose (see :func:`measure`).

    ``text``/``linked``: visible characters in the subtree, and those inside links;
    ``links``/``own_site``/``shares``/``in_page``: its ``<a href>``, those to the
    page's own site, those that are share buttons, those to a ``#fragment`` of the
    page itself; ``prose``: characters of prose units in the subtree outside
    chrome; ``score``: prose credited to each unit's parent in full and grandparent
    in half (where the densest prose is); ``chrome``: the elements that look like
    chrome and hold less than half the page's prose, with the reason; ``units``:
    the prose units outside chrome, with their own prose.
    """

    text: dict[Element, int]
    linked: dict[Element, int]
    links: dict[Element, int]
    own_site: dict[Element, int]
    shares: dict[Element, int]
    in_page: dict[Element, int]
    prose: dict[Element, int]
    score: dict[Element, float]
    chrome: dict[Element, str]
    units: dict[Element, int]


#: An open element during the walk: (is a unit, why it looks like chrome, is a link,
#: is hidden).  A tuple: one is made per element of the page.
_Frame = tuple[bool, str | None, bool, bool]
_Unit = tuple[Element, int, tuple[Element, ...]]  # (unit, its prose, chrome around it)


class _Walk:
    """One pass over the page: character totals per element, and the prose units.

    Text goes to the innermost open unit; a unit's own text is prose when it is
    long enough and mostly not link text.  Units inside what looks like chrome
    are kept with the chrome around them, to be judged once the page's total
    prose is known.
    """

    def __init__(self, site_hosts: frozenset[str], pages: frozenset[str]) -> None:
        self.site_hosts = site_hosts
        self.pages = pages
        # text, linked, links, own_site, shares, in_page
        self.totals: tuple[dict[Element, int], ...] = ({}, {}, {}, {}, {}, {})
        self.frames: list[_Frame] = []
        self.open: list[Element] = []
        self.own: list[list[int]] = []  # per open unit: [chars, linked]
        self.chrome: list[Element] = []  # open elements that look like chrome
        self.reasons: dict[Element, str] = {}
        self.units: list[_Unit] = []
        self.in_link = self.hidden = 0

    def add_text(self, text: str | None) -> None:
        if self.hidden or not self.open:
            return
        n = _chars(text)
        if not n:
            return
        el = self.open[-1]
        chars, linked = self.totals[0], self.totals[1]
        chars[el] = chars.get(el, 0) + n
        if self.in_link:
            linked[el] = linked.get(el, 0) + n
        if self.own:
            own = self.own[-1]
            own[0] += n
            if self.in_link:
                own[1] += n

    def start(self, el: Element, tag: str) -> None:
        unit = tag in _UNITS
        chrome = None if tag in {"html", "body"} else chrome_reason(el, tag)
        href = el.get("href") if tag == "a" else None
        hidden = tag in HIDDEN
        self.frames.append((unit, chrome, href is not None, hidden))
        self.open.append(el)
        self.hidden += hidden
        if chrome is not None:
            self.chrome.append(el)
            self.reasons[el] = chrome
        if unit:
            self.own.append([0, 0])
        if href is not None:
            self.in_link += 1
            self._count_link(el, href)
        self.add_text(el.text)

    def _count_link(self, el: Element, href: str) -> None:
        _text, _linked, links, own_site, shares, in_page = self.totals
        links[el] = 1
        href = href.strip()
        if href.startswith("#") or ("#" in href and href.partition("#")[0] in self.pages):
            in_page[el] = 1
        elif share_link(href):
            shares[el] = 1
        elif _points_home(href, self.site_hosts):
            own_site[el] = 1

    def end(self, el: Element) -> None:
        unit, chrome, link, hidden = self.frames.pop()
        self.open.pop()
        self.in_link -= link
        if unit:
            chars, linked = self.own.pop()
            if chars >= _MIN_PROSE and linked <= _MAX_LINK_SHARE * chars:
                self.units.append((el, chars - linked, tuple(self.chrome)))
        self.hidden -= hidden
        if chrome is not None:
            self.chrome.pop()
        parent = el.getparent()
        if parent is not None:
            for table in self.totals:
                value = table.get(el)
                if value:
                    table[parent] = table.get(parent, 0) + value
        self.add_text(el.tail)


def _points_home(href: str, site_hosts: frozenset[str]) -> bool:
    """Whether a link leads to the page's own site (relative, or to one of its hosts)."""
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return False
    if not href.startswith(("http:", "https:", "//")):
        return True
    host = _site_of(href)
    return host is not None and host in site_hosts


def _site_of(url: str) -> str | None:
    """An absolute URL's host without ``www.``: what :func:`linkaudit.urls.is_internal`
    compares (string operations: this runs for every link of the page)."""
    rest = url.partition("//")[2]
    for end in "/?#\\":
        rest = rest.partition(end)[0]
    host = rest.rpartition("@")[2]
    if not host.startswith("["):
        host = host.partition(":")[0]
    host = host.strip().lower().rstrip(".").removeprefix("www.")
    return host or None


def _around_body_markers(root: Element) -> set[Element]:
    """Elements that are or contain markup naming the body (not ``<article>``/``<main>``,
    which teaser cards and page layouts use too)."""
    around: set[Element] = set()
    for xpath in _BODY_MARKERS:
        for el in _elements(xpath(root)):
            around.add(el)
            around.update(el.iterancestors())
    return around


def measure(
    root: Element, site_hosts: frozenset[str] = frozenset(), pages: frozenset[str] = frozenset()
) -> Measure:
    """Measure every element of ``root``'s tree (see :class:`Measure`).

    ``pages``: the page's own addresses as a link may write them (see
    :func:`page_forms`): a link to one of them with a ``#fragment`` leads to a part
    of the page, as ``#fragment`` alone does.
    """
    walk = _Walk(site_hosts, pages)
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end":
                walk.add_text(el.tail)
        elif event == "start":
            walk.start(el, tag.lower())
        else:
            walk.end(el)
    chrome = _chrome(root, walk.units, walk.reasons)
    units = {el: prose for el, prose, around in walk.units if not any(c in chrome for c in around)}
    prose, score = _credit(units)
    text, linked, links, own_site, shares, in_page = walk.totals
    return Measure(text, linked, links, own_site, shares, in_page, prose, score, chrome, units)


def _chrome(root: Element, units: list[_Unit], reasons: dict[Element, str]) -> dict[Element, str]:
    """The elements that look like chrome and are, with the reason.

    What holds half the page's prose or more, or holds markup that names the body
    (``.entry-content``), is no chrome: it is the article under an unlucky class
    (a theme gives a post ``author-sarah``, WordPress ``category-news``) or tag (an
    ASP.NET page's one <form>, an unclosed <header>).
    """
    total = sum(prose for _el, prose, _named in units)
    inside: dict[Element, int] = {}
    for _el, prose, named in units:
        for el in named:
            inside[el] = inside.get(el, 0) + prose
    marked = _around_body_markers(root)
    return {
        el: why for el, why in reasons.items() if 2 * inside.get(el, 0) < total and el not in marked
    }


def _credit(units: dict[Element, int]) -> tuple[dict[Element, int], dict[Element, float]]:
    """(prose per element, score per element) from the prose units outside chrome.

    Every ancestor holds a unit's prose; its parent is credited with it in full and
    its grandparent in half (the densest container scores highest).
    """
    prose_of: dict[Element, int] = {}
    score: dict[Element, float] = {}
    for el, prose in units.items():
        prose_of[el] = prose_of.get(el, 0) + prose
        for level, ancestor in enumerate(el.iterancestors()):
            prose_of[ancestor] = prose_of.get(ancestor, 0) + prose
            if level < 2:
                score[ancestor] = score.get(ancestor, 0.0) + prose / (1 + level)
    return prose_of, score


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class LeftOut:
    """A part of the chosen container left out of the article, and why."""

    element: str  # described as ``tag#id.class``
    line: int | None
    reason: str
    links: int


@dataclass(frozen=True)
class ScopeDecision:
    """Which container holds the article, by which rule, and what inside it was left out.

    ``rule``: ``site`` (a configured selector), ``marker`` (markup naming the body,
    confirmed by the prose in it), ``text`` (the element holding the most prose),
    ``page`` (nothing better: the whole ``<body>``).
    """

    container: str
    line: int | None
    rule: str
    reason: str
    left_out: tuple[LeftOut, ...] = ()


@dataclass(frozen=True)
class Body:
    """The article body: the subtree to walk, what in it to skip, and the decision.

    ``root`` is the chosen container, or, when the article's table of contents sits
    outside it, their common ancestor with everything else in it in ``skip``.
    """

    root: Element
    skip: frozenset[Element]
    decision: ScopeDecision


def describe(el: Element) -> str:
    """``tag#id.class1.class2``: how a person finds the element in the page source."""
    text = str(el.tag)
    if el.get("id"):
        text += "#" + el.get("id", "").strip()
    classes = el.get("class", "").split()
    if classes:
        text += "." + ".".join(classes)
    return text


def _contains(outer: Element, inner: Element) -> bool:
    return outer is inner or any(a is outer for a in inner.iterancestors())


def _common_ancestor(elements: list[Element]) -> Element:
    chain = [elements[0], *elements[0].iterancestors()]
    for other in elements[1:]:
        ancestors = {id(a) for a in (other, *other.iterancestors())}
        chain = [a for a in chain if id(a) in ancestors]
    return chain[0]


def _densest(m: Measure) -> Element | None:
    """The element credited with the most prose, widened to ancestors holding much more.

    A body split into sibling sections is taken whole: from the densest element,
    climb while an ancestor holds substantially more prose (the other sections),
    which page chrome around an article does not.
    """
    if not m.score:
        return None
    best = max(m.score, key=m.score.__getitem__)
    while True:
        for ancestor in islice(best.iterancestors(), _CLIMB_LEVELS):
            if ancestor.tag in {"body", "html"}:
                return best
            if m.prose.get(ancestor, 0) >= _CLIMB * m.prose.get(best, 0):
                best = ancestor
                break
        else:
            return best


def _elements(found: object) -> list[Element]:
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, lxml.html.HtmlElement)]


#: Markers that name the page's main region rather than the article: a layout's
#: <main> holds the article's sidebars (tables of contents, "related", newsletter
#: boxes) as well.
_LAYOUTS = frozenset({"<main>", "role=main"})


def _little_more(outer: Element, best: Element, m: Measure) -> bool:
    """Whether ``outer`` holds less than a quarter more prose than ``best``: what it
    adds around the densest prose is layout, not more of the article.

    Measured on the development pages (mean recall / precision per page): taking
    the densest prose rather than such a <main> took WCXB dev from 0.905 / 0.838
    to 0.897 / 0.850 and the dev set from 0.931 / 0.910 to 0.931 / 0.916; most of
    the recall lost was the article's table of contents in the layout's sidebar,
    which :func:`_outside_contents` brings back (0.906 / 0.848).  The same rule
    for <article> lost recall (0.931 -> 0.916 on the dev set).
    """
    return 5 * m.prose.get(best, 0) >= 4 * m.prose.get(outer, 0)


def _by_marker(root: Element, best: Element | None, m: Measure) -> tuple[Element, str] | None:
    """The marked container that agrees with the prose, with the reason; None if none does.

    Several matches of one marker inside the prose's container (a body split in
    parts) give their common ancestor.  Matches inside it that hold less than a fifth
    of its prose are cards in the article (a contact box as an <article>, a
    ".article-body" teaser), not the article: the next marker or the prose decides.
    (On the development pages such matches held 0 and 1% of the prose and the
    article's own 36% or more; WCXB dev mean recall 0.921 -> 0.926.)
    """
    for name, xpath in _MARKERS:
        found = _elements(xpath(root))
        if not found:
            continue
        if best is None:
            return max(found, key=lambda e: m.text.get(e, 0)), f"{name} (no prose on the page)"
        around = [e for e in found if _contains(e, best)]
        if around and name in _LAYOUTS and _little_more(around[-1], best, m):
            continue
        if around:
            return around[-1], f"{name} around the page's densest prose"
        inside = [e for e in found if _contains(best, e)]
        if not inside:
            continue
        part = _common_ancestor(inside) if len(inside) > 1 else inside[0]
        if 5 * m.prose.get(part, 0) < m.prose.get(best, 0):
            continue
        if len(inside) > 1:
            return part, f"{len(inside)} {name} parts of the densest prose"
        return part, f"{name} inside the page's densest prose"
    return None


@functools.lru_cache(maxsize=64)
def compile_selector(selector: str) -> etree.XPath:
    """A CSS selector as lxml's XPath (HTML rules: case-insensitive tag names).

    Raises ``cssselect.SelectorError`` for a selector that is not valid CSS.
    """
    from cssselect import HTMLTranslator  # only sites with a configured selector need it

    return etree.XPath(HTMLTranslator().css_to_xpath(selector))


def _by_selector(root: Element, selector: str) -> Element | None:
    """The element a site's selector names (several matches: their common ancestor)."""
    found = _elements(compile_selector(selector)(root))
    if not found:
        return None
    return found[0] if len(found) == 1 else _common_ancestor(found)


def _choose(root: Element, m: Measure, selector: str | None) -> tuple[Element, str, str]:
    """(container, rule, reason) of the article body."""
    missed = ""
    if selector is not None:
        chosen = _by_selector(root, selector)
        if chosen is not None:
            return chosen, "site", f"the site's configured body selector {selector!r}"
        missed = f"the site's configured body selector {selector!r} matched nothing; "
    best = _densest(m)
    marked = _by_marker(root, best, m)
    if marked is not None:
        return marked[0], "marker", missed + marked[1]
    if best is not None:
        share = m.prose.get(best, 0) / max(1, m.prose.get(root, 0))
        reason = f"{missed}holds {share:.0%} of the page's prose"
        for name, xpath in _MARKERS:
            if name in _LAYOUTS and any(_contains(e, best) for e in _elements(xpath(root))):
                reason += f"; the {name} around it adds little prose (page layout)"
                break
        return best, "text", reason
    body = root.find("body")
    return (body if body is not None else root), "page", missed + "no prose found on the page"


def _holds_half(el: Element, m: Measure, container_prose: int) -> bool:
    """Whether ``el`` holds half the container's prose or more: then it is the article."""
    prose = m.prose.get(el, 0)
    return prose > 0 and 2 * prose >= container_prose


def _link_list(el: Element, m: Measure, container_prose: int) -> str | None:
    """Why ``el`` is a list of links to the page's own site with little text, or None.

    A list inside a list item is judged with the list it belongs to (the walk gets
    here only when that list is kept): sub-items of the article's own list ("our
    guide to ...") are the article's.  WCXB dev mean recall 0.9255 -> 0.9264, two pages
    gaining (one 0.68 -> 0.99), none losing.
    """
    links = m.links.get(el, 0)
    if links < 2 or el.tag not in _LISTS or _holds_half(el, m, container_prose):
        return None
    parent = el.getparent()
    if parent is not None and parent.tag == "li":
        return None
    text = m.text.get(el, 0)
    linked = m.linked.get(el, 0)
    own = m.own_site.get(el, 0)
    if text == 0 or linked < 0.6 * text or own * 2 <= links:
        return None
    return (
        f"a list of links: {links} links, {linked / text:.0%} of its text is link text,"
        f" {own} to the page's own site"
    )


def _in_flow(el: Element, m: Measure, read: int, prose: int) -> bool:
    """Whether ``el`` continues the article's prose: it follows a paragraph, with a
    tenth of the prose before it and a tenth after ("the guides: <ul>...</ul>")."""
    previous = el.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is None or previous not in m.units:
        return False
    after = prose - read - m.prose.get(el, 0)
    return 10 * read >= prose and 10 * after >= prose


#: Blocks that are no unit of prose of their own (not a paragraph, item, cell, heading
#: or caption): a link that is all the text of one is a button or a teaser card.
_BARE_BLOCKS = frozenset({"div", "section", "article", "main", "center"})


def _standalone(el: Element, m: Measure, container: Element) -> str | None:
    """Why the link ``el`` stands alone outside the prose, or None.

    A citation sits in a sentence, an item or a cell; a link that is (nearly) all
    the text of a bare ``<div>`` is a "Read the review" button, a "Check price"
    box or a teaser headline.  Measured on the development pages: such links were
    the article's about 80 times and not about 440 times.  Not links to the page's own parts
    (a table of contents drawn as divs), not links without text (images), and not
    inside tables (the caller's rule: a table's cells are its data).
    """
    own = m.text.get(el, 0)
    if not own or el in m.in_page:
        return None
    for ancestor in el.iterancestors():
        tag = ancestor.tag
        if ancestor is container or not isinstance(tag, str):
            return None
        if tag in _UNITS:
            if tag in _BARE_BLOCKS and 10 * own >= 9 * m.text.get(ancestor, 0):
                return "a link standing alone outside the prose (a button, a teaser)"
            return None
    return None


#: A byline's lead ("By", "Written by", "Reviewed by"): the line names the author.
_BYLINE = re.compile(
    r"^\W*(?:by|written by|words by|posted by|reviewed by|edited by|fact[- ]checked by|"
    r"author:)\s+\D",
    re.IGNORECASE,
)
#: A link asking the reader to subscribe, sign up, join or follow (the site, not a source).
_INVITATION = re.compile(
    r"^\W*(?:subscribe|sign up|join|follow (?:us|me|our)|like us|add [^.]{0,40} to your)\b",
    re.IGNORECASE,
)
_BYLINE_CHARS = 70  # visible characters of a line that is only a byline, at most
_INVITATION_CHARS = 170  # visible characters of a paragraph that is an invitation, at most


def _unit_of(el: Element, container: Element) -> Element | None:
    """The innermost prose unit (paragraph, item, block) around ``el`` inside the container."""
    for ancestor in el.iterancestors():
        if ancestor is container or not isinstance(ancestor.tag, str):
            return None
        if ancestor.tag in _UNITS:
            return ancestor
    return None


#: The whole text of a link that moves the reader within the page.
_PAGE_CONTROL = re.compile(
    r"^\W*(?:back to (?:the )?top|to (?:the )?top|top|read more|continue reading|"
    r"(?:jump|skip|go|scroll|return) to (?:the )?\w+)\W*$",
    re.IGNORECASE,
)


def _page_control(el: Element, m: Measure) -> str | None:
    """Why the link ``el`` is a control that moves within the page, or None.

    "Back to top", "Jump to Recipe", "Read more ↓" to a part of the page: a
    control of the page, not a source (a table of contents, whose entries name the
    parts, stays).  On the development pages: 36 links the keys place outside the
    article, none in it ("More" alone, to a section, was the article's 3 times and
    is not matched).
    """
    if el not in m.in_page or m.text.get(el, 0) > 40:
        return None
    if _PAGE_CONTROL.match(el.text_content()) is None:
        return None
    return "a link that moves within the page ('Back to top', 'Jump to ...')"


def _byline_or_invitation(el: Element, m: Measure, container: Element) -> str | None:
    """Why the link ``el`` names the author or invites the reader in, or None.

    A short line "By <a>Jane Doe</a>" is the byline (the author's page, not a
    source), and a short paragraph whose link says "Subscribe to ...", "Sign up",
    "Join our forums", "Follow us on ..." invites the reader to the site: neither
    is cited by the article.  Only short units, where the link is at least 30% of
    the text, and an invitation starts its own sentence: the same words inside a
    sentence of prose ("you can also subscribe to this newsletter") stay.  On the
    development pages these left out 13 links, every one placed outside the article
    by the keys (mean precision: dev set 0.9109 -> 0.9128, WCXB dev 0.8405 ->
    0.8411; recall unchanged on every page).
    """
    own = m.text.get(el, 0)
    unit = _unit_of(el, container)
    if not own or unit is None:
        return None
    chars = m.text.get(unit, 0)
    if chars > _INVITATION_CHARS or 10 * own < 3 * chars:
        return None
    words = el.text_content()
    first = next((c for c in words if c.isalpha()), "")
    if first.isupper() and _INVITATION.match(words) is not None:
        return "an invitation to subscribe, join or follow (the site's, not a source)"
    if chars <= _BYLINE_CHARS and _BYLINE.match(unit.text_content()) is not None:
        return "a byline (the author's page, not a source)"
    return None


def _share_buttons(el: Element, m: Measure) -> str | None:
    """Why ``el`` is a share button or a bar of them, or None."""
    links = m.links.get(el, 0)
    shares = m.shares.get(el, 0)
    if links and shares * 5 >= links * 4:
        return "a share button" if links == 1 else f"share buttons ({shares} of {links} links)"
    return None


@dataclass(frozen=True)
class _Judge:
    """What inside the container is judged beyond tags and share buttons.

    ``named``: elements named like chrome (not when a site's selector named the
    body: the user has said where the article is); ``lists``: lists of links to
    the site's own pages (not in a wiki, whose every page link is its own).
    """

    named: bool
    lists: bool


def _judges_lists(container: Element, rule: str) -> bool:
    return rule != "site" and container.get("id") != _WIKI


def _chrome_inside(el: Element, tag: str, m: Measure, judge: _Judge, prose: int) -> str | None:
    """Why ``el``, inside the container, is chrome by markup; None if it may be the article's.

    Not what holds half the container's ``prose`` (the article, whatever its class
    says), nor the article's table of contents (links to its own sections).  Names
    count when the judge says so; otherwise only tags and roles do.
    """
    if _holds_half(el, m, prose) or _contents(el, m):
        return None
    reason = _share_buttons(el, m)
    if reason is None:
        reason = m.chrome.get(el) if judge.named else structural_chrome(el, tag)
    return reason


def _heads_a_part(el: Element, tag: str, container: Element) -> bool:
    """Whether ``el`` is the <header> of a section or article inside the container:
    the heading of a part of the article (a listicle's "<h3><a>The trail</a></h3>"),
    not the page's banner or the article's own byline header.

    Dev set mean recall 0.931 -> 0.933, WCXB dev 0.9299 -> 0.9311, precision up on
    both (two pages change, none for the worse).
    """
    if tag != "header":
        return False
    parent = el.getparent()
    return parent is not None and parent is not container and parent.tag in {"section", "article"}


def _contents(el: Element, m: Measure) -> bool:
    """Whether ``el`` is a table of contents: links to two or more of this page's parts,
    and no other links ("New, 15 comments" is two links to one part)."""
    links = m.links.get(el, 0)
    if links < 2 or m.in_page.get(el, 0) != links:
        return False
    first = None
    for a in el.iter("a"):
        target = (a.get("href") or "").partition("#")[2]
        if first is None:
            first = target
        elif target != first:
            return True
    return False


def _left_out(container: Element, m: Measure, judge: _Judge) -> Iterator[tuple[Element, str]]:
    """The chrome inside the container, outermost first, with the reason for each.

    Lists of links are judged outside tables only (a table's rows of links are
    its data: players, products, sources).
    """
    tables: list[Element] = []  # the tables the walk is in (a skipped one still ends)
    prose = m.prose.get(container, 0)
    read = 0  # prose of the units the walk has left behind
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if el is container or not isinstance(tag, str):
            continue
        if event == "end":
            read += m.units.get(el, 0)
            if tables and tables[-1] is el:
                tables.pop()
            continue
        tag = tag.lower()
        reason = None
        if not _heads_a_part(el, tag, container):
            reason = _chrome_inside(el, tag, m, judge, prose)
        if reason is None and judge.lists and not tables and not _in_flow(el, m, read, prose):
            reason = _link_list(el, m, prose)
        if reason is None and judge.lists and tag == "a" and not tables and el in m.links:
            reason = (
                _standalone(el, m, container)
                or _page_control(el, m)
                or _byline_or_invitation(el, m, container)
            )
        if reason is not None:
            walker.skip_subtree()
            yield el, reason
        elif tag == "table":
            tables.append(el)


def find_body(
    root: Element,
    *,
    site_hosts: frozenset[str] = frozenset(),
    selector: str | None = None,
    pages: frozenset[str] = frozenset(),
) -> Body:
    """The article body of a full web page (see the module docstring).

    ``site_hosts``: the page's own hosts (links to them are the site's own);
    ``selector``: a CSS selector configured for the page's site, tried first;
    ``pages``: the page's own addresses (:func:`page_forms`).
    """
    m = measure(root, site_hosts, pages)
    container, rule, reason = _choose(root, m, selector)
    skipped = list(_left_out(container, m, _Judge(rule != "site", _judges_lists(container, rule))))
    if rule == "marker":
        skipped = _with_footer(skipped, container, _densest(m), m)
    walked, around = container, frozenset[Element]()
    tocs = _outside_contents(container, m) if rule != "site" else []
    parts = _sibling_parts(container, m) if rule in _SPLIT_RULES else []
    for part in parts:
        skipped.extend(_left_out(part, m, _Judge(True, _judges_lists(part, rule))))
    if tocs or parts:
        walked, around = _widen(container, [*tocs, *parts])
    if parts:
        reason += f"; with the blocks beside it named like it, and what lies between ({len(parts)})"
    if tocs:
        reason += "; with its table of contents " + ", ".join(
            f"{describe(toc)} ({m.links.get(toc, 0)} links)" for toc in tocs
        )
    decision = ScopeDecision(
        container=describe(container),
        line=container.sourceline,
        rule=rule,
        reason=reason,
        left_out=tuple(
            LeftOut(describe(el), el.sourceline, why, m.links.get(el, 0)) for el, why in skipped
        ),
    )
    return Body(walked, frozenset(el for el, _ in skipped) | around, decision)


#: The densest prose's share of a marked container from which what follows it is the
#: article's footer (see :func:`_footer`).
_FOOTER_SHARE = 0.8


def _footer(container: Element, best: Element | None, m: Measure) -> list[Element]:
    """The blocks of a marked container after its densest prose: the article's footer.

    When the markup names a container (``<article>``, ``.entry-content``) and one
    element in it holds 4/5 of its prose, that element is the article's text and
    the blocks after it are what a theme puts under the text: the author box,
    "Join our forums", "Back to blog", social links, a deal card.  Kept still: a
    block with a table or a list (reference lists, sources, tables of contents:
    the other rules judge them), one with links to two parts of the page (a table
    of contents), and one holding a tenth of the container's prose or more (the
    article going on after a break).  Only blocks with links are left out.

    On the development pages it leaves out 24 scored links on 14 pages, all placed
    outside the article by the keys (mean precision: dev set 0.9128 -> 0.9155, WCXB
    dev 0.8411 -> 0.8429); the one recall change is a store's image banner that the
    scorer had matched by address to a text link of the article elsewhere.  With
    7/10 instead of 4/5, articles' last links were lost on 3 pages.
    """
    prose = m.prose.get(container, 0)
    if best is None or best is container or prose == 0:
        return []
    if m.prose.get(best, 0) < _FOOTER_SHARE * prose or not _contains(container, best):
        return []
    footer: list[Element] = []
    inner = best
    while inner is not container:
        for block in inner.itersiblings():
            if (
                isinstance(block.tag, str)
                and m.links.get(block, 0)
                and m.in_page.get(block, 0) < 2
                and 10 * m.prose.get(block, 0) < prose
                and next(block.iter("table", "ul", "ol", "dl"), None) is None
            ):
                footer.append(block)
        parent = inner.getparent()
        if parent is None:
            break
        inner = parent
    return sorted(footer, key=lambda el: el.sourceline or 0)


def _with_footer(
    skipped: list[tuple[Element, str]], container: Element, best: Element | None, m: Measure
) -> list[tuple[Element, str]]:
    """``skipped`` and the container's footer (:func:`_footer`), without what the
    footer's blocks already hold."""
    footer = _footer(container, best, m)
    if not footer or best is None:
        return skipped
    blocks = set(footer)
    outside = [
        (el, why)
        for el, why in skipped
        if not any(a in blocks for a in takewhile(lambda a: a is not container, el.iterancestors()))
    ]
    share = m.prose.get(best, 0) / max(1, m.prose.get(container, 0))
    why = f"after the article's text (its densest part holds {share:.0%} of the container's prose)"
    return outside + [(el, why) for el in footer]


#: Rules whose container may be one part of several (not a site's selector).
_SPLIT_RULES = frozenset({"text", "marker"})


def _sibling_parts(container: Element, m: Measure) -> list[Element]:
    """The container's siblings named like it (same tag and class) that hold prose,
    and what lies between them and it.

    A site builder cuts an article into blocks of one kind around what it draws
    differently (Webflow's ``rich-text`` blocks around a table): the densest block
    is one part, its like-named siblings are the rest, and the table between them
    is the article's too (the chrome inside all of them is judged as inside it).
    On the development pages it decides 3 of 597 pages (WCXB dev mean recall
    0.9283 -> 0.9299; one page 0.21 -> 0.98), none losing.
    """
    parent = container.getparent()
    name = container.get("class")
    if parent is None or not name:
        return []
    children = [child for child in parent if isinstance(child.tag, str)]
    alike = [
        i
        for i, sibling in enumerate(children)
        if sibling is container
        or (sibling.tag == container.tag and sibling.get("class") == name and sibling in m.prose)
    ]
    if len(alike) < 2:
        return []
    return [c for c in children[alike[0] : alike[-1] + 1] if c is not container]


def _outside_contents(container: Element, m: Measure) -> list[Element]:
    """The article's tables of contents outside its container, in document order.

    A table of contents (see :func:`_contents`) that leads mostly to parts of the
    container is the article's own, wherever the theme put it (a sticky sidebar, a
    <nav> above the body): its links are checked like the article's.  Its
    fragments lead into the container by the ids there or, where a script gives
    the headings their ids when the page loads, by the headings' text (WCXB dev
    mean recall 0.9264 -> 0.9283, three pages changing, one of them losing 0.17
    precision for 0.07 recall).
    """
    tocs: list[Element] = []
    judged: dict[Element, bool] = {}  # each ancestor is judged once: linear in the page
    for el in m.in_page:
        if el.tag != "a" or _contains(container, el):
            continue
        toc = None
        for ancestor in el.iterancestors():
            if m.links.get(ancestor, 0) < 2:
                continue  # the link's own item
            if ancestor in judged:  # another link came this way: the rest is known
                if judged[ancestor]:
                    toc = None  # inside a table of contents already found
                break
            judged[ancestor] = _contents(ancestor, m)
            if not judged[ancestor]:
                break
            toc = ancestor
        if toc is not None and not _contains(toc, container):
            tocs.append(toc)
    if not tocs:
        return []
    ids = {i for el in container.iter() if isinstance(el.tag, str) and (i := el.get("id"))}
    ids.update(n for el in container.iter("a") if (n := el.get("name")))
    headings = {_slug(h.text_content()) for h in container.iter(*_HEADING_TAGS)} - {""}
    own = []
    seen: set[frozenset[str]] = set()
    for toc in tocs:
        targets = [(a.get("href") or "").partition("#")[2] for a in toc.iter("a") if a.get("href")]
        inside = sum(t in ids or _slug(t) in headings for t in targets if t)
        if inside >= 2 and 2 * inside >= len(targets) and frozenset(targets) not in seen:
            seen.add(frozenset(targets))  # a theme's second copy (mobile, sticky) is not new
            own.append(toc)
    return sorted(own, key=lambda el: el.sourceline or 0)


_NOT_ALNUM = re.compile(r"[\W_]+")


def _slug(text: str) -> str:
    """A heading's text or a fragment as letters and digits only, lower case: a script
    that gives headings their ids at load time makes them from the text
    ("4. OXO Brew 9-Cup" -> ``#4oxo-brew-9cup``), so the two compare this way."""
    return _NOT_ALNUM.sub("", text).lower()


def _widen(container: Element, extras: list[Element]) -> tuple[Element, frozenset[Element]]:
    """The common ancestor of ``container`` and ``extras``, and what in it to skip:
    everything off the paths down to them."""
    top = _common_ancestor([container, *extras])
    kept: set[Element] = set()
    for el in (container, *extras):
        kept.add(el)
        for ancestor in el.iterancestors():
            if ancestor is top:
                break
            kept.add(ancestor)
    leaves = {container, *extras}
    skip = {
        child
        for el in (top, *kept)
        if el not in leaves
        for child in el
        if isinstance(child.tag, str) and child not in kept
    }
    return top, frozenset(skip)


def page_forms(*addresses: str | None) -> frozenset[str]:
    """The ways a link may write the page's own addresses: whole, without the scheme,
    as a path (``https://a.example/x/``, ``//a.example/x/``, ``/x/``), fragments cut."""
    forms: set[str] = set()
    for address in addresses:
        if not address:
            continue
        url = address.strip().partition("#")[0]
        scheme, sep, rest = url.partition("//")
        if not sep or not scheme.endswith(":"):
            continue
        path = "/" + rest.partition("/")[2]
        forms.update({url, "//" + rest, path})
    forms.discard("/")  # "/#top" on a front page is ambiguous; "#top" still counts
    return frozenset(forms)


def site_hosts(*addresses: str | None) -> frozenset[str]:
    """The registrable hosts of the page's own addresses (base URL, canonical, ``og:url``)."""
    return frozenset(h for a in addresses if a and (h := _site_of(a)) is not None)


_ADDRESSES = etree.XPath(
    "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content | //base/@href"
)


def page_addresses(root: Element) -> list[str]:
    """The addresses a page gives itself: canonical link, ``og:url``, ``<base href>``."""
    found = _ADDRESSES(root)
    return [str(a) for a in found if isinstance(a, str)] if isinstance(found, list) else []
