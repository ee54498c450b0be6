"""The store: the check cache, archive lookups, extracted citations, run history and
each document's last report, in one database (``.linkaudit/cache.sqlite`` by default).

The pipeline's stages depend only on the protocols in :mod:`linkaudit.store.base`;
:class:`Store` implements them with parts that share one connection, owned by an
engine (:mod:`linkaudit.store.sqlite`, the embedded default).

The names below are imported on first use (:mod:`linkaudit._lazy`): a run without a
cache imports :mod:`linkaudit.store.base` for its protocols, never the engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkaudit import _lazy

if TYPE_CHECKING:
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
    from linkaudit.store.location import DEFAULT_PATH
    from linkaudit.store.migrations import LATEST as SCHEMA_VERSION
    from linkaudit.store.reports import document_key
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

__getattr__ = _lazy.attributes(
    __name__,
    {
        **dict.fromkeys(
            [
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
                "StoreError",
                "is_transient",
            ],
            "linkaudit.store.base",
        ),
        "SCHEMA_VERSION": "linkaudit.store.migrations:LATEST",
        "document_key": "linkaudit.store.reports",
        "DEFAULT_PATH": "linkaudit.store.location",
        "Store": "linkaudit.store.store",
    },
)
