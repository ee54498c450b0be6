"""The learned-look experiment's features (benchmarks/article_body_learn.py) describe the
links of the region ``find_body`` walks, and say which ones the rules left out."""

from __future__ import annotations

import lxml.html

from benchmarks import article_body_learn as learn


def test_links_in_the_rules_region_carry_their_features_and_the_rules_verdict() -> None:
    prose = "The harbour board met on Monday and agreed to publish every contract. " * 4
    html = (
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<div id='story'><p>{prose}<a href='https://board.example/c'>the contracts</a>.</p>"
        f"<p>{prose}</p>"
        "<div class='related-posts'><a href='/a'>Storm closes the ferry</a>"
        "<a href='/b'>Bridge reopens</a></div></div></body></html>"
    )
    root = lxml.html.document_fromstring(html)
    found = list(learn.region_links(root, frozenset({"news.example"}), frozenset()))
    by_href = {a.get("href"): (block, features) for a, block, features in found}
    assert set(by_href) == {"https://board.example/c", "/a", "/b"}  # not the <nav>
    assert by_href["https://board.example/c"][0] is None
    block = by_href["/a"][0]
    assert block is not None
    assert block.get("class") == "related-posts"
    assert all(len(f) == learn.SIZE + 3 for _, f in by_href.values())
    named = dict(zip(learn.NAMED, by_href["/a"][1], strict=False))
    assert named["own_site"] == 1.0
    assert named["external"] == 0.0
    assert (
        dict(zip(learn.NAMED, by_href["https://board.example/c"][1], strict=False))["external"]
        == 1.0
    )
