"""Fixtures for the report tests: the fixed and the hostile Report."""

from __future__ import annotations

import pytest

from linkaudit.model import Report
from tests.report.report_fixtures import build_hostile_report, build_report


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def hostile_report() -> Report:
    return build_hostile_report()
