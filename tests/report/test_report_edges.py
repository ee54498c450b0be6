"""Edge cases every format must survive: empty runs, clean runs, hostile runs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import lxml.html
import pytest

from linkaudit.model import Report, Verdict
from linkaudit.report import FORMATS
from linkaudit.report.base import capture_note, summary_line
from linkaudit.report.terminal import TerminalFormatter


def empty(report: Report) -> Report:
    return dataclasses.replace(report, documents=(), findings=())


def clean(report: Report) -> Report:
    keep = tuple(f for f in report.findings if f.verdict in {Verdict.OK, Verdict.SKIPPED})
    return dataclasses.replace(report, documents=report.documents[:1], findings=keep)


@pytest.mark.parametrize("name", list(FORMATS))
@pytest.mark.parametrize("variant", ["empty", "clean", "hostile"])
def test_every_format_renders(
    report: Report, hostile_report: Report, name: str, variant: str
) -> None:
    subject = {"empty": empty(report), "clean": clean(report), "hostile": hostile_report}[variant]
    text = FORMATS[name].render(subject)
    assert isinstance(text, str)
    assert text.endswith("\n")


def test_summary_of_a_clean_run(report: Report) -> None:
    assert summary_line(clean(report)) == "4 citations in 1 document: no problems; 1 skipped, 3 ok"
    assert TerminalFormatter().render(clean(report)).endswith("no problems; 1 skipped, 3 ok\n")


def test_html_shows_everything_when_nothing_is_wrong(report: Report) -> None:
    tree = lxml.html.document_fromstring(FORMATS["html"].render(clean(report)))
    chips = [b for b in tree.iter("button") if "chip" in (b.get("class") or "").split()]
    assert chips
    assert {chip.get("aria-pressed") for chip in chips} == {"true"}


def test_json_survives_odd_settings(report: Report) -> None:
    odd = dataclasses.replace(report, settings={"output_dir": Path("reports"), "n": {1, 2}})
    data = json.loads(FORMATS["json"].render(odd))
    assert data["settings"]["output_dir"] == "reports"


def test_capture_note_wording(report: Report) -> None:
    broken = next(f for f in report.findings if f.reason == "http_404")
    assert capture_note(broken) == "captured 2023-04-01, 17 days before citation"
    assert broken.archive is not None
    same_day = dataclasses.replace(
        broken, archive=dataclasses.replace(broken.archive, distance_days=0.2)
    )
    assert capture_note(same_day) == "captured 2023-04-01, the day of citation"
    one = dataclasses.replace(
        broken, archive=dataclasses.replace(broken.archive, distance_days=1.0, before=False)
    )
    assert capture_note(one) == "captured 2023-04-01, 1 day after citation"
