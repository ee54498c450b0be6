"""Archived copies: the capture the author saw, Save Page Now, lost links restored.

See DESIGN.md (Archive copies).  Every function here turns whatever an
archive answers into data (a copy, or a one-line note); none raises for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from linkaudit.model import ArchiveLookup, Capture
    from linkaudit.store.base import ArchiveCache

#: Where each name lives: a module is imported when one of its names is first used,
#: so that ``linkaudit.archive.base`` (the configuration's defaults) or
#: ``linkaudit.archive.reach`` (the report's wording) do not bring the lookup, restore
#: and save machinery into a plain ``check``.
_HOMES = {
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
    "ArchiveLookup": "linkaudit.model",
    "Capture": "linkaudit.model",
    "ArchiveCache": "linkaudit.store.base",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
