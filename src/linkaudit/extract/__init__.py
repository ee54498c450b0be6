"""Extraction: every citation of a Document, in document order (see DESIGN.md, Citations).

``extract`` dispatches on the document kind: HTML pages (scoped to the article
body unless ``Scope.PAGE``), WordPress bodies (already just the article) and
Markdown.  It never raises on odd input: what cannot be parsed yields fewer
citations, not a crash.  ``main_text`` gives the same walk's article text with
its citations and, for a web page, how the article body was found: the one
answer to "what is the article" that scope and content drift share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from linkaudit import _lazy
from linkaudit.extract.body import LeftOut, ScopeDecision
from linkaudit.extract.context import collapse
from linkaudit.extract.html import SEP, article_body, extract_html, read_html
from linkaudit.extract.text import TextURL, find_text_urls
from linkaudit.model import NO_SELECTORS, BodySelectors, Citation, Document, DocumentKind, Scope

if TYPE_CHECKING:  # imported for a Markdown document only (issue 17)
    from linkaudit.extract.markdown import extract_markdown

__all__ = [
    "LeftOut",
    "MainText",
    "ScopeDecision",
    "TextURL",
    "article_body",
    "extract",
    "extract_html",
    "extract_markdown",
    "find_text_urls",
    "main_text",
]


def extract(
    document: Document, *, scope: Scope = Scope.ARTICLE, bodies: BodySelectors = NO_SELECTORS
) -> list[Citation]:
    """All citations of ``document`` in document order, pre-classified where no check is needed.

    ``bodies`` names the article body on configured sites (tried before the
    heuristics, for full web pages under ``Scope.ARTICLE``).
    """
    if document.kind is DocumentKind.MARKDOWN:
        from linkaudit.extract.markdown import extract_markdown

        return extract_markdown(document)
    if document.kind is DocumentKind.WORDPRESS:
        return extract_html(document, scope=Scope.PAGE, whole_page=False)
    return extract_html(document, scope=scope, bodies=bodies)


@dataclass(frozen=True)
class MainText:
    """The article's text and its links: what a reader reads, and what it cites.

    ``text``: the visible text of the article, one block (paragraph, list item,
    table row, heading) per line, whitespace collapsed: a stable basis for
    comparing two versions of a page.  ``citations``: what :func:`extract` gives
    for the same document and options.  ``scope``: for a full web page read with
    ``Scope.ARTICLE``, which container was taken as the article and why, and what
    inside it was left out; None otherwise.
    """

    text: str
    citations: tuple[Citation, ...]
    scope: ScopeDecision | None = None


def main_text(
    document: Document, *, scope: Scope = Scope.ARTICLE, bodies: BodySelectors = NO_SELECTORS
) -> MainText:
    """The article's text and its links, from the same walk that extraction makes.

    For Markdown the text is the source itself (its markup is the reader's text
    closely enough to compare versions).
    """
    if document.kind is DocumentKind.MARKDOWN:
        from linkaudit.extract.markdown import extract_markdown

        return MainText(document.text, tuple(extract_markdown(document)))
    if document.kind is DocumentKind.WORDPRESS:
        read = read_html(document, scope=Scope.PAGE, whole_page=False)
    else:
        read = read_html(document, scope=scope, bodies=bodies)
    return MainText(_lines(read.flat), tuple(read.citations), read.scope)


def _lines(flat: str) -> str:
    """Flat walk text as lines: one per block, whitespace collapsed, empty blocks dropped."""
    blocks = (collapse(block) for block in flat.split(SEP))
    return "\n".join(block for block in blocks if block)


__getattr__ = _lazy.attributes(__name__, {"extract_markdown": "linkaudit.extract.markdown"})
