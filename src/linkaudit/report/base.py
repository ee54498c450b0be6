"""The one interface every report format implements, and the facts they share.

Formats differ only in presentation; which findings are problems, their order, the
wording of a suggested fix and which URLs may be made clickable are decided here
once, so the terminal, the HTML page and the CI formats never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from linkaudit.archive.reach import NOT_LOOKED_UP, NOT_RESTORED
from linkaudit.errors import LinkauditError
from linkaudit.model import (
    DEFAULT_FAIL_ON,
    Document,
    Finding,
    Findings,
    OutageKind,
    Relation,
    Report,
    Verdict,
)
from linkaudit.reasons import VERDICT_TODO, Reason

#: Verdicts that need no action; everything else is a problem an editor should see.
PASSING: frozenset[Verdict] = frozenset({Verdict.OK, Verdict.SKIPPED})

#: The verdicts that are problems.
PROBLEMS: frozenset[Verdict] = frozenset(Verdict) - PASSING

#: Problem verdicts from worst to mildest, then the passing ones: the order of headings.
VERDICT_ORDER: tuple[Verdict, ...] = tuple(sorted(Verdict, key=lambda v: -v.severity))


class ReportExistsError(LinkauditError):
    """A report file is already there and ``--force`` was not given: never clobber."""

    exit_code = 2


@runtime_checkable
class Formatter(Protocol):
    """A report format: a pure function from a Report to text.

    Rendering returns a string (and never touches the filesystem) so formats are
    testable byte-for-byte and ``write_reports`` alone decides names and overwrites.
    """

    name: str
    extension: str

    def render(self, report: Report, *, color: bool = False) -> str: ...


def verdicts_at_or_above(level: Verdict) -> frozenset[Verdict]:
    """The verdicts a ``--fail-on LEVEL`` threshold catches (severity order)."""
    return frozenset(v for v in Verdict if v.severity >= level.severity)


def is_problem(verdict: Verdict) -> bool:
    return verdict not in PASSING


def document_order(report: Report) -> dict[str, int]:
    """Position of each document by origin, so findings sort in the order given."""
    return {doc.origin: i for i, doc in enumerate(report.documents)}


def place_in_document(finding: Finding) -> tuple[int, int]:
    """Where a finding's citation is in its document: the order a document's own
    findings are listed in (every report, and its stored report)."""
    location = finding.citation.location
    return location.line, location.column


def _location_key(order: dict[str, int], finding: Finding) -> tuple[int, str, int, int]:
    document = finding.citation.document
    return (order.get(document, len(order)), document, *place_in_document(finding))


def location_sort_key(report: Report) -> Callable[[Finding], tuple[int, str, int, int]]:
    order = document_order(report)
    return lambda f: _location_key(order, f)


def severity_sort_key(report: Report) -> Callable[[Finding], tuple[int, int, str, int, int]]:
    """Worst first, then document, then position: the order an editor fixes things."""
    order = document_order(report)
    return lambda f: (-f.verdict.severity, *_location_key(order, f))


def in_document_order(report: Report) -> list[Finding]:
    """Every finding, as it appears in the documents (the listing formats' order)."""
    return sorted(report.findings, key=location_sort_key(report))


def problems(report: Report) -> list[Finding]:
    """Findings that need an editor, worst first."""
    if isinstance(report.findings, Findings):  # reused documents: decode only these
        found = report.findings.at(PROBLEMS)
        return sorted(found, key=severity_sort_key(report))
    return sorted(
        (f for f in report.findings if is_problem(f.verdict)), key=severity_sort_key(report)
    )


def counts(report: Report) -> dict[Verdict, int]:
    if isinstance(report.findings, Findings):  # reused documents: their stored tallies
        tally = report.findings.tally()
        return {v: tally.get(v.value, 0) for v in VERDICT_ORDER}
    out = dict.fromkeys(VERDICT_ORDER, 0)
    for finding in report.findings:
        out[finding.verdict] += 1
    return out


def problem_count(report: Report) -> int:
    """How many findings need an editor (without decoding reused documents)."""
    return sum(n for verdict, n in counts(report).items() if is_problem(verdict))


def location_text(finding: Finding) -> str:
    """``file:line:col``, the form editors and terminals turn into a jump (for a
    WordPress post, in the file: inside the escaped ``content.rendered`` string)."""
    loc = finding.citation.location
    return f"{finding.citation.document}:{loc.line}:{loc.column}"


def body_location(finding: Finding) -> str:
    """``post body 11:121``: where a WordPress post's citation is in the decoded
    body (the HTML its editor sees), when that differs from the file position."""
    loc = finding.citation.location
    if loc.body_line is None or loc.body_column is None:
        return ""
    return f"post body {loc.body_line}:{loc.body_column}"


def where_text(finding: Finding) -> str:
    """The file position, and the position in a post's body when there is one."""
    body = body_location(finding)
    return f"{location_text(finding)} ({body})" if body else location_text(finding)


def target_url(finding: Finding) -> str | None:
    """The URL a reader clicks: as resolved, else as written (None for lost links).
    A local link shows as written (``../setup.md#install``): its ``file:`` URL is
    this machine's path, and the finding's detail names the file."""
    cit = finding.citation
    if cit.relation is Relation.LOCAL:
        return cit.url_as_written or cit.url
    return cit.url or cit.url_as_written


def moved_to(finding: Finding) -> str | None:
    """Where a ``moved`` link now lives, when the check learned it."""
    if finding.verdict is not Verdict.MOVED or finding.result is None:
        return None
    final = finding.result.final_url
    return final if final and final != finding.citation.url else None


def _days(n: float) -> str:
    whole = round(n)
    return "1 day" if whole == 1 else f"{whole} days"


def capture_note(finding: Finding) -> str:
    """'captured 2023-04-01, 17 days before citation': how close the copy is to what was cited."""
    copy = finding.archive
    if copy is None:
        return ""
    when = copy.captured_at.astimezone(UTC) if copy.captured_at.tzinfo else copy.captured_at
    date = when.strftime("%Y-%m-%d")
    if round(copy.distance_days) == 0:
        return f"captured {date}, the day of citation"
    side = "before" if copy.before else "after"
    return f"captured {date}, {_days(copy.distance_days)} {side} citation"


def fix_text(finding: Finding) -> str:
    """The suggested repair in one plain line (empty when there is none).

    ``archive_note`` is not a repair (it says why there is none), so callers show it
    separately.
    """
    new = moved_to(finding)
    if new:
        return f"update the link to {new}"
    if finding.restoration is not None:
        return f"restore the link to {finding.restoration.url}"
    if finding.archive is not None:
        return f"link the archived copy {finding.archive.url} ({capture_note(finding)})"
    return ""


#: Verdicts whose remedy is the archived copy, when there is one.
_ARCHIVE_REMEDY = frozenset({Verdict.BROKEN, Verdict.STALE, Verdict.INSECURE})


#: Verdicts whose row explains a missing copy (or, for lost links, restoration).
_ARCHIVE_NOTED = _ARCHIVE_REMEDY | {Verdict.LOST}


def what_to_do(finding: Finding, report: Report | None = None) -> str:
    """What an editor should do about a finding, in a few words: the reason's
    action (:attr:`Reason.todo`, the README's verdict table), made concrete by what
    the run found (a new URL, a restored href, an archived copy or none).

    ``report`` tells whether the archives could be reached at all: a dead link
    with "no copy" then means "not asked", so the advice is to run again.
    """
    verdict = finding.verdict
    archives_down = report is not None and report.outage(OutageKind.ARCHIVES) is not None
    if moved_to(finding):
        return "update the link to the new URL"
    if finding.restoration is not None:
        return "restore the link (the archived article has it)"
    if verdict is Verdict.LOST:
        return _lost_todo(finding, archives_down)
    if finding.citation.relation is Relation.LOCAL:  # a file of the repository: no archive
        reason = Reason.of(finding.reason)
        return reason.todo if reason is not None else VERDICT_TODO[verdict]
    if verdict in _ARCHIVE_REMEDY:
        return _dead_todo(finding, archives_down)
    reason = Reason.of(finding.reason)
    return reason.todo if reason is not None else VERDICT_TODO[verdict]


def _lost_todo(finding: Finding, archives_down: bool) -> str:
    """A lost link with no original found: try again when restoring could not run,
    else by hand (or what its reason says: an empty href is added, not restored)."""
    if archives_down or finding.archive_note.startswith(NOT_RESTORED):
        return "restore it by hand, or re-run when the archives answer"
    reason = Reason.of(finding.reason)
    if reason is Reason.STRIPPED_LINK and finding.archive_note:  # asked; not in the copy
        return "restore it by hand (the archived article does not have it)"
    return reason.todo if reason is not None else VERDICT_TODO[Verdict.LOST]


def _dead_todo(finding: Finding, archives_down: bool) -> str:
    """A broken, stale or insecure link: its archived copy, or what to do without one."""
    verdict = finding.verdict
    if verdict is Verdict.INSECURE:
        return VERDICT_TODO[verdict]
    if finding.archive is not None:
        return "use the archived copy"
    if archives_down:
        return "find a new source, or re-run when the archives answer"
    if finding.archive_note:  # looked up, and none found
        return "find a new source (no archived copy found)"
    return VERDICT_TODO[verdict]


def archive_trouble(finding: Finding, report: Report | None = None) -> str:
    """The archive note worth a reader's time in a finding's row: why a dead link
    has no copy when its lookup ran into trouble, or why a lost link could not be
    restored.  Empty when it simply has none, when the run could not reach the
    archives or the network (``report``'s banner says so, once), or when the
    archive is not the remedy (a bot wall is checked in a browser)."""
    note = finding.archive_note
    if finding.archive is not None or finding.verdict not in _ARCHIVE_NOTED:
        return ""
    if report is not None and report.outages:
        return ""
    return "" if note.startswith(("no capture", NOT_LOOKED_UP)) else note


def short_url(url: str, limit: int = 72) -> str:
    """A long URL cut in the middle (``https://host/start…end``): both ends say the
    most, and the full URL stays in the link's title and the evidence."""
    if len(url) <= limit:
        return url
    head = limit * 3 // 5
    return f"{url[:head]}\u2026{url[-(limit - head - 1) :]}"


_SAFE_HREF = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f\"'<>\\`]+", re.IGNORECASE)


