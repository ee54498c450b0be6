"""Looking for cited ``#fragment`` ids through a whole page, however long, in bounded memory.

The classifier keeps only the first ``max_body`` bytes of a page; the ids a link
points at are often far below that (a long specification, a changelog with
30,000 headings).  So while the engine reads a page that fragments were cited
on, the decoded stream goes through lxml's event parser (no tree is built), and
only the spellings of the wanted fragments are remembered.  Whether the search
covered the whole page is part of the answer: a fragment not found on a page
read only in part is "not verified", never "missing" and never "found".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from linkaudit.charsets import Charset
from linkaudit.check.quirks import anchor_candidates


@dataclass(frozen=True)
class AnchorSearch:
    """Which wanted spellings the page has, and whether all of the page was searched."""

    found: frozenset[str]
    complete: bool

    def has(self, fragment: str) -> bool | None:
        """True if found; False if surely absent; None if the search did not finish."""
        candidates = anchor_candidates(fragment)
        if candidates is None or not self.found.isdisjoint(candidates):
            return True
        return False if self.complete else None


class _Collector:
    """lxml parser target: notes ids (any element) and names (``<a>``) that are wanted
    (all of them when ``wanted`` is None)."""

    def __init__(self, wanted: frozenset[str] | None) -> None:
        self.wanted = wanted
        self.found: set[str] = set()

    # lxml hands str for the str it is fed; the protocol allows bytes too.
    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        value = attrib.get("id")
        if isinstance(value, str) and (self.wanted is None or value in self.wanted):
            self.found.add(value)
        if tag == "a":
            name = attrib.get("name")
            if isinstance(name, str) and (self.wanted is None or name in self.wanted):
                self.found.add(name)

    def end(self, tag: str | bytes) -> None:
        pass

    def data(self, data: str | bytes) -> None:
        pass

    def comment(self, text: str | bytes) -> None:
        pass

    def close(self) -> None:
        pass


#: Bytes gathered before the page's charset is chosen (its ``<meta>`` is in them).
SNIFF = 2048


class AnchorScan:
    """Feed the raw (content-decoded) bytes of a page; ``result`` says what was found.

    ``charset_of`` picks the page's charset from its first ``SNIFF`` bytes, as the
    engine does for the text it keeps, so both read the page alike.  ``fragments``
    None remembers every id and name: the page is read before all the fragments
    cited on it are known (a run still extracting its documents), and one read
    must then answer any of them.
    """

    def __init__(
        self, fragments: Iterable[str] | None, charset_of: Callable[[bytes], Charset]
    ) -> None:
        wanted = (
            None
            if fragments is None
            else frozenset(c for f in fragments for c in anchor_candidates(f) or ())
        )
        self._collector = _Collector(wanted)
        self._charset_of = charset_of
        self._decode: Callable[[bytes], str] | None = None
        self._head = b""
        self._parser = etree.HTMLParser(target=self._collector, recover=True, no_network=True)
        self._broken = False

    def feed(self, data: bytes) -> None:
        if self._broken or self._collector.wanted == frozenset():
            return
        if self._decode is None:
            self._head += data
            if len(self._head) < SNIFF:
                return
            data, self._head = self._head, b""
            self._decode = self._charset_of(data).incremental()
        self._parse(self._decode(data))

    def _parse(self, text: str) -> None:
        if not text:
            return
        try:
            self._parser.feed(text)
        except etree.LxmlError:
            self._broken = True  # what was found stands; the rest is unsearched

    def result(self, complete: bool) -> AnchorSearch:
        if self._head and not self._broken:
            self._parse(self._charset_of(self._head).decode(self._head))
        if not self._broken:
            try:
                self._parser.close()
            except etree.LxmlError:
                self._broken = True
        return AnchorSearch(frozenset(self._collector.found), complete and not self._broken)
