"""One entry point for every input: pick the reader by what the user named.

Files are dispatched by extension where the extension is trustworthy
(``.md``, ``.json``, ``.html``) and by content otherwise: scrapers save
WordPress JSON as ``.txt``, and stdin has no name at all.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from linkaudit.errors import InputError
from linkaudit.model import Document
from linkaudit.sources._decode import bom_length, decode, refuse_unreadable
from linkaudit.sources.base import SourceOptions, read_bounded
from linkaudit.sources.html import load_html_bytes

# The other kinds (Markdown, WordPress JSON, a URL) are imported when an input is
# one: ``check page.html`` imports the HTML reader alone (issue 17).

STDIN = "-"
STDIN_ORIGIN = "<stdin>"
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
_HTML_START = re.compile(r"^\s*<")
_HTML_TAG = re.compile(r"<(?:a|p|div|span|article|body|html|br|img)\b[^>]*>", re.IGNORECASE)
_MARKDOWN_SIGNS = re.compile(r"^ {0,3}#{1,6}[ \t]|\]\(|^ {0,3}[-*+][ \t]|^\[[^\]]+\]:", re.M)

#: Asked with a Markdown or HTML file's name and the sha256 of its bytes: what
#: stands in for its document until a warm run knows whether it needs parsing
#: (``linkaudit.reuse.Unparsed``), or None to parse it now.
StandIn = Callable[[str, str], Document | None]


def load_source(
    spec: str, options: SourceOptions | None = None, stand_in: StandIn | None = None
) -> list[Document]:
    """Read the article(s) named by ``spec``: ``-`` (stdin), an http(s) URL, or a file.

    Returns one Document per article (a WordPress list gives several).  Every
    failure is an ``InputError`` with a one-line message naming the input.
    """
    options = options or SourceOptions()
    if spec == STDIN:
        return load_stream(sys.stdin.buffer, STDIN_ORIGIN, options)
    if spec.lower().startswith(("http://", "https://")):
        from linkaudit.sources.url import load_url

        return load_url(spec, options)
    return load_file(Path(spec), options, stand_in)


def load_stream(stream: BinaryIO, origin: str, options: SourceOptions) -> list[Document]:
    """Read an unnamed byte stream (stdin), deciding its kind from its content."""
    try:
        data = read_bounded(stream, origin, options.max_bytes)
    except OSError as exc:
        raise InputError(f"{origin}: cannot read ({exc.strerror or exc})") from None
    return load_sniffed(data, origin, options)


def load_file(
    path: Path, options: SourceOptions, stand_in: StandIn | None = None
) -> list[Document]:
    origin = str(path)
    try:
        with open(origin, "rb") as stream:  # a directory raises IsADirectoryError
            data = read_bounded(stream, origin, options.max_bytes)
    except IsADirectoryError:
        raise InputError(f"{origin}: is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{origin}: no such file") from None
    except PermissionError:
        raise InputError(f"{origin}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{origin}: cannot read ({exc.strerror or exc})") from None
    # The hash of exactly what was audited lets ``fix --in-place`` refuse a file
    # that changed since.
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if stand_in is not None and (suffix in MARKDOWN_SUFFIXES or suffix in HTML_SUFFIXES):
        refuse_unreadable(data, origin)  # what loading them would refuse, refused now
        document = stand_in(origin, digest)
        if document is not None:
            return [document]
    if suffix in MARKDOWN_SUFFIXES:
        from linkaudit.sources.markdown import load_markdown_bytes

        return [load_markdown_bytes(data, origin, options, sha256=digest)]
    if suffix in HTML_SUFFIXES:
        return [load_html_bytes(data, origin, options, sha256=digest)]
    if suffix == ".json":
        from linkaudit.sources.wordpress import load_wordpress_bytes

        documents = load_wordpress_bytes(data, origin, options)
    else:
        documents = load_sniffed(data, origin, options)
    return [replace(doc, sha256=digest) for doc in documents]


def load_sniffed(data: bytes, origin: str, options: SourceOptions) -> list[Document]:
    """Decide between WordPress JSON, HTML and Markdown from the content itself."""
    # Decoded once to look; HTML is decoded again with <meta charset> honoured.
    decoded = decode(data, origin)
    text = decoded.text
    from linkaudit.sources.wordpress import looks_like_wordpress, wordpress_documents

    if looks_like_wordpress(text):
        return wordpress_documents(
            text,
            origin=origin,
            options=options,
            encoding=decoded.encoding,
            warnings=decoded.warnings,
            byte_base=bom_length(data),
        )
    if _looks_like_html(text):
        return [load_html_bytes(data, origin, options)]
    from linkaudit.sources.markdown import markdown_document

    return [
        markdown_document(
            text,
            origin=origin,
            options=options,
            encoding=decoded.encoding,
            warnings=decoded.warnings,
        )
    ]


def _looks_like_html(text: str) -> bool:
    """HTML if it starts with a tag; else if it has HTML tags and no Markdown syntax."""
    if _HTML_START.match(text):
        return True
    head = text[:65536]
    return _HTML_TAG.search(head) is not None and _MARKDOWN_SIGNS.search(head) is None