def is_safe_href(url: str | None) -> bool:
    """Whether a URL may become a clickable link: plain http(s) only.

    Browsers strip tabs and newlines inside a URL and ignore leading controls, so
    ``java\\tscript:`` is still a script URL; any whitespace or control character
    disqualifies rather than being trusted to parse the same way everywhere.
    """
    return bool(url) and _SAFE_HREF.fullmatch(url or "") is not None


#: Terminal escape sequences in their 7-bit and 8-bit forms: CSI (colours, cursor
#: moves), OSC (window titles, hyperlinks) and two-character ESC sequences.  They are
#: removed whole: dropping ESC alone would leave ``[31m`` behind.
_TERMINAL_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)


def one_line(text: str) -> str:
    """Collapse untrusted text onto one line without control characters.

    C0 and C1 controls go, and terminal escape sequences go whole, so page text
    can neither recolour nor move the cursor of the terminal that shows it.
    """
    if "\x1b" in text or any("\x80" <= ch <= "\x9f" for ch in text):
        text = _TERMINAL_ESCAPE.sub("", text)
    cleaned = "".join(
        " " if ch in "\t\n\r\x0b\x0c\u2028\u2029" else ch
        for ch in text
        if ch in "\t\n\r\x0b\x0c" or unicodedata.category(ch) != "Cc"
    )
    return " ".join(cleaned.split())


