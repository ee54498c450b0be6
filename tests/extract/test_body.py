"""The article-body finder: which container, what inside it is left out, and why.

Small pages built for one rule each; the rules' reach on real pages is measured
by ``benchmarks/article_body.py`` and held by ``tests/benchmarks/test_article_body.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
import pytest

from linkaudit.extract import extract, main_text
from linkaudit.extract.body import find_body
from linkaudit.model import BodySelectors, Citation, Document, Scope
from linkaudit.testing.scaling import assert_linear

from .conftest import html_doc
from .test_html import check_offsets

BASE = "https://news.example.org/2024/05/story.html"

PROSE = (
    "The harbour authority published its annual dredging figures on Monday, and the"
    " engineers who reviewed them argued that the costs had been understated for years."
)


def paragraphs(count: int, link: str = "") -> str:
    return "".join(f"<p>{PROSE} {link}</p>" for _ in range(count))


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def found_urls(text: str, **kwargs: object) -> list[str]:
    citations: list[Citation] = extract(html_doc(text, base=BASE), **kwargs)  # type: ignore[arg-type]
    return [c.url for c in citations if c.url is not None]


SITE_NAV = (
    '<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>'
    '<div class="rail"><h3>Most read</h3><ul>'
    '<li><a href="/a">Council sells the old pier to a developer</a></li>'
    '<li><a href="/b">Storm closes the ferry for a week</a></li></ul></div>'
)


def test_prose_without_paragraph_tags_is_found() -> None:
    """A body written as text and <br> in a <div> is prose too (no <p> needed)."""
    body = (
        SITE_NAV + '<div class="story">'
        + "<br><br>".join(f"{PROSE} See <a href='https://src{i}.example/r'>source {i}</a>."
                          for i in range(4))
        + "</div>"
    )  # fmt: skip
    assert found_urls(page(body)) == [f"https://src{i}.example/r" for i in range(4)]


def test_links_in_tables_figures_and_reference_lists_are_citations() -> None:
    refs = "".join(f'<li><a href="https://journal.example/{i}">https://journal.example/{i}</a></li>'
                   for i in range(5))  # fmt: skip
    body = (
        SITE_NAV + "<article>" + paragraphs(3)
        + '<table><tr><td>Port</td><td><a href="https://data.example/port">figures</a></td></tr>'
        '<tr><td>Quay</td><td><a href="https://data.example/quay">figures</a></td></tr></table>'
        '<figure><img src="https://img.example/p.jpg"><figcaption>Photo: '
        '<a href="https://photo.example/credit">Agency</a></figcaption></figure>'
        + paragraphs(2) + f"<h2>References</h2><ol>{refs}</ol></article>"
    )  # fmt: skip
    urls = found_urls(page(body))
    assert "https://data.example/port" in urls
    assert "https://data.example/quay" in urls
    assert "https://photo.example/credit" in urls
    assert [u for u in urls if u.startswith("https://journal.example/")] == [
        f"https://journal.example/{i}" for i in range(5)
    ]
    assert not any("/world" in u or u.endswith(("/a", "/b")) for u in urls)


def test_a_list_of_the_sites_own_pages_is_left_out_but_not_one_to_other_sites() -> None:
    related = "".join(f'<li><a href="/2024/05/story-{i}.html">Another story {i}</a></li>'
                      for i in range(4))  # fmt: skip
    sources = "".join(f'<li><a href="https://other{i}.example/">Other source {i}</a></li>'
                      for i in range(4))  # fmt: skip
    body = (
        "<article>" + paragraphs(4) + f"<ul>{sources}</ul>" + paragraphs(1)
        + f"<div><h3>More stories</h3><ul>{related}</ul></div></article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    urls = [c.url for c in found.citations]
    assert urls == [f"https://other{i}.example/" for i in range(4)]
    assert found.scope is not None
    (left,) = found.scope.left_out
    assert left.element == "div"
    assert left.links == 4
    assert "list of links" in left.reason
    assert "4 to the page's own site" in left.reason


def test_chrome_by_name_tag_and_share_links_is_left_out_embeds_are_not() -> None:
    body = (
        "<article>" + paragraphs(2)
        + '<div class="share-tools"><a href="https://x.example/me">Follow</a></div>'
        '<p><a href="https://www.facebook.com/sharer/sharer.php?u=x">Share</a></p>'
        '<aside><a href="https://ads.example/">Sponsored</a></aside>'
        '<div class="social-media-embed"><blockquote class="twitter-tweet"><p>Said it '
        '<a href="https://t.co/abc">https://t.co/abc</a></p></blockquote></div>'
        + paragraphs(2, '<a href="https://cited.example/">cited</a>') + "</article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [
        "https://t.co/abc",
        "https://cited.example/",
        "https://cited.example/",
    ]
    assert found.scope is not None
    reasons = [(lo.element, lo.reason) for lo in found.scope.left_out]
    assert reasons == [
        ("div.share-tools", "class 'share-tools'"),
        ("p", "a share button"),
        ("aside", "a <aside> element"),
    ]


def test_a_class_word_on_the_article_itself_does_not_hide_it() -> None:
    """Themes name posts ``author-sarah`` or ``category-news``; comments may outweigh them."""
    comments = "".join(f'<li class="comment">{PROSE} {PROSE}</li>' for _ in range(6))
    body = (
        '<article class="post author-sarah"><div class="entry-content">'
        + paragraphs(3, '<a href="https://cited.example/">cited</a>')
        + f'</div></article><ol class="comment-list">{comments}</ol>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://cited.example/"] * 3
    assert found.scope is not None
    assert found.scope.container == "article.post.author-sarah"


def test_a_wiki_keeps_its_lists_of_its_own_pages() -> None:
    see_also = "".join(f'<li><a href="/wiki/Topic_{i}">Topic {i}</a></li>' for i in range(4))
    body = (
        '<div id="mw-content-text">' + paragraphs(4, '<a href="/wiki/Port">port</a>')
        + f'<h2>See also</h2><ul>{see_also}</ul><div class="navbox">'
        '<a href="/wiki/Nav_1">Nav 1</a><a href="/wiki/Nav_2">Nav 2</a></div></div>'
    )  # fmt: skip
    urls = found_urls(page(body))
    assert [u.rsplit("/", 1)[1] for u in urls] == [
        *["Port"] * 4,
        *(f"Topic_{i}" for i in range(4)),
    ]


def test_the_densest_prose_wins_over_a_longer_comment_thread() -> None:
    thread = "".join(f'<div class="comment"><p>{PROSE}</p></div>' for _ in range(8))
    body = (
        f'<div id="comments">{thread}</div><div class="column">'
        + paragraphs(3, '<a href="https://cited.example/">cited</a>') + "</div>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert found.scope is not None
    assert (found.scope.container, found.scope.rule) == ("div.column", "text")
    assert found.scope.reason == "holds 100% of the page's prose"


def test_a_site_selector_is_tried_first_and_says_when_it_matches_nothing() -> None:
    body = (
        SITE_NAV + '<div class="story">' + paragraphs(1, '<a href="https://a.example/">a</a>')
        + '</div><div class="other">' + paragraphs(5, '<a href="https://b.example/">b</a>')
        + "</div>"
    )  # fmt: skip
    document = html_doc(page(body), base=BASE)
    chosen = BodySelectors((("news.example.org", "div.story"),))
    found = main_text(document, bodies=chosen)
    assert [c.url for c in found.citations] == ["https://a.example/"]
    assert found.scope is not None
    assert found.scope.rule == "site"
    assert found.scope.reason == "the site's configured body selector 'div.story'"
    elsewhere = BodySelectors((("*.example.com", "div.story"),))
    assert main_text(document, bodies=elsewhere) == main_text(document)
    missing = main_text(document, bodies=BodySelectors((("news.example.org", "main"),)))
    assert missing.scope is not None
    assert missing.scope.rule == "text"
    assert missing.scope.reason.startswith(
        "the site's configured body selector 'main' matched nothing; "
    )
    assert [c.url for c in missing.citations] == ["https://b.example/"] * 5


def test_main_text_is_the_article_text_and_the_same_citations_as_extract() -> None:
    body = (
        SITE_NAV + "<article><h1>Dredging</h1>"
        + paragraphs(2, '<a href="https://cited.example/">cited</a>') + "</article>"
        '<footer><a href="/privacy">Privacy</a></footer>'
    )  # fmt: skip
    document = html_doc(page(body), base=BASE)
    found = main_text(document)
    assert found.text.splitlines() == ["Dredging", f"{PROSE} cited", f"{PROSE} cited"]
    assert list(found.citations) == extract(document)
    whole = main_text(document, scope=Scope.PAGE)
    assert whole.scope is None
    assert "Council sells the old pier to a developer" in whole.text.splitlines()


def test_positions_stay_exact_and_stray_link_ends_in_chrome_are_dropped() -> None:
    body = (
        SITE_NAV + "<article>\n" + paragraphs(2)
        + '\n<p>As <a href="https://cited.example/x?a=1&amp;b=2">the report</a> says, '
        + PROSE + " a lost source</a> too.</p>\n"
        '<div class="related"><p>See also lost teaser</a></p></div>\n'
        + paragraphs(1) + "</article>"
    )  # fmt: skip
    text = page(body)
    citations = extract(html_doc(text, base=BASE))
    check_offsets(text, citations)
    assert [(c.kind.value, c.url_as_written) for c in citations] == [
        ("link", "https://cited.example/x?a=1&b=2"),
        ("lost", None),
    ]


@pytest.mark.parametrize("selector", ["div.story", "main"])
def test_selectors_apply_only_to_whole_pages_read_for_their_article(selector: str) -> None:
    fragment = Document(
        text='<p><a href="https://a.example/">a</a></p><nav><a href="/n">n</a></nav>',
        kind=html_doc("").kind,
        origin="post.html",
        base_url=BASE,
        whole_page=False,
    )
    bodies = BodySelectors((("news.example.org", selector),))
    assert extract(fragment, bodies=bodies) == extract(fragment)
    assert main_text(fragment, bodies=bodies).scope is None


def test_lists_after_a_left_out_table_are_still_judged() -> None:
    related = "".join(f'<li><a href="/story-{i}.html">Another story {i}</a></li>' for i in range(3))
    body = (
        "<article>" + paragraphs(3)
        + '<table class="promo-box"><tr><td><a href="/subscribe">Subscribe</a></td></tr></table>'
        + paragraphs(1) + f"<ul>{related}</ul></article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert found.citations == ()
    assert found.scope is not None
    assert [lo.element for lo in found.scope.left_out] == ["table.promo-box", "ul"]


def test_a_form_around_the_whole_page_is_not_chrome_but_one_in_the_article_is() -> None:
    """ASP.NET pages wrap everything in one <form>; a comment form is chrome."""
    body = (
        '<form id="aspnetForm"><div id="nav"><a href="/">Home</a> <a href="/world">World</a></div>'
        '<div class="column">' + paragraphs(3, '<a href="https://cited.example/">cited</a>')
        + '<form class="reply"><a href="/login">Log in to reply</a></form></div></form>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://cited.example/"] * 3
    assert found.scope is not None
    assert (found.scope.container, found.scope.rule) == ("div.column", "text")
    assert [(lo.element, lo.reason) for lo in found.scope.left_out] == [
        ("form.reply", "a <form> element")
    ]


def test_the_articles_table_of_contents_stays_even_in_a_nav() -> None:
    toc = "".join(f'<li><a href="#part-{i}">Part {i}</a></li>' for i in range(3))
    body = (
        "<article>" + paragraphs(1) + f'<nav class="toc"><ul>{toc}</ul></nav>'
        + "".join(f'<h2 id="part-{i}">Part {i}</h2>' + paragraphs(1) for i in range(3))
        + '<nav><a href="/prev">Previous post</a> <a href="/next">Next post</a></nav></article>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url_as_written for c in found.citations] == ["#part-0", "#part-1", "#part-2"]
    assert found.scope is not None
    assert [lo.reason for lo in found.scope.left_out] == ["a <nav> element"]


def test_a_list_that_continues_the_prose_is_the_articles() -> None:
    """ "Our guides: <ul>...</ul>" between paragraphs is content; the same list at the end
    of the article, under a heading, is a "more from" rail."""
    guides = "".join(f'<li><a href="/guides/{i}">Guide to dredging, part {i}</a></li>'
                     for i in range(3))  # fmt: skip
    body = (
        "<article>" + paragraphs(2) + f"<ul>{guides}</ul>" + paragraphs(2)
        + f"<h3>More from us</h3><ul>{guides}</ul></article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [
        f"https://news.example.org/guides/{i}" for i in range(3)
    ]
    assert found.scope is not None
    assert [lo.reason.split(":")[0] for lo in found.scope.left_out] == ["a list of links"]


def test_a_link_styled_as_a_button_is_not_a_citation() -> None:
    body = (
        "<article>" + paragraphs(2, '<a href="https://cited.example/">cited</a>')
        + '<p>The kit we used. <a class="btn btn-primary" href="https://shop.example/x">'
        "Buy now</a></p>" + paragraphs(1) + "</article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://cited.example/"] * 2
    assert found.scope is not None
    assert [lo.reason for lo in found.scope.left_out] == ["a link styled as a button (class 'btn')"]


def test_an_unclosed_header_that_swallows_the_page_is_not_chrome() -> None:
    body = (
        '<header><a href="/">Home</a><div class="column">'
        + paragraphs(3, '<a href="https://cited.example/">cited</a>') + "</div>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://cited.example/"] * 3
    assert found.scope is not None
    assert found.scope.container == "div.column"


def test_page_builder_wrappers_are_not_chrome() -> None:
    """Elementor wraps every block of a page in ``elementor-widget-*`` containers."""
    blocks = "".join(
        '<div class="elementor-widget-wrap"><div class="elementor-widget-container">'
        + paragraphs(1, f'<a href="https://cited{i}.example/">cited</a>') + "</div></div>"
        for i in range(3)
    )  # fmt: skip
    body = SITE_NAV + f'<div class="elementor-section">{blocks}</div>'

    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [f"https://cited{i}.example/" for i in range(3)]


@pytest.mark.parametrize(
    ("href", "own"),
    [
        ("/2024/05/other.html", True),
        ("other.html", True),
        ("https://news.example.org/x", True),
        ("HTTPS://WWW.News.Example.org:443/x", True),
        ("//news.example.org/x?y#z", True),
        ("https://user@news.example.org/x", True),
        ("https://news.example.org.evil.example/x", False),
        ("https://example.org/x", False),
        ("mailto:desk@news.example.org", False),
        ("#top", False),
    ],
)
def test_which_links_lead_to_the_pages_own_site(href: str, own: bool) -> None:
    items = "".join(f'<li><a href="{href}">Another story {i}</a></li>' for i in range(3))
    body = "<article>" + paragraphs(3) + f"<h3>More</h3><ul>{items}</ul></article>"
    found = main_text(html_doc(page(body), base=BASE))
    assert found.scope is not None
    assert (len(found.scope.left_out) == 1) is own


def test_a_link_standing_alone_in_a_block_is_a_teaser_not_a_citation() -> None:
    """A link that is all the text of a bare <div> is a button or a teaser card; the same
    link in a paragraph, a list item or a table cell, or to the page's own parts, stays."""
    body = (
        "<article>" + paragraphs(2, '<a href="https://cited.example/">cited</a>')
        + '<div class="card"><a href="/reviews/kit">Read the full review</a></div>'
        + '<p><a href="https://alone.example/p">A paragraph that is only a link</a></p>'
        + '<ul><li><a href="https://item.example/">An item that is only a link</a></li></ul>'
        + '<table><tr><td><div><a href="https://cell.example/">A cell</a></div></td></tr></table>'
        + '<div><a href="#part-2">Skip to part two</a></div>' + paragraphs(1) + "</article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url_as_written for c in found.citations] == [
        "https://cited.example/", "https://cited.example/", "https://alone.example/p",
        "https://item.example/", "https://cell.example/", "#part-2",
    ]  # fmt: skip
    assert found.scope is not None
    assert [(lo.element, lo.reason) for lo in found.scope.left_out] == [
        ("a", "a link standing alone outside the prose (a button, a teaser)")
    ]


