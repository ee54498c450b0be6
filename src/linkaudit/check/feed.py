"""Keys that arrive while the run is still finding them.

A repository's cold run used to extract all its documents (2,000 files: 2.2 s
on two cores) before the first request, and then spend most of the checking on
one core while the other sat idle.  Extraction runs in worker processes, so the
checker can start on the first documents' URLs while the rest are extracted:
the pipeline puts each document's keys here as they come, and ``check_urls``
takes them as they come.

The cost of starting early is that a URL may be read before every fragment cited
on it is known (``#intro`` in the 1,900th file of a URL first cited in the
first).  While the feed is open the engine therefore remembers every id of each
page it reads (``AnchorScan(None)``), and keeps each decided URL's evidence
(within a byte budget) so that a fragment arriving later is judged from the
same answer, with no second request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable


class KeyFeed:
    """Batches of keys (normalised URLs, maybe with ``#fragment``), then ``close``."""

    def __init__(self) -> None:
        self._batches: list[list[str]] = []
        self._closed = False
        self._changed = asyncio.Event()

    @classmethod
    def of(cls, keys: Iterable[str]) -> KeyFeed:
        """A feed that already holds all of ``keys`` and is closed."""
        feed = cls()
        feed.put(keys)
        feed.close()
        return feed

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, keys: Iterable[str]) -> None:
        if self._closed:
            raise RuntimeError("keys put into a closed feed")
        batch = list(keys)
        if batch:
            self._batches.append(batch)
            self._changed.set()

    def close(self) -> None:
        """No more keys will come (idempotent)."""
        self._closed = True
        self._changed.set()

    def take(self) -> list[list[str]]:
        """The batches put since the last ``take``."""
        batches, self._batches = self._batches, []
        if not self._closed:
            self._changed.clear()
        return batches

    async def changed(self) -> None:
        """Until something was put or the feed closed since the last ``take``."""
        await self._changed.wait()
