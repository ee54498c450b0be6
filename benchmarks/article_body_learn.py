"""A learned look at links, tried on top of the body rules (issue 18), and not kept.

The idea: every ``<a href>`` in the region the rules of
``linkaudit.extract.body`` choose is described by a few dozen numbers (link
density and prose of the block around it, where it sits in the article, the
words of the classes and ids above it, the heading above it, its own text and
address, and which rule, if any, left it out) and a small model, trained on
WCXB's dev split, says whether it is the article's: to leave out links the
rules keep (precision), or to bring back links the rules left out (recall).

Two steps, the second in its own venv (scikit-learn is no dependency of linkaudit):

    .venv/bin/python -m benchmarks.article_body_learn dump --wcxb-dev /tmp/wcxb OUT.json
    VENV/bin/python benchmarks/article_body_learn.py evaluate OUT.json [--model lr|gb]

``dump`` writes, per page, every link in the rules' region with its features,
whether the rules left it out, and its label from the page's answer key (1: the
article's, 0: placed outside it; links the key cannot place are left out):
WCXB dev (``--wcxb-dev``) and the vendored development set, never the held-out
pages.  ``evaluate`` fits the model on WCXB dev (pages weighted equally: the
score is a mean per page) and prints mean per-page recall / precision for a
grid of thresholds: on WCXB dev out of fold (5 folds by page) and on the
development set (fitted on all of WCXB dev).  The numbers and why nothing was
kept are in ``benchmarks/README.md`` ("Tried and not kept").
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lxml.etree as etree

if TYPE_CHECKING:  # the ``evaluate`` step runs where linkaudit is not installed
    from linkaudit.extract.body import Element, Measure

#: Words of class and id values that say what a block is (as whole name parts).
VOCAB = (
    *("related", "share", "social", "author", "bio", "byline", "promo", "newsletter"),
    *("subscribe", "tag", "tags", "topic", "topics", "category", "meta", "caption"),
    *("credit", "footnote", "footnotes", "note", "notes", "reference", "references", "cite"),
    *("citation", "source", "sources", "card", "teaser", "widget", "more", "read", "list"),
    *("item", "grid", "product", "price", "buy", "shop", "affiliate", "ad", "ads", "sponsor"),
    *("box", "embed", "table", "figure", "image", "img", "photo", "media", "video", "quote"),
    *("content", "body", "text", "entry", "post", "article", "story", "main", "comment"),
    *("footer", "header", "sidebar", "aside", "nav", "menu", "toc", "contents", "inline"),
    *("callout", "cta", "button", "btn", "link", "links", "title", "headline", "date", "time"),
)
_VOCAB_INDEX = {word: i for i, word in enumerate(VOCAB)}
_NAME_PARTS = re.compile(r"[a-z0-9]+|[A-Z][a-z0-9]*")
_CHROME_HEADING = re.compile(
    r"related|more|popular|latest|recommended|also|author|share|newsletter|subscribe|"
    r"tags|comment|follow|trending|stories|you may|like this|next|previous|read",
    re.IGNORECASE,
)
_REFS_HEADING = re.compile(
    r"reference|source|note|footnote|further|see also|links|bibliograph|citation|resource|"
    r"reading|external|credit",
    re.IGNORECASE,
)
_IMAGE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg)(?:$|\?)", re.IGNORECASE)
_SLUG = re.compile(r"/[^/?#]*-[^/?#]*-[^/?#]*-[^/?#]*/?(?:$|[?#])")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_UNIT_KINDS = ("p", "li", "tr", "div", "h", "dd", "caption", "blockquote", "other")
_CONTEXTS = ("table", "li", "figure", "sup", "heading", "blockquote", "strong", "small")


def _names(el: Element) -> tuple[int, ...]:
    found: set[int] = set()
    for attribute in ("class", "id"):
        value = el.get(attribute)
        if not value:
            continue
        for part in _NAME_PARTS.findall(value):
            i = _VOCAB_INDEX.get(part.lower())
            if i is not None:
                found.add(i)
    return tuple(found)


def _unit_kind(tag: str) -> int:
    if tag in {"td", "th", "tr"}:
        tag = "tr"
    elif tag in _HEADINGS:
        tag = "h"
    elif tag in {"dt", "dd"}:
        tag = "dd"
    elif tag in {"figcaption", "caption"}:
        tag = "caption"
    elif tag in {"section", "article", "main", "center"}:
        tag = "div"
    return _UNIT_KINDS.index(tag) if tag in _UNIT_KINDS else len(_UNIT_KINDS) - 1


#: The first features by name; then the vocabulary's words above the link and on it,
#: then which rule left the link out (see ``SIZE``).
NAMED = (
    "bias",
    *("own_site", "in_page", "external", "link_chars", "link_words", "link_numeric"),
    *("unit_link_share", "unit_free_chars", "unit_links", "unit_is_prose", "alone"),
    *(f"unit_{k}" for k in _UNIT_KINDS),
    *("list_links", "list_link_share", "list_own_share", "block_link_share", "block_links"),
    *("read", "left", "depth", "region_links", "region_prose", "region_own_share"),
    *("heading_chrome", "heading_refs", "nofollow", "blank", "query", "image", "slug"),
    *("url_text", "path_depth", "title_case", "siblings"),
    *(f"in_{c}" for c in _CONTEXTS),
)


def _log(n: float) -> float:
    return math.log1p(max(n, 0.0))


#: Why the rules left a block out, by the start of the reason (see ``body.py``).
_RULES = (
    ("a <", "tag"),
    ("role=", "tag"),
    ("class ", "name"),
    ("id ", "name"),
    ("a list of links", "list"),
    ("a link standing", "alone"),
    ("a link styled", "button"),
    ("share", "share"),
    ("a share", "share"),
)
_RULE_KINDS = ("tag", "name", "list", "alone", "button", "share")
#: Features per link from :func:`link_features` (:func:`region_links` adds 3: repeats).
SIZE = len(NAMED) + 2 * len(VOCAB) + 1 + len(_RULE_KINDS)


def _rule(reason: str) -> int:
    for prefix, kind in _RULES:
        if reason.startswith(prefix):
            return _RULE_KINDS.index(kind)
    return 0


def link_features(
    region: Element,
    left_out: dict[Element, str],
    outside: frozenset[Element],
    m: Measure,
    container: Element,
    units: frozenset[str],
) -> Iterator[tuple[Element, Element | None, list[float]]]:
    """Every ``<a href>`` in ``region`` with the block the rules left it out with (or
    None) and its features; ``outside`` (around the container) is not walked."""
    total_prose = max(1, m.prose.get(container, 0))
    region_links = m.links.get(region, 0)
    region_own = m.own_site.get(region, 0) / max(1, region_links)
    read = 0
    heading = ""
    stack_units: list[Element] = []
    stack_lists: list[Element] = []
    names: list[tuple[int, ...]] = []
    context = [0] * len(_CONTEXTS)
    rules: list[tuple[Element, int]] = []  # the left-out blocks the walk is in
    walker = etree.iterwalk(region, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        tag = tag.lower()
        if el is region:
            continue
        if event == "end":
            if not rules:
                read += m.units.get(el, 0)
            elif rules[-1][0] is el:
                rules.pop()
                if not rules:
                    read += m.prose.get(el, 0)
            names.pop()
            if stack_units and stack_units[-1] is el:
                stack_units.pop()
            if stack_lists and stack_lists[-1] is el:
                stack_lists.pop()
            _context(context, tag, -1)
            if tag in _HEADINGS:
                heading = el.text_content()[:200]
            continue
        names.append(_names(el))
        _context(context, tag, 1)
        if el in outside:
            walker.skip_subtree()  # its end still comes
            rules.append((el, 0))
            continue
        why = left_out.get(el)
        if why is not None:
            rules.append((el, _rule(why)))
        if tag in units:
            stack_units.append(el)
        if tag in {"ul", "ol", "dl"}:
            stack_lists.append(el)
        if tag == "a" and el in m.links:
            features = _features(
                el, m, stack_units, stack_lists, names, context, heading, read, total_prose,
                len(names), region_links, region_own,
            )  # fmt: skip
            rule = [0.0] * (len(_RULE_KINDS) + 1)
            if rules:
                rule[0] = 1.0
                rule[1 + rules[0][1]] = 1.0
            yield el, rules[0][0] if rules else None, features + rule


def _context(context: list[int], tag: str, step: int) -> None:
    if tag in {"table"}:
        context[0] += step
    elif tag == "li":
        context[1] += step
    elif tag in {"figure", "figcaption"}:
        context[2] += step
    elif tag == "sup":
        context[3] += step
    elif tag in _HEADINGS:
        context[4] += step
    elif tag == "blockquote":
        context[5] += step
    elif tag in {"strong", "b"}:
        context[6] += step
    elif tag == "small":
        context[7] += step


def _features(
    a: Element,
    m: Measure,
    stack_units: list[Element],
    stack_lists: list[Element],
    names: list[tuple[int, ...]],
    context: list[int],
    heading: str,
    read: int,
    total_prose: int,
    depth: int,
    region_links: int,
    region_own: float,
) -> list[float]:
    text = m.text.get(a, 0)
    href = (a.get("href") or "").strip()
    own = a in m.own_site
    in_page = a in m.in_page
    words = (a.text_content() or "").split()
    unit = stack_units[-1] if stack_units else None
    unit_text = m.text.get(unit, 0) if unit is not None else 0
    unit_linked = m.linked.get(unit, 0) if unit is not None else 0
    unit_links = m.links.get(unit, 0) if unit is not None else 0
    unit_kind = [0.0] * len(_UNIT_KINDS)
    if unit is not None:
        unit_kind[_unit_kind(str(unit.tag).lower())] = 1.0
    lst = stack_lists[-1] if stack_lists else None
    list_links = m.links.get(lst, 0) if lst is not None else 0
    list_text = m.text.get(lst, 0) if lst is not None else 0
    block = stack_units[-2] if len(stack_units) > 1 else None
    block_text = m.text.get(block, 0) if block is not None else 0
    block_links = m.links.get(block, 0) if block is not None else 0
    path = href.partition("//")[2].partition("/")[2] if "//" in href else href.lstrip("/")
    values = [
        1.0,
        float(own),
        float(in_page),
        float(not own and not in_page),
        _log(text),
        _log(len(words)),
        float(bool(words) and all(w.strip("[]().,").isdigit() for w in words)),
        unit_linked / unit_text if unit_text else 1.0,
        _log(unit_text - unit_linked),
        _log(unit_links),
        float(unit in m.units) if unit is not None else 0.0,
        float(10 * text >= 9 * unit_text) if unit_text else 1.0,
        *unit_kind,
        _log(list_links),
        m.linked.get(lst, 0) / list_text if lst is not None and list_text else 0.0,
        m.own_site.get(lst, 0) / list_links if list_links else 0.0,
        m.linked.get(block, 0) / block_text if block is not None and block_text else 0.0,
        _log(block_links),
        read / total_prose,
        max(0.0, 1.0 - read / total_prose),
        min(depth, 30) / 30,
        _log(region_links),
        _log(total_prose),
        region_own,
        float(_CHROME_HEADING.search(heading) is not None) if heading else 0.0,
        float(_REFS_HEADING.search(heading) is not None) if heading else 0.0,
        float(any(r in (a.get("rel") or "") for r in ("nofollow", "sponsored", "ugc"))),
        float(a.get("target") == "_blank"),
        float("?" in href),
        float(_IMAGE.search(href) is not None),
        float(_SLUG.search(href) is not None),
        float(any("http" in w or "www." in w for w in words)),
        _log(path.count("/")),
        float(len(words) >= 3 and sum(w[:1].isupper() for w in words) * 2 >= len(words)),
        _log(unit_links - 1),
        *(float(c > 0) for c in context),
    ]
    vocab = [0.0] * (2 * len(VOCAB))
    for found in names[:-1]:
        for i in found:
            vocab[i] = 1.0
    for i in names[-1]:
        vocab[len(VOCAB) + i] = 1.0
    return values + vocab


# --------------------------------------------------------------------------- the rules' region


def region_links(
    root: Element, site_hosts: frozenset[str], pages: frozenset[str]
) -> Iterator[tuple[Element, Element | None, list[float]]]:
    """The links in the region ``find_body`` walks (no site selector), with their features.

    The same steps as ``body.find_body``, kept apart so that the finder itself
    carries nothing of this experiment.
    """
    from linkaudit.extract import body as B

    m = B.measure(root, site_hosts, pages)
    container, rule, _reason = B._choose(root, m, None)
    judge = B._Judge(True, B._judges_lists(container, rule))
    left_out = dict(B._left_out(container, m, judge))
    around: frozenset[Element] = frozenset()
    walked = container
    tocs = B._outside_contents(container, m)
    if tocs:
        walked, around = B._widen(container, tocs)
    page_hrefs = Counter((a.get("href") or "").strip() for a in root.iter("a"))
    region_hrefs = Counter((a.get("href") or "").strip() for a in walked.iter("a"))
    seen: Counter[str] = Counter()
    for a, block, features in link_features(walked, left_out, around, m, container, B._UNITS):
        href = (a.get("href") or "").strip()
        seen[href] += 1
        repeats = [
            _log(page_hrefs[href] - region_hrefs[href]),  # the same address outside the region
            _log(region_hrefs[href] - 1),  # and again inside it
            float(seen[href] > 1),  # not its first mention
        ]
        yield a, block, features + repeats


def dump(wcxb_dev: Path, out: Path) -> None:
    """Features and labels of every link in the rules' region, per page (see above)."""
    from benchmarks import article_body as ab
    from linkaudit.extract import body as B
    from linkaudit.extract import html as H
    from linkaudit.extract.common import env_for
    from linkaudit.urls import resolve

    pages = ab.select(ab.load(), "dev") + list(ab.load_wcxb_dev(wcxb_dev))
    rows = []
    for page in pages:
        document = ab.document(page)
        source = H.sanitize(document.text)
        root = H._parse(source, H.SourceIndex(source).tags)
        if root is None:
            continue
        env = env_for(document, H._base_url(root, document))
        addresses = (document.base_url, document.canonical_url, env.base, *B.page_addresses(root))
        found = region_links(root, B.site_hosts(*addresses), B.page_forms(*addresses))
        article, others = Counter(page.article), Counter(page.others)
        article_urls = Counter(u for u, _ in page.article)
        other_urls = Counter(u for u, _ in page.others)
        feats, labels, hand = [], [], []
        for a, block, features in found:
            link = (resolve(a.get("href") or "", env.base), ab._collapse(a.text_content()))
            if article[link] > 0:
                article[link] -= 1
                label = 1
            elif others[link] > 0:
                others[link] -= 1
                label = 0
            elif not page.keyed_by_text:
                label = 1 if article_urls[link[0]] else 0
            elif article_urls[link[0]] and not other_urls[link[0]]:
                label = 1
            elif other_urls[link[0]] and not article_urls[link[0]]:
                label = 0
            else:
                continue  # the key cannot place it
            feats.append(features)
            labels.append(label)
            hand.append(int(block is not None))
        rows.append(
            {"page": page.name, "source": page.source, "expected": len(page.article),
             "x": feats, "y": labels, "h": hand}
        )  # fmt: skip
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} pages, {sum(len(r['y']) for r in rows)} links")


