"""Archived copies: the capture the author saw, Save Page Now, lost links restored.

See DESIGN.md (Archive copies).  Every function here turns whatever an
archive answers into data (a copy, or a one-line note); none raises for it.
"""

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