def test_a_byline_and_an_invitation_to_subscribe_are_not_citations() -> None:
    """A short "By <a>name</a>" line names the author, and a short paragraph whose link
    invites the reader ("Subscribe to ...", "Join our forums") promotes the site: the
    same words in a sentence of prose, and a line starting "By 2030", stay."""
    body = (
        '<article><p class="dek">By <a href="/author/jane-doe">Jane Doe</a></p>'
        + paragraphs(2, '<a href="https://cited.example/">cited</a>')
        + '<p>Need more news? <a href="https://subscribe.example/">Subscribe to our'
        " newsletter</a></p>"
        + '<p>By 2030 <a href="https://plan.example/">the plan</a> is due.</p>'
        + '<p>You can also <a href="https://letter.example/">subscribe to this'
        " newsletter</a> for the rest.</p>"
        + paragraphs(1)
        + '<p><a href="https://forums.example/">Join our forums</a> to keep talking.</p>'
        + "</article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [
        "https://cited.example/", "https://cited.example/", "https://plan.example/",
        "https://letter.example/",
    ]  # fmt: skip
    assert found.scope is not None
    assert [lo.reason for lo in found.scope.left_out] == [
        "a byline (the author's page, not a source)",
        "an invitation to subscribe, join or follow (the site's, not a source)",
        "an invitation to subscribe, join or follow (the site's, not a source)",
    ]


