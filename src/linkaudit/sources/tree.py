"""Directories and globs of articles: which files a content repository means to publish.

A content repository holds more than articles (build output, vendored themes,
drafts someone ignored on purpose), so a tree is enumerated the way git sees it:
inside a work tree ``git ls-files --cached --others --exclude-standard`` gives
exact ``.gitignore`` semantics (nested files, negations, ``info/exclude``, the
user's global excludes) for free; outside one the tree's ``.gitignore`` files are
read with pathspec's gitignore rules.  ``--include``/``--exclude`` use the same
gitignore-style patterns (``**``, trailing ``/`` for directories, leading ``/``
to anchor), matched against each path relative to the directory argument and to
the working directory, so ``drafts/`` and ``content/drafts/**`` both work.

The order is deterministic (arguments in order, each sorted by path) so reports
and SARIF diffs are stable between runs; a file named twice is audited once.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from linkaudit.errors import InputError

if TYPE_CHECKING:
    import pathspec


CONTENT_SUFFIXES: frozenset[str] = frozenset({".html", ".htm", ".md", ".markdown"})
"""Suffixes (lower-cased) of files a directory or glob contributes."""

_GLOB_CHARS = frozenset("*?[")


def _is_glob(spec: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in spec)


def _is_content(path: Path) -> bool:
    return path.suffix.lower() in CONTENT_SUFFIXES


def _compile(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec | None:
    cleaned = [p.strip() for p in patterns if p.strip()]
    if not cleaned:
        return None
    import pathspec  # only runs that walk, glob or filter need it

    return pathspec.GitIgnoreSpec.from_lines(cleaned)


def _git_files(directory: Path) -> list[str] | None:
    """Content-agnostic file list of ``directory`` as git sees it, or None outside git.

    Paths come back relative to ``directory``.  Any git failure (not a work tree,
    git missing, "dubious ownership") falls back to the plain walk rather than
    failing the audit: the walk is slower but reads the same ``.gitignore`` files.
    """
    try:
        inside = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        # A directory the user names is audited even if git ignores it as a whole
        # (a build output such as ``public/``); rules inside it still apply, so
        # the plain walk, which reads only the tree's own .gitignore files, serves.
        resolved = directory.resolve()
        ignored = subprocess.run(
            ["git", "-C", str(resolved.parent), "check-ignore", "-q", "--", resolved.name],
            capture_output=True,
            check=False,
        )
        if ignored.returncode == 0:
            return None
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(directory),
                "-c",
                "core.quotePath=false",
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if listed.returncode != 0:
        return None
    names = listed.stdout.decode("utf-8", "surrogateescape").split("\0")
    # Unmerged files are listed once per conflict stage; tracked files deleted
    # from the work tree are still listed (the caller keeps what is on disk).
    return sorted({n for n in names if n})


def _rebase_gitignore_line(line: str, prefix: str) -> str | None:
    """Rewrite one line of ``<prefix>/.gitignore`` as a pattern relative to the walk root.

    Git anchors a pattern that has a slash (other than a trailing one) to the
    directory of its ``.gitignore``; one without a slash matches at any depth
    below it.  Rebasing keeps those semantics in a single spec, evaluated in
    order, so deeper files override shallower ones as in git.
    """
    stripped = line.rstrip("\n").rstrip("\r")
    if not stripped.strip() or stripped.startswith("#"):
        return None
    if not prefix:
        return stripped
    negate = ""
    body = stripped
    if body.startswith("!"):
        negate, body = "!", body[1:]
    anchored = "/" in body.rstrip("/")
    body = body.lstrip("/")
    return f"{negate}{prefix}/{body}" if anchored else f"{negate}{prefix}/**/{body}"


def _walk_files(directory: Path) -> list[str]:
    """Files under ``directory`` (relative), pruned by the tree's ``.gitignore`` files."""
    import pathspec  # only runs that walk, glob or filter need it

    lines: list[str] = []
    spec = pathspec.GitIgnoreSpec.from_lines([])
    found: list[str] = []
    for current, dirnames, filenames in os.walk(directory):
        rel_dir = Path(current).relative_to(directory).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            try:
                text = (Path(current) / ".gitignore").read_text("utf-8", "replace")
            except OSError:
                text = ""
            added = [
                rebased
                for raw in text.splitlines()
                if (rebased := _rebase_gitignore_line(raw, rel_dir)) is not None
            ]
            if added:
                lines.extend(added)
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
        kept: list[str] = []
        for name in sorted(dirnames):
            if name == ".git":
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            # Git never looks inside an ignored directory, so a negation below
            # it cannot re-include anything; pruning here matches that.
            if not spec.match_file(rel + "/"):
                kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not spec.match_file(rel):
                found.append(rel)
    return sorted(found)


