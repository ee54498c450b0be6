"""Fixtures for the source tests: the fixture files, and the seed article beside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.sources import SourceOptions

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "000_5e9e3ade2d4e8552.txt"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def seed_path() -> Path:
    """The real, malformed WordPress export the project was created from."""
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED


@pytest.fixture
def options() -> SourceOptions:
    return SourceOptions()
