"""The confirmation state machine and run-to-run changes, as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from linkaudit.history import (
    ArchiveMark,
    Change,
    ConfirmPolicy,
    LinkStatus,
    Observation,
    RunDiff,
    diff_states,
    link_state,
    newly_archived,
)
from linkaudit.model import Verdict
from tests.history.helpers import T0

B, S, OK = Verdict.BROKEN, Verdict.STALE, Verdict.OK


def day(n: int, hour: int = 9, minute: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute) + timedelta(days=n - 1)


def obs(*items: tuple[int, Verdict]) -> list[Observation]:
    return [Observation(day(d), v, v.value, run_id=i) for i, (d, v) in enumerate(items, 1)]


def test_no_history_is_unknown() -> None:
    state = link_state([])
    assert state.status is LinkStatus.UNKNOWN
    assert state.since is None
    assert state.failures == 0


def test_dies_then_confirmed_after_three_runs_over_three_days() -> None:
    history = obs((1, B), (2, B), (4, B))
    first = link_state(history[:1])
    assert (first.status, first.since, first.failures) == (LinkStatus.FAILING, day(1), 1)
    second = link_state(history[:2])
    assert (second.status, second.since, second.failures) == (LinkStatus.FAILING, day(1), 2)
    third = link_state(history)
    assert third.status is LinkStatus.CONFIRMED_DEAD
    assert third.since == day(1)
    assert third.confirmed_at == day(4)
    assert third.failures == 3


def test_three_runs_in_one_day_are_not_enough() -> None:
    history = [Observation(day(1, h), B) for h in (9, 12, 18)]
    assert link_state(history).status is LinkStatus.FAILING


def test_many_days_but_too_few_runs_are_not_enough() -> None:
    assert link_state(obs((1, B), (10, B))).status is LinkStatus.FAILING


def test_days_are_calendar_days_so_cron_jitter_does_not_delay_confirmation() -> None:
    history = [
        Observation(day(1, 10), B),
        Observation(day(2, 10), B),
        Observation(day(4, 9, 58), B),
    ]
    assert link_state(history).status is LinkStatus.CONFIRMED_DEAD


def test_day_three_is_only_two_days_after_day_one() -> None:
    assert link_state(obs((1, B), (2, B), (3, B))).status is LinkStatus.FAILING
    assert link_state(obs((1, B), (2, B), (3, B), (4, B))).status is LinkStatus.CONFIRMED_DEAD


def test_stale_counts_like_broken() -> None:
    assert link_state(obs((1, S), (2, B), (4, S))).status is LinkStatus.CONFIRMED_DEAD


def test_a_pass_resets_the_streak() -> None:
    state = link_state(obs((1, B), (2, B), (3, OK)))
    assert state.status is LinkStatus.ALIVE
    assert state.since == day(3)
    state = link_state(obs((1, B), (2, B), (3, OK), (4, B)))
    assert (state.status, state.since, state.failures) == (LinkStatus.FAILING, day(4), 1)


@pytest.mark.parametrize(
    "verdict",
    [Verdict.OK, Verdict.MOVED, Verdict.FRAGMENT_MISSING, Verdict.INSECURE],
)
def test_answers_with_a_page_reset(verdict: Verdict) -> None:
    assert link_state(obs((1, B), (2, B), (3, verdict))).status is LinkStatus.ALIVE


def test_flapping_link_never_confirms() -> None:
    history = obs(*[(d, B if d % 2 else OK) for d in range(1, 15)])
    for n in range(1, len(history) + 1):
        assert link_state(history[:n]).status is not LinkStatus.CONFIRMED_DEAD


@pytest.mark.parametrize("neutral", [Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.SKIPPED])
def test_blocked_and_unreachable_neither_count_nor_reset(neutral: Verdict) -> None:
    state = link_state(obs((1, B), (2, neutral), (3, neutral), (4, B)))
    assert (state.status, state.failures, state.since) == (LinkStatus.FAILING, 2, day(1))
    assert state.last_verdict is Verdict.BROKEN
    state = link_state(obs((1, B), (2, neutral), (3, neutral), (4, B), (5, B)))
    assert state.status is LinkStatus.CONFIRMED_DEAD
    # Only neutral results: nothing is known.
    assert link_state(obs((1, neutral), (2, neutral), (5, neutral))).status is LinkStatus.UNKNOWN
    # Alive stays alive behind a bot wall, and says what the last check saw.
    state = link_state(obs((1, OK), (2, neutral)))
    assert (state.status, state.since, state.last_verdict) == (LinkStatus.ALIVE, day(1), neutral)


def test_reused_cache_results_are_not_new_observations() -> None:
    history = [
        Observation(day(1), B),
        Observation(day(2), B, reused=True),
        Observation(day(3), B, reused=True),
        Observation(day(4), B),
    ]
    state = link_state(history)
    assert (state.status, state.failures) == (LinkStatus.FAILING, 2)


def test_history_order_does_not_matter() -> None:
    history = obs((1, B), (2, B), (4, B))
    assert link_state(reversed(history)) == link_state(history)


def test_confirmed_stays_confirmed_while_failing_and_keeps_its_date() -> None:
    state = link_state(obs((1, B), (2, B), (4, B), (6, B)))
    assert (state.status, state.confirmed_at, state.failures) == (
        LinkStatus.CONFIRMED_DEAD,
        day(4),
        4,
    )


def test_custom_policy() -> None:
    policy = ConfirmPolicy(runs=2, days=0)
    assert link_state(obs((1, B), (1, B)), policy).status is LinkStatus.CONFIRMED_DEAD
    assert link_state(obs((1, B)), ConfirmPolicy(1, 0)).status is LinkStatus.CONFIRMED_DEAD
    with pytest.raises(ValueError, match="at least 1"):
        ConfirmPolicy(runs=0)
    with pytest.raises(ValueError, match="negative"):
        ConfirmPolicy(days=-1)


# --------------------------------------------------------------------------- diffs


def test_diff_states_sorts_changes_into_one_list_each() -> None:
    cited = {k: (k, ("doc.html",)) for k in ("dies", "confirms", "recovers", "steady", "new")}
    histories = {
        "dies": obs((1, OK), (2, OK), (4, B)),
        "confirms": obs((1, B), (2, B), (4, B)),
        "recovers": obs((1, B), (2, B), (4, OK)),
        "steady": obs((1, B), (2, OK), (4, OK)),
        "new": [],
    }
    failing, confirmed, recovered = diff_states(cited, histories, day(4))
    assert [c.key for c in failing] == ["dies"]
    assert [c.key for c in confirmed] == ["confirms"]
    assert [c.key for c in recovered] == ["recovers"]
    assert confirmed[0].before.status is LinkStatus.FAILING
    assert confirmed[0].documents == ("doc.html",)


def test_jump_to_confirmed_is_one_event() -> None:
    cited = {"k": ("k", ("d",))}
    failing, confirmed, _ = diff_states(
        cited, {"k": obs((1, OK), (2, B))}, day(2), ConfirmPolicy(1, 0)
    )
    assert (failing, [c.key for c in confirmed]) == ([], ["k"])


def test_newly_archived_needs_knowledge_that_there_was_none() -> None:
    cited = {k: (k, ("d",)) for k in ("looked", "saved", "old", "had", "fresh")}
    found_old = ArchiveMark(
        True, "https://web.archive.org/web/2019/x", day(1) - timedelta(days=900)
    )
    latest = {
        "looked": found_old,  # last run looked and found nothing
        "saved": ArchiveMark(True, "https://web.archive.org/web/new/x", day(4, 10)),
        "old": found_old,  # last run did not look: an old capture is not news
        "had": found_old,
        "fresh": ArchiveMark(True, "https://web.archive.org/web/new/y", day(4, 10)),
    }
    previous = {
        "looked": ArchiveMark(True),
        "had": found_old,
    }
    out = newly_archived(cited, latest, previous, ["looked", "saved", "old", "had"], day(2))
    assert [c.key for c in out] == ["looked", "saved"]  # "fresh" was not cited last run
    assert out[1].archive_url == "https://web.archive.org/web/new/x"


def test_diff_text() -> None:
    assert RunDiff().text() == "No runs recorded yet."
    assert "First recorded run" in RunDiff(run_id=1, run_at=day(1)).text()
    quiet = RunDiff(2, day(2), 1, day(1))
    assert quiet.empty
    assert quiet.text() == "Since the previous run (2026-03-02): no link changed standing."
    state = link_state(obs((1, B)))
    changes = tuple(
        Change(f"https://x.test/{i}", f"https://x.test/{i}", state, state) for i in range(5)
    )
    text = RunDiff(2, day(2), 1, day(1), newly_failing=changes, recovered=changes[:1]).text()
    assert text.startswith("Since the previous run (2026-03-02): 5 links newly failing (")
    assert "and 2 more" in text
    assert "1 link recovered (https://x.test/0)" in text
    assert "\n" not in text