def test_a_link_that_moves_within_the_page_is_a_control_not_a_citation() -> None:
    """ "Jump to Recipe", "Read more ↓" and "Back to top" to a part of the page are the
    page's controls; a table of contents, an in-text link to a section and the same
    words to another page stay."""
    toc = '<ul><li><a href="#method">Method</a></li><li><a href="#notes">Notes</a></li></ul>'
    body = (
        "<article>" + '<p><a href="#method">Jump to Recipe</a></p>' + toc
        + paragraphs(2, '<a href="https://cited.example/">cited</a>')
        + '<h2 id="method">Method</h2><p>Whisk the eggs as <a href="#notes">the notes'
        " say</a>, then fold in the flour. <a href='#notes'>Read more ↓</a></p>"
        + paragraphs(1) + '<h2 id="notes">Notes</h2>'
        + '<p><a href="https://elsewhere.example/guide">Read more</a> about flour.</p>'
        + '<p class="end"><a href="#">Back to top</a></p></article>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url_as_written for c in found.citations] == [
        "#method", "#notes", "https://cited.example/", "https://cited.example/",
        "#notes", "https://elsewhere.example/guide",
    ]  # fmt: skip
    assert found.scope is not None
    assert [lo.reason for lo in found.scope.left_out] == [
        "a link that moves within the page ('Back to top', 'Jump to ...')"
    ] * 3