def anchor_label(finding: Finding) -> str:
    """What the reader sees of the citation: its anchor text, else its URL."""
    cit = finding.citation
    return one_line(cit.text) or one_line(target_url(finding) or "") or "(no text)"


def summary_line(report: Report) -> str:
    """'12 citations in 1 document: 2 broken, 1 lost; 8 ok, 1 skipped'."""
    tally = counts(report)
    total = len(report.findings)
    ndocs = len(report.documents)
    head = (
        f"{total} citation{'s' if total != 1 else ''} in "
        f"{ndocs} document{'s' if ndocs != 1 else ''}"
    )
    bad = [f"{tally[v]} {v.value}" for v in VERDICT_ORDER if is_problem(v) and tally[v]]
    good = [f"{tally[v]} {v.value}" for v in VERDICT_ORDER if not is_problem(v) and tally[v]]
    parts = ", ".join(bad) if bad else "no problems"
    return f"{head}: {parts}" + (f"; {', '.join(good)}" if good else "")


def utc_stamp(value: datetime | None) -> str:
    """A datetime as the reports print it: UTC, to the second, with a Z."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_date(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d")


_LIST_ITEM = re.compile(r"\[\d+\]$")


def document_warnings(documents: Iterable[Document]) -> list[str]:
    """Each document's input warnings, prefixed with its origin, each said once.

    The posts of one WordPress export (``posts.json[0]``, ``posts.json[1]`` ...)
    share the file's warnings (it was truncated, say): said once for the file,
    not once per post.
    """
    origins: dict[tuple[str, str], list[str]] = {}
    for doc in documents:
        for warning in doc.warnings:
            origins.setdefault((_LIST_ITEM.sub("", doc.origin), warning), []).append(doc.origin)
    return [
        f"{file if len(seen) > 1 else seen[0]}: {warning}"
        for (file, warning), seen in origins.items()
    ]


def warnings_of(report: Report) -> Iterable[str]:
    """Run warnings then per-document input warnings, each saying where it came from,
    and each once (the pipeline already copies document warnings into the run's)."""
    seen = {outage.message for outage in report.outages}  # the banner says those, first
    for warning in (*report.warnings, *document_warnings(report.documents)):
        if warning not in seen:
            seen.add(warning)
            yield warning


def fail_set(fail_on: Collection[Verdict] | None) -> frozenset[Verdict]:
    return frozenset(DEFAULT_FAIL_ON if fail_on is None else fail_on)
