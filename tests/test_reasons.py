"""The one reason vocabulary: complete, consistent, and what the classifier speaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.check.classify import classify
from linkaudit.check.evidence import Evidence, FetchError, Page
from linkaudit.model import Hop, Verdict
from linkaudit.reasons import VERDICT_TODO, Reason, scheme_reason

# Skipped by this run's own settings (--exclude-private) says nothing of the link either.
TRANSIENT_VERDICTS = {Verdict.UNREACHABLE, Verdict.BLOCKED, Verdict.SKIPPED}


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_knows_its_verdict_transience_and_help(reason: Reason) -> None:
    assert isinstance(reason.verdict, Verdict)
    assert isinstance(reason.transient, bool)
    assert reason.help.strip()
    assert reason.help.endswith("."), reason.help
    if reason.transient:
        assert reason.verdict in TRANSIENT_VERDICTS
    if reason.verdict is Verdict.UNREACHABLE:
        assert reason.transient  # an outage today says nothing about tomorrow
    if reason.no_answer:
        assert reason.verdict is Verdict.UNREACHABLE


def test_words_are_the_stable_json_spelling() -> None:
    assert Reason.HTTP_404 == "http_404"
    assert f"{Reason.SOFT_404}" == "soft_404"
    assert all(reason.value == reason.name.lower() for reason in Reason)


def test_reading_words_back() -> None:
    assert Reason.of("http_404") is Reason.HTTP_404
    assert Reason.of(scheme_reason("mailto")) is Reason.SCHEME
    assert scheme_reason("Web+Cal") == "scheme_web_cal"
    assert Reason.of("scheme_") is None
    assert Reason.of("a_reason_from_the_future") is None


def _classified(evidence: Evidence) -> tuple[Verdict, str]:
    got = classify(evidence)
    return got.verdict, got.reason


@pytest.mark.parametrize("error", list(FetchError))
def test_every_fetch_error_classifies_to_a_reason_of_its_verdict(error: FetchError) -> None:
    verdict, reason = _classified(Evidence(url="https://a.example/x", error=error))
    known = Reason.of(reason)
    assert known is not None
    assert known.verdict is verdict


@pytest.mark.parametrize(
    "status",
    [
        *range(200, 209),
        *range(300, 309),
        *range(400, 452),
        500,
        502,
        503,
        504,
        *range(520, 531),
        999,
    ],
)
def test_every_status_classifies_to_a_reason_of_its_verdict(status: int) -> None:
    html = "<html><head><title>A page</title></head><body><p>Words.</p></body></html>"
    evidence = Evidence(
        url="https://a.example/x",
        chain=(Hop("https://a.example/x", status),),
        status=status,
        final_url="https://a.example/x",
        headers={"content-type": "text/html"},
        page=Page("https://a.example/x", status, "text/html", html),
        attempts=3,
    )
    verdict, reason = _classified(evidence)
    known = Reason.of(reason)
    assert known is not None, reason
    assert known.verdict is verdict


def test_only_a_run_setting_makes_a_skip_transient() -> None:
    skips = {r for r in Reason if r.verdict is Verdict.SKIPPED and r.transient}
    assert skips == {Reason.PRIVATE_ADDRESS}


def _readme_verdict_table() -> dict[str, str]:
    """The README's verdict table: verdict word -> its "what to do" column."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Verdicts") :]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[2]
    return rows


def test_what_to_do_is_the_readmes_verdict_table_word_for_word() -> None:
    assert _readme_verdict_table() == {v.value: todo for v, todo in VERDICT_TODO.items()}


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_says_what_to_do(reason: Reason) -> None:
    assert reason.todo.strip()
    assert not reason.todo.endswith(".")
    if reason.verdict is Verdict.BLOCKED and not reason.transient:
        assert "browser" in reason.todo  # never "no capture": a bot wall is checked by hand
    if reason.transient and reason.verdict is not Verdict.SKIPPED:
        assert "re-run later" in reason.todo