def test_what_follows_the_articles_text_in_its_marked_container_is_its_footer() -> None:
    """An <article> whose text is one block: the blocks after that block (an author
    box, a "back to the blog" line) are the theme's footer, however they are named;
    a reference list and a table after it, and what holds a tenth of the prose (the
    article going on), stay."""
    refs = "".join(f'<li><a href="https://ref{i}.example/">Source {i}</a></li>' for i in range(2))
    body = (
        SITE_NAV + "<article><h1>The dredging bill</h1>"
        + '<div class="c-1">' + paragraphs(8, '<a href="https://cited.example/">cited</a>')
        + "</div>"
        + '<div class="c-2"><p>Jane Doe covers ports and shipping for the paper from'
        ' Rotterdam. <a href="/people/jane-doe">More from Jane</a></p></div>'
        + f'<div class="c-3"><h2>Sources</h2><ol>{refs}</ol></div>'
        + '<div class="c-4"><table><tr><td><a href="https://data.example/">Data</a></td>'
        "</tr></table></div>"
        + '<div class="c-5"><p><a href="/blog">Back to the blog</a> · Filed in ports</p></div>'
        + '<div class="c-6">' + paragraphs(1, '<a href="https://late.example/">late</a>')
        + "</div></article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [
        *["https://cited.example/"] * 8,
        "https://ref0.example/", "https://ref1.example/", "https://data.example/",
        "https://late.example/",
    ]  # fmt: skip
    assert found.scope is not None
    assert found.scope.container == "article"
    assert [(lo.element, lo.reason.split(" (")[0]) for lo in found.scope.left_out] == [
        ("div.c-2", "after the article's text"),
        ("div.c-5", "after the article's text"),
    ]


