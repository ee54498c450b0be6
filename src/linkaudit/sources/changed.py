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
from pathlib import Path

from linkaudit.errors import InputError
from linkaudit.model import Citation

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
    changed: ChangedLines = {
        root / name: lines
        for name, lines in parse_diff(diff.stdout.decode("utf-8", "surrogateescape")).items()
    }
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    if untracked.returncode == 0:
        for name in untracked.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if name:
                changed[root / name] = None
    return changed


def _resolve(document: str, cache: dict[str, Path]) -> Path:
    path = cache.get(document)
    if path is None:
        path = Path(document).resolve()
        cache[document] = path
    return path


def citations_on_changed_lines(
    citations: Iterable[Citation], changed: Mapping[Path, set[int] | None]
) -> list[Citation]:
    """The citations that sit in changed files on changed lines, in their order.

    ``Citation.document`` is matched as a path relative to the working directory
    (or absolute), as the tree source records it; citations from URLs or stdin
    are never "changed" and are dropped.
    """
    keys = {path.resolve(): lines for path, lines in changed.items()}
    cache: dict[str, Path] = {}
    out: list[Citation] = []
    for citation in citations:
        if "://" in citation.document or citation.document.startswith("<"):
            continue
        lines = keys.get(_resolve(citation.document, cache), set())
        if lines is None or citation.location.line in lines:
            out.append(citation)
    return out


def restrict_to_changed(
    paths: Sequence[Path], changed: Mapping[Path, set[int] | None]
) -> list[Path]:
    """Keep the files of a tree that the change touched, so untouched ones are not even read."""
    keys = {path.resolve() for path in changed}
    return [path for path in paths if path.resolve() in keys]
