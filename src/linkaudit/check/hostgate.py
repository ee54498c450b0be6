"""Per-host request counts shared by the processes that check one run together.

A large run is checked by several processes, each owning some hosts
(``check.shards``).  A redirect can still lead one process to a host another
owns (``a.example`` answering 301 to ``b.example``), so each process's own
per-host semaphore is not enough to keep the promise that no host ever has more
than its limit of requests in flight from the run.  Every request therefore also
takes a place here, in a table in shared memory that all the run's processes
see, before it is sent.

The table holds a 64-bit digest of each ``host:port`` and its count, with open
addressing under one lock (held for a few microseconds).  Should it fill, hosts
share counts, which only ever makes the limit stricter, never looser.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from multiprocessing.context import BaseContext
from typing import Any

#: Hosts the table holds before hosts begin to share counts.
SLOTS = 1 << 16


def _digest(host_key: str) -> int:
    value = int.from_bytes(hashlib.blake2b(host_key.encode(), digest_size=8).digest(), "big")
    return value or 1  # 0 marks a free place


class HostGate:
    """In-flight requests per ``host:port``, over every process forked after it was made."""

    def __init__(self, context: BaseContext | None = None, slots: int = SLOTS) -> None:
        context = context or multiprocessing.get_context("fork")
        self._slots = slots
        self._keys: Any = context.RawArray("Q", slots)
        self._counts: Any = context.RawArray("i", slots)
        self._lock = context.Lock()
        self._places: dict[str, int] = {}  # this process's lookups, remembered

    def _place(self, host_key: str) -> int:
        """The host's index, claimed on first use (call with the lock held)."""
        place = self._places.get(host_key)
        if place is not None:
            return place
        digest = _digest(host_key)
        start = digest % self._slots
        keys = self._keys
        index = start
        for _ in range(self._slots):
            found = keys[index]
            if found == digest:
                break
            if found == 0:
                keys[index] = digest
                break
            index = (index + 1) % self._slots
        else:  # full: share the count at the host's first place (stricter, never looser)
            index = start
        self._places[host_key] = index
        return index

    def take(self, host_key: str, limit: int) -> bool:
        """Count one more request to ``host_key`` unless ``limit`` are in flight already."""
        with self._lock:
            index = self._place(host_key)
            if self._counts[index] >= limit:
                return False
            self._counts[index] += 1
            return True

    def give_back(self, host_key: str) -> None:
        with self._lock:
            self._counts[self._place(host_key)] -= 1

    def in_flight(self, host_key: str) -> int:
        with self._lock:
            return int(self._counts[self._place(host_key)])
