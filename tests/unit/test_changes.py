"""The history's "what changed" column."""

from __future__ import annotations

from datetime import UTC, datetime

from progress.changes import describe_changes
from progress.rules import ProgressState, apply_chapter, apply_quiz, award_certificate

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def chapter(state: ProgressState, watch: float, done: bool) -> ProgressState:
    return apply_chapter(
        state,
        chapter_id="ch-1",
        watch_time=watch,
        completed=done,
        last_position=watch,
        total_chapters=None,
        at=NOW,
    )


def test_a_first_chapter_is_described_in_full() -> None:
    after = chapter(ProgressState("t", "u"), 60, False).to_snapshot()
    assert describe_changes(None, after) == ["chapter ch-1: watched 60 s, at 60 s, not completed"]


def test_an_edit_names_only_what_changed() -> None:
    before = chapter(ProgressState("t", "u"), 60, False)
    after = chapter(before, 300, True)
    assert describe_changes(before.to_snapshot(), after.to_snapshot()) == [
        "chapter ch-1: watch time 60 s → 300 s, position 60 s → 300 s, completed"
    ]


def test_quizzes_and_certificates_are_described() -> None:
    before = chapter(ProgressState("t", "u"), 60, True)
    after = apply_quiz(before, quiz_id="q", score=8, max_score=10, passed=True, at=NOW)
    after = award_certificate(after, awarded_by="sam", override_reason=None, at=NOW)
    assert describe_changes(before.to_snapshot(), after.to_snapshot()) == [
        "quiz q: best 8/10, 1 attempt, passed",
        "certificate awarded",
    ]


def test_a_reset_says_what_was_removed() -> None:
    before = chapter(ProgressState("t", "u"), 60, True).to_snapshot()
    assert describe_changes(before, None) == ["removed all progress (100 %, 1 chapter, 0 quizzes)"]
