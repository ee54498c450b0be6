"""The health report as versioned JSON, for dashboards and scheduled jobs.

``schema_version`` changes when the shape does; :data:`SCHEMA` (JSON Schema
draft 2020-12) describes it and the tests validate against it.  Words (statuses,
verdicts) are the stable ones of :mod:`linkaudit.history` and the model.
"""

from __future__ import annotations

import json
from typing import Any

from linkaudit import __version__
from linkaudit.health.model import HEALTH_SCHEMA_VERSION, CitationHealth, HealthReport
from linkaudit.history import Change
from linkaudit.report.base import utc_stamp


def _citation(item: CitationHealth) -> dict[str, Any]:
    cap = item.capture
    return {
        "document": item.document,
        "line": item.line,
        "column": item.column,
        "anchor_text": item.anchor_text,
        "url": item.url,
        "key": item.key,
        "verdict": item.verdict,
        "reason": item.reason,
        "status": "lost" if item.lost else (item.status.value if item.status else None),
        "since": utc_stamp(item.since) or None,
        "failures": item.failures,
        "confirmed_at": utc_stamp(item.confirmed_at) or None,
        "capture": None
        if cap is None
        else {
            "archive": cap.archive,
            "url": cap.url,
            "captured_at": utc_stamp(cap.captured_at),
            "distance_days": round(cap.distance_days, 2),
            "near": cap.near,
        },
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "key": change.key,
        "url": change.url,
        "documents": list(change.documents),
        "before": change.before.status.value,
        "after": change.after.status.value,
        "since": utc_stamp(change.after.since) or None,
        "archive_url": change.archive_url,
        "captured_at": utc_stamp(change.captured_at) or None,
    }


def _scope(report: HealthReport) -> dict[str, Any]:
    """Which documents and runs the numbers describe."""
    scope = report.scope
    return {
        "text": scope.text(),
        "days": scope.days,
        "documents": scope.documents,
        "full_runs": [p.run_id for p in scope.full_runs],
        "updates": [{"id": p.run_id, "kind": p.kind.value} for p in scope.updates],
    }


def _runs(report: HealthReport) -> list[dict[str, Any]]:
    """The runs the trend plots (full audits that saw citations)."""
    return [
        {
            "id": p.run_id,
            "started_at": utc_stamp(p.started_at),
            "finished": p.finished,
            "kind": p.kind.value,
            "counts": dict(p.counts),
        }
        for p in report.runs
    ]


def _drift(report: HealthReport) -> dict[str, Any]:
    """``--drift``: compared URLs by level per run, and the most changed sources."""
    return {
        "runs": [{"id": p.run_id, "counts": dict(p.drift)} for p in report.runs if p.drift],
        "most_changed": [
            {
                "url": c.url,
                "level": c.level,
                "reason": c.reason,
                "similarity": round(c.similarity, 4),
                "baseline_url": c.baseline_url,
            }
            for c in report.most_changed
        ],
    }


def health_document(report: HealthReport) -> dict[str, Any]:
    """The JSON-ready object (before encoding); ``drift`` only when a run compared pages."""
    document = _health_document(report)
    if report.has_drift:
        document["drift"] = _drift(report)
    return document


def _health_document(report: HealthReport) -> dict[str, Any]:
    diff = report.diff
    cov = report.coverage
    return {
        "schema_version": HEALTH_SCHEMA_VERSION,
        "kind": "linkaudit-health",
        "tool": {"name": "linkaudit", "version": __version__},
        "generated_at": utc_stamp(report.generated_at),
        "store": report.store,
        "policy": {"confirm_runs": report.policy.runs, "confirm_days": report.policy.days},
        "latest_run": None
        if report.run_id is None
        else {"id": report.run_id, "started_at": utc_stamp(report.run_at)},
        "warnings": list(report.warnings),
        "scope": _scope(report),
        "citations": report.citations,
        "states": dict(report.states),
        "changes": {
            "previous_run": diff.previous_id,
            "previous_started_at": utc_stamp(diff.previous_at) or None,
            "text": diff.text(),
            "newly_failing": [_change(c) for c in diff.newly_failing],
            "newly_confirmed_dead": [_change(c) for c in diff.newly_confirmed_dead],
            "recovered": [_change(c) for c in diff.recovered],
            "newly_archived": [_change(c) for c in diff.newly_archived],
        },
        "runs": _runs(report),
        "rot_by_year": [
            {
                "year": y.year,
                "citations": y.citations,
                "alive": y.alive,
                "failing": y.failing,
                "confirmed_dead": y.confirmed_dead,
                "unknown": y.unknown,
                "lost": y.lost,
                "rot_share": round(y.rot_share, 4),
            }
            for y in report.rot_by_year
        ],
        "top_hosts": [
            {"host": h.host, "confirmed_dead": h.confirmed_dead, "failing": h.failing}
            for h in report.top_hosts
        ],
        "coverage": {
            "near_days": cov.near_days,
            "considered": cov.considered,
            "near": cov.near,
            "far": cov.far,
            "none": cov.none,
            "share": round(cov.share, 4),
            "save_candidates": [_citation(i) for i in cov.candidates],
        },
        "documents": [
            {
                "origin": d.origin,
                "title": d.title,
                "canonical_url": d.canonical_url,
                "cited_at": utc_stamp(d.cited_at) or None,
                "citations": d.citations,
                "confirmed_dead": d.confirmed_dead,
                "lost": d.lost,
                "failing": d.failing,
                "findings": [_citation(i) for i in d.findings],
            }
            for d in report.documents
        ],
    }