def test_the_articles_table_of_contents_in_a_sidebar_outside_it_is_the_articles() -> None:
    """A theme that puts the table of contents in a sticky sidebar beside the article:
    its links (``#part`` or the page's own address with a fragment) are the article's;
    the rest of the sidebar and the page is not."""
    toc = "".join(f'<li><a href="{BASE}#part-{i}">Part {i}</a></li>' for i in range(3))
    body = (
        SITE_NAV + '<div class="layout"><div class="sidebar sticky">'
        + f'<div class="toc"><ul>{toc}</ul></div>'
        + '<ul class="newsletter"><li><a href="/subscribe">Subscribe</a></li>'
        + '<li><a href="/feeds">Feeds</a></li></ul></div>'
        + '<div class="story">'
        + "".join(f'<h2 id="part-{i}">Part {i}</h2>'
                  + paragraphs(2, f'<a href="https://src{i}.example/">source</a>')
                  for i in range(3))
        + "</div></div>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    urls = [c.url for c in found.citations]
    assert urls == [f"{BASE}#part-{i}" for i in range(3)] + [
        f"https://src{i}.example/" for i in range(3) for _ in range(2)
    ]
    assert found.scope is not None
    assert found.scope.container == "div.story"
    assert found.scope.reason.endswith("with its table of contents div.toc (3 links)")
    assert "Part 0\nPart 1\nPart 2\nPart 0\n" in found.text
    check_offsets(page(body), list(found.citations))


def test_two_links_to_one_part_of_the_page_are_no_table_of_contents() -> None:
    body = (
        SITE_NAV
        + '<div class="sidebar"><div><a href="#comments">New,</a> '
        '<a href="#comments">15 comments</a></div></div>'
        '<div class="story">' + paragraphs(3) + '<div id="comments"></div></div>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert found.citations == ()
    assert found.scope is not None
    assert "table of contents" not in found.scope.reason


def test_a_main_that_adds_little_prose_around_the_article_is_layout() -> None:
    """<main> holding the article and a sidebar of teasers: the article is taken
    without the sidebar, and the decision says why <main> was not."""
    rail = "".join(
        f'<p><a href="https://partner{i}.example/">Partner offer {i}</a> for readers.</p>'
        for i in range(4)
    )
    body = (
        f'<main><div class="story">{paragraphs(6, "<a href=/cited>cited</a>")}</div>'
        f'<div class="rail">{rail}</div></main>'
    )
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://news.example.org/cited"] * 6
    assert found.scope is not None
    assert (found.scope.container, found.scope.rule) == ("div.story", "text")
    assert found.scope.reason.endswith("the <main> around it adds little prose (page layout)")


def test_a_headings_id_is_its_text_not_a_region_name() -> None:
    """``<h2 id="popular-ev-models">``: the id is the heading's slug (the table of
    contents' target), so its words name no chrome; a heading's class still can."""
    body = (
        "<article>" + paragraphs(2)
        + '<h2 id="why-social-media-matters"><a href="https://src.example/">Why social'
        " media matters</a></h2>" + paragraphs(2)
        + '<h2 class="comments-title">3 comments</h2></article>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == ["https://src.example/"]
    assert "Why social media matters" in found.text
    assert "3 comments" not in found.text


def test_finding_the_body_stays_linear_with_thousands_of_links_to_the_page_itself() -> None:
    """A menu of ``href="#"`` toggles beside the article: every list around them is
    judged as a table of contents once, not once per link (it was quadratic)."""

    def make(n: int) -> Callable[[], object]:
        menu = "".join(f'<li><a href="#">Item {i}</a></li>' for i in range(n))
        root = lxml.html.document_fromstring(
            page(SITE_NAV + f'<div class="side"><ul>{menu}</ul></div>'
                 + f'<div class="story">{paragraphs(20)}<div id="x"></div></div>')
        )  # fmt: skip
        return lambda: find_body(root)

    assert_linear(make, 1_000, times=8)


def test_a_marker_holding_almost_none_of_the_densest_prose_is_a_card_in_it() -> None:
    """An <article> (a contact card) inside the prose's container, holding almost none of
    its prose, is not the article: the prose around it is."""
    card = '<article class="node contact"><p><a href="/contact">Write to us</a></p></article>'
    body = (
        SITE_NAV + '<div class="chapters">'
        + "".join('<section class="chapter">'
                  + paragraphs(2, f'<a href="https://src{i}.example/">source</a>') + "</section>"
                  for i in range(3))
        + f'<section class="chapter">{card}</section></div>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    urls = [c.url for c in found.citations]
    assert [u for u in urls if u and u.startswith("https://src")] == [
        f"https://src{i}.example/" for i in range(3) for _ in range(2)
    ]
    assert found.scope is not None
    assert found.scope.container == "div.chapters"
    assert found.scope.rule == "text"


def test_a_sub_list_inside_a_kept_list_is_the_lists() -> None:
    """Items with sub-lists of the site's own posts ("our guide to X") are the article's
    list, not a "more from" rail: only lists standing on their own are judged."""
    sub = "".join(f'<li><a href="/2024/guide-{i}">Our guide to dredging {i}</a>, too</li>'
                  for i in range(3))  # fmt: skip
    body = (
        "<article>" + paragraphs(3)
        + f"<ul><li>{PROSE}<ul>{sub}</ul></li><li>{PROSE}</li></ul>"
        + paragraphs(2) + "</article>"
    )  # fmt: skip
    urls = found_urls(page(body))
    assert urls == [f"https://news.example.org/2024/guide-{i}" for i in range(3)]


def test_a_sidebar_table_of_contents_whose_ids_a_script_adds_is_the_articles() -> None:
    """A table of contents plugin that gives the headings their ids when the page loads:
    the served page has ``#4oxo-brew-9cup`` links and no such ids, only the headings'
    text ("4. OXO Brew 9-Cup"); the fragments are matched to the headings by it."""
    names = ["How I tested", "4. OXO Brew 9-Cup", "Café Specialty"]
    slugs = ["how-i-tested", "4oxo-brew-9cup", "café-specialty"]
    toc = "".join(f'<li><a href="#{s}">{n}</a></li>' for s, n in zip(slugs, names, strict=True))
    body = (
        SITE_NAV + '<div class="layout"><div class="story">'
        + "".join(f"<h2>{n}</h2>" + paragraphs(1, '<a href="https://src.example/">source</a>')
                  for n in names)
        + f'</div><aside class="sidebar"><nav class="toc"><ul>{toc}</ul></nav></aside></div>'
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url_as_written for c in found.citations] == [
        *["https://src.example/"] * 3,
        *(f"#{s}" for s in slugs),
    ]
    assert found.scope is not None
    assert found.scope.reason.endswith("with its table of contents aside.sidebar (3 links)")


def test_an_article_cut_into_blocks_of_one_kind_is_taken_whole() -> None:
    """A site builder's article: rich-text blocks around a table drawn apart.  The
    densest block is one part; the like-named blocks beside it are the rest, the
    table between them too, and the sidebar is not."""
    table = "".join(f'<tr><td><a href="https://firm{i}.example/">Firm {i}</a></td></tr>'
                    for i in range(3))  # fmt: skip
    body = (
        SITE_NAV + '<div class="post">'
        + '<div class="rich-text">' + paragraphs(2, '<a href="https://intro.example/">i</a>')
        + f'</div><div class="table-scroll"><table>{table}</table></div>'
        + '<div class="rich-text">' + paragraphs(5, '<a href="https://main.example/">m</a>')
        + '</div><div class="sidebar"><p><a href="/subscribe">Subscribe to the letter</a></p></div>'
        + "</div>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [
        *["https://intro.example/"] * 2,
        *(f"https://firm{i}.example/" for i in range(3)),
        *["https://main.example/"] * 5,
    ]
    assert found.scope is not None
    assert found.scope.container == "div.rich-text"
    assert found.scope.reason.endswith("named like it, and what lies between (2)")


def test_the_header_of_a_part_of_the_article_is_the_articles() -> None:
    """A listicle's parts each open with a <header> holding the linked name: that is
    the part's heading; the article's own <header> (its byline) is still left out."""
    parts = "".join(
        f'<section class="item"><header><h3><a href="https://trail{i}.example/">Trail {i}'
        f"</a></h3></header>{paragraphs(2)}</section>"
        for i in range(3)
    )
    body = (
        SITE_NAV + '<article class="story"><header><a href="/authors/kim">Kim Lee</a></header>'
        + parts + "</article>"
    )  # fmt: skip
    found = main_text(html_doc(page(body), base=BASE))
    assert [c.url for c in found.citations] == [f"https://trail{i}.example/" for i in range(3)]
    assert found.scope is not None
    assert [lo.reason for lo in found.scope.left_out] == ["a <header> element"]
