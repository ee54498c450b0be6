"""Lost links from closing tags alone, and ``<a>`` without a usable href."""

from __future__ import annotations

from linkaudit.extract import extract
from linkaudit.model import CitationKind, DocumentKind, Scope, Verdict

from .conftest import html_doc


def lost(text: str, **kwargs: object) -> list[tuple[str, str]]:
    doc = html_doc(text, whole_page=False, kind=DocumentKind.WORDPRESS)
    return [(c.text, c.reason) for c in extract(doc, **kwargs) if c.verdict is Verdict.LOST]  # type: ignore[arg-type]


def test_stray_end_tag_text_behind_inline_wrappers() -> None:
    text = "We <b>recently </b>floated the idea</span></em></a> that it works.</p>"
    assert lost(text) == [("floated the idea", "stripped_link")]


def test_stray_end_without_wrappers_and_entities() -> None:
    assert lost("Read the report &amp; data</a>.</p>") == [
        ("Read the report & data", "stripped_link")
    ]


def test_balanced_links_are_not_lost() -> None:
    text = "<p><a href='https://a.example/'>a</a> and <a href='https://b.example/'><span>b</span></a></p>"
    assert lost(text) == []


def test_long_run_keeps_the_last_clause() -> None:
    text = (
        "<p>"
        + "A long opening sentence that goes on and on. " * 5
        + "Then the linked words</a> end.</p>"
    )
    ((anchor, _reason),) = lost(text)
    assert anchor == "Then the linked words"


def test_stray_in_chrome_is_outside_article_scope() -> None:
    text = (
        "<html><body><nav>menu item</a></nav><article><p>Body text that is long enough to count "
        "as a paragraph, with a lost link</a> in it.</p></article></body></html>"
    )
    doc = html_doc(text)
    article = [c.text for c in extract(doc, scope=Scope.ARTICLE) if c.kind is CitationKind.LOST]
    page = [c.text for c in extract(doc, scope=Scope.PAGE) if c.kind is CitationKind.LOST]
    assert len(article) == 1
    assert article[0].endswith("with a lost link")
    assert page == ["menu item", *article]


def test_named_anchors_and_scripted_controls_are_not_lost() -> None:
    text = (
        "<p><a name='n'></a><a id='i'>Heading</a><a onclick='go()'>Go</a>"
        "<a role='button'>B</a><a></a></p>"
    )
    assert lost(text) == []


def test_lost_citation_order_with_real_links() -> None:
    text = "<p>one</a> <a href='https://two.example/'>two</a> three</a></p>"
    doc = html_doc(text, whole_page=False, kind=DocumentKind.WORDPRESS)
    assert [(c.text, c.kind) for c in extract(doc)] == [
        ("one", CitationKind.LOST),
        ("two", CitationKind.LINK),
        ("three", CitationKind.LOST),
    ]
