"""HTML extraction: element kinds, scope, bare URLs and DOIs, classification, positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.extract import extract
from linkaudit.model import Citation, CitationKind, Relation, Scope, Verdict

from .conftest import html_doc

NEWS_BASE = "https://news.example.org/2024/05/harbour.html"


def urls_of(citations: list[Citation]) -> list[str | None]:
    return [c.url for c in citations]


def check_offsets(text: str, citations: list[Citation]) -> None:
    """Every exact offset points at the URL as written (or at a lost link's text)."""
    for c in citations:
        if c.location.offset is None:
            continue
        at = text[c.location.offset :]
        if c.url_as_written is not None:  # the attribute value (empty: where it would go)
            raw = c.url_as_written
            assert at.startswith((raw, raw.replace("&", "&amp;"))), (c, at[:40])
        elif c.attribute == "href":  # <a> without href: the start tag
            assert at.startswith("<a"), (c, at[:40])
        else:  # a stripped link: its anchor text
            assert at.startswith(c.text.split()[0]), (c, at[:40])
        line_start = text.rfind("\n", 0, c.location.offset) + 1
        assert c.location.column == c.location.offset - line_start + 1
        assert c.location.line == text.count("\n", 0, c.location.offset) + 1


def test_article_scope_drops_site_chrome(fixtures: Path) -> None:
    text = (fixtures / "news_page.html").read_text()
    cites = extract(html_doc(text, base=NEWS_BASE), scope=Scope.ARTICLE)
    assert urls_of(cites) == [
        "https://port.example.gov/report-2023.pdf",
        "https://news.example.org/2023/01/earlier-story.html",
        "https://data.example.com/dredging?year=2023&unit=eur",
        "https://doi.org/10.1000/xyz123",
        "https://bare.example.com/page_(detail)",
        "http://www.harbour-watch.example/costs",
    ]
    first = cites[0]
    assert first.text == "published its annual report"
    assert first.context == "The port authority published its annual report last week."
    assert first.rel == ("noopener", "nofollow")
    assert first.relation is Relation.OUTBOUND
    assert first.needs_check
    assert first.key == "https://port.example.gov/report-2023.pdf"
    assert cites[1].relation is Relation.INTERNAL  # site defaults to the base's origin
    assert cites[1].url_as_written == "/2023/01/earlier-story.html"
    assert [c.kind for c in cites[3:]] == [
        CitationKind.DOI,
        CitationKind.TEXT_URL,
        CitationKind.TEXT_URL,
    ]
    assert cites[3].url_as_written == "doi:10.1000/xyz123"
    assert [c.location.paragraph for c in cites] == [2, 3, 3, 4, 4, 4]
    check_offsets(text, cites)


def test_page_scope_includes_chrome(fixtures: Path) -> None:
    text = (fixtures / "news_page.html").read_text()
    cites = extract(html_doc(text, base=NEWS_BASE), scope=Scope.PAGE)
    found = urls_of(cites)
    for chrome in [
        "https://news.example.org/",
        "https://twitter.com/examplenews",
        "https://ads.example.net/click",
        "https://news.example.org/authors/jo",
        "https://facebook.com/sharer?u=x",
        "https://news.example.org/privacy",
    ]:
        assert chrome in found
    assert "https://code.example.com/not-a-citation" not in found
    check_offsets(text, cites)


def test_every_element_kind(fixtures: Path) -> None:
    text = (fixtures / "elements.html").read_text()
    doc = html_doc(text, base="https://www.example.org/dir/page.html", site="https://example.org")
    cites = extract(doc, scope=Scope.PAGE)
    got = [(c.element, c.attribute, c.url) for c in cites if c.url and c.verdict is None]
    cdn = "https://cdn.example.net"  # the first <base href> wins over the document's base
    assert got[:17] == [
        ("a", "href", f"{cdn}/assets/page.html"),
        ("area", "href", f"{cdn}/area-target"),
        ("img", "src", f"{cdn}/assets/img/one.png"),
        ("img", "srcset", f"{cdn}/assets/img/one-2x.png"),
        ("img", "srcset", f"{cdn}/assets/img/one-3x.png"),
        ("source", "srcset", f"{cdn}/pic.webp"),
        ("source", "srcset", f"{cdn}/pic-2x.webp"),
        ("img", "src", f"{cdn}/pic.jpg"),
        ("video", "src", f"{cdn}/clip.mp4"),
        ("video", "poster", f"{cdn}/poster.jpg"),
        ("source", "src", f"{cdn}/clip.webm"),
        ("audio", "src", f"{cdn}/sound.ogg"),
        ("iframe", "src", "https://player.example.com/embed/1"),
        ("embed", "src", f"{cdn}/flash.swf"),
        ("object", "data", f"{cdn}/doc.pdf"),
        ("blockquote", "cite", "https://source.example.com/quote"),
        ("q", "cite", "https://q.example.com/"),
    ]
    by_url = {c.url: c for c in cites if c.url}
    assert by_url[f"{cdn}/assets/page.html"].text == "linked page"
    assert by_url[f"{cdn}/area-target"].text == "Area alt"
    assert by_url[f"{cdn}/assets/img/one.png"].kind is CitationKind.IMAGE
    assert by_url["https://player.example.com/embed/1"].kind is CitationKind.EMBED
    assert by_url["https://q.example.com/"].kind is CitationKind.QUOTE
    assert by_url["https://q.example.com/"].text == "hello"
    assert by_url["https://example.org/a"].text == "Logo alt text"  # image-only link
    assert by_url["https://example.org/a"].relation is Relation.INTERNAL  # www. ignored
    assert by_url["https://example.org/b"].text == "Labelled"
    check_offsets(text, cites)


def test_skipped_invalid_and_lost(fixtures: Path) -> None:
    text = (fixtures / "elements.html").read_text()
    cites = extract(html_doc(text), scope=Scope.PAGE)
    decided = [(c.verdict, c.reason, c.text) for c in cites if c.verdict is not None]
    assert decided == [
        (Verdict.SKIPPED, "scheme_mailto", "Write to us"),
        (Verdict.SKIPPED, "scheme_tel", "call"),
        (Verdict.SKIPPED, "scheme_javascript", "click"),
        (Verdict.SKIPPED, "scheme_data", "pixel"),
        (Verdict.INVALID, "invalid_url", "bad host"),
        (Verdict.INVALID, "invalid_url", "no host"),
        (Verdict.LOST, "empty_href", "empty"),
        (Verdict.LOST, "placeholder_href", "placeholder"),
        (Verdict.LOST, "empty_href", "no href"),
    ]
    for c in cites:
        if c.verdict is not None:
            assert c.key is None
            assert not c.needs_check
        if c.verdict is Verdict.LOST:
            assert c.kind is CitationKind.LOST
            assert c.url is None
    # named anchors (<a name>, <a id>) are link targets, not lost links
    assert sum(c.verdict is Verdict.LOST for c in cites) == 3


def test_relative_links_without_any_base() -> None:
    text = '<p>See <a href="/a">a</a>, <a href="b.html">b</a> and <a href="https://x.example">x</a>.</p>'
    cites = extract(html_doc(text, base=None, whole_page=False))
    assert [(c.url, c.verdict, c.reason, c.relation) for c in cites] == [
        ("/a", Verdict.SKIPPED, "relative_no_base", Relation.INTERNAL),
        ("b.html", Verdict.SKIPPED, "relative_no_base", Relation.INTERNAL),
        ("https://x.example/", None, "", Relation.OUTBOUND),
    ]


def test_base_element_relative_to_document_base() -> None:
    text = '<head><base href="/sub/"></head><body><p><a href="x.html">x</a></p></body>'
    cites = extract(html_doc(text, base="https://site.example/a/b.html"), scope=Scope.PAGE)
    assert urls_of(cites) == ["https://site.example/sub/x.html"]


def test_fragment_only_links_resolve_against_page() -> None:
    text = '<p><a href="#notes">notes</a></p><h2 id="notes">Notes</h2>'
    cites = extract(html_doc(text, base="https://s.example/p.html", whole_page=False))
    assert cites[0].url == "https://s.example/p.html#notes"
    assert cites[0].key == "https://s.example/p.html#notes"
    assert cites[0].relation is Relation.INTERNAL


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<pre>https://pre.example/</pre>", []),
        ("<p><kbd>https://kbd.example/</kbd> <samp>doi:10.1/x</samp></p>", []),
        ("<script>var u = 'https://script.example/';</script>", []),
        ("<style>a { background: url(https://style.example/x.png) }</style>", []),
        (
            '<p><a href="https://same.example/">https://same.example/</a></p>',
            ["https://same.example/"],
        ),
        (
            "<p>DOI 10.1234/abc.def, and doi: 10.9999/zz</p>",
            ["https://doi.org/10.1234/abc.def", "https://doi.org/10.9999/zz"],
        ),
        ("<p>(see https://paren.example/a).</p>", ["https://paren.example/a"]),
        ("<p>https://wiki.example/Foo_(bar)!</p>", ["https://wiki.example/Foo_(bar)"]),
        ("<p>Visit https://a.example/x?y=1&amp;z=2.</p>", ["https://a.example/x?y=1&z=2"]),
        ("<p>https://doi.org/10.1000/182 is a URL</p>", ["https://doi.org/10.1000/182"]),
    ],
)
def test_bare_urls_and_dois(markup: str, expected: list[str]) -> None:
    cites = extract(html_doc(markup, whole_page=False))
    assert urls_of(cites) == expected
    check_offsets(markup, cites)