class HealthJsonFormatter:
    """``linkaudit health --format json``."""

    name = "json"
    extension = "json"

    def render(self, report: HealthReport) -> str:
        return json.dumps(health_document(report), indent=2, ensure_ascii=False) + "\n"


_STR_OR_NULL = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_STATUS = {"enum": ["alive", "failing", "confirmed_dead", "unknown"]}
_CITATION = {
    "type": "object",
    "required": ["document", "line", "url", "status", "verdict", "capture"],
    "properties": {
        "document": {"type": "string"},
        "line": _COUNT,
        "column": _COUNT,
        "anchor_text": {"type": "string"},
        "url": _STR_OR_NULL,
        "key": _STR_OR_NULL,
        "verdict": _STR_OR_NULL,
        "reason": {"type": "string"},
        "status": {"enum": ["alive", "failing", "confirmed_dead", "unknown", "lost", None]},
        "since": _STR_OR_NULL,
        "failures": _COUNT,
        "capture": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["url", "captured_at", "near"],
                    "properties": {
                        "archive": {"type": "string"},
                        "url": {"type": "string"},
                        "captured_at": {"type": "string"},
                        "distance_days": {"type": "number"},
                        "near": {"type": "boolean"},
                    },
                },
            ]
        },
    },
}
_CHANGE = {
    "type": "object",
    "required": ["key", "url", "documents", "before", "after"],
    "properties": {
        "key": {"type": "string"},
        "url": {"type": "string"},
        "documents": {"type": "array", "items": {"type": "string"}},
        "before": _STATUS,
        "after": _STATUS,
    },
}

#: JSON Schema of :func:`health_document` (draft 2020-12).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "linkaudit health report",
    "type": "object",
    "required": [
        "schema_version",
        "kind",
        "generated_at",
        "policy",
        "scope",
        "states",
        "changes",
        "runs",
        "rot_by_year",
        "top_hosts",
        "coverage",
        "documents",
    ],
    "properties": {
        "schema_version": {"const": HEALTH_SCHEMA_VERSION},
        "kind": {"const": "linkaudit-health"},
        "generated_at": {"type": "string"},
        "policy": {
            "type": "object",
            "required": ["confirm_runs", "confirm_days"],
            "properties": {"confirm_runs": _COUNT, "confirm_days": _COUNT},
        },
        "scope": {
            "description": "The site the numbers describe (since 1.1): the documents of the "
            "full audits of the last `days` days, each as the newest run that saw it left it.",
            "type": "object",
            "required": ["text", "days", "documents", "full_runs", "updates"],
            "properties": {
                "text": {"type": "string"},
                "days": _COUNT,
                "documents": _COUNT,
                "full_runs": {"type": "array", "items": _COUNT},
                "updates": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "kind"],
                        "properties": {"id": _COUNT, "kind": {"enum": ["check", "changed"]}},
                    },
                },
            },
        },
        "states": {
            "type": "object",
            "required": ["alive", "failing", "confirmed_dead", "unknown"],
            "additionalProperties": _COUNT,
        },
        "changes": {
            "type": "object",
            "required": ["text", "newly_failing", "newly_confirmed_dead", "recovered"],
            "properties": {
                "text": {"type": "string"},
                "newly_failing": {"type": "array", "items": _CHANGE},
                "newly_confirmed_dead": {"type": "array", "items": _CHANGE},
                "recovered": {"type": "array", "items": _CHANGE},
                "newly_archived": {"type": "array", "items": _CHANGE},
            },
        },
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "started_at", "kind", "counts"],
                "properties": {
                    "kind": {"enum": ["full", "check", "changed"]},
                    "counts": {"type": "object", "additionalProperties": _COUNT},
                },
            },
        },
        "rot_by_year": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["year", "citations", "confirmed_dead", "lost", "rot_share"],
            },
        },
        "top_hosts": {
            "type": "array",
            "items": {"type": "object", "required": ["host", "confirmed_dead", "failing"]},
        },
        "coverage": {
            "type": "object",
            "required": ["near_days", "considered", "near", "share", "save_candidates"],
            "properties": {
                "share": {"type": "number", "minimum": 0, "maximum": 1},
                "save_candidates": {"type": "array", "items": _CITATION},
            },
        },
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["origin", "citations", "confirmed_dead", "lost", "failing"],
                "properties": {"findings": {"type": "array", "items": _CITATION}},
            },
        },
        "drift": {
            "description": "Present when a run compared pages with what was cited (--drift).",
            "type": "object",
            "required": ["runs", "most_changed"],
            "properties": {
                "runs": {
                    "type": "array",
                    "items": {"type": "object", "required": ["id", "counts"]},
                },
                "most_changed": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["url", "level", "similarity"],
                        "properties": {
                            "similarity": {"type": "number", "minimum": 0, "maximum": 1},
                            "level": {"enum": ["changed", "drifted"]},
                        },
                    },
                },
            },
        },
    },
}
