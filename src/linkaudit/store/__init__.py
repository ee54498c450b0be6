"""The store: a SQLite cache of check results and archive lookups, and the run
history issue 7's health reports read, in one file (``.linkaudit/cache.sqlite``).

Callers depend on the protocols (:class:`ResultCache`, :class:`RunHistory`); the
SQLite implementation is the embedded default.
"""

from __future__ import annotations

from linkaudit.store.base import (
    TRANSIENT_BLOCKED_REASONS,
    CachePolicy,
    ResultCache,
    RunHistory,
    StoreError,
    is_transient,
)
from linkaudit.store.migrations import LATEST as SCHEMA_VERSION
from linkaudit.store.sqlite import (
    DEFAULT_PATH,
    RunRecord,
    SQLiteArchiveCache,
    SQLiteStore,
    document_key,
)

#: The default store.
Store = SQLiteStore

__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "TRANSIENT_BLOCKED_REASONS",
    "CachePolicy",
    "ResultCache",
    "RunHistory",
    "RunRecord",
    "SQLiteArchiveCache",
    "SQLiteStore",
    "Store",
    "StoreError",
    "document_key",
    "is_transient",
]
