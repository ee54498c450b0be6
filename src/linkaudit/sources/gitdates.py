"""The date each line of a file in a git repository was written: a citation date.

Markdown files and most HTML in a repository say nowhere when they were written,
so an archive lookup would aim at "now" and offer today's copy of a page the
author saw years ago.  Git knows better: ``git blame`` names the commit that
introduced each line (following the file through renames), and that commit's
author date is when the citation on that line was made.  One blame per file;
lines not committed yet have no date (the document's own date, or now, applies).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["LineDate", "blame_dates"]

_HEADER = re.compile(r"^([0-9a-f]{40}) \d+ (\d+)(?: (\d+))?$")
_UNCOMMITTED = "0" * 40


@dataclass(frozen=True)
class LineDate:
    """When a line was added, and by which commit (abbreviated)."""

    when: datetime
    commit: str

    @property
    def source(self) -> str:
        """Where the date came from, as a finding says it."""
        return f"line added in {self.commit} on {self.when.date().isoformat()}"


def blame_dates(path: Path) -> dict[int, LineDate]:
    """The 1-based lines of ``path`` with the date and commit that added each.

    Empty when the file is not in a git work tree, git is missing, or the file is
    not committed; never raises for those (a date is a nicety, not a requirement).
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "blame", "--porcelain", "--", path.name],
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    return parse_porcelain(done.stdout.decode("utf-8", "surrogateescape"))


def parse_porcelain(text: str) -> dict[int, LineDate]:
    """``git blame --porcelain`` as line -> date (uncommitted lines left out).

    Each line's group starts with ``<sha> <orig> <final> [<count>]``; a commit's
    ``author-time`` comes once, with its first group.
    """
    line_commit: dict[int, str] = {}
    times: dict[str, datetime] = {}
    current: str | None = None
    for row in text.split("\n"):
        if row.startswith("\t"):
            continue
        header = _HEADER.match(row)
        if header is not None:
            current = header.group(1)
            line_commit[int(header.group(2))] = current
        elif current is not None and row.startswith("author-time "):
            try:
                times[current] = datetime.fromtimestamp(int(row.split(" ", 1)[1]), UTC)
            except (ValueError, OverflowError, OSError):
                continue
    return {
        line: LineDate(times[sha], sha[:7])
        for line, sha in line_commit.items()
        if sha != _UNCOMMITTED and sha in times
    }
