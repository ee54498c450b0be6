"""The JSON report of an audit is streamed into its file, byte for byte what render gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.model import Report
from linkaudit.report import JsonFormatter, write_reports
from tests.report.report_fixtures import build_report


def test_the_json_report_file_is_written_without_rendering_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report: Report = build_report()
    expected = JsonFormatter().render(report)

    def refuse(self: JsonFormatter, report: Report, *, color: bool = False) -> str:
        raise AssertionError("the whole JSON report was built in memory")

    monkeypatch.setattr(JsonFormatter, "render", refuse)
    [path] = write_reports(report, ["json"], tmp_path)
    assert path.read_text(encoding="utf-8") == expected
