"""The terminal report: what an editor reads right after running an audit.

Problems are grouped under verdict headings, worst first, each with where it is
(``file:line:col`` so editors and terminals can jump to it) and the repair to make.
Passing citations are only counted: listing hundreds of working links would bury
the three that matter.  Every piece of article or web text is flattened to one line
without control characters, so a hostile page cannot move the cursor or recolour
the terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from linkaudit.model import Finding, Report, Verdict
from linkaudit.report.base import (
    VERDICT_ORDER,
    anchor_label,
    archive_trouble,
    capture_note,
    moved_to,
    one_line,
    problems,
    summary_line,
    target_url,
    utc_date,
    warnings_of,
    what_to_do,
    where_text,
)

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_COLOURS: dict[Verdict, str] = {
    Verdict.LOST: "\x1b[1;31m",
    Verdict.BROKEN: "\x1b[1;31m",
    Verdict.STALE: "\x1b[31m",
    Verdict.INVALID: "\x1b[31m",
    Verdict.INSECURE: "\x1b[33m",
    Verdict.FRAGMENT_MISSING: "\x1b[33m",
    Verdict.MOVED: "\x1b[33m",
    Verdict.BLOCKED: "\x1b[36m",
    Verdict.UNREACHABLE: "\x1b[36m",
    Verdict.SKIPPED: "\x1b[2m",
    Verdict.OK: "\x1b[32m",
}

_HEADINGS: dict[Verdict, str] = {
    Verdict.LOST: "LOST: the link itself is gone from the text",
    Verdict.BROKEN: "BROKEN: definitively gone",
    Verdict.STALE: "STALE: answers, but the cited content is gone",
    Verdict.INVALID: "INVALID: not a usable URL",
    Verdict.INSECURE: "INSECURE: readers' browsers will warn",
    Verdict.FRAGMENT_MISSING: "FRAGMENT MISSING: the page is live, the #anchor is not",
    Verdict.MOVED: "MOVED: permanently redirected; update the link",
    Verdict.BLOCKED: "BLOCKED: the server refused to let us verify",
    Verdict.UNREACHABLE: "UNREACHABLE: no usable answer; may be transient",
}


class TerminalFormatter:
    """Plain text, ANSI colour only when asked (the CLI decides, ``--color``).

    ``show_warnings=False`` leaves the run's warnings out: the commands print them
    once on stderr, and a terminal showing both streams would show them twice.
    """

    name = "terminal"
    extension = "txt"

    def __init__(self, *, show_warnings: bool = True) -> None:
        self.show_warnings = show_warnings

    def render(self, report: Report, *, color: bool = False) -> str:
        def paint(code: str, text: str) -> str:
            return f"{code}{text}{_RESET}" if color else text

        lines = self._header(report, paint)
        found = problems(report)
        for verdict in VERDICT_ORDER:
            group = [f for f in found if f.verdict is verdict]
            if not group:
                continue
            lines.append("")
            lines.append(paint(_COLOURS[verdict], f"{_HEADINGS[verdict]} ({len(group)})"))
            for finding in group:
                lines.extend(self._finding(finding, paint, report))

        lines.append("")
        lines.append(summary_line(report))
        return "\n".join(lines) + "\n"

    def _header(self, report: Report, paint: Callable[[str, str], str]) -> list[str]:
        """The documents, then what the run could not reach (first: it changes how
        everything below reads), the warnings and the changes since the last run."""
        lines: list[str] = []
        for doc in report.documents:
            title = one_line(doc.title or "") or one_line(doc.origin)
            cited = utc_date(doc.cited_at)
            suffix = f" (cited {cited})" if cited else ""
            lines.append(paint(_BOLD, f"{title}{suffix}"))
            if title != one_line(doc.origin):
                lines.append(paint(_DIM, f"  {one_line(doc.origin)}"))
        for outage in report.outages:
            lines.append(paint(_COLOURS[Verdict.BROKEN], f"!! {one_line(outage.message)}"))
        for warning in warnings_of(report) if self.show_warnings else ():
            lines.append(paint(_COLOURS[Verdict.INSECURE], f"warning: {one_line(warning)}"))
        if report.changes:
            lines.append(f"since the last run: {one_line(report.changes)}")
        return lines

    @staticmethod
    def _finding(finding: Finding, paint: Callable[[str, str], str], report: Report) -> list[str]:
        cit = finding.citation
        out = [f"  {paint(_BOLD, repr_text(anchor_label(finding)))}  {where_text(finding)}"]
        url = target_url(finding)
        if url and one_line(cit.text):
            out.append(f"    {one_line(url)}")
        reason = f" ({one_line(finding.reason)})" if finding.reason else ""
        detail = f": {one_line(finding.detail)}" if finding.detail else ""
        out.append(f"    {paint(_COLOURS[finding.verdict], finding.verdict.value)}{reason}{detail}")
        new = moved_to(finding)
        if new:
            out.append(f"    fix: update the link to {one_line(new)}")
        if finding.restoration is not None:
            rest = finding.restoration
            out.append(f"    fix: restore the link to {one_line(rest.url)}")
            out.append(f"         (found in {one_line(rest.evidence_url)})")
        if finding.archive is not None:
            label = "fix" if not new and finding.restoration is None else "archived"
            out.append(f"    {label}: {one_line(finding.archive.url)}")
            out.append(f"         ({capture_note(finding)}, {one_line(finding.archive.archive)})")
        if not new and finding.restoration is None and finding.archive is None:
            out.append(f"    do: {what_to_do(finding, report)}")
        trouble = archive_trouble(finding, report)
        if trouble:
            out.append(f"    archive: {one_line(trouble)}")
        return out


def repr_text(text: str) -> str:
    """Quote anchor text so where it starts and ends is never ambiguous."""
    return f"\u201c{text}\u201d"
