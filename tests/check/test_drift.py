"""The drift comparison on its own (pure functions) and its store (SQLite)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.check import drift
from linkaudit.check.drift import DriftLevel, Fingerprint, PageText, QuoteStatus
from linkaudit.fix.report_json import report_from_json
from linkaudit.model import (
    Citation,
    CitationKind,
    DriftEvidence,
    Finding,
    Location,
    Report,
    Verdict,
)
from linkaudit.reasons import Reason
from linkaudit.report import get_formatter
from linkaudit.store import Store

PARAGRAPHS = [
    "The council voted on Tuesday to close the old harbour bridge for repairs that "
    "engineers say will take at least eighteen months to complete.",
    "Residents of the north shore will have to use the ferry or drive around the bay, "
    "a detour of about forty minutes at rush hour.",
    "The mayor said the decision was painful but that the inspection report left the "
    "council no choice after cracks were found in two of the main supports.",
    "A public meeting about the ferry timetable is planned for next month at the library.",
]
OTHER = [
    "Scientists have found a new species of frog in the cloud forests of the eastern "
    "Andes, living at altitudes above three thousand metres.",
    "The frog is smaller than a thumbnail and its call is so high that people can barely "
    "hear it, which may be why it went unnoticed for so long.",
]


def text(*blocks: str) -> str:
    return "\n".join(blocks)


def live(*blocks: str, title: str = "Bridge closes") -> PageText:
    joined = text(*blocks)
    return PageText(article=joined, page="Home\nNews\n" + joined + "\n12 comments", title=title)


BASELINE = drift.fingerprint(text(*PARAGRAPHS), "Bridge closes")


def test_the_same_text_in_other_chrome_is_the_same() -> None:
    found = drift.compare(BASELINE, live(*PARAGRAPHS))
    assert found.level is DriftLevel.SAME
    assert found.similarity == 1.0


def test_an_added_paragraph_is_not_drift() -> None:
    found = drift.compare(BASELINE, live("Update: the ferry now runs hourly.", *PARAGRAPHS))
    assert found.level is DriftLevel.SAME


def test_a_gutted_page_drifts_and_says_what_disappeared() -> None:
    found = drift.compare(BASELINE, live(PARAGRAPHS[0]))
    assert found.level is DriftLevel.DRIFTED
    assert found.similarity < drift.DRIFT_BELOW
    assert "detour of about forty minutes" in found.disappeared
    assert "harbour bridge" not in found.disappeared  # still there


def test_another_article_drifts_and_says_what_appeared() -> None:
    found = drift.compare(BASELINE, live(*OTHER, title="New frog"))
    assert found.level is DriftLevel.DRIFTED
    assert found.similarity == 0.0
    assert "species of frog" in found.appeared
    assert (found.title_before, found.title_after) == ("Bridge closes", "New frog")


def test_a_change_that_keeps_most_of_the_text_is_changed_not_drifted() -> None:
    found = drift.compare(BASELINE, live(*PARAGRAPHS[:3]))
    assert found.level is DriftLevel.CHANGED
    assert drift.DRIFT_BELOW <= found.similarity < drift.CHANGED_BELOW


def test_a_baseline_too_short_to_judge_is_unknown() -> None:
    found = drift.compare(drift.fingerprint("Subscribe now"), live(*OTHER))
    assert found.level is DriftLevel.UNKNOWN


def test_a_fingerprint_is_compact_and_round_trips() -> None:
    long_text = text(*(f"{p} Paragraph {i}." for i in range(200) for p in PARAGRAPHS[:1]))
    kept = drift.fingerprint(long_text, "Long")
    assert len(kept.sample) == drift.SAMPLE
    assert kept.truncated
    assert len(kept.to_bytes()) < 8 * 1024
    assert Fingerprint.from_bytes(kept.to_bytes()) == kept
    assert kept.text == long_text[: drift.EXCERPT_CHARS]
    assert Fingerprint.from_bytes(b"\x00\x00\x00\x02{}") is None  # not ours: no fingerprint


@pytest.mark.parametrize(
    "quote",
    [
        "the decision was painful but that the inspection report",
        "\u201cThe Decision was  painful but that the inspection report\u201d",
        "the mayor said the decision was painful \u2026 after cracks were found",
    ],
)
def test_quotes_match_through_typography_case_spacing_and_ellipses(quote: str) -> None:
    assert drift.contains_quote(quote, text(*PARAGRAPHS))


def test_quote_statuses() -> None:
    quote = "cracks were found in two of the main supports"
    baseline = text(*PARAGRAPHS)
    assert drift.check_quote(quote, baseline, live(*PARAGRAPHS)) is QuoteStatus.PRESENT
    assert drift.check_quote(quote, baseline, live(*PARAGRAPHS[:2])) is QuoteStatus.MISSING
    never = "the bridge will reopen in spring next year"
    assert drift.check_quote(never, baseline, live(*PARAGRAPHS)) is QuoteStatus.NEVER
    # a fingerprint keeps only the article's start: not found there is not a misquote
    assert drift.check_quote(never, BASELINE, live(*PARAGRAPHS)) is QuoteStatus.UNKNOWN
    assert drift.check_quote("too short", baseline, live()) is QuoteStatus.UNKNOWN


def test_title_cosine() -> None:
    assert drift.title_cosine("Bridge closes", "bridge closes") == pytest.approx(1.0)
    assert drift.title_cosine("Bridge closes", "New frog") == 0.0
    assert 0 < drift.title_cosine("Bridge closes | Daily", "Bridge closes") < 1


def test_the_store_keeps_the_first_observation_only(tmp_path: Path) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    with Store.open(tmp_path / "c.sqlite", now=lambda: now[0]) as store:
        store.drift.keep_baseline("https://a.test/x", BASELINE.to_bytes())
        now[0] = datetime(2026, 2, 1, tzinfo=UTC)
        other = drift.fingerprint(text(*OTHER))
        store.drift.keep_baseline("https://a.test/x", other.to_bytes())
        found = store.drift.baseline("https://a.test/x")
        assert found is not None
        assert Fingerprint.from_bytes(found[0]) == BASELINE
        assert found[1] == datetime(2026, 1, 1, tzinfo=UTC)
        store.drift.keep_capture("https://web.test/web/1id_/x", other.to_bytes())
        assert store.drift.capture("https://web.test/web/1id_/x") == other.to_bytes()
        assert store.drift.capture("https://web.test/web/2id_/x") is None
        store.drift.keep_check("https://a.test/x", ('"e1"', ""), {"similarity": 0.4})
        store.drift.keep_check("https://a.test/x", ('"e2"', ""), {"similarity": 0.9})
        last = store.drift.last_check("https://a.test/x")
        assert last is not None
        assert last.validators == ('"e2"', "")
        assert last.outcome == {"similarity": 0.9}


def _drifted_report() -> Report:
    citation = Citation(
        "a.html",
        CitationKind.LINK,
        "https://a.test/x",
        "https://a.test/x",
        "https://a.test/x",
        "the report",
        "",
        Location(3, 1),
    )
    evidence = DriftEvidence(
        similarity=0.12,
        level="drifted",
        baseline="archive",
        baseline_at=datetime(2017, 3, 10, tzinfo=UTC),
        baseline_url="https://web.archive.org/web/20170310000000/https://a.test/x",
        title_before="Bridge <closes>",
        title_after="Frogs & more",
        disappeared="The council voted <script>alert(1)</script> to close the bridge.",
        appeared="A new species of frog.",
    )
    finding = Finding(
        citation, Verdict.STALE, Reason.CONTENT_CHANGED, "The page changed.", drift=evidence
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Report((), (finding,), now, now)


def test_the_html_report_shows_before_and_after_escaped_with_the_baseline_link() -> None:
    html = get_formatter("html").render(_drifted_report())
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="before"' in html
    assert 'class="after"' in html
    assert "A new species of frog." in html
    assert "https://web.archive.org/web/20170310000000/https://a.test/x" in html
    assert "Bridge &lt;closes&gt;" in html
    assert "12%" in html


def test_the_markdown_report_links_the_baseline_and_says_what_is_gone() -> None:
    text = get_formatter("markdown").render(_drifted_report())
    assert "(https://web.archive.org/web/20170310000000/https://a.test/x)" in text
    assert "12% of the main text" in text
    assert "gone:" in text


def test_the_json_report_carries_the_evidence_and_fix_reads_it_back() -> None:
    report = _drifted_report()
    data = json.loads(get_formatter("json").render(report))
    assert data["findings"][0]["drift"]["similarity"] == 0.12
    again = report_from_json(data)
    assert again.findings[0].drift == report.findings[0].drift


def test_the_drift_evidence_validates_against_the_shipped_schema() -> None:
    from tests.report.test_report_json import validator

    data = json.loads(get_formatter("json").render(_drifted_report()))
    assert [e.message for e in validator().iter_errors(data)] == []
    data["findings"][0]["drift"]["level"] = "gone"  # the schema does check the words
    assert [e.message for e in validator().iter_errors(data)] != []


def test_the_drift_setting_reaches_the_audit_and_is_validated(tmp_path: Path) -> None:
    from linkaudit.config import load_config
    from linkaudit.errors import ConfigError
    from linkaudit.settings import audit_options

    assert audit_options(load_config(tmp_path)).drift is False
    (tmp_path / "linkaudit.toml").write_text("drift = true\n", encoding="utf-8")
    assert audit_options(load_config(tmp_path)).drift is True
    off = load_config(tmp_path).merged_with(drift=False)
    assert audit_options(off).drift is False  # the command line wins
    (tmp_path / "linkaudit.toml").write_text('drift = "often"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="drift"):
        load_config(tmp_path)
