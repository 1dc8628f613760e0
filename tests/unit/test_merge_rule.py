"""`merge_states`: a client's offline copy merged into the server's state, losing neither side."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from progress.models import ChapterProgress, Progress, QuizScore
from progress.rules import (
    CertificateState,
    ChapterState,
    ProgressState,
    QuizState,
    merge_states,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=1)


def upload(
    chapters: list[ChapterProgress] | None = None,
    quizzes: list[QuizScore] | None = None,
    *,
    total_chapters: int = 0,
    certificate_earned: bool = False,
    last_watched_at: datetime | None = None,
) -> Progress:
    return Progress(
        tutorial_id="t",
        user_id="u",
        completion_percentage=0,
        chapters_completed=0,
        total_chapters=total_chapters,
        chapter_progress=chapters or [],
        quiz_scores=quizzes or [],
        certificate_eligible=False,
        certificate_earned=certificate_earned,
        total_watch_time=0,
        last_watched_at=last_watched_at,
    )


def chapter(chapter_id: str, watch: float, completed: bool, position: float) -> ChapterProgress:
    return ChapterProgress(
        chapter_id=chapter_id, watch_time=watch, completed=completed, last_position=position
    )


def quiz(quiz_id: str, score: float, passed: bool, attempts: int, at: datetime) -> QuizScore:
    return QuizScore(
        quiz_id=quiz_id,
        score=score,
        max_score=10,
        passed=passed,
        attempts=attempts,
        completed_at=at,
    )


def server_state() -> ProgressState:
    return ProgressState(
        "t",
        "u",
        chapters={"ch-1": ChapterState("ch-1", 100, False, 90)},
        quizzes={"q-1": QuizState("q-1", 6, 10, False, 2, EARLIER)},
        last_watched_at=EARLIER,
        exists=True,
    )


def test_each_chapter_keeps_the_larger_watch_time_and_position_and_either_completion() -> None:
    merged = merge_states(
        server_state(),
        upload([chapter("ch-1", 50, True, 120), chapter("ch-2", 30, False, 30)]),
        awarded_by="u",
        at=NOW,
    )

    assert merged.chapters == {
        "ch-1": ChapterState("ch-1", 100, True, 120),
        "ch-2": ChapterState("ch-2", 30, False, 30),
    }


def test_each_quiz_keeps_the_best_score_and_does_not_add_up_attempts() -> None:
    merged = merge_states(
        server_state(), upload(quizzes=[quiz("q-1", 9, True, 3, NOW)]), awarded_by="u", at=NOW
    )

    assert merged.quizzes["q-1"] == QuizState("q-1", 9, 10, True, 3, NOW)


def test_a_lower_client_score_keeps_the_server_best_and_its_pass() -> None:
    state = replace(server_state(), quizzes={"q-1": QuizState("q-1", 8, 10, True, 4, EARLIER)})

    merged = merge_states(
        state, upload(quizzes=[quiz("q-1", 3, False, 1, NOW)]), awarded_by="u", at=NOW
    )

    assert merged.quizzes["q-1"] == QuizState("q-1", 8, 10, True, 4, NOW)


def test_the_server_certificate_is_kept_whatever_the_client_says() -> None:
    certificate = CertificateState(EARLIER, "support", "ticket 9")
    state = replace(server_state(), certificate=certificate)

    merged = merge_states(state, upload(certificate_earned=False), awarded_by="u", at=NOW)

    assert merged.certificate == certificate


def test_a_client_certificate_is_awarded_only_when_the_merged_progress_is_eligible() -> None:
    done = upload([chapter("ch-1", 300, True, 300)], total_chapters=1, certificate_earned=True)
    not_done = upload([chapter("ch-1", 30, False, 30)], total_chapters=1, certificate_earned=True)
    fresh = ProgressState("t", "u")

    assert merge_states(fresh, done, awarded_by="u", at=NOW).certificate == CertificateState(
        NOW, "u"
    )
    assert merge_states(fresh, not_done, awarded_by="u", at=NOW).certificate is None


def test_a_client_total_only_raises_the_chapter_count() -> None:
    state = replace(server_state(), declared_total_chapters=8)

    assert merge_states(state, upload(total_chapters=3), awarded_by="u", at=NOW).total_chapters == 8
    assert (
        merge_states(state, upload(total_chapters=12), awarded_by="u", at=NOW).total_chapters == 12
    )


def test_a_client_that_counted_only_the_chapters_it_saw_cannot_finish_the_tutorial() -> None:
    state = replace(server_state(), catalog_total_chapters=10)

    merged = merge_states(
        state, upload([chapter("ch-1", 300, True, 300)], total_chapters=1), awarded_by="u", at=NOW
    )

    assert merged.total_chapters == 10
    assert merged.declared_total_chapters is None


def test_client_times_from_a_fast_clock_are_taken_as_now() -> None:
    future = NOW + timedelta(days=3)

    merged = merge_states(
        ProgressState("t", "u"),
        upload(quizzes=[quiz("q-1", 5, False, 1, future)], last_watched_at=future),
        awarded_by="u",
        at=NOW,
    )

    assert merged.last_watched_at == NOW
    assert merged.quizzes["q-1"].completed_at == NOW


def test_an_empty_upload_changes_nothing() -> None:
    assert merge_states(server_state(), upload(), awarded_by="u", at=NOW) == server_state()
    assert merge_states(ProgressState("t", "u"), upload(), awarded_by="u", at=NOW) == (
        ProgressState("t", "u")
    )


ids = st.sampled_from(["ch-1", "ch-2", "ch-3"])
seconds = st.floats(min_value=0, max_value=1000, allow_nan=False)
uploaded_chapters = st.lists(
    st.builds(chapter, ids, seconds, st.booleans(), seconds), unique_by=lambda c: c.chapter_id
)
uploaded_quizzes = st.lists(
    st.builds(
        quiz,
        st.sampled_from(["q-1", "q-2"]),
        st.integers(0, 10).map(float),
        st.booleans(),
        st.integers(1, 9),
        st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
        ),
    ),
    unique_by=lambda q: q.quiz_id,
)
uploads = st.builds(
    upload,
    uploaded_chapters,
    uploaded_quizzes,
    total_chapters=st.integers(0, 5),
    certificate_earned=st.booleans(),
)


@given(first=uploads, second=uploads)
def test_merging_the_same_copy_again_changes_nothing(first: Progress, second: Progress) -> None:
    state = merge_states(server_state(), first, awarded_by="u", at=NOW)

    once = merge_states(state, second, awarded_by="u", at=NOW)

    assert merge_states(once, second, awarded_by="u", at=NOW) == once


@given(client=uploads)
def test_a_merge_never_loses_what_either_side_had(client: Progress) -> None:
    server = server_state()

    merged = merge_states(server, client, awarded_by="u", at=NOW)

    for side in (server.chapters, {c.chapter_id: c for c in client.chapter_progress}):
        for chapter_id, seen in side.items():
            kept = merged.chapters[chapter_id]
            assert kept.watch_time >= seen.watch_time
            assert kept.last_position >= seen.last_position
            assert kept.completed or not seen.completed
    for quiz_id, seen_quiz in server.quizzes.items():
        kept_quiz = merged.quizzes[quiz_id]
        assert kept_quiz.score / kept_quiz.max_score >= seen_quiz.score / seen_quiz.max_score
        assert kept_quiz.attempts >= seen_quiz.attempts
        assert kept_quiz.passed or not seen_quiz.passed
