"""Read a source file, apply a plan to it, and write the same kind of file back.

Each document's edits are planned against ``Document.text``; this module maps
them onto the file's own text and re-encodes it:

* HTML: the document text is the decoded file, so offsets carry over as they are.
* Markdown: front matter is blanked line by line in the document text, so
  offsets are carried over by (line, column); lines below it are identical.
* WordPress JSON: the body is one JSON string; each edit is mapped onto the
  escape sequences of that string and its new text escaped in the file's style
  (see ``linkaudit.sources.jsonspan``), so no other byte of the file changes.

The file must decode and re-encode to exactly its own bytes (byte-order mark
included) or it is refused: a file with undecodable bytes cannot be written back
without changing them, and a fixer must never lose anything the user gave.
"""

from __future__ import annotations

import bisect
import difflib
import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from linkaudit.errors import InputError
from linkaudit.fix.plan import Plan, Repair, make_plan
from linkaudit.fix.rewrite import Edit, FixError, SourceMismatch, apply_edits
from linkaudit.model import Document, DocumentKind, Finding, Report
from linkaudit.sources import SourceOptions, load_file
from linkaudit.sources._decode import bom_length, decode
from linkaudit.sources.jsonspan import JsonString, find_strings
from linkaudit.sources.markdown import split_front_matter

__all__ = [
    "FixResult",
    "SourceFile",
    "fix_file",
    "read_source",
    "sha256_of",
    "unified_diff",
    "write_in_place",
    "write_new",
]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class _Segment:
    """How offsets in one document's text become offsets in the file's text."""

    to_file: Callable[[int], int]
    encode: Callable[[str], str]
    verbatim: bool = True  # the file holds the document's characters as they are


def _identity(offset: int) -> int:
    return offset


def _raw_text(text: str) -> str:
    return text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _markdown_segment(file_text: str, document_text: str) -> _Segment:
    doc_starts, file_starts = _line_starts(document_text), _line_starts(file_text)

    def to_file(offset: int) -> int:
        line = bisect.bisect_right(doc_starts, offset) - 1
        return file_starts[line] + offset - doc_starts[line]

    return _Segment(to_file, _raw_text)


def _json_segment(string: JsonString) -> _Segment:
    def to_file(offset: int) -> int:
        return string.positions[offset]

    return _Segment(to_file, string.escape, verbatim=False)


@dataclass(frozen=True)
class SourceFile:
    """A source file as read for fixing: its bytes, text, codec and documents."""

    path: Path
    data: bytes
    text: str
    encoding: str
    bom: bytes
    documents: tuple[Document, ...]
    segments: dict[str, _Segment]

    @property
    def sha256(self) -> str:
        return sha256_of(self.data)

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding)


def read_source(path: Path, options: SourceOptions | None = None) -> SourceFile:
    """Load a file for fixing; refuses files that would not round-trip byte for byte."""
    options = options or SourceOptions()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    documents = tuple(load_file(path, options))
    bom = data[: bom_length(data)]
    kind = documents[0].kind
    decoded = decode(data, str(path), sniff_meta=kind is DocumentKind.HTML)
    text, encoding = decoded.text, decoded.encoding
    try:
        round_trip = bom + text.encode(encoding)
    except (UnicodeError, LookupError):
        round_trip = b""
    if round_trip != data:
        raise FixError(
            f"{path}: the file does not decode cleanly as {encoding} (or holds NUL bytes); "
            "writing it back would change bytes other than the repairs, so it is not fixed"
        )
    segments: dict[str, _Segment] = {}
    if kind is DocumentKind.HTML:
        for document in documents:
            if document.text != text:
                raise FixError(f"{path}: the page text differs from the file; cannot map positions")
            segments[document.origin] = _Segment(_identity, _raw_text)
    elif kind is DocumentKind.MARKDOWN:
        for document in documents:
            if split_front_matter(text)[1] != document.text:
                raise FixError(
                    f"{path}: the Markdown text differs from the file; cannot map positions"
                )
            segments[document.origin] = _markdown_segment(text, document.text)
    else:
        strings = [s for s in find_strings(text) if s.path[-2:-1] == ("content",)]
        unused = list(strings)
        for document in documents:
            match = next((s for s in unused if s.value == document.text), None)
            if match is None:
                raise FixError(f"{document.origin}: cannot find the article body in the JSON text")
            unused.remove(match)
            segments[document.origin] = _json_segment(match)
    return SourceFile(path, data, text, encoding, bom, documents, segments)


