"""The store: the check cache, archive lookups, extracted citations, run history and
each document's last report, in one database (``.linkaudit/cache.sqlite`` by default).

The pipeline's stages depend only on the protocols in :mod:`linkaudit.store.base`;
:class:`Store` implements them with parts that share one connection, owned by an
engine (:mod:`linkaudit.store.sqlite`, the embedded default).
"""

from __future__ import annotations

from linkaudit.store.base import (
    ArchiveCache,
    BatchResultCache,
    CachePolicy,
    CitationRow,
    Database,
    DatabaseError,
    DocumentRow,
    ExtractCache,
    KnownCopy,
    ResultCache,
    RunRecord,
    StoreError,
    is_transient,
)
from linkaudit.store.migrations import LATEST as SCHEMA_VERSION
from linkaudit.store.reports import document_key
from linkaudit.store.sqlite import DEFAULT_PATH
from linkaudit.store.store import Store

__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "ArchiveCache",
    "BatchResultCache",
    "CachePolicy",
    "CitationRow",
    "Database",
    "DatabaseError",
    "DocumentRow",
    "ExtractCache",
    "KnownCopy",
    "ResultCache",
    "RunRecord",
    "Store",
    "StoreError",
    "document_key",
    "is_transient",
]
