"""ProgressService against a real PostgreSQL: every method and every rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from progress.errors import EventNotFound, InvalidInput, NotEligible
from progress.schema import (
    chapter_progress,
    progress_events,
    quiz_scores,
    tutorial_certificates,
    tutorial_progress,
    tutorials,
)
from progress.service import ProgressService

T, U = "intro-to-sql", "learner-1"


def chapter(service: ProgressService, chapter_id: str = "c1", **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "chapter_id": chapter_id,
        "watch_time": 120,
        "completed": True,
        "last_position": 118,
        "actor": "learner-1",
        "source": "api",
    }
    arguments.update(overrides)
    return service.update_chapter_progress(T, U, **arguments)


def quiz(service: ProgressService, score: float, *, passed: bool, quiz_id: str = "q1") -> Any:
    return service.update_quiz_score(
        T, U, quiz_id=quiz_id, score=score, max_score=10, passed=passed, actor="a", source="api"
    )


def row_counts(engine: Engine) -> dict[str, int]:
    tables = (
        tutorial_progress,
        chapter_progress,
        quiz_scores,
        tutorial_certificates,
        progress_events,
    )
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in tables
        }


def test_unknown_pair_reads_as_empty_progress(service: ProgressService) -> None:
    progress = service.get_progress(T, "nobody")
    assert progress.model_dump(by_alias=True, mode="json") == {
        "tutorialId": T,
        "userId": "nobody",
        "completionPercentage": 0.0,
        "chaptersCompleted": 0,
        "totalChapters": 0,
        "chapterProgress": [],
        "quizScores": [],
        "certificateEligible": False,
        "certificateEarned": False,
        "totalWatchTime": 0.0,
        "lastWatchedAt": None,
    }


def test_get_progress_is_the_briefs_response_shape(service: ProgressService) -> None:
    chapter(service, "c1", total_chapters=4)
    quiz(service, 8, passed=True)
    body = service.get_progress(T, U).model_dump(by_alias=True, mode="json")
    assert body["completionPercentage"] == 25.0
    assert body["chaptersCompleted"] == 1
    assert body["totalChapters"] == 4
    assert body["chapterProgress"] == [
        {"chapterId": "c1", "watchTime": 120.0, "completed": True, "lastPosition": 118.0}
    ]
    [score] = body["quizScores"]
    assert {k: score[k] for k in ("quizId", "score", "maxScore", "passed", "attempts")} == {
        "quizId": "q1",
        "score": 8.0,
        "maxScore": 10.0,
        "passed": True,
        "attempts": 1,
    }
    assert score["completedAt"].endswith("Z")
    assert body["lastWatchedAt"].endswith("Z")
    assert body["totalWatchTime"] == 120.0


def test_chapter_update_is_idempotent(service: ProgressService, engine: Engine) -> None:
    first = chapter(service, watch_time=300, last_position=290)
    second = chapter(service, watch_time=300, last_position=290)
    assert first.total_watch_time == second.total_watch_time == 300
    assert row_counts(engine)["chapter_progress"] == 1


def test_watch_time_is_the_chapters_total_not_an_increment(service: ProgressService) -> None:
    chapter(service, "c1", watch_time=100)
    chapter(service, "c2", watch_time=50)
    progress = chapter(service, "c1", watch_time=40, last_position=10)
    assert progress.total_watch_time == 90
    assert [c.last_position for c in progress.chapter_progress if c.chapter_id == "c1"] == [10]


def test_quiz_counts_attempts_keeps_best_and_stays_passed(service: ProgressService) -> None:
    quiz(service, 4, passed=False)
    quiz(service, 9, passed=True)
    progress = quiz(service, 6, passed=False)
    [score] = progress.quiz_scores
    assert (score.attempts, score.score, score.passed) == (3, 9, True)


def test_quiz_completed_at_is_the_latest_attempt(engine: Engine) -> None:
    times = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(10))
    service = ProgressService(engine, clock=lambda: next(times))
    quiz(service, 9, passed=True)
    progress = quiz(service, 2, passed=False)
    assert progress.quiz_scores[0].completed_at > datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert progress.quiz_scores[0].score == 9


def test_total_chapters_comes_from_call_then_catalog_then_chapters_seen(
    service: ProgressService, engine: Engine
) -> None:
    assert chapter(service, "c1").total_chapters == 1  # chapters seen
    with engine.begin() as connection:
        connection.execute(insert(tutorials).values(tutorial_id=T, title="SQL", total_chapters=8))
    assert chapter(service, "c2").total_chapters == 8  # catalog
    progress = chapter(service, "c3", total_chapters=3, source="console", actor="sam")
    assert (progress.total_chapters, progress.completion_percentage) == (3, 100.0)  # support wins
    assert chapter(service, "c3", watch_time=130).total_chapters == 3  # and is remembered


def test_a_caller_below_support_cannot_shrink_the_total_below_the_catalog(
    service: ProgressService, engine: Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(insert(tutorials).values(tutorial_id=T, title="SQL", total_chapters=11))
    for source in ("api", "migration"):
        progress = chapter(service, "c1", total_chapters=1, source=source)
        assert (progress.total_chapters, progress.certificate_eligible) == (11, False)
    with pytest.raises(NotEligible):
        service.complete_tutorial(T, U, actor="learner-1", source="api")
    assert chapter(service, "c1", total_chapters=12).total_chapters == 12  # larger: taken


def test_a_caller_below_support_cannot_shrink_the_total_below_the_chapters_seen(
    service: ProgressService,
) -> None:
    chapter(service, "c1")
    chapter(service, "c2")
    assert chapter(service, "c3", total_chapters=2).total_chapters == 3
    assert chapter(service, "c3", total_chapters=3).total_chapters == 3


def test_completion_percentage_has_two_decimals_and_caps_at_100(
    service: ProgressService,
) -> None:
    assert chapter(service, "c1", total_chapters=3).completion_percentage == 33.33
    chapter(service, "c2")
    chapter(service, "c3")
    assert chapter(service, "c4").completion_percentage == 100.0


def test_aggregates_are_stored_on_the_progress_row(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "c1", total_chapters=2, watch_time=30)
    chapter(service, "c2", completed=False, watch_time=12.5)
    with engine.connect() as connection:
        row = connection.execute(select(tutorial_progress)).one()
    assert float(row.completion_percentage) == 50.0
    assert (row.chapters_completed, row.total_chapters, row.total_watch_time) == (1, 2, 42.5)
    assert row.certificate_eligible is False


def test_certificate_needs_every_chapter_and_every_quiz_passed(
    service: ProgressService,
) -> None:
    chapter(service, "c1", total_chapters=3)
    chapter(service, "c2", completed=False)
    quiz(service, 3, passed=False)
    with pytest.raises(NotEligible) as raised:
        service.complete_tutorial(T, U, actor="a", source="api")
    assert raised.value.incomplete_chapters == ["c2"]
    assert raised.value.unseen_chapters == 1
    assert raised.value.failed_quizzes == ["q1"]
    assert "c2" in raised.value.message
    assert "1 chapter of 3 never watched" in raised.value.message
    assert "q1" in raised.value.message


def test_complete_awards_a_certificate_once(service: ProgressService, engine: Engine) -> None:
    chapter(service, "c1", total_chapters=1)
    quiz(service, 10, passed=True)
    assert service.get_progress(T, U).certificate_eligible
    progress = service.complete_tutorial(T, U, actor="learner-1", source="api")
    assert progress.certificate_earned
    events_before = row_counts(engine)["progress_events"]
    service.complete_tutorial(T, U, actor="learner-1", source="api")
    assert row_counts(engine)["progress_events"] == events_before
    assert row_counts(engine)["tutorial_certificates"] == 1


def test_support_can_override_the_certificate_rules(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "c1", total_chapters=5)
    progress = service.complete_tutorial(
        T, U, actor="sam@support", source="console", override_reason="Watched offline, ticket 42"
    )
    assert progress.certificate_earned
    assert not progress.certificate_eligible
    with engine.connect() as connection:
        certificate = connection.execute(select(tutorial_certificates)).one()
    assert certificate.awarded_by == "sam@support"
    assert certificate.override_reason == "Watched offline, ticket 42"


def test_the_api_cannot_override_the_certificate_rules(
    service: ProgressService, engine: Engine
) -> None:
    with pytest.raises(InvalidInput, match="Only support staff"):
        service.complete_tutorial(T, U, actor="x", source="api", override_reason="please")
    assert row_counts(engine)["tutorial_certificates"] == 0


def test_an_ordinary_award_keeps_its_reason_in_the_history(service: ProgressService) -> None:
    chapter(service, "c1", completed=True, total_chapters=1)
    service.complete_tutorial(T, U, actor="sam", source="console", reason="ticket 9: re-sync")
    latest = service.history(T, U)[0]
    assert (latest.kind, latest.reason, latest.actor) == ("complete", "ticket 9: re-sync", "sam")
    certificate = service.get_snapshot(T, U).certificate
    assert certificate is not None
    assert certificate.override_reason is None


def test_an_override_keeps_its_reason_in_the_history(service: ProgressService) -> None:
    chapter(service, "c1", total_chapters=5)
    service.complete_tutorial(T, U, actor="sam", source="console", override_reason="ticket 42")
    assert service.history(T, U)[0].reason == "ticket 42"


def test_a_reason_and_an_override_reason_at_once_are_refused(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "c1", total_chapters=5)
    before = row_counts(engine)
    with pytest.raises(InvalidInput, match="either a reason or an override reason"):
        service.complete_tutorial(
            T, U, actor="sam", source="console", reason="a", override_reason="b"
        )
    assert row_counts(engine) == before


def test_completing_an_ineligible_pair_writes_nothing(
    service: ProgressService, engine: Engine
) -> None:
    with pytest.raises(NotEligible):
        service.complete_tutorial(T, "new-learner", actor="a", source="api")
    assert all(count == 0 for count in row_counts(engine).values())


def test_reset_removes_everything_and_keeps_a_snapshot(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "c1", total_chapters=1)
    quiz(service, 10, passed=True)
    service.complete_tutorial(T, U, actor="a", source="api")
    progress = service.reset_progress(
        T, U, actor="sam", source="console", reason="asked by learner"
    )
    assert progress.completion_percentage == 0
    counts = row_counts(engine)
    assert counts["tutorial_progress"] == counts["chapter_progress"] == 0
    assert counts["quiz_scores"] == counts["tutorial_certificates"] == 0
    [latest, *_] = service.history(T, U)
    assert latest.kind == "reset"
    assert latest.reason == "asked by learner"
    assert latest.after is None
    assert latest.before is not None
    assert latest.before.certificate is not None


def test_reset_can_be_undone_from_history(service: ProgressService) -> None:
    chapter(service, "c1", total_chapters=2)
    quiz(service, 7, passed=True)
    service.complete_tutorial(T, U, actor="sam", source="console", override_reason="ticket 7")
    before = service.get_snapshot(T, U)
    service.reset_progress(T, U, actor="sam", source="console")
    reset_event = service.history(T, U)[0]
    restored = service.restore_progress(reset_event.id, actor="sam", reason="reset by mistake")
    assert service.get_snapshot(T, U) == before
    assert restored == before.to_progress()
    latest = service.history(T, U)[0]
    assert (latest.kind, latest.restored_event_id) == ("restore", reset_event.id)


def test_restore_is_itself_undoable(service: ProgressService) -> None:
    chapter(service, "c1", watch_time=10)
    chapter(service, "c1", watch_time=999)  # a wrong edit
    wrong_edit = service.history(T, U)[0]
    service.restore_progress(wrong_edit.id, actor="sam")
    assert service.get_progress(T, U).total_watch_time == 10
    restore_event = service.history(T, U)[0]
    service.restore_progress(restore_event.id, actor="sam")
    assert service.get_progress(T, U).total_watch_time == 999


def test_restoring_the_first_event_empties_the_progress(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "c1")
    first = service.history(T, U)[-1]
    service.restore_progress(first.id, actor="sam")
    assert row_counts(engine)["tutorial_progress"] == 0
    assert service.get_progress(T, U).total_chapters == 0


def test_restore_of_an_unknown_event_says_so(service: ProgressService) -> None:
    with pytest.raises(EventNotFound, match="no history event with id 404"):
        service.restore_progress(404, actor="sam")


def test_history_is_newest_first_with_source_actor_and_reason(service: ProgressService) -> None:
    chapter(service, "c1", actor="learner-1", source="api")
    chapter(service, "c2", actor="sam", source="console", reason="ticket 9")
    events = service.history(T, U)
    assert [e.kind for e in events] == ["chapter", "chapter"]
    assert events[0].id > events[1].id
    assert (events[0].actor, events[0].source, events[0].reason) == ("sam", "console", "ticket 9")
    assert events[1].before is None
    assert events[0].before == events[1].after


def test_resetting_a_pair_without_progress_changes_nothing(
    service: ProgressService, engine: Engine
) -> None:
    service.reset_progress(T, "ghost", actor="a", source="api")
    assert all(count == 0 for count in row_counts(engine).values())


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"chapter_id": ""}, "chapter_id", "Chapter id is required"),
        ({"chapter_id": "  "}, "chapter_id", "Chapter id is blank"),
        ({"chapter_id": " c1"}, "chapter_id", "spaces at the start or end"),
        ({"chapter_id": "c" * 201}, "chapter_id", "at most 200"),
        ({"chapter_id": "c\x001"}, "chapter_id", "control characters"),
        ({"watch_time": -1}, "watch_time", "Watch time must be at least 0"),
        ({"watch_time": float("nan")}, "watch_time", "finite"),
        ({"watch_time": float("inf")}, "watch_time", "finite"),
        ({"watch_time": "12"}, "watch_time", "must be a number"),
        ({"watch_time": True}, "watch_time", "must be a number"),
        ({"last_position": -0.5}, "last_position", "Last position must be at least 0"),
        ({"completed": "yes"}, "completed", "true or false"),
        ({"total_chapters": 0}, "total_chapters", "between 1 and"),
        ({"total_chapters": 2.5}, "total_chapters", "whole number"),
        ({"actor": ""}, "actor", "Operator is required"),
        ({"source": "web"}, "source", "Source must be one of"),
        ({"reason": "a\x07b"}, "reason", "control characters"),
    ],
)
def test_bad_chapter_input_is_refused_and_writes_nothing(
    service: ProgressService, engine: Engine, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        chapter(service, **overrides)
    assert raised.value.field == field
    assert all(count == 0 for count in row_counts(engine).values())


@pytest.mark.parametrize(
    ("score", "max_score", "message"),
    [
        (12, 10, "Score 12 is above max score 10"),
        (-1, 10, "Score must be at least 0"),
        (5, 0, "Max score must be above 0"),
        (float("nan"), 10, "finite"),
    ],
)
def test_bad_quiz_input_is_refused_and_writes_nothing(
    service: ProgressService, engine: Engine, score: float, max_score: float, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.update_quiz_score(
            T,
            U,
            quiz_id="q",
            score=score,
            max_score=max_score,
            passed=True,
            actor="a",
            source="api",
        )
    assert all(count == 0 for count in row_counts(engine).values())


@pytest.mark.parametrize(
    ("tutorial_id", "user_id", "message"),
    [("", U, "Tutorial id is required"), (T, "", "User id is required"), (T, "x\ny", "control")],
)
def test_bad_ids_are_refused_on_reads_too(
    service: ProgressService, tutorial_id: str, user_id: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.get_progress(tutorial_id, user_id)


def test_find_learners_by_user_id_prefix_lists_their_tutorials(service: ProgressService) -> None:
    for user in ("ann_1", "ann%2", "annie", "bob"):
        service.update_chapter_progress(
            "t1",
            user,
            chapter_id="c",
            watch_time=1,
            completed=False,
            last_position=1,
            actor="a",
            source="api",
        )
    service.update_chapter_progress(
        "t2",
        "annie",
        chapter_id="c",
        watch_time=1,
        completed=True,
        last_position=1,
        actor="a",
        source="api",
    )
    assert [(r.user_id, r.tutorial_id) for r in service.find_learners("ann")] == [
        ("ann%2", "t1"),
        ("ann_1", "t1"),
        ("annie", "t1"),
        ("annie", "t2"),
    ]
    assert [r.user_id for r in service.find_learners("ann_")] == ["ann_1"]
    assert [r.user_id for r in service.find_learners("ann%")] == ["ann%2"]
    # How many pairs match in all (the console says "first 50 of …"), counted up to a cap.
    assert (service.count_learners("ann"), service.count_learners("ann_")) == (4, 1)
    assert service.count_learners("ann", up_to=2) == 2
