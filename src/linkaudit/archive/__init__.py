"""Archived copies: the capture the author saw, Save Page Now, lost links restored.

See DESIGN.md (Archive copies).  Every function here turns whatever an
archive answers into data (a copy, or a one-line note); none raises for it.

The names below are imported on first use (:mod:`linkaudit._lazy`), so a module
that needs one of them does not import the whole package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkaudit import _lazy
from linkaudit.model import ArchiveLookup, Capture

if TYPE_CHECKING:
    from linkaudit.archive.base import (
        ARCHIVE_TODAY,
        DEFAULT_TIMEGATES,
        WAYBACK,
        ArchiveOptions,
        select_capture,
        to_copy,
    )
    from linkaudit.archive.lookup import (
        ArchiveSession,
        MemoryArchiveCache,
        find_copies,
        find_copy,
        make_client,
        make_limiters,
    )
    from linkaudit.archive.ratelimit import RateLimiter
    from linkaudit.archive.reach import Reachability
    from linkaudit.archive.restore import RestoreOutcome, restore_lost
    from linkaudit.archive.save import SaveOutcome, SaveStatus, save_live
    from linkaudit.store.base import ArchiveCache

__all__ = [
    "ARCHIVE_TODAY",
    "DEFAULT_TIMEGATES",
    "WAYBACK",
    "ArchiveCache",
    "ArchiveLookup",
    "ArchiveOptions",
    "ArchiveSession",
    "Capture",
    "MemoryArchiveCache",
    "RateLimiter",
    "Reachability",
    "RestoreOutcome",
    "SaveOutcome",
    "SaveStatus",
    "find_copies",
    "find_copy",
    "make_client",
    "make_limiters",
    "restore_lost",
    "save_live",
    "select_capture",
    "to_copy",
]

__getattr__ = _lazy.attributes(
    __name__,
    {
        "ARCHIVE_TODAY": "linkaudit.archive.base",
        "DEFAULT_TIMEGATES": "linkaudit.archive.base",
        "WAYBACK": "linkaudit.archive.base",
        "ArchiveOptions": "linkaudit.archive.base",
        "select_capture": "linkaudit.archive.base",
        "to_copy": "linkaudit.archive.base",
        "ArchiveSession": "linkaudit.archive.lookup",
        "MemoryArchiveCache": "linkaudit.archive.lookup",
        "find_copies": "linkaudit.archive.lookup",
        "find_copy": "linkaudit.archive.lookup",
        "make_client": "linkaudit.archive.lookup",
        "make_limiters": "linkaudit.archive.lookup",
        "RateLimiter": "linkaudit.archive.ratelimit",
        "Reachability": "linkaudit.archive.reach",
        "RestoreOutcome": "linkaudit.archive.restore",
        "restore_lost": "linkaudit.archive.restore",
        "SaveOutcome": "linkaudit.archive.save",
        "SaveStatus": "linkaudit.archive.save",
        "save_live": "linkaudit.archive.save",
        "ArchiveCache": "linkaudit.store.base",
    },
)