def _list_directory(directory: Path) -> list[Path]:
    names = _git_files(directory)
    if names is None:
        names = _walk_files(directory)
    out: list[Path] = []
    for name in names:
        path = directory / name if str(directory) != "." else Path(name)
        if (
            _is_content(path)
            and ".linkaudit" not in path.parts
            and path.is_file()
            and not is_own_report(path)
        ):
            out.append(path)
    return out


#: The first line of ``audit``'s Markdown report, and of ``health``'s (with its store).
_OWN_MARKDOWN = re.compile(rb"\A## linkaudit: |\A# Link health\n(?=.*Store: `)", re.S)


def is_own_report(path: Path) -> bool:
    """Whether ``path`` is a report linkaudit wrote (its HTML generator tag, or its
    Markdown report's first line, which no page of a project's own starts with:
    ``## linkaudit: ``): an audit never audits its own output, wherever it was
    written (a second ``audit .`` would otherwise count the first one's links)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'<meta name="generator" content="linkaudit' in head or bool(_OWN_MARKDOWN.match(head))


def _glob_base(spec: str) -> tuple[Path, str]:
    """Split a glob into the directory before its first wildcard and the rest."""
    parts = Path(spec).parts
    base: list[str] = []
    for index, part in enumerate(parts):
        if _is_glob(part):
            rest = "/".join(parts[index:])
            return (Path(*base) if base else Path(".")), rest
        base.append(part)
    return Path(spec), ""


def _expand_glob(spec: str) -> list[Path]:
    """Files a glob names, enumerated through the tree so ``.gitignore`` still applies.

    A shell would expand ``**/*.md`` into ``node_modules`` and ``_site`` too; going
    through :func:`_list_directory` keeps a glob as selective as a directory.
    Matching uses gitignore syntax anchored at the glob's base, so ``*`` stays
    within one directory and ``**`` spans any number, as in a shell with globstar.
    """
    import pathspec  # only runs that walk, glob or filter need it

    base, rest = _glob_base(spec)
    if not base.is_dir():
        return []
    matcher = pathspec.GitIgnoreSpec.from_lines(["/" + rest])
    hits: list[Path] = []
    for path in _list_directory(base):
        rel = path.relative_to(base).as_posix() if str(base) != "." else path.as_posix()
        if matcher.match_file(rel):
            hits.append(path)
    if not hits:
        # Non-content files named by an explicit glob (e.g. ``notes/*.txt``) are
        # still the user's choice; fall back to the plain expansion for them.
        hits = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    return hits


def _relative_forms(path: Path, resolved: Path, root: Path | None, cwd: Path) -> list[str]:
    forms: list[str] = []
    if root is not None:
        with contextlib.suppress(ValueError):
            forms.append(path.relative_to(root).as_posix())
    try:
        forms.append(resolved.relative_to(cwd).as_posix())
    except ValueError:
        forms.append(path.as_posix().lstrip("/"))
    return forms


def _selected(
    forms: list[str],
    include: pathspec.GitIgnoreSpec | None,
    exclude: pathspec.GitIgnoreSpec | None,
) -> bool:
    if exclude is not None and any(exclude.match_file(f) for f in forms):
        return False
    return include is None or any(include.match_file(f) for f in forms)


def iter_tree(
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Path]:
    """The article files that ``paths`` (files, directories, globs) stand for.

    A file named explicitly is taken whatever its suffix or ignore status (the
    user, or pre-commit, chose it), but ``include``/``exclude`` still apply so a
    configured exclude holds everywhere.  Raises :class:`InputError` for a path
    that does not exist or a glob that matches nothing: a typo in CI should fail
    loudly, not pass an empty audit.
    """
    include_spec = _compile(include)
    exclude_spec = _compile(exclude)
    seen: set[Path] = set()
    out: list[Path] = []
    cwd = Path.cwd().resolve()

    def add(candidates: Iterable[Path], root: Path | None) -> None:
        for path in candidates:
            key = path.resolve()
            if key in seen:
                continue
            forms = _relative_forms(path, key, root, cwd)
            if not _selected(forms, include_spec, exclude_spec):
                continue
            seen.add(key)
            out.append(path)

    for spec in paths:
        candidate = Path(spec)
        if candidate.is_dir():
            add(_list_directory(candidate), candidate)
        elif candidate.is_file():
            add([candidate], None)
        elif _is_glob(spec):
            hits = _expand_glob(spec)
            if not hits:
                raise InputError(f"{spec}: no files match this pattern")
            add(hits, _glob_base(spec)[0])
        else:
            raise InputError(f"{spec}: no such file or directory")
    return out
