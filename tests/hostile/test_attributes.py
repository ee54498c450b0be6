"""One element with a flood of attributes: libxml2 compares each with all earlier ones."""

from __future__ import annotations

from linkaudit.extract import extract
from linkaudit.extract.html import _parse
from linkaudit.extract.source import tokenize
from linkaudit.htmlguard import MAX_ATTRIBUTES, tame_attributes
from linkaudit.model import Document, DocumentKind, Scope


def _flood(count: int) -> str:
    attributes = "\n".join(f"data-a{i}='x>y'" if i % 7 else f"data-a{i}=x" for i in range(count))
    return f'<html><body><p {attributes} href="https://kept.example/">text <a href="https://cited.example/">cited</a></p>'


def test_the_parser_sees_at_most_the_cap_of_attributes_on_an_element() -> None:
    text = _flood(MAX_ATTRIBUTES * 4)
    root = _parse(text, tokenize(text))
    assert root is not None
    [paragraph] = root.iter("p")
    assert len(paragraph.attrib) <= MAX_ATTRIBUTES + 1
    assert paragraph.get("href") == "https://kept.example/"  # URL attributes survive the cap


def test_taming_keeps_every_offset_and_line() -> None:
    text = _flood(MAX_ATTRIBUTES * 4)
    tamed = tame_attributes(text)
    assert tamed != text
    assert len(tamed) == len(text)
    assert [i for i, c in enumerate(tamed) if c == "\n"] == [
        i for i, c in enumerate(text) if c == "\n"
    ]
    assert tamed[text.index("<a ") :] == text[text.index("<a ") :]


def test_ordinary_pages_are_not_copied() -> None:
    text = "<p class=a id=b>" * 1000 + "<a href=x>" + "y" * 10_000
    assert tame_attributes(text) is text


def test_citations_after_the_flood_keep_their_source_offsets() -> None:
    text = _flood(MAX_ATTRIBUTES * 4)
    document = Document(
        text=text,
        kind=DocumentKind.HTML,
        origin="flood.html",
        base_url="https://site.example/",
        site="https://site.example",
    )
    cites = extract(document, scope=Scope.PAGE)
    cited = [c for c in cites if c.url == "https://cited.example/"]
    assert cited
    assert cited[0].location.offset == text.index("https://cited.example/")


def test_a_huge_tag_is_scanned_without_backtracking_state_per_character() -> None:
    """The start-tag pattern repeated a group one character at a time, and Python's
    regex engine keeps backtracking state for each repetition: 227 MB for one tag of
    100,000 attributes (1.3 MB) before a single attribute was blanked."""
    import tracemalloc

    text = "<p " + " ".join(f"data-a{i}=x" for i in range(100_000)) + "><a href=/x>x</a></p>"
    tracemalloc.start()
    try:
        tamed = tame_attributes(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tamed) == len(text)
    assert peak < 8 * len(text), peak  # the result and its pieces, not 170 B a character
