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
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TextIO

import orjson

from linkaudit import __version__
from linkaudit.model import FINDING_SEPARATOR, CheckResult, Finding, Findings, Report
from linkaudit.report.base import (
    VERDICT_ORDER,
    counts,
    document_order,
    in_document_order,
    location_sort_key,
    problem_count,
    utc_stamp,
)
from linkaudit.serialize import SCHEMA_VERSION, to_jsonable


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
        "totals": {"citations": len(report.findings), "problems": problem_count(report)},
    }


#: orjson writes the model's dataclasses, enums, tuples and nested mappings itself,
#: the same values ``to_jsonable`` makes of them; datetimes go to ``to_jsonable``
#: (its UTC spelling), and so does anything else orjson does not know.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    converted = to_jsonable(value)
    if converted is value:  # not a model value: its text, as ``default=str`` did
        return str(value)
    return converted


def _encode(value: Any) -> str:
    """One line of JSON: what ``json.dumps(to_jsonable(value))`` gives, compactly.

    The findings are most of what a run writes (twice: the report and the store's
    per-document copies), and encoding them in C from the dataclasses themselves
    takes a quarter of the time the standard encoder took after ``to_jsonable``
    had built their dicts (20,000 findings: 0.40 s before).
    """
    return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS).decode()


def finding_json(finding: Finding) -> str:
    """One finding as the report prints it (one line)."""
    return _encode(finding)


_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_BEFORE = _FIELDS[: _FIELDS.index("result")]
_AFTER = _FIELDS[_FIELDS.index("result") + 1 :]


def _before_result(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in _BEFORE}


def _after_result(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in _AFTER}


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
            known = self._results[id(result)] = (result, _encode(result))
        head = _encode(_before_result(finding))
        plain = finding.archive is None and finding.restoration is None and finding.drift is None
        tail = self._tails.get(finding.archive_note) if plain else None
        if tail is None:
            tail = _encode(_after_result(finding))
            if plain:
                self._tails[finding.archive_note] = tail
        return "".join((head[:-1], ',"result":', known[1], ",", tail[1:]))


def write_json(header: Mapping[str, Any], findings: Iterable[str], out: TextIO) -> None:
    """Write the report from its header and already-encoded findings, one per line.

    One line per finding keeps a diff between two runs readable; writing finding
    by finding never holds the whole run's text (or a dict tree of it) in memory,
    and keeps the encoder's C fast path, which ``indent`` disables.
    """
    # ``default=str`` keeps odd settings values (paths, ...) from failing a run.
    head = json.dumps(header, indent=2, ensure_ascii=False, default=str)
    parts = [head[: -len("\n}")], ',\n  "findings": [']
    size = 0
    separator = "\n    "
    wrote = False
    for line in findings:
        parts += (separator, line)
        size += len(line)
        separator = FINDING_SEPARATOR
        wrote = True
        if size >= _WRITE_SIZE:
            out.write("".join(parts))
            parts.clear()
            size = 0
    parts.append("\n  ]\n}\n" if wrote else "]\n}\n")
    out.write("".join(parts))


#: Characters of findings written at once: a write per finding was 40,000 writes for
#: a 20,000-citation run, each a system call on an unbuffered stdout
#: (``PYTHONUNBUFFERED``, as many containers set it): 0.2 s of a warm run.
_WRITE_SIZE = 1 << 20


def assemble(header: Mapping[str, Any], findings: Iterable[str]) -> str:
    """``write_json`` into a string."""
    buffer = io.StringIO()
    write_json(header, findings, buffer)
    return buffer.getvalue()


def compact(header: Mapping[str, Any], findings: Iterable[str]) -> str:
    """The same report as ``assemble``, without the header's indentation (its
    findings separated as there: a reused document's are copied as one block).

    For reports only programs read (the store's per-document copies that ``fix``
    loads): ``indent`` sends ``json`` down its pure-Python encoder, which made a
    pretty header per document cost more than the document's findings.
    """
    head = json.dumps(header, ensure_ascii=False, default=str)
    return "".join((head[:-1], ', "findings": [', FINDING_SEPARATOR.join(findings), "]}"))


class JsonFormatter:
    """UTF-8 JSON: the header pretty-printed, then one finding per line; still one
    ``json.load`` away."""

    name = "json"
    extension = "json"

    def __init__(self, lines: Callable[[Finding], str] = finding_json) -> None:
        self._line = lines  # e.g. the run's FindingLines, to reuse what the store encoded

    def render(self, report: Report, *, color: bool = False) -> str:
        return assemble(report_header(report), lines_in_document_order(report, self._line))

    def write(self, report: Report, out: TextIO) -> None:
        """Stream the report (what ``render`` returns) without building it in memory."""
        write_json(report_header(report), lines_in_document_order(report, self._line), out)


def lines_in_document_order(report: Report, line: Callable[[Finding], str]) -> Iterator[str]:
    """Each finding's line in document order; a reused document's stored lines as
    they are, in its place (``model.Findings``), so nothing is decoded or encoded."""
    findings = report.findings
    if not isinstance(findings, Findings) or not findings.reused:
        yield from map(line, in_document_order(report))
        return
    reused = {part.document: part for part in findings.reused}
    fresh: dict[str, list[Finding]] = {}
    for finding in findings.fresh:
        fresh.setdefault(finding.citation.document, []).append(finding)
    key = location_sort_key(report)
    order = document_order(report)  # a document named twice: where it was named last
    for origin in sorted(order, key=order.__getitem__):
        part = reused.pop(origin, None)
        if part is not None:
            if part.block:  # its findings, one block (``FINDING_SEPARATOR``)
                yield part.block
        else:
            yield from map(line, sorted(fresh.pop(origin, ()), key=key))
    for part in reused.values():  # not among the report's documents: last, as sorted
        if part.block:
            yield part.block
    yield from map(line, sorted((f for own in fresh.values() for f in own), key=key))
