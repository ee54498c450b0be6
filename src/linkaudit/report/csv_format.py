"""The CSV report: one row per citation, for spreadsheets and quick scripts.

Editors open this in a spreadsheet, where a cell starting with ``=``, ``+``, ``-``
or ``@`` (or their full-width forms ``＝＋－＠``) is a formula: anchor text from a
hostile page could then run ``=HYPERLINK(...)`` or worse.  Such cells are prefixed
with ``'`` (the OWASP advice), as are cells starting with a tab, carriage return or
newline, or with spaces before any of these.
"""

from __future__ import annotations

import csv
import io

from linkaudit.model import Finding, Report
from linkaudit.report.base import in_document_order, moved_to, utc_stamp

COLUMNS: tuple[str, ...] = (
    "document",
    "line",
    "column",
    "kind",
    "verdict",
    "reason",
    "url_as_written",
    "url",
    "final_url",
    "status",
    "anchor_text",
    "archive_url",
    "archive_captured_at",
    "restored_url",
    "detail",
)

#: What makes a spreadsheet read a cell as a formula: the ASCII signs, their
#: full-width forms (Excel and LibreOffice in CJK locales take ``＝SUM(...)`` as a
#: formula too), and a tab, carriage return or newline before them.
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "\n")


def guard_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in untrusted text (leading spaces are no
    disguise: ``  =1+1`` is a formula to some spreadsheets as well)."""
    return "'" + value if value.lstrip(" ").startswith(_FORMULA_START) else value


def _row(f: Finding) -> list[str]:
    cit, result = f.citation, f.result
    final = (result.final_url if result else None) or moved_to(f)
    status = result.status if result is not None else None
    cells = [
        cit.document,
        str(cit.location.line),
        str(cit.location.column),
        cit.kind.value,
        f.verdict.value,
        f.reason,
        cit.url_as_written or "",
        cit.url or "",
        final or "",
        "" if status is None else str(status),
        cit.text,
        f.archive.url if f.archive else "",
        utc_stamp(f.archive.captured_at) if f.archive else "",
        f.restoration.url if f.restoration else "",
        f.detail,
    ]
    return [guard_cell(c) for c in cells]


class CsvFormatter:
    """RFC 4180 CSV (CRLF line ends, quoted when needed) with a header row."""

    name = "csv"
    extension = "csv"

    def render(self, report: Report, *, color: bool = False) -> str:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for finding in in_document_order(report):
            writer.writerow(_row(finding))
        return buffer.getvalue()
