"""What the engine masks in a result before it leaves the checker, and when it need not."""

from __future__ import annotations

import pytest

from linkaudit.check.engine import _redacted
from linkaudit.model import CheckResult, Hop, Verdict

URL = "https://example.org/a"


def result(**fields: object) -> CheckResult:
    base: dict[str, object] = {
        "key": URL,
        "url": URL,
        "verdict": Verdict.OK,
        "reason": "redirected",
        "detail": "moved to https://example.org/b",
        "chain": (Hop(URL, 301, "GET", "https://example.org/b"), Hop("https://example.org/b", 200)),
        "final_url": "https://example.org/b",
        "notes": ("one note",),
    }
    return CheckResult(**{**base, **fields})  # type: ignore[arg-type]


def test_a_result_with_nothing_to_mask_is_handed_on_as_it_is() -> None:
    plain = result()
    assert _redacted(plain, ()) is plain


@pytest.mark.parametrize(
    "where",
    [
        {"detail": "moved to https://u:hunter2@example.org/b"},
        {"final_url": "https://u:hunter2@example.org/b"},
        {"notes": ("login at https://u:hunter2@example.org/b",)},
        {"chain": (Hop(URL, 301, "GET", "https://u:hunter2@example.org/b"),)},
        {"chain": (Hop(URL, 301, "GET", None, "via https://u:hunter2@example.org/b"),)},
    ],
)
def test_a_url_password_anywhere_is_still_masked(where: dict[str, object]) -> None:
    masked = _redacted(result(**where), ())
    text = repr(masked)
    assert "hunter2" not in text
    assert "u:***@example.org" in text


def test_a_configured_secret_is_masked_without_any_at_sign() -> None:
    masked = _redacted(result(detail="the server said token-abcdef123456"), ("abcdef123456",))
    assert masked.detail == "the server said token-***"