def test_context_stays_in_its_sentence_and_block() -> None:
    text = (
        "<p>First sentence here. The <a href='https://a.example/'>key link</a> sits in the "
        "second sentence. Third one.</p><p>Next paragraph.</p>"
    )
    cite = extract(html_doc(text, whole_page=False))[0]
    assert cite.context == "The key link sits in the second sentence."
    assert cite.location.paragraph == 1


def test_long_context_is_bounded() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    text = f"<p>{words} <a href='https://a.example/'>middle</a> {words}</p>"
    cite = extract(html_doc(text, whole_page=False))[0]
    assert "middle" in cite.context
    assert len(cite.context) < 260


def test_wordpress_body_is_all_article() -> None:
    from linkaudit.model import DocumentKind

    text = (
        '<nav><a href="https://n.example/">nav</a></nav><p><a href="https://p.example/">p</a></p>'
    )
    doc = html_doc(text, whole_page=False, kind=DocumentKind.WORDPRESS)
    assert urls_of(extract(doc)) == ["https://n.example/", "https://p.example/"]


def test_internal_uses_declared_site() -> None:
    text = '<p><a href="https://www.paper.example/x">own</a> <a href="https://other.example/">other</a></p>'
    cites = extract(html_doc(text, base=None, site="https://paper.example", whole_page=False))
    assert [c.relation for c in cites] == [Relation.INTERNAL, Relation.OUTBOUND]
    assert all(c.needs_check for c in cites)


