"""The progress rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from progress.errors import NotEligible
from progress.rules import (
    ProgressState,
    apply_chapter,
    apply_quiz,
    award_certificate,
    state_from_snapshot,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def with_chapters(*completed: bool, total: int | None = None) -> ProgressState:
    state = ProgressState("t", "u")
    for index, done in enumerate(completed):
        state = apply_chapter(
            state,
            chapter_id=f"c{index}",
            watch_time=10,
            completed=done,
            last_position=5,
            total_chapters=total,
            at=NOW,
        )
    return state


def test_an_empty_state_is_zero_percent_and_not_eligible() -> None:
    state = ProgressState("t", "u")
    assert (state.total_chapters, state.completion_percentage) == (0, 0.0)
    assert not state.certificate_eligible


def test_completion_is_rounded_to_two_decimals() -> None:
    assert with_chapters(True, False, False).completion_percentage == 33.33
    assert with_chapters(True, True, False).completion_percentage == 66.67


def test_completion_never_exceeds_100_when_the_declared_total_is_smaller() -> None:
    assert with_chapters(True, True, True, total=2).completion_percentage == 100.0


def test_declared_total_beats_the_catalog_which_beats_chapters_seen() -> None:
    seen = with_chapters(True)
    assert seen.total_chapters == 1
    catalogued = replace(seen, catalog_total_chapters=4)
    assert catalogued.total_chapters == 4
    assert replace(catalogued, declared_total_chapters=2).total_chapters == 2


def test_best_score_is_compared_as_a_share_of_max_score() -> None:
    state = apply_quiz(
        ProgressState("t", "u"), quiz_id="q", score=8, max_score=10, passed=True, at=NOW
    )
    state = apply_quiz(state, quiz_id="q", score=15, max_score=20, passed=False, at=NOW)
    quiz = state.quizzes["q"]
    assert (quiz.score, quiz.max_score, quiz.attempts, quiz.passed) == (8, 10, 2, True)


def test_quiz_completed_at_never_goes_back_in_time() -> None:
    state = apply_quiz(
        ProgressState("t", "u"), quiz_id="q", score=1, max_score=2, passed=False, at=NOW
    )
    state = apply_quiz(
        state, quiz_id="q", score=1, max_score=2, passed=False, at=NOW - timedelta(days=1)
    )
    assert state.quizzes["q"].completed_at == NOW


def test_not_eligible_names_every_missing_piece() -> None:
    state = with_chapters(True, False, total=4)
    state = apply_quiz(state, quiz_id="final", score=1, max_score=10, passed=False, at=NOW)
    missing = state.missing_for_certificate()
    assert missing is not None
    assert missing.reasons() == [
        "chapters not completed: c1",
        "2 chapters of 4 never watched",
        "quizzes not passed: final",
    ]


def test_award_refuses_without_override_and_records_one_with_it() -> None:
    state = with_chapters(False)
    with pytest.raises(NotEligible):
        award_certificate(state, awarded_by="sam", override_reason=None, at=NOW)
    awarded = award_certificate(state, awarded_by="sam", override_reason="ticket 1", at=NOW)
    assert awarded.certificate is not None
    assert awarded.certificate.override_reason == "ticket 1"


def test_an_eligible_award_records_no_override() -> None:
    awarded = award_certificate(with_chapters(True), awarded_by="u", override_reason="x", at=NOW)
    assert awarded.certificate is not None
    assert awarded.certificate.override_reason is None


def test_a_snapshot_round_trips_to_the_same_state() -> None:
    state = award_certificate(
        apply_quiz(
            with_chapters(True, True, total=2),
            quiz_id="q",
            score=3,
            max_score=3,
            passed=True,
            at=NOW,
        ),
        awarded_by="u",
        override_reason=None,
        at=NOW,
    )
    again = state_from_snapshot(state.to_snapshot(), catalog_total_chapters=None)
    assert again == state
