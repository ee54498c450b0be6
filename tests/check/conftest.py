"""Fixtures for the checking tests: a fake clock and the link zoo, run once per module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from linkaudit.check import check_urls_sync
from linkaudit.check.limiter import ScaledClock
from linkaudit.model import CheckResult
from linkaudit.testing.clock import FakeClock, VirtualClock
from linkaudit.testing.zoo import Zoo


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class ZooRun:
    zoo: Zoo
    results: dict[str, CheckResult]
    wall: float
    clock: ScaledClock


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    with Zoo() as built:
        yield built


@pytest.fixture(scope="module")
def zoo_run(zoo: Zoo) -> ZooRun:
    """Every zoo case checked in one concurrent run, as a real audit would."""
    zoo.server.reset_stats()
    clock = zoo.clock()
    started = time.monotonic()
    results = check_urls_sync(zoo.keys(), zoo.options(), resolver=zoo.resolver, clock=clock)
    return ZooRun(zoo, results, time.monotonic() - started, clock)
