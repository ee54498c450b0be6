"""An in-memory result cache: what the check engine needs of a store, for tests."""

from __future__ import annotations

from linkaudit.model import CheckResult


class MemoryResults:
    """``ResultCache`` over a dict: every result put is kept, by key, and answered."""

    def __init__(self) -> None:
        self.stored: dict[str, CheckResult] = {}

    def get(self, key: str) -> CheckResult | None:
        return self.stored.get(key)

    def put(self, result: CheckResult) -> None:
        self.stored[result.key] = result
