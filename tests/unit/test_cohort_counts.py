"""What a pair adds to the completion-trend rollups, and how a change moves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from progress.rules import (
    CertificateState,
    ProgressState,
    apply_chapter,
    cohort_counts,
    cohort_moves,
    stamp_moments,
)

START = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 2, tzinfo=UTC)


def watched(
    state: ProgressState, chapter: str, at: datetime, completed: bool = True
) -> ProgressState:
    new = apply_chapter(
        state,
        chapter_id=chapter,
        watch_time=10,
        completed=completed,
        last_position=10,
        total_chapters=None,
        at=at,
    )
    return stamp_moments(state, new, at=at)


def test_a_new_pair_counts_as_a_starter_on_its_utc_start_day() -> None:
    state = watched(ProgressState("t", "u", catalog_total_chapters=2), "ch-01", START)
    assert cohort_counts(state) == {
        ("cohort", ("t", DAY)): {"starters": 1},
        ("chapters", ("t", DAY, 1)): {"learners": 1},
    }


def test_completing_after_eight_days_counts_within_14_30_and_60_days_only() -> None:
    first = watched(ProgressState("t", "u", catalog_total_chapters=2), "ch-01", START)
    done = watched(first, "ch-02", START + timedelta(days=8, hours=1))
    assert cohort_moves(first, done) == {
        ("cohort", ("t", DAY)): {"completed_14d": 1, "completed_30d": 1, "completed_60d": 1},
        ("chapters", ("t", DAY, 1)): {"learners": -1},
        ("chapters", ("t", DAY, 2)): {"learners": 1},
    }


def test_watching_more_of_a_chapter_moves_nothing() -> None:
    first = watched(ProgressState("t", "u", catalog_total_chapters=3), "ch-01", START, False)
    again = watched(first, "ch-01", START + timedelta(hours=2), False)
    assert cohort_moves(first, again) == {}


def test_a_certificate_after_sixty_days_counts_in_no_median_row() -> None:
    first = watched(ProgressState("t", "u", catalog_total_chapters=1), "ch-01", START)
    late = CertificateState(START + timedelta(days=61), "support")
    counts = cohort_counts(replace(first, certificate=late))
    assert not any(kind == "certificate" for kind, _ in counts)
    assert "certified_60d" not in counts[("cohort", ("t", DAY))]
