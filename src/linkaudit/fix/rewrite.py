"""Span edits on source text: the only way ``fix`` changes a file.

A repair never re-serialises a parsed tree, because a serialiser would also
"repair" whitespace, attribute order, quoting and entities the author chose,
turning a one-link fix into a diff nobody can review.  Instead every repair is
an ``Edit`` (replace ``text[start:end]``) computed against the exact source, and
``apply_edits`` splices them in.  Edits carry what they expect to find, so a
source that changed under us is refused instead of silently corrupted.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from linkaudit.errors import LinkauditError

__all__ = [
    "Edit",
    "EditConflict",
    "FixError",
    "SourceMismatch",
    "apply_edits",
    "escape_attribute",
    "sort_edits",
]


class FixError(LinkauditError):
    """A repair cannot be written safely; nothing was written."""

    exit_code = 2


class EditConflict(FixError):
    """Two edits touch the same characters: applying both would lose one of them."""


class SourceMismatch(FixError):
    """The text at an edit's span is not what the audit saw: the source changed."""


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of one document with ``new``.

    ``document`` is the ``Document.origin`` the offsets refer to; ``expect`` is
    the text the span must hold (checked by ``apply_edits``); ``repair`` and
    ``note`` say why, for the dry-run summary.  ``start == end`` is an insertion.
    """

    document: str
    start: int
    end: int
    new: str
    expect: str
    repair: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit span {self.start}..{self.end}")
        if len(self.expect) != self.end - self.start:
            raise ValueError("expect must be exactly the replaced text")


def sort_edits(edits: Iterable[Edit]) -> list[Edit]:
    """Edits in source order; raises EditConflict on any overlap.

    An insertion may touch a replacement at either end (it goes before or after
    it), but two insertions at the same point are a conflict too: their order
    would be a guess.
    """
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for before, after in itertools.pairwise(ordered):
        same_point = before.start == before.end == after.start == after.end
        if after.start < before.end or same_point:
            raise EditConflict(
                f"{before.document}: overlapping edits at {before.start}..{before.end} "
                f"({before.repair or 'edit'}) and {after.start}..{after.end} "
                f"({after.repair or 'edit'})"
            )
    return ordered


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with every edit spliced in; everything else byte-for-byte as it was.

    All edits must refer to ``text`` itself (same document).  Raises
    ``EditConflict`` for overlaps and ``SourceMismatch`` when a span does not
    hold what the edit expects; in either case nothing is applied.
    """
    ordered = sort_edits(edits)
    out: list[str] = []
    cursor = 0
    for edit in ordered:
        if edit.end > len(text) or text[edit.start : edit.end] != edit.expect:
            found = text[edit.start : edit.end]
            raise SourceMismatch(
                f"{edit.document}: expected {edit.expect!r} at offset {edit.start}, "
                f"found {found!r}; the source changed since it was audited"
            )
        out.append(text[cursor : edit.start])
        out.append(edit.new)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


_ATTR_ESCAPES = {
    '"': {"&": "&amp;", '"': "&quot;", "<": "&lt;"},
    "'": {"&": "&amp;", "'": "&#39;", "<": "&lt;"},
}
_ATTR_SPECIAL = re.compile("[&\"'<]")


def escape_attribute(value: str, quote: str = '"') -> str:
    """Escape ``value`` for an HTML attribute delimited by ``quote`` (``"`` or ``'``).

    Only what the context requires: ``&`` (so a URL's ``&copy=`` is not read
    as an entity), the delimiting quote, and ``<`` (old parsers and sanitizers
    choke on it).  Everything else stays readable in the diff.
    """
    table = _ATTR_ESCAPES[quote]
    return _ATTR_SPECIAL.sub(lambda m: table.get(m.group(), m.group()), value)
