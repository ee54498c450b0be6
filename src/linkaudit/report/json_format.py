"""The JSON report: the full result for programs, versioned and schema-described.

The shape is a public contract, described by ``linkaudit/data/report.schema.json``
(draft 2020-12) and checked against it in the tests; ``schema_version`` changes when
the shape does.  Field spellings come from ``serialize.to_jsonable`` so the store and
``extract --format json`` agree with this file.  Document texts are left out: they
are the user's own files and would dwarf the findings.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from linkaudit import __version__
from linkaudit.model import Report
from linkaudit.report.base import VERDICT_ORDER, counts, in_document_order, is_problem, utc_stamp
from linkaudit.serialize import SCHEMA_VERSION, to_jsonable


def report_document(report: Report) -> dict[str, Any]:
    """The JSON-ready report object (before encoding), for callers that embed it."""
    documents = []
    for doc in report.documents:
        data = to_jsonable(doc)
        data.pop("text", None)
        documents.append(data)
    tally = counts(report)
    findings = in_document_order(report)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_stamp(report.finished_at),
        "tool": {"name": "linkaudit", "version": __version__},
        "started_at": utc_stamp(report.started_at),
        "finished_at": utc_stamp(report.finished_at),
        "settings": to_jsonable(report.settings),
        "warnings": list(report.warnings),
        "changes": report.changes,
        "documents": documents,
        "summary": {v.value: tally[v] for v in VERDICT_ORDER},
        "totals": {
            "citations": len(findings),
            "problems": sum(1 for f in findings if is_problem(f.verdict)),
        },
        "findings": [to_jsonable(f) for f in findings],
    }


class JsonFormatter:
    """UTF-8 JSON: the header pretty-printed, then one finding per line.

    One line per finding keeps a diff between two runs readable, and lets the
    encoder's C fast path (which ``indent`` disables) do the bulk of a run with tens
    of thousands of findings.  Still one ``json.load`` away.
    """

    name = "json"
    extension = "json"

    def render(self, report: Report, *, color: bool = False) -> str:
        document = report_document(report)
        findings = document.pop("findings")
        # ``default=str`` keeps odd settings values (paths, ...) from failing a run.
        head = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        lines = ",\n    ".join(
            json.dumps(f, ensure_ascii=False, separators=(", ", ": "), default=str)
            for f in findings
        )
        body = f"[\n    {lines}\n  ]" if findings else "[]"
        return head[: -len("\n}")] + f',\n  "findings": {body}\n}}\n'


def schema() -> dict[str, Any]:
    """The shipped JSON Schema of this format."""
    text = resources.files("linkaudit").joinpath("data/report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