def test_offsets_survive_entities_multiline_tags_and_duplicates() -> None:
    text = (
        "<p>A <a\n   class='x'\n   href=\"https://e.example/?a=1&amp;b=2\">one</a>\n"
        "<a href='https://dup.example/'>dup</a> <a href='https://dup.example/'>dup again</a></p>"
    )
    cites = extract(html_doc(text, whole_page=False))
    assert [c.location.line for c in cites] == [3, 4, 4]
    assert cites[1].location.offset != cites[2].location.offset
    check_offsets(text, cites)


def test_srcset_candidates_with_shared_prefixes_and_entities() -> None:
    text = (
        "<img srcset='/a.jpg?x=1&amp;y=2 2x, /a.jpg 1x,/b.jpg'>"
        "<img srcset='/c.jpg 1x, /c.jpg?v 2x'>"
    )
    cites = extract(html_doc(text, whole_page=False))
    assert [c.url_as_written for c in cites] == [
        "/a.jpg?x=1&y=2",
        "/a.jpg",
        "/b.jpg",
        "/c.jpg",
        "/c.jpg?v",
    ]
    offsets = [c.location.offset for c in cites]
    assert offsets == [
        text.index("/a.jpg?x"),
        text.index("/a.jpg 1x"),
        text.index("/b.jpg"),
        text.index("/c.jpg 1x"),
        text.index("/c.jpg?v"),
    ]
