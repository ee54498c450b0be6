"""The JSON report and its shipped JSON Schema."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from linkaudit import model
from linkaudit.model import Report, Verdict
from linkaudit.report.json_format import JsonFormatter
from linkaudit.serialize import SCHEMA_VERSION


def render(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(JsonFormatter().render(report))
    return data


def schema() -> dict[str, Any]:
    """The JSON Schema shipped inside the package (what users validate against)."""
    text = resources.files("linkaudit").joinpath("data/report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validator() -> Draft202012Validator:
    loaded = schema()
    Draft202012Validator.check_schema(loaded)
    return Draft202012Validator(loaded, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_output_validates_against_shipped_schema(report: Report) -> None:
    errors = [e.message for e in validator().iter_errors(render(report))]
    assert errors == []


def test_hostile_output_validates_too(hostile_report: Report) -> None:
    assert [e.message for e in validator().iter_errors(render(hostile_report))] == []


def test_schema_rejects_what_it_should(report: Report) -> None:
    v = validator()
    data = render(report)
    data["findings"][0]["verdict"] = "dead"
    assert not v.is_valid(data)
    data = render(report)
    del data["summary"]["lost"]
    assert not v.is_valid(data)
    data = render(report)
    data["findings"][0]["surprise"] = 1
    assert not v.is_valid(data)


def test_top_level_shape(report: Report) -> None:
    data = render(report)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["generated_at"] == "2024-06-01T12:00:42Z"
    assert data["summary"] == report.counts()
    assert data["totals"] == {"citations": 15, "problems": 11}
    assert len(data["findings"]) == len(report.findings)
    assert all("text" not in doc for doc in data["documents"])
    # Document order, then position: the sea-level article first, line 12 first.
    first = data["findings"][0]["citation"]
    assert (first["document"], first["location"]["line"]) == ("articles/sea-level.html", 12)


def test_schema_enumerates_every_verdict_and_matches_the_model() -> None:
    """A model field added without a schema update should fail here, by name."""
    loaded = schema()
    assert set(loaded["$defs"]["verdict"]["enum"]) == {v.value for v in Verdict}
    assert loaded["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    pairs = {
        "document": model.Document,
        "location": model.Location,
        "citation": model.Citation,
        "hop": model.Hop,
        "check_result": model.CheckResult,
        "archive_copy": model.ArchiveCopy,
        "restoration": model.Restoration,
        "finding": model.Finding,
    }
    for name, cls in pairs.items():
        fields = {f.name for f in dataclasses.fields(cls) if f.metadata.get("serialize", True)} - (
            {"text"} if name == "document" else set()
        )
        assert set(loaded["$defs"][name]["properties"]) == fields, name


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_appears_in_the_fixture(report: Report, verdict: Verdict) -> None:
    assert verdict.value in {f["verdict"] for f in render(report)["findings"]}


def test_a_large_report_goes_out_in_few_writes_and_says_the_same(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an unbuffered stdout (``PYTHONUNBUFFERED``, as containers often set it)
    each write is a system call: a write per finding cost a 20,000-citation run
    0.2 s.  Findings go out in chunks, and the text is what ``render`` gives."""
    import io

    from linkaudit.report import json_format

    many = dataclasses.replace(report, findings=list(report.findings) * 300)

    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Counting.writes += 1
            return super().write(text)

    monkeypatch.setattr(json_format, "_WRITE_SIZE", 50_000, raising=False)
    out = Counting()
    JsonFormatter().write(many, out)
    assert out.getvalue() == JsonFormatter().render(many)
    assert len(many.findings) > 3_000
    assert Counting.writes <= len(out.getvalue()) // 50_000 + 2
    empty = dataclasses.replace(report, findings=[])
    out = Counting()
    JsonFormatter().write(empty, out)
    assert json.loads(out.getvalue())["findings"] == []


def test_finding_lines_encode_each_finding_once(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkaudit.report import json_format

    expected = JsonFormatter().render(report)
    calls: list[model.Finding] = []
    encode = json_format.FindingLines._encode

    def counting(self: json_format.FindingLines, finding: model.Finding) -> str:
        calls.append(finding)
        return encode(self, finding)

    monkeypatch.setattr(json_format.FindingLines, "_encode", counting)
    lines = json_format.FindingLines()
    first = JsonFormatter(lines).render(report)
    second = JsonFormatter(lines).render(report)
    assert first == second == expected
    assert len(calls) == len(report.findings)  # the second report reused every line
    # an equal but distinct finding is encoded afresh, never confused by id
    copy = dataclasses.replace(report.findings[0])
    assert copy is not report.findings[0]
    assert lines(copy) == json_format.finding_json(report.findings[0])
    assert len(calls) == len(report.findings) + 1


def test_finding_lines_share_a_result_and_match_finding_json(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Citations of one URL share a result: encoded once, spliced into the same bytes."""
    from linkaudit.report import json_format

    with_result = [f for f in report.findings if f.result is not None]
    assert with_result
    siblings = [
        dataclasses.replace(f, citation=dataclasses.replace(f.citation, text=f"copy {n} é\u2028"))
        for f in with_result
        for n in range(3)
    ]
    siblings += [dataclasses.replace(f, archive_note="a note") for f in with_result]
    encoded: list[object] = []
    real = json_format._encode

    def counting(value: object) -> str:
        if isinstance(value, model.CheckResult):
            encoded.append(value)
        return real(value)

    lines = json_format.FindingLines()
    expected = [json_format.finding_json(f) for f in siblings + list(report.findings)]
    monkeypatch.setattr(json_format, "_encode", counting)
    got = [lines(f) for f in siblings + list(report.findings)]
    assert got == expected
    assert len(encoded) == len({id(f.result) for f in with_result})


@pytest.mark.parametrize("findings", [0, 1, 3])
def test_compact_reports_load_as_the_pretty_ones(report: Report, findings: int) -> None:
    from linkaudit.report.json_format import assemble, compact, finding_json, report_header

    header = report_header(report)
    lines = [finding_json(f) for f in report.findings[:findings]]
    text = compact(header, lines)
    head, _, tail = text.partition('"findings": [')
    assert "\n" not in head  # the header unindented ...
    assert tail.count("\n") == max(findings - 1, 0)  # ... its findings one per line, as printed
    assert json.loads(text) == json.loads(assemble(header, lines))
    assert len(json.loads(text)["findings"]) == findings


def test_finding_lines_hold_what_to_jsonable_makes(report: Report) -> None:
    """The lines are encoded from the dataclasses themselves (orjson), not from
    ``to_jsonable``'s dicts; both must give the same values, datetimes included."""
    from linkaudit.report import json_format
    from linkaudit.serialize import to_jsonable

    lines = json_format.FindingLines()
    assert report.findings
    for finding in report.findings:
        expected = to_jsonable(finding)
        assert json.loads(json_format.finding_json(finding)) == expected
        assert json.loads(lines(finding)) == expected
