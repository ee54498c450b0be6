"""The extraction cache: each document's citations, so a warm run does not re-parse
files that have not changed.

A cached answer can never be stale because its key is a hash of everything
extraction reads: the document's text (hashed as decoded, besides the ``sha256``
of the file's bytes), its origin (citations carry it), kind, base URL, site and
``whole_page``, the run's ``scope`` and the body selector configured for the
document's site, and the extractor itself (linkaudit's
version, :data:`EXTRACT_FORMAT`, a fingerprint of the extraction source files and
the versions of Python, lxml/libxml2 and, for Markdown, markdown-it, whose
parsers decide what is found).  Extraction emits no warnings of its own (a document's ``warnings``
come from loading it and travel with the Document), so citations are all there is
to keep.

Only documents read from files (``sha256`` set) are cached: a URL or stdin is
read afresh every run.  Growth is bounded: a put replaces every other row of the
same origin (an older version of the file is dead weight), and rows no run has
used for ``max_age`` are pruned (a row in use is re-stamped once per half
``max_age``, not on every read).  Puts are buffered and written by :meth:`flush` in one
transaction, so a cold run over thousands of files costs one commit, not one per
file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import linkaudit
from linkaudit.model import (
    NO_SELECTORS,
    BodySelectors,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Relation,
    Scope,
    Verdict,
    as_utc,
)
from linkaudit.store.base import Clock, Database, DatabaseError, chunks, warn_once
from linkaudit.store.codec import dump_time, load_json

#: Bump when the stored citation encoding (:func:`encode_citations`) changes.
EXTRACT_FORMAT: Final = 1

#: Rows no run has used for this long are pruned (e.g. of files deleted or renamed).
DEFAULT_MAX_AGE: Final = timedelta(days=30)

_KINDS: Final = {k.value: k for k in CitationKind}
_RELATIONS: Final = {r.value: r for r in Relation}
_VERDICTS: Final = {v.value: v for v in Verdict}


def extractor_files() -> list[Path]:
    """Source files whose code decides what extraction returns: the extractors and
    every module of linkaudit they import (``tests/store/test_code_fingerprints.py``
    fails when an import is added that this list does not name)."""
    root = Path(linkaudit.__file__).parent
    return [
        *sorted((root / "extract").glob("*.py")),
        *(root / name for name in _EXTRACTOR_MODULES),
        Path(__file__),
    ]


#: The modules outside ``extract/`` that extraction imports.
_EXTRACTOR_MODULES = (
    "__init__.py",
    "_lazy.py",
    "hosts.py",
    "htmlguard.py",
    "model.py",
    "reasons.py",
    "urls.py",
)


@functools.cache
def extractor_version(kind: DocumentKind = DocumentKind.HTML) -> str:
    """Everything about the code that extracting a ``kind`` document depends on.

    The source fingerprint means an edited extractor misses even without a version
    bump (an editable install during development); where the sources cannot be
    read (a frozen build), the version numbers alone stand.  markdown-it's version
    counts for Markdown documents alone: importing the package for its version
    number cost an HTML-only run 30-50 ms before its first request.
    """
    import lxml.etree

    code = hashlib.sha256()
    for path in extractor_files():
        try:
            code.update(path.read_bytes())
        except OSError:
            code.update(b"?")
        code.update(b"\x00")
    parts: list[object] = [
        linkaudit.__version__,
        EXTRACT_FORMAT,
        list(sys.version_info[:2]),
        list(lxml.etree.LXML_VERSION),
        list(lxml.etree.LIBXML_VERSION),
        code.hexdigest(),
    ]
    if kind is DocumentKind.MARKDOWN:
        parts.append(_markdown_it_version())
    return json.dumps(parts)


def _markdown_it_version() -> str:
    """markdown-it's version, read from its package's source when it is not imported
    yet: importing it (about 60 modules, 25-30 ms) only for this cost every run with
    Markdown documents whose extraction was cached, a warm run above all."""
    module = sys.modules.get("markdown_it")
    if module is None:
        spec = importlib.util.find_spec("markdown_it")
        if spec is not None and spec.origin:
            try:
                text = Path(spec.origin).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            found = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
            if found is not None:
                return found.group(1)
        import markdown_it

        return str(markdown_it.__version__)
    return str(module.__version__)


def extract_key(
    document: Document, scope: Scope, bodies: BodySelectors = NO_SELECTORS
) -> str | None:
    """The cache key of ``document`` extracted with ``scope`` and ``bodies``; None: do
    not cache.  Of ``bodies`` only the selector for the document's site counts."""
    if document.sha256 is None:
        return None
    text = hashlib.sha256(document.text.encode("utf-8", "surrogatepass")).hexdigest()
    material = json.dumps(
        [
            extractor_version(document.kind),
            document.sha256,
            text,
            document.origin,
            document.kind.value,
            document.base_url,
            document.site,
            document.whole_page,
            scope.value,
            bodies.selector_for(document),
        ]
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def encode_citations(citations: Sequence[Citation]) -> str:
    """One JSON list per citation, fields in order (``document`` is the key's origin).

    ASCII-only JSON: a lone surrogate in a field is escaped, so SQLite's UTF-8
    never refuses it.
    """
    return json.dumps(
        [
            [
                c.kind.value,
                c.url_as_written,
                c.url,
                c.key,
                c.text,
                c.context,
                c.location.line,
                c.location.column,
                c.location.paragraph,
                c.location.offset,
                c.element,
                c.attribute,
                list(c.rel),
                c.relation.value,
                None if c.verdict is None else c.verdict.value,
                c.reason,
            ]
            for c in citations
        ],
        separators=(",", ":"),
    )


def decode_citations(text: str, origin: str) -> list[Citation]:
    """The citations :func:`encode_citations` wrote; raises ValueError, KeyError or
    TypeError on anything else."""
    rows: list[list[Any]] = load_json(text)
    kinds, relations, verdicts = _KINDS, _RELATIONS, _VERDICTS
    out: list[Citation] = []
    append = out.append
    for (
        kind,
        written,
        url,
        key,
        anchor,
        context,
        line,
        column,
        paragraph,
        offset,
        element,
        attribute,
        rel,
        relation,
        verdict,
        reason,
    ) in rows:
        append(
            Citation(
                origin,
                kinds[kind],
                written,
                url,
                key,
                anchor,
                context,
                Location(line, column, paragraph, offset),
                element,
                attribute,
                tuple(rel),
                relations[relation],
                None if verdict is None else verdicts[verdict],
                reason,
            )
        )
    return out


class ExtractStore:
    """The store as extraction's :class:`~linkaudit.store.base.ExtractCache` (see the
    module docstring)."""

    def __init__(self, db: Database, now: Clock, *, max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self._db = db
        self._now = now
        self.max_age = max_age
        self._pending: dict[str, tuple[str, str]] = {}  # key -> (origin, encoded)
        self._touch: list[str] = []  # keys read whose row is half-way to pruning
        self._refresh_before: str | None = None  # set on the first read of a batch
        self._last: tuple[Document, Scope, BodySelectors, str | None] | None = None

    def _key(self, document: Document, scope: Scope, bodies: BodySelectors) -> str | None:
        """The key, computed once for a get followed by a put of the same document."""
        last = self._last
        if last is not None and last[0] is document and last[1] is scope and last[2] is bodies:
            return last[3]
        key = extract_key(document, scope, bodies)
        self._last = (document, scope, bodies, key)
        return key

    def get(
        self, document: Document, scope: Scope, *, bodies: BodySelectors = NO_SELECTORS
    ) -> list[Citation] | None:
        """The cached citations of ``document``, or None (not cached, or unreadable)."""
        key = self._key(document, scope, bodies)
        if key is None:
            return None
        pending = self._pending.get(key)
        if pending is not None:
            return self._decoded(document, key, pending[1], None)
        try:
            row = self._db.query_one(
                "SELECT citations, stored_at FROM extracts WHERE key = ?", (key,)
            )
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return None
        return None if row is None else self._decoded(document, key, row[0], row[1])

    def get_many(
        self,
        documents: Sequence[Document],
        scope: Scope,
        *,
        bodies: BodySelectors = NO_SELECTORS,
    ) -> list[list[Citation] | None]:
        """What :meth:`get` answers for each of ``documents``, read a few hundred keys
        per query: a warm run of 2,000 files asked 2,000 queries (a round trip each
        on PostgreSQL)."""
        keys = [extract_key(document, scope, bodies) for document in documents]
        wanted = sorted({k for k in keys if k is not None and k not in self._pending})
        rows: dict[str, tuple[str, str]] = {}
        try:
            for chunk in chunks(wanted):
                values = ", ".join(["(?)"] * len(chunk))
                for key, text, stored_at in self._db.query(
                    f"WITH k (key) AS (VALUES {values}) SELECT e.key, e.citations,"
                    " e.stored_at FROM k JOIN extracts e ON e.key = k.key",
                    chunk,
                ):
                    rows[key] = (text, stored_at)
        except DatabaseError as exc:
            warn_once(self._db, "read", exc)
            return [None] * len(documents)
        out: list[list[Citation] | None] = []
        for document, key in zip(documents, keys, strict=True):
            if key is None:
                out.append(None)
            elif key in self._pending:
                out.append(self._decoded(document, key, self._pending[key][1], None))
            elif key in rows:
                out.append(self._decoded(document, key, *rows[key]))
            else:
                out.append(None)
        return out

    def _decoded(
        self, document: Document, key: str, text: str, stored_at: str | None
    ) -> list[Citation] | None:
        """A stored row's citations (None when unreadable); a row read from the
        table (``stored_at`` set) half-way to pruning is re-stamped at the flush."""
        if stored_at is not None:
            if self._refresh_before is None:
                self._refresh_before = dump_time(as_utc(self._now()) - self.max_age / 2)
            # in use: keep it from being pruned
            refresh_before = self._refresh_before
            if refresh_before is not None and stored_at < refresh_before:
                self._touch.append(key)
        try:
            return decode_citations(text, document.origin)
        except (ValueError, KeyError, TypeError):  # damaged, or written by other code
            return None

    def put(
        self,
        document: Document,
        scope: Scope,
        citations: Sequence[Citation],
        *,
        bodies: BodySelectors = NO_SELECTORS,
    ) -> None:
        """Remember ``citations`` until :meth:`flush` (nothing is written before)."""
        key = self._key(document, scope, bodies)
        if key is None:
            return
        if any(c.document != document.origin for c in citations):
            return  # not what the encoding assumes: better uncached than wrong
        self._pending[key] = (document.origin, encode_citations(citations))

    def flush(self) -> None:
        """Write the buffered puts in one transaction; prune what is too old.

        Rows read this run and older than half ``max_age`` get a new ``stored_at``,
        so pruning only ever takes rows no run uses (files deleted or renamed).
        """
        self._refresh_before = None
        if not self._pending and not self._touch:
            return
        rows = [(key, origin, text) for key, (origin, text) in self._pending.items()]
        touched = self._touch
        self._pending, self._touch = {}, []
        now = as_utc(self._now())
        stamp = dump_time(now)
        try:
            self._db.write(
                (
                    "DELETE FROM extracts WHERE origin = ? AND key <> ?",
                    [(origin, key) for key, origin, _ in rows],
                ),
                (
                    "INSERT INTO extracts (key, origin, stored_at, citations)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                    " origin = excluded.origin, stored_at = excluded.stored_at,"
                    " citations = excluded.citations",
                    [(key, origin, stamp, text) for key, origin, text in rows],
                ),
                ("UPDATE extracts SET stored_at = ? WHERE key = ?", [(stamp, k) for k in touched]),
                ("DELETE FROM extracts WHERE stored_at < ?", [(dump_time(now - self.max_age),)]),
            )
        except DatabaseError as exc:
            warn_once(self._db, "write", exc)
