"""Fixed-data builders for the fix tests: documents, findings and reports without a network."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from linkaudit.extract import extract
from linkaudit.fix.formats import FixResult, fix_file, read_source
from linkaudit.fix.plan import Repair
from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    CitationKind,
    Finding,
    Report,
    Restoration,
    Verdict,
)

WHEN = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
ARCHIVE = "https://web.archive.org/web/20210304050607/"


def copy_of(url: str) -> ArchiveCopy:
    return ArchiveCopy("wayback", ARCHIVE + url, url, WHEN, 0.0, True, 200)


def by_url(
    dead: Iterable[str] = (),
    moved: dict[str, str] | None = None,
    archived_ok: Iterable[str] = (),
    restore: Callable[[Citation], str | None] | None = None,
) -> Callable[[Citation], Finding]:
    """A finding builder: verdicts chosen by URL substring, archive copies as the pipeline adds."""
    dead, archived_ok, moved = tuple(dead), tuple(archived_ok), moved or {}

    def finding(c: Citation) -> Finding:
        if c.kind is CitationKind.LOST:
            url = restore(c) if restore else None
            restoration = Restoration(url, "https://web.archive.org/web/2020/x") if url else None
            return Finding(c, Verdict.LOST, c.reason, "", restoration=restoration)
        if c.verdict is not None:
            return Finding(c, c.verdict, c.reason, "")
        assert c.url is not None
        assert c.key is not None
        if any(d in c.url for d in dead):
            result = CheckResult(c.key, c.url, Verdict.BROKEN, "http_404", "404")
            return Finding(c, Verdict.BROKEN, "http_404", "", result=result, archive=copy_of(c.url))
        for old, new in moved.items():
            if old in c.url:
                result = CheckResult(c.key, c.url, Verdict.MOVED, "http_301", "", final_url=new)
                return Finding(c, Verdict.MOVED, "http_301", "", result=result)
        result = CheckResult(c.key, c.url, Verdict.OK, "ok", "")
        archive = copy_of(c.url) if any(a in c.url for a in archived_ok) else None
        return Finding(c, Verdict.OK, "ok", "", result=result, archive=archive)

    return finding


def audit_offline(path: Path, make: Callable[[Citation], Finding]) -> Report:
    """A report as the pipeline would make it for ``path``, with verdicts from ``make``."""
    documents = read_source(path).documents
    findings = tuple(make(c) for doc in documents for c in extract(doc))
    return Report(documents, findings, WHEN, WHEN)


def fix(path: Path, make: Callable[[Citation], Finding], *repairs: Repair) -> FixResult:
    return fix_file(path, audit_offline(path, make), set(repairs))


def hunks(result: FixResult) -> list[tuple[str, str]]:
    """(old, new) text of every edit, in source order, after checking nothing else changed.

    The check is independent of the edits' own bookkeeping: the text between
    consecutive edits must appear unchanged, in order, in the output.
    """
    out: list[tuple[str, str]] = []
    before, after = result.source.text, result.fixed_text
    cursor_in = cursor_out = 0
    for edit in sorted(result.plan.edits, key=lambda e: e.start):
        start = result.source.segments[edit.document].to_file(edit.start)
        end = result.source.segments[edit.document].to_file(edit.end)
        kept = before[cursor_in:start]
        assert after[cursor_out : cursor_out + len(kept)] == kept
        cursor_out += len(kept)
        old = before[start:end]
        new = result.source.segments[edit.document].encode(edit.new)
        assert after[cursor_out : cursor_out + len(new)] == new
        cursor_out += len(new)
        cursor_in = end
        out.append((old, edit.new))
    assert after[cursor_out:] == before[cursor_in:]
    return out


def changed_lines(result: FixResult) -> list[int]:
    """1-based numbers of the input lines the unified diff removes."""
    matcher = difflib.SequenceMatcher(
        None,
        result.source.text.splitlines(True),
        result.fixed_text.splitlines(True),
        autojunk=False,
    )
    return [
        line + 1
        for op, i1, i2, _, _ in matcher.get_opcodes()
        if op != "equal"
        for line in range(i1, i2)
    ]


def write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path