# --------------------------------------------------------------------------- evaluate


def _page_scores(rows: list[dict[str, Any]], keep: Any) -> tuple[float, float]:
    """Mean per-page recall and precision when only the ``keep`` links are found."""
    recalls, precisions, i = [], [], 0
    for r in rows:
        n = len(r["y"])
        kept = keep[i : i + n]
        i += n
        matched = sum(y for y, k in zip(r["y"], kept, strict=True) if k)
        found = int(sum(kept))
        recalls.append(matched / r["expected"] if r["expected"] else 1.0)
        precisions.append(matched / found if found else 1.0)
    return sum(recalls) / len(recalls), sum(precisions) / len(precisions)


def _pair(scores: tuple[float, float]) -> str:
    return f"{scores[0]:.3f} / {scores[1]:.3f}"


def evaluate(data: Path, kind: str) -> None:  # pragma: no cover - needs scikit-learn
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    rows = json.loads(data.read_text(encoding="utf-8"))
    wcxb = [r for r in rows if r["source"] == "wcxb-dev" and r["y"]]
    dev = [r for r in rows if r["source"] != "wcxb-dev" and r["y"]]

    def arrays(part: list[dict[str, Any]]) -> tuple[Any, ...]:
        x = np.array([f for r in part for f in r["x"]])
        y = np.array([v for r in part for v in r["y"]])
        h = np.array([v for r in part for v in r["h"]])
        g = np.array([i for i, r in enumerate(part) for _ in r["y"]])
        w = np.array([1 / len(r["y"]) for r in part for _ in r["y"]])
        return x, y, h, g, w * len(w) / w.sum()

    def model() -> Any:
        if kind == "lr":
            return LogisticRegression(C=1.0, max_iter=5000)
        return GradientBoostingClassifier(
            n_estimators=100, max_depth=3, subsample=0.8, random_state=0
        )

    x, y, h, g, w = arrays(wcxb)
    oof = np.zeros(len(y))
    for train, test in GroupKFold(5).split(x, y, g):
        fitted = model().fit(x[train], y[train], sample_weight=w[train])
        oof[test] = fitted.predict_proba(x[test])[:, 1]
    xd, _yd, hd, _gd, _wd = arrays(dev)
    pd = model().fit(x, y, sample_weight=w).predict_proba(xd)[:, 1]
    print(f"{kind}: WCXB dev {len(wcxb)} pages (out of fold), development set {len(dev)} pages")
    print(
        f"the rules:     {_pair(_page_scores(wcxb, h == 0))}   {_pair(_page_scores(dev, hd == 0))}"
    )
    print("drop kept below / bring back left out above: WCXB dev, dev set (recall / precision)")
    for drop in (0.0, 0.1, 0.2, 0.3):
        for back in (0.5, 0.7, 0.9, 1.01):
            keep_w = np.where(h == 0, oof >= drop, oof >= back)
            keep_d = np.where(hd == 0, pd >= drop, pd >= back)
            wcxb_scores, dev_scores = _page_scores(wcxb, keep_w), _page_scores(dev, keep_d)
            print(f"  {drop:.2f}  {back:.2f}   {_pair(wcxb_scores)}   {_pair(dev_scores)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--wcxb-dev", type=Path, required=True)
    d.add_argument("out", type=Path)
    e = sub.add_parser("evaluate")
    e.add_argument("data", type=Path)
    e.add_argument("--model", choices=["lr", "gb"], default="lr")
    args = parser.parse_args(argv)
    if args.step == "dump":
        dump(args.wcxb_dev, args.out)
    else:
        evaluate(args.data, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
