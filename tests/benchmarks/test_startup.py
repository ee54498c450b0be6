"""The start-up benchmark measures what it says: a real request from a real process."""

from __future__ import annotations

from benchmarks import startup


def test_first_request_is_timed_from_a_real_check_process() -> None:
    rows = dict(startup.measure(1, lychee=False))
    assert list(rows) == [
        "interpreter",
        "libraries",
        "linkaudit imports",
        "first request, linkaudit",
        "first request, lychee",
    ]
    first = rows["first request, linkaudit"]
    # None would mean no request reached the loopback server: the check never ran
    assert first is not None
    assert first > 0
    assert rows["first request, lychee"] is None  # not asked for
    assert all(rows[name] is not None for name in ("interpreter", "libraries"))
