"""The health page counts content drift over runs and lists the most-changed sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from linkaudit.health import build_health, get_health_formatter, health_document
from linkaudit.health.json_format import SCHEMA
from linkaudit.model import (
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    DriftEvidence,
    Finding,
    Location,
    Report,
    Verdict,
)
from linkaudit.pipeline import AuditRun
from linkaudit.reasons import Reason
from linkaudit.recording import record_audit
from linkaudit.store import Store

START = datetime(2026, 3, 1, tzinfo=UTC)


def _finding(url: str, line: int, similarity: float | None) -> Finding:
    citation = Citation("a.html", CitationKind.LINK, url, url, url, "t", "", Location(line, 1))
    result = CheckResult(url, url, Verdict.OK, "ok", "200 OK.", checked_at=START)
    if similarity is None:
        return Finding(citation, Verdict.OK, Reason.OK, "200 OK.", result=result)
    level = "drifted" if similarity < 0.5 else "changed" if similarity < 0.98 else "same"
    verdict, reason = (
        (Verdict.STALE, Reason.CONTENT_CHANGED) if level == "drifted" else (Verdict.OK, Reason.OK)
    )
    evidence = DriftEvidence(
        similarity, level, "archive", START, f"https://web.archive.org/web/2017/{url}"
    )
    return Finding(citation, verdict, reason, "d", result=result, drift=evidence)


def _record(store: Store, day: int, similarities: dict[str, float | None]) -> None:
    findings = tuple(
        _finding(f"https://{name}.test/x", i + 1, s)
        for i, (name, s) in enumerate(sorted(similarities.items()))
    )
    at = START + timedelta(days=day)
    document = Document("", DocumentKind.HTML, "a.html", cited_at=START)
    report = Report((document,), findings, at, at, settings={"command": "audit"})
    record_audit(store, AuditRun(report=report), sources=["a.html"])


def test_drift_over_runs_and_the_most_changed_sources_first(tmp_path: Path) -> None:
    with Store.open(tmp_path / "cache.sqlite") as store:
        _record(store, 0, {"a": 1.0, "b": 0.9, "c": None})
        _record(store, 7, {"a": 0.3, "b": 0.7, "c": None, "d": 0.05})
        health = build_health(store)
    assert health.has_drift
    assert [p.drift for p in health.runs] == [
        {"same": 1, "changed": 1},
        {"drifted": 2, "changed": 1},
    ]
    assert [(c.url, c.level) for c in health.most_changed] == [
        ("https://d.test/x", "drifted"),
        ("https://a.test/x", "drifted"),
        ("https://b.test/x", "changed"),
    ]
    document = health_document(health)
    assert list(Draft202012Validator(SCHEMA).iter_errors(json.loads(json.dumps(document)))) == []
    assert document["drift"]["most_changed"][0]["similarity"] == 0.05
    markdown = get_health_formatter("markdown").render(health)
    assert "## Content drift" in markdown
    assert markdown.index("d.test") < markdown.index("a.test/x`")
    html = get_health_formatter("html").render(health)
    assert '<section id="drift">' in html
    assert "https://web.archive.org/web/2017/https://d.test/x" in html


def test_a_history_without_drift_has_no_drift_section(tmp_path: Path) -> None:
    with Store.open(tmp_path / "cache.sqlite") as store:
        _record(store, 0, {"a": None})
        health = build_health(store)
    assert not health.has_drift
    assert "drift" not in health_document(health)
    assert "Content drift" not in get_health_formatter("markdown").render(health)
