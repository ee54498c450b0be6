"""Golden files: every format rendered from the fixed report, byte for byte."""

from __future__ import annotations

import pytest

from linkaudit.model import Report
from linkaudit.report import FORMAT_NAMES, FORMATS, Formatter
from tests.report.report_fixtures import check_golden


@pytest.mark.parametrize("name", list(FORMATS))
def test_golden(report: Report, name: str) -> None:
    formatter = FORMATS[name]
    check_golden(f"{name}.{formatter.extension}", formatter.render(report))


def test_golden_terminal_colour(report: Report) -> None:
    check_golden("terminal-color.txt", FORMATS["terminal"].render(report, color=True))


@pytest.mark.parametrize("name", list(FORMATS))
def test_rendering_is_deterministic_and_order_independent(report: Report, name: str) -> None:
    """The findings' input order must not leak into any output."""
    shuffled = Report(
        documents=report.documents,
        findings=tuple(sorted(report.findings, key=lambda f: f.citation.text)),
        started_at=report.started_at,
        finished_at=report.finished_at,
        settings=report.settings,
    )
    formatter = FORMATS[name]
    assert formatter.render(report) == formatter.render(shuffled)


def test_registry_holds_every_format_behind_one_interface() -> None:
    assert set(FORMATS) == {"terminal", "json", "markdown", "html", "csv", "junit", "sarif"}
    for name, formatter in FORMATS.items():
        assert isinstance(formatter, Formatter)
        assert formatter.name == name
        assert formatter.extension
        assert not formatter.extension.startswith(".")


def test_the_format_names_are_the_registrys_in_its_order() -> None:
    """``FORMAT_NAMES`` (the --format choices, known without importing a format)."""
    assert tuple(FORMATS) == FORMAT_NAMES
