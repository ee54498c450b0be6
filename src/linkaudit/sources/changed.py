"""``--changed-since REF``: audit only what a pull request touched.

A pull request that fixes one typo should not fail on a link that rotted in a
file nobody touched, so this narrows an audit to the lines a change added or
modified.  The comparison is against the merge base of ``REF`` and ``HEAD`` (what
``git diff REF...HEAD`` means) but includes the working tree, so it answers the
same question in CI and in a pre-commit hook with uncommitted edits, and commits
that landed on the base branch meanwhile do not count as the PR's changes.

Line numbers are those of the new version of each file, the same numbering
:class:`~linkaudit.model.Location` uses.  A file with no useful line
information (new, renamed, copied, binary, untracked) maps to ``None``: all of it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from linkaudit.errors import InputError
from linkaudit.model import Citation, Relation

ChangedLines = dict[Path, set[int] | None]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), "-c", "core.quotePath=false", *args],
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise InputError(f"--changed-since needs git, which could not run: {exc}") from exc


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "unknown git error"


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names (``"a\\tb.md"``)."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 3 < len(body) + 1:
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.extend(_ESCAPES.get(nxt, nxt).encode())
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(header_path: str) -> str | None:
    path = _unquote(header_path.rstrip("\t"))
    if path == "/dev/null":
        return None
    return path[2:] if path.startswith(("a/", "b/")) else path


_FileState = tuple[str | None, bool, bool]  # (path, whole file counts, file deleted)


def _git_header_path(line: str) -> str | None:
    """The new path of a ``diff --git a/x b/y`` line, or None if it is quoted oddly.

    Only a fallback name, for sections with no ``---``/``+++`` lines (pure
    renames, binary files, mode changes); unambiguous when unquoted.
    """
    match = re.match(r'^diff --git (?:"?a/.*?"?) ("?b/.*"?)$', line)
    return _strip_prefix(match.group(1)) if match else None


def _after_header_line(line: str, state: _FileState) -> _FileState | None:
    """The section's state after one of git's extended header lines, or None for other lines.

    New, renamed, copied and binary files count as a whole (their hunks, if
    any, say nothing useful); ``+++ /dev/null`` and ``deleted file mode`` mark a
    file that is gone.
    """
    path, whole, deleted = state
    if line.startswith("new file mode"):
        return path, True, deleted
    if line.startswith("deleted file mode"):
        return path, whole, True
    if line.startswith(("rename to ", "copy to ")):
        return _unquote(line.split(" to ", 1)[1]), True, deleted
    if line.startswith("Binary files "):
        return path, True, deleted
    if line.startswith("+++ "):
        name = _strip_prefix(line[4:])
        return (path, whole, True) if name is None else (name, whole, deleted)
    return None


def _hunk_lines(line: str) -> range | None:
    """New-side line numbers of a ``@@`` hunk header (a missing count means one)."""
    match = _HUNK.match(line)
    if match is None:
        return None
    start = int(match.group(1))
    count = 1 if match.group(2) is None else int(match.group(2))
    return range(start, start + count)


def _whole_file(state: _FileState) -> dict[str, None]:
    """What a finished section adds for a file that counts as a whole: ``{path: None}``."""
    path, whole, deleted = state
    return {path: None} if path is not None and whole and not deleted else {}


def parse_diff(diff: str) -> dict[str, set[int] | None]:
    """Added/modified new-side line numbers per path (relative to the repository).

    Exposed separately because it is pure: the edge cases of git's patch format
    (pure renames with no hunks, deletions, binary files, ``@@ -1 +1 @@`` with an
    implied count of one) are tested as text.
    """
    result: dict[str, set[int] | None] = {}
    state: _FileState = (None, False, False)
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            result.update(_whole_file(state))
            state = (_git_header_path(line), False, False)
            continue
        after = _after_header_line(line, state)
        if after is not None:
            state = after
            continue
        path, whole, deleted = state
        if path is None or whole or deleted:
            continue
        hunk = _hunk_lines(line)
        if hunk is not None:
            lines = result.get(path)
            if lines is None:
                lines = result[path] = set()
            lines.update(hunk)
        elif path not in result and line.startswith(("old mode", "new mode")):
            result[path] = set()  # a mode change alone touches no line; the file changed
    result.update(_whole_file(state))
    return result


def changed_files(ref: str, repo: Path) -> ChangedLines:
    """Files changed since ``ref`` (committed, staged, unstaged or untracked).

    Keys are absolute, resolved paths; values are the changed line numbers of
    the current file, or ``None`` when the whole file counts.  Deleted files are
    absent: there is nothing left to audit.  A ref git does not know, or a
    directory outside a work tree, raises :class:`InputError` with git's own
    one-line reason.
    """
    return changes_since(ref, repo)[0]


@dataclass(frozen=True)
class Removed:
    """What a change took away that links elsewhere may point at: files deleted or
    renamed away (``paths``), and files that lost or reworded a heading or an
    ``id`` (``anchors``), as absolute paths of the old side."""

    paths: frozenset[Path] = frozenset()
    anchors: frozenset[Path] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.paths or self.anchors)


def changes_since(ref: str, repo: Path) -> tuple[ChangedLines, Removed]:
    """:func:`changed_files`, and what the change removed (:func:`parse_removed`)."""
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"--changed-since: {repo} is not in a git work tree")
    root = Path(top.stdout.decode("utf-8", "surrogateescape").strip()).resolve()
    verify = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise InputError(f"--changed-since: unknown git ref {ref!r}")
    target = verify.stdout.decode().strip()
    base = _git(repo, "merge-base", target, "HEAD")
    if base.returncode == 0 and base.stdout.strip():
        target = base.stdout.decode().strip()
    diff = _git(
        repo,
        "diff",
        "--unified=0",
        "--no-color",
        "--no-ext-diff",
        "--find-renames",
        target,
        "--",
    )
    if diff.returncode != 0:
        raise InputError(f"--changed-since: git diff failed: {_first_line(diff.stderr)}")
    text = diff.stdout.decode("utf-8", "surrogateescape")
    changed: ChangedLines = {root / name: lines for name, lines in parse_diff(text).items()}
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    if untracked.returncode == 0:
        for name in untracked.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if name:
                changed[root / name] = None
    paths, anchors = parse_removed(text)
    removed = Removed(
        frozenset(root / name for name in paths), frozenset(root / name for name in anchors)
    )
    return changed, removed


#: A removed line that gave its file an anchor: a heading (ATX or a setext
#: underline), an explicit ``{#id}``, or an HTML ``id``/``name``.
_ANCHOR_LINE = re.compile(
    r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|=+[ \t]*$|-+[ \t]*$)|\{#|\b(?:id|name)\s*=", re.IGNORECASE
)


def parse_removed(diff: str) -> tuple[set[str], set[str]]:
    """Old-side paths deleted or renamed away, and old-side paths that lost a line
    giving them an anchor (a heading reworded counts: its id may have changed)."""
    removed: set[str] = set()
    anchors: set[str] = set()
    old: str | None = None
    in_header = False
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            old, in_header = None, True
        elif line.startswith("@@"):
            in_header = False
        elif in_header and line.startswith("rename from "):
            removed.add(_unquote(line[len("rename from ") :]))
        elif in_header and line.startswith("--- "):
            old = _strip_prefix(line[4:])
        elif in_header and line.startswith("+++ "):
            if _strip_prefix(line[4:]) is None and old is not None:
                removed.add(old)
        elif _removes_anchor(line, in_header, old):
            anchors.add(str(old))
    return removed, anchors - removed


def _removes_anchor(line: str, in_header: bool, old: str | None) -> bool:
    return (
        not in_header
        and old is not None
        and line.startswith("-")
        and _ANCHOR_LINE.search(line[1:]) is not None
    )


_DEFINITION_LINE = re.compile(r"^ {0,3}\[(?:[^\]\\]|\\.)+\]:[ \t]*(?:<([^>\n]*)>|(\S+))")


def definition_lines(text: str) -> dict[str, set[int]]:
    """The 1-based lines of a Markdown text's reference definitions
    (``[r]: https://...``), by destination as written: a changed definition
    changes every link that uses it, wherever that link is."""
    out: dict[str, set[int]] = {}
    if "]:" not in text:
        return out
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DEFINITION_LINE.match(line)
        if match is not None:
            out.setdefault(match.group(1) or match.group(2), set()).add(number)
    return out


def _resolve(document: str, cache: dict[str, Path]) -> Path:
    path = cache.get(document)
    if path is None:
        path = Path(document).resolve()
        cache[document] = path
    return path


def citations_on_changed_lines(
    citations: Iterable[Citation],
    changed: Mapping[Path, set[int] | None],
    *,
    definitions: Mapping[str, set[int]] | None = None,
    removed: Removed | None = None,
) -> list[Citation]:
    """The citations whose meaning the change touched, in their order.

    That is a citation on a changed line of a changed file; one whose reference
    definition (``definitions``: :func:`definition_lines` of its document) is on
    a changed line; and, anywhere, a local link to a file the change deleted or
    renamed, or with a ``#fragment`` into a file that lost a heading or id
    (``removed``).  ``Citation.document`` is matched as a path relative to the
    working directory (or absolute), as the tree source records it; citations
    from URLs or stdin are never "changed" and are dropped.
    """
    keys = {path.resolve(): lines for path, lines in changed.items()}
    cache: dict[str, Path] = {}
    out: list[Citation] = []
    for citation in citations:
        if "://" in citation.document or citation.document.startswith("<"):
            continue
        lines = keys.get(_resolve(citation.document, cache), set())
        if (
            lines is None
            or citation.location.line in lines
            or _definition_changed(citation, lines, definitions)
            or (removed and _points_at_removed(citation, removed))
        ):
            out.append(citation)
    return out


def _definition_changed(
    citation: Citation, lines: set[int], definitions: Mapping[str, set[int]] | None
) -> bool:
    if not definitions or not lines or citation.url_as_written is None:
        return False
    return not lines.isdisjoint(definitions.get(citation.url_as_written.strip(), ()))


def _points_at_removed(citation: Citation, removed: Removed) -> bool:
    """A local link (``file:`` key) into a path or anchor the change removed."""
    key = citation.key or (citation.url if citation.relation is Relation.LOCAL else None)
    if not key or not key.startswith("file://"):
        return False
    head, hash_sign, fragment = key.partition("#")
    path = Path(unquote(head.removeprefix("file://")))
    if path in removed.paths or any(parent in removed.paths for parent in path.parents):
        return True
    return bool(hash_sign and fragment) and path in removed.anchors


def restrict_to_changed(
    paths: Sequence[Path], changed: Mapping[Path, set[int] | None]
) -> list[Path]:
    """Keep the files of a tree that the change touched, so untouched ones are not even read."""
    keys = {path.resolve() for path in changed}
    return [path for path in paths if path.resolve() in keys]
