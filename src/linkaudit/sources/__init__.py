"""Sources: turn what the user names (file, URL, stdin) into ``Document`` objects.

One interface for every kind: ``load_source(spec, options) -> list[Document]``.
Each kind lives in its own module (``html``, ``wordpress``, ``markdown``,
``url``); ``loader`` picks one.  Inputs are untrusted: every failure is an
``InputError`` with one line, and damaged-but-readable input becomes a Document
with ``warnings`` rather than an error.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from linkaudit import DEFAULT_USER_AGENT
from linkaudit.sources.base import DEFAULT_MAX_BYTES, SourceOptions
from linkaudit.sources.loader import STDIN, load_file, load_source, load_stream

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "STDIN",
    "SourceOptions",
    "example_path",
    "load_file",
    "load_source",
    "load_stream",
]


def example_path() -> Path:
    """The bundled example article, as a real file path (for demos and ``extract``).

    The package is installed as plain files (setuptools package-data), so the
    resource already is a file; ``as_file`` would only matter inside a zip.
    """
    resource = files("linkaudit") / "data" / "example" / "article.html"
    with as_file(resource) as path:
        return Path(path)
