"""The one markdown-it configuration: extraction and ``fix`` both parse with it.

``fix`` rewrites Markdown link targets at offsets it finds by parsing the source
itself, so its offsets are only right if it sees exactly the links extraction
reported.  Both therefore take their parser from :func:`markdown_parser`; ``fix``
adds its span-recording hooks on top of it and never declares a configuration
of its own.

CommonMark plus tables, raw HTML on, no linkify.  Two markdown-it defaults are
switched off on purpose: link normalisation (we want the URL as the author
wrote it, for reports and repairs) and link validation (it silently turns
``javascript:`` links into text; an auditor must see them, to report them as
skipped).

Importing this module imports markdown-it, so ``linkaudit.extract.markdown``
imports it only when it first meets Markdown.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

__all__ = ["markdown_parser"]


class _AsWritten(MarkdownIt):
    """markdown-it that keeps every link destination exactly as written."""

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link

    def validateLink(self, url: str) -> bool:
        return True


def markdown_parser() -> MarkdownIt:
    """A new parser with linkaudit's Markdown configuration (see the module docstring).

    A new instance each call, so a caller may add rules or hooks to its own
    (``fix`` does) without changing what anyone else parses.
    """
    return _AsWritten("commonmark", {"linkify": False, "html": True}).enable("table")
