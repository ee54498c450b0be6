"""Writing report files: every report and the health page go through here.

Every target is checked before any is written, so a refused run leaves nothing
half-written, and nothing is overwritten unless forced.  Each file is written
beside its target under a temporary name and then put in place in one step: a
reader never sees half a report, and a link planted where the report goes is
replaced, never written through (with ``--force``) or refused (without).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from linkaudit.errors import InputError
from linkaudit.report.base import ReportExistsError


class Streamed:
    """A report written straight into its file, never held whole: a 100,000-link
    run's JSON is ~110 MB of text, which ``render`` would build as one string."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[TextIO], None]) -> None:
        self.write = write


#: A file to write: its name in the output directory and how to render it (the
#: whole text, or a :class:`Streamed` writer).
Output = tuple[str, Callable[[], str] | Streamed]


def write_files(directory: Path | str, outputs: Sequence[Output], *, force: bool) -> list[Path]:
    """Write each output into ``directory`` (created if missing); the paths written.

    Raises :class:`ReportExistsError` naming the first target that exists when
    ``force`` is false, before anything is written; :class:`InputError` when the
    directory or a file cannot be written.  A name given twice is written once.
    """
    folder = Path(directory)
    targets: list[tuple[Path, Callable[[], str] | Streamed]] = []
    for name, render in outputs:
        path = folder / name
        if any(path == known for known, _ in targets):
            continue
        if not force and (path.exists() or path.is_symlink()):
            raise _exists(path)
        targets.append((path, render))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create report directory {folder}: {exc.strerror}") from exc
    written: list[Path] = []
    for path, render in targets:
        _put(path, render if isinstance(render, Streamed) else render(), force=force)
        written.append(path)
    return written


def refuse_existing(directory: Path | str, names: Sequence[str]) -> None:
    """Raise :class:`ReportExistsError` for the first of ``names`` that exists in
    ``directory``: asked before a run starts, so a refused run costs no request."""
    folder = Path(directory)
    for name in names:
        path = folder / name
        if path.exists() or path.is_symlink():
            raise _exists(path)


#: The UTC time in a report's name (``article-20261203T042017Z.html``).
_STAMP = re.compile(r"-\d{8}T\d{6}Z(?=\.)")


def latest_name(name: str) -> str | None:
    """``article-20261203T042017Z.html`` -> ``article-latest.html`` (None: no time in it)."""
    pointer, found = _STAMP.subn("-latest", name, count=1)
    return pointer if found else None


def write_latest(paths: Sequence[Path]) -> list[Path]:
    """Beside each dated report just written, a copy under a stable name
    (``<source>-latest.<ext>``) that scripts and bookmarks can rely on.

    The pointer is linkaudit's own file and is replaced every run, atomically, as
    any report is (never written through a link planted in its place).  Copies,
    not symbolic links: they survive being uploaded, zipped or served.
    """
    written: list[Path] = []
    for path in paths:
        name = latest_name(path.name)
        if name is not None and path.with_name(name) not in written:
            written.append(_copy_into_place(path, path.with_name(name)))
    return written


def _copy_into_place(source: Path, target: Path) -> Path:
    """``source``'s bytes at ``target``, copied a block at a time (a 100 MB JSON
    report is never read into memory) and renamed into place over whatever is there."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise InputError(f"cannot write report {target}: {exc.strerror}") from exc
    try:
        with open(source, "rb") as reading, os.fdopen(handle, "wb") as writing:
            shutil.copyfileobj(reading, writing, 1 << 20)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        raise InputError(f"cannot write report {target}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return target


def _exists(path: Path) -> ReportExistsError:
    return ReportExistsError(f"report file already exists: {path} (use --force to replace it)")


def _put(path: Path, text: str | Streamed, *, force: bool) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it into place:
    replacing whatever is there when forced, else only if nothing is."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise InputError(f"cannot write report {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            if isinstance(text, Streamed):
                text.write(stream)
            else:
                stream.write(text)
        os.chmod(temporary, 0o644)
        if force:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    except FileExistsError as exc:  # appeared since the check
        raise _exists(path) from exc
    except OSError as exc:
        raise InputError(f"cannot write report {path}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _link_new(temporary: str, path: Path) -> None:
    """Give the finished file its name only if the name is free (a hard link fails
    when it is taken); where hard links are not supported, an exclusive create."""
    try:
        os.link(temporary, path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        with open(temporary, encoding="utf-8", newline="") as source:
            text = source.read()
        with path.open("x", encoding="utf-8", newline="") as stream:
            stream.write(text)
