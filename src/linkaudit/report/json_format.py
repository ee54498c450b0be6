"""The JSON report: the full result for programs, versioned and schema-described.

The shape is a public contract, described by ``linkaudit/data/report.schema.json``
(draft 2020-12) and checked against it in the tests; ``schema_version`` changes when
the shape does.  Field spellings come from ``serialize.to_jsonable`` so the store and
``extract --format json`` agree with this file.  Document texts are left out: they
are the user's own files and would dwarf the findings.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from linkaudit import __version__
from linkaudit.model import CheckResult, Finding, Report
from linkaudit.report.base import VERDICT_ORDER, counts, in_document_order, is_problem, utc_stamp
from linkaudit.serialize import SCHEMA_VERSION, fields_converter, to_jsonable


def report_header(report: Report) -> dict[str, Any]:
    """Everything of the JSON report but its findings (which are serialised one by one)."""
    documents = []
    for doc in report.documents:
        data = to_jsonable(doc)
        data.pop("text", None)
        documents.append(data)
    tally = counts(report)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_stamp(report.finished_at),
        "tool": {"name": "linkaudit", "version": __version__},
        "started_at": utc_stamp(report.started_at),
        "finished_at": utc_stamp(report.finished_at),
        "settings": to_jsonable(report.settings),
        "warnings": list(report.warnings),
        "changes": report.changes,
        "outages": [to_jsonable(outage) for outage in report.outages],
        "documents": documents,
        "summary": {v.value: tally[v] for v in VERDICT_ORDER},
        "totals": {
            "citations": len(report.findings),
            "problems": sum(1 for f in report.findings if is_problem(f.verdict)),
        },
    }


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def finding_json(finding: Finding) -> str:
    """One finding as the report prints it (one line)."""
    return _encode(to_jsonable(finding))


_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_BEFORE_RESULT = fields_converter(_FIELDS[: _FIELDS.index("result")])
_AFTER_RESULT = fields_converter(_FIELDS[_FIELDS.index("result") + 1 :])


class FindingLines:
    """Each finding's line (``finding_json``), encoded at most once, its check result too.

    A run with a store writes every finding twice, into its document's report in
    the store (for ``fix``) and into the printed report, and encoding is most of
    what either costs.  Citations of one URL share one ``CheckResult`` (three per
    URL on a content repo), and the result is most of a finding's text, so it is
    encoded once and spliced into each finding's line: the same bytes as
    ``finding_json``.  Entries keep their objects alive, so an ``id`` cannot be
    reused by another object while it is cached.
    """

    def __init__(self) -> None:
        self._lines: dict[int, tuple[Finding, str]] = {}
        self._results: dict[int, tuple[CheckResult, str]] = {}
        self._tails: dict[str, str] = {}  # after the result: mostly no archive copy, one note

    def __call__(self, finding: Finding) -> str:
        hit = self._lines.get(id(finding))
        if hit is not None and hit[0] is finding:
            return hit[1]
        line = self._encode(finding)
        self._lines[id(finding)] = (finding, line)
        return line

    def _encode(self, finding: Finding) -> str:
        result = finding.result
        if result is None:
            return finding_json(finding)
        known = self._results.get(id(result))
        if known is None or known[0] is not result:
            known = self._results[id(result)] = (result, _encode(to_jsonable(result)))
        head = _encode(_BEFORE_RESULT(finding))
        plain = finding.archive is None and finding.restoration is None and finding.drift is None
        tail = self._tails.get(finding.archive_note) if plain else None
        if tail is None:
            tail = _encode(_AFTER_RESULT(finding))
            if plain:
                self._tails[finding.archive_note] = tail
        return "".join((head[:-1], ', "result": ', known[1], ", ", tail[1:]))


def write_json(header: Mapping[str, Any], findings: Iterable[str], out: TextIO) -> None:
    """Write the report from its header and already-encoded findings, one per line.

    One line per finding keeps a diff between two runs readable; writing finding
    by finding never holds the whole run's text (or a dict tree of it) in memory,
    and keeps the encoder's C fast path, which ``indent`` disables.
    """
    # ``default=str`` keeps odd settings values (paths, ...) from failing a run.
    head = json.dumps(header, indent=2, ensure_ascii=False, default=str)
    out.write(head[: -len("\n}")])
    out.write(',\n  "findings": [')
    separator = "\n    "
    wrote = False
    for line in findings:
        out.write(separator)
        out.write(line)
        separator = ",\n    "
        wrote = True
    out.write("\n  ]\n}\n" if wrote else "]\n}\n")


def assemble(header: Mapping[str, Any], findings: Iterable[str]) -> str:
    """``write_json`` into a string."""
    buffer = io.StringIO()
    write_json(header, findings, buffer)
    return buffer.getvalue()


def compact(header: Mapping[str, Any], findings: Iterable[str]) -> str:
    """The same report as ``assemble``, without the header's indentation.

    For reports only programs read (the store's per-document copies that ``fix``
    loads): ``indent`` sends ``json`` down its pure-Python encoder, which made a
    pretty header per document cost more than the document's findings.
    """
    head = json.dumps(header, ensure_ascii=False, default=str)
    return "".join((head[:-1], ', "findings": [', ", ".join(findings), "]}"))


class JsonFormatter:
    """UTF-8 JSON: the header pretty-printed, then one finding per line; still one
    ``json.load`` away."""

    name = "json"
    extension = "json"

    def __init__(self, lines: Callable[[Finding], str] = finding_json) -> None:
        self._line = lines  # e.g. the run's FindingLines, to reuse what the store encoded

    def render(self, report: Report, *, color: bool = False) -> str:
        return assemble(report_header(report), map(self._line, in_document_order(report)))

    def write(self, report: Report, out: TextIO) -> None:
        """Stream the report (what ``render`` returns) without building it in memory."""
        write_json(report_header(report), map(self._line, in_document_order(report)), out)
