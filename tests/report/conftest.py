"""Fixtures for the report tests: the fixed and the hostile Report."""

from __future__ import annotations

import pytest
from report_fixtures import build_hostile_report, build_report

from linkaudit.model import Report


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def hostile_report() -> Report:
    return build_hostile_report()
