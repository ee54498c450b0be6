"""The SARIF report, validated against the official OASIS SARIF 2.1.0 schema."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from linkaudit.model import Location, Report, Verdict
from linkaudit.report.sarif import LEVELS, SarifFormatter, artifact_uri, fingerprint

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


def render(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SarifFormatter().render(report))
    return data


@pytest.fixture(scope="module")
def sarif_validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def test_validates_against_sarif_schema(report: Report, sarif_validator: Draft4Validator) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in sarif_validator.iter_errors(render(report))]
    assert errors == []


def test_hostile_validates(hostile_report: Report, sarif_validator: Draft4Validator) -> None:
    assert sarif_validator.is_valid(render(hostile_report))


def test_schema_catches_a_bad_level(report: Report, sarif_validator: Draft4Validator) -> None:
    data = render(report)
    data["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(data)


def test_driver_and_rules(report: Report) -> None:
    driver = render(report)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "linkaudit"
    ids = [r["id"] for r in driver["rules"]]
    assert "broken/http_404" in ids
    assert "lost/stripped_href" in ids
    assert len(ids) == len(set(ids))
    assert all(r["help"]["text"] for r in driver["rules"])


def test_results_levels_regions(report: Report) -> None:
    run = render(report)["runs"][0]
    results = run["results"]
    assert len(results) == 11  # problems only
    rules = run["tool"]["driver"]["rules"]
    for result in results:
        verdict = Verdict(result["properties"]["verdict"])
        assert result["level"] == LEVELS[verdict]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    broken = next(r for r in results if r["ruleId"] == "broken/http_404")
    location = broken["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "articles/sea-level.html"
    assert location["region"] == {"startLine": 27, "startColumn": 41}
    assert broken["properties"]["archiveUrl"].startswith("https://web.archive.org/web/2023")
    levels = {Verdict(r["properties"]["verdict"]): r["level"] for r in results}
    assert levels[Verdict.LOST] == "error"
    assert levels[Verdict.MOVED] == "warning"
    assert levels[Verdict.BLOCKED] == "note"


def test_fingerprint_survives_line_moves(report: Report) -> None:
    finding = next(f for f in report.findings if f.reason == "http_404")
    moved = dataclasses.replace(
        finding, citation=dataclasses.replace(finding.citation, location=Location(99, 1))
    )
    assert fingerprint(finding) == fingerprint(moved)
    fps = [
        r["partialFingerprints"]["linkauditCitation/v1"]
        for r in render(report)["runs"][0]["results"]
    ]
    assert len(fps) == len(set(fps))


def test_artifact_uri(tmp_path: Path) -> None:
    assert artifact_uri("posts/a b.md") == "posts/a%20b.md"
    assert artifact_uri("https://example.org/post") == "https://example.org/post"
    assert artifact_uri("<stdin>") == "stdin"
    inside = tmp_path / "docs" / "x.html"
    assert artifact_uri(str(inside), base_dir=tmp_path) == "docs/x.html"
    assert artifact_uri("/elsewhere/x.html", base_dir=tmp_path) == "file:///elsewhere/x.html"
