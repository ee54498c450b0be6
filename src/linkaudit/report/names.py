"""Report file names: one per source, decided before a run does any network work.

Two sources with the same file name (``a/index.md``, ``b/index.md``) audited in
the same second into one folder used to get the same report name: the second run
did all its work and then failed, or with ``--force`` replaced the first run's
report.  A name now folds the source's path into it (``a-index``), with a short
hash of the source when folding loses anything (characters a file name cannot
carry, a long path cut short, several sources), and is known from what the user
named, so the existence check runs before the first request.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

#: Longest stem kept whole; longer ones are cut and get a hash.
MAX_STEM = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STDIN = "-"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _fold(parts: Sequence[str]) -> tuple[str, bool]:
    """The parts joined with ``-`` as a safe file-name stem, and whether anything was lost."""
    cleaned = [_UNSAFE.sub("-", part).strip(".-") for part in parts]
    lossy = any(c != p for c, p in zip(cleaned, parts, strict=True))
    kept = [part for part in cleaned if part]
    return "-".join(kept), lossy or len(kept) != len(parts)


def _spec_parts(spec: str, cwd: Path) -> tuple[list[str], bool]:
    """The parts of a source worth a name, and whether some were left out."""
    if spec == STDIN:
        return ["stdin"], False
    if "://" in spec:
        url = urlsplit(spec)
        route = PurePosixPath(url.path.rstrip("/"))
        segments = [s for s in route.parent.parts if s != "/"] + (
            [route.stem] if route.stem else []
        )
        return [url.hostname or "site", *segments], False
    full = Path(os.path.normpath(cwd / spec.replace("\\", "/")))
    cut = False
    try:
        path = full.relative_to(cwd)
    except ValueError:
        path, cut = Path(*full.parts[-2:]) if len(full.parts) > 1 else Path(), True
    parts = [p for p in path.parts if p not in (".", "..", "/")]
    if not parts:
        return ([cwd.name] if not cut and cwd.name else ["audit"]), cut
    *folders, last = parts
    return [*folders, PurePosixPath(last).stem if "." in last.lstrip(".") else last], cut


def run_stem(
    specs: Sequence[str],
    *,
    wordpress: str | None = None,
    sitemap: str | None = None,
    cwd: Path | None = None,
) -> str:
    """The file-name stem for a run of ``specs`` (and a WordPress site or sitemap).

    One source: its path (or URL host and path) folded into the name, as given
    (``content/a/index.md`` -> ``content-a-index``).  Several: ``audit`` and a hash
    of them all, so two runs over different sets never share a name.
    """
    here = cwd or Path.cwd()
    named = [*specs, *(s for s in (wordpress, sitemap) if s)]
    if len(named) != 1:
        return f"audit-{_digest(chr(0).join(sorted(named)))}"
    parts, cut = _spec_parts(named[0], here)
    stem, lossy = _fold(parts)
    lossy = lossy or cut
    if not stem:
        stem, lossy = "audit", True
    if len(stem) > MAX_STEM:
        stem, lossy = stem[: MAX_STEM - 9].rstrip(".-"), True
    return f"{stem}-{_digest(named[0])}" if lossy else stem


def dated_name(stem: str, extension: str, now: datetime) -> str:
    """``<stem>-<UTC time>.<extension>``: the report's name for a run started ``now``."""
    stamp = (now.astimezone(UTC) if now.tzinfo else now).strftime("%Y%m%dT%H%M%SZ")
    return f"{stem}-{stamp}.{extension}"