@dataclass(frozen=True)
class FixResult:
    """A repaired file, not yet written: the caller chooses diff, new file or in place."""

    source: SourceFile
    plan: Plan
    fixed_text: str

    @property
    def changed(self) -> bool:
        return self.fixed_text != self.source.text

    @property
    def fixed_bytes(self) -> bytes:
        return self.source.encode(self.fixed_text) if self.changed else self.source.data

    def diff(self, label: str | None = None) -> str:
        name = label or str(self.source.path)
        return unified_diff(self.source.text, self.fixed_text, name)


def unified_diff(before: str, after: str, name: str) -> str:
    """A ``git apply``-able unified diff of one file (``a/`` and ``b/`` prefixes)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name.lstrip('/')}",
        tofile=f"b/{name.lstrip('/')}",
    )
    out: list[str] = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _same_source(origin: str, path: Path) -> str | None:
    """The ``[index]`` suffix if ``origin`` names ``path`` (WordPress lists add one), else None."""
    base, suffix = origin, ""
    if origin.endswith("]") and "[" in origin:
        head, _, index = origin.rpartition("[")
        if index[:-1].isdigit():
            base, suffix = head, "[" + index
    try:
        same = Path(base).resolve() == path.resolve()
    except OSError:
        same = False
    return suffix if same or base == str(path) else None


def _rebase(report: Report, source: SourceFile) -> Report:
    """The report's findings for this file, pointing at the freshly read documents.

    The audited text must be the current text: when the report still has it,
    it is compared; a report read back from JSON has none, and then the edits'
    own checks (each knows the text it replaces) guard against a changed file.
    """
    fresh = {_same_source(doc.origin, source.path): doc for doc in source.documents}
    renamed: dict[str, Document] = {}
    for audited in report.documents:
        suffix = _same_source(audited.origin, source.path)
        if suffix is None or suffix not in fresh:
            continue
        current = fresh[suffix]
        if audited.text and audited.text != current.text:
            raise SourceMismatch(
                f"{source.path}: the file changed since it was audited; audit it again"
            )
        renamed[audited.origin] = current
    if report.documents and not renamed:
        names = ", ".join(doc.origin for doc in report.documents[:3])
        raise FixError(f"{source.path}: the report audited {names}, not this file")
    findings: list[Finding] = []
    for finding in report.findings:
        target = renamed.get(finding.citation.document)
        if target is not None:
            citation = replace(finding.citation, document=target.origin)
            findings.append(replace(finding, citation=citation))
    return replace(report, documents=tuple(renamed.values()), findings=tuple(findings))


def fix_file(
    path: Path,
    report: Report,
    repairs: Sequence[Repair] | set[Repair] | frozenset[Repair],
    *,
    audited_sha256: str | None = None,
    source: SourceFile | None = None,
) -> FixResult:
    """Plan and apply ``repairs`` to the file at ``path`` using an existing audit.

    ``audited_sha256`` is the hash of the bytes that were audited, when known;
    a different file is refused.  Without it the report's document text (if
    any) and each edit's expected text are the checks.
    """
    source = source or read_source(path)
    if audited_sha256 is not None and audited_sha256 != source.sha256:
        raise SourceMismatch(f"{path}: the file changed since it was audited; audit it again")
    rebased = _rebase(report, source)
    plan = make_plan(rebased, frozenset(repairs))
    file_edits: list[Edit] = []
    for edit in plan.edits:
        segment = source.segments[edit.document]
        start, end = segment.to_file(edit.start), segment.to_file(edit.end)
        if segment.verbatim and source.text[start:end] != edit.expect:
            raise SourceMismatch(f"{path}: offsets do not map onto the file; nothing written")
        file_edits.append(
            Edit(
                str(path),
                start,
                end,
                segment.encode(edit.new),
                source.text[start:end],
                edit.repair,
                edit.note,
            )
        )
    fixed = apply_edits(source.text, file_edits)
    return FixResult(source, plan, fixed)


# -- writing ------------------------------------------------------------------------------


#: A temporary file this old beside its target was left by a run that was killed
#: between writing it and renaming it into place (a live run takes seconds).
STALE_TEMPORARY = timedelta(minutes=10)


def _temporaries(path: Path) -> list[Path]:
    """Temporary files ``_write_atomic`` makes for ``path`` (``.name.XXXX.tmp``)."""
    try:
        return [
            p
            for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp")
            if p.is_file() and not p.is_symlink()
        ]
    except OSError:
        return []


def remove_stale_temporaries(path: Path, *, now: datetime | None = None) -> list[Path]:
    """Remove the temporary files an interrupted rewrite of ``path`` left; those removed.

    Only files older than :data:`STALE_TEMPORARY` go: a younger one may belong to
    a run writing right now.
    """
    moment = (now or datetime.now(UTC)).timestamp()
    removed: list[Path] = []
    for temp in _temporaries(path):
        try:
            if moment - temp.stat().st_mtime > STALE_TEMPORARY.total_seconds():
                temp.unlink()
                removed.append(temp)
        except OSError:
            continue
    return removed


def _write_atomic(path: Path, data: bytes, mode_from: Path | None = None) -> None:
    """Write via a temporary file in the same directory and rename: never a half file.

    A kill between the write and the rename leaves the temporary file; the next
    run removes it (:func:`remove_stale_temporaries`).
    """
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode_from is not None:
            shutil.copymode(mode_from, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_new(result: FixResult, out: Path, *, force: bool = False) -> None:
    """Write the repaired file to ``out``; an existing file is kept unless ``force``."""
    if out.resolve() == result.source.path.resolve():
        raise FixError(f"{out}: is the input file; use --in-place to rewrite it (with a backup)")
    if out.exists() and not force:
        raise FixError(f"{out}: already exists; not overwritten (use --force)")
    _write_atomic(out, result.fixed_bytes)


def _backup_path(path: Path, now: datetime) -> Path:
    simple = path.with_name(path.name + ".bak")
    if not simple.exists():
        return simple
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.linkaudit-backup-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.linkaudit-backup-{stamp}-{counter}")
        counter += 1
    return candidate


def write_in_place(
    result: FixResult, *, audited_sha256: str | None = None, now: datetime | None = None
) -> Path | None:
    """Rewrite the input after backing it up; returns the backup path (None: nothing to do).

    Refuses when the file on disk is no longer the one that was read (or the
    one that was audited): a concurrent edit would otherwise be lost.  The
    backup is written, flushed and compared before the input is replaced, and
    an existing backup is never overwritten; a backup that could not be written
    whole (a full disk) is removed, and the input is left as it was.

    A symbolic link is written through: the file it points to is rewritten (its
    backup beside it) and the link stays a link, as an editor saving through it
    would leave it.  Replacing the link with a regular file would silently cut
    the article off from wherever the link pointed.
    """
    path = result.source.path.resolve() if result.source.path.is_symlink() else result.source.path
    current = path.read_bytes()
    expected = {result.source.sha256} | ({audited_sha256} if audited_sha256 else set())
    if sha256_of(current) not in expected or len(expected) > 1:
        raise SourceMismatch(
            f"{path}: the file changed since it was audited; not rewritten (audit it again)"
        )
    if not result.changed:
        return None
    backup = _backup_path(path, now or datetime.now(UTC))
    try:
        with backup.open("xb") as stream:
            stream.write(current)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        # A partial backup looks like a backup: nobody must ever restore from it.
        backup.unlink(missing_ok=True)
        raise FixError(
            f"{backup}: could not write the backup ({exc.strerror or exc}); removed the "
            f"partial backup; {result.source.path} not rewritten"
        ) from None
    if backup.read_bytes() != current:
        raise FixError(f"{backup}: the backup did not read back intact; {path} not rewritten")
    shutil.copymode(path, backup)
    try:
        _write_atomic(path, result.fixed_bytes, mode_from=path)
    except OSError as exc:
        backup.unlink(missing_ok=True)  # the input is intact: its copy is litter
        raise FixError(
            f"{path}: could not write the repaired file ({exc.strerror or exc}); "
            "the file is unchanged"
        ) from None
    return backup
