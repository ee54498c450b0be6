"""Extraction: every citation of a Document, in document order (see DESIGN.md, Citations).

``extract`` dispatches on the document kind: HTML pages (scoped to the article
body unless ``Scope.PAGE``), WordPress bodies (already just the article) and
Markdown.  It never raises on odd input: what cannot be parsed yields fewer
citations, not a crash.
"""

from __future__ import annotations

from linkaudit.extract.html import article_root, extract_html
from linkaudit.extract.markdown import extract_markdown
from linkaudit.extract.text import TextURL, find_text_urls
from linkaudit.model import Citation, Document, DocumentKind, Scope

__all__ = [
    "TextURL",
    "article_root",
    "extract",
    "extract_html",
    "extract_markdown",
    "find_text_urls",
]


def extract(document: Document, *, scope: Scope = Scope.ARTICLE) -> list[Citation]:
    """All citations of ``document`` in document order, pre-classified where no check is needed."""
    if document.kind is DocumentKind.MARKDOWN:
        return extract_markdown(document)
    if document.kind is DocumentKind.WORDPRESS:
        return extract_html(document, scope=Scope.PAGE, whole_page=False)
    return extract_html(document, scope=scope)
