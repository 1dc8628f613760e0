"""An operation whose result equals the state before it writes nothing: no row, no event, no
telemetry — on every path. And the history has one order and one "no state"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from progress.bulk import ImportedProgress
from progress.db import alembic_config, upgrade
from progress.models import Progress
from progress.rules import ProgressState, apply_chapter
from progress.schema import client_events, progress_events, tutorial_progress
from progress.service import ProgressService
from tests.db.test_service import T, U, chapter

Operation = Callable[[ProgressService], object]


def writes(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tutorial_progress, progress_events, client_events)
        )


def upload(**fields: object) -> Progress:
    """A client's copy: empty progress with `fields` (camelCase) set."""
    empty = ProgressState(T, U).to_progress().model_dump(by_alias=True)
    return Progress.model_validate({**empty, **fields})


def last_event_id(service: ProgressService) -> int:
    return service.history(T, U)[0].id


REPEATS: dict[str, tuple[Operation, Operation]] = {
    # name: (what makes the state, the operation that must then change nothing)
    "the same chapter update again": (chapter, chapter),
    "a chapter update with the total it already has": (
        lambda s: chapter(s, total_chapters=5),
        lambda s: chapter(s, total_chapters=5),
    ),
    "a chapter update with a smaller total than seen (ignored)": (
        lambda s: chapter(s, "ch-1") and chapter(s),
        lambda s: chapter(s, total_chapters=1),
    ),
    "completing twice": (
        lambda s: chapter(s, total_chapters=1) and s.complete_tutorial(T, U, actor=U, source="api"),
        lambda s: s.complete_tutorial(T, U, actor=U, source="api"),
    ),
    "resetting nothing": (
        lambda s: None,
        lambda s: s.reset_progress(T, U, actor="sam", source="console"),
    ),
    "migrating only totalChapters for a learner without progress": (
        lambda s: None,
        lambda s: s.merge_progress(T, U, client=upload(totalChapters=3), actor=U),
    ),
    "migrating only lastWatchedAt for a learner without progress": (
        lambda s: None,
        lambda s: s.merge_progress(
            T, U, client=upload(lastWatchedAt=datetime(2026, 11, 1, tzinfo=UTC)), actor=U
        ),
    ),
    "migrating the copy the server already has": (
        chapter,
        lambda s: s.merge_progress(T, U, client=s.get_progress(T, U), actor=U),
    ),
}


@pytest.mark.parametrize("name", REPEATS)
def test_an_operation_that_changes_nothing_writes_nothing(
    service: ProgressService, engine: Engine, name: str
) -> None:
    prepare, repeat = REPEATS[name]
    prepare(service)
    before_state = service.get_progress(T, U)
    before_writes = writes(engine)

    repeat(service)

    assert writes(engine) == before_writes
    assert service.get_progress(T, U) == before_state


def test_restoring_the_state_the_learner_already_has_writes_nothing(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service, "ch-1")
    chapter(service, "ch-2")
    second = service.history(T, U)[0]
    service.restore_progress(second.id, actor="sam")  # back to just ch-1: a change
    before_writes = writes(engine)

    service.restore_progress(second.id, actor="sam")  # the same state again

    assert writes(engine) == before_writes
    assert [event.kind for event in service.history(T, U)] == ["restore", "chapter", "chapter"]


def test_a_quiz_attempt_always_changes_something_it_counts(service: ProgressService) -> None:
    for _ in range(2):
        service.update_quiz_score(
            T, U, quiz_id="q1", score=5, max_score=10, passed=False, actor=U, source="api"
        )
    assert [event.kind for event in service.history(T, U)] == ["quiz", "quiz"]
    assert service.get_progress(T, U).quiz_scores[0].attempts == 2


def test_a_migration_that_changes_something_is_one_event_and_one_outcome(
    service: ProgressService, engine: Engine
) -> None:
    copy = upload(
        chapterProgress=[
            {"chapterId": "ch-1", "watchTime": 40, "completed": True, "lastPosition": 40}
        ]
    )
    service.merge_progress(T, U, client=copy, actor=U)
    service.merge_progress(T, U, client=copy, actor=U)

    assert writes(engine) == (1, 1, 1)
    with engine.connect() as connection:
        outcome = connection.execute(select(client_events)).mappings().one()
    assert (outcome["outcome"], outcome["record_count"]) == ("succeeded", 1)


def test_a_write_lists_chapters_and_quizzes_by_id_in_every_snapshot(
    service: ProgressService,
) -> None:
    chapter(service, "ch-b")
    written = chapter(service, "ch-a")
    for quiz_id in ("q-b", "q-a"):
        service.update_quiz_score(
            T, U, quiz_id=quiz_id, score=5, max_score=10, passed=True, actor=U, source="api"
        )
    read = service.get_progress(T, U)
    newest, _, chapter_event, _ = service.history(T, U)

    assert [c.chapter_id for c in written.chapter_progress] == ["ch-a", "ch-b"]
    assert [c.chapter_id for c in read.chapter_progress] == ["ch-a", "ch-b"]
    assert chapter_event.after is not None
    assert [c.chapter_id for c in chapter_event.after.chapter_progress] == ["ch-a", "ch-b"]
    assert newest.after is not None
    assert [q.quiz_id for q in newest.after.quiz_scores] == ["q-a", "q-b"]
    assert [q.quiz_id for q in read.quiz_scores] == ["q-a", "q-b"]


def test_the_order_is_by_code_point_whatever_the_databases_collation(
    service: ProgressService,
) -> None:
    for chapter_id in ("b", "B", "a", "ä", "A"):
        chapter(service, chapter_id)
    read = [c.chapter_id for c in service.get_progress(T, U).chapter_progress]
    after = service.history(T, U)[0].after
    assert after is not None
    assert read == [c.chapter_id for c in after.chapter_progress] == ["A", "B", "a", "b", "ä"]


def test_no_state_is_sql_null_from_the_service_and_from_the_demo_import(
    service: ProgressService, engine: Engine
) -> None:
    chapter(service)
    service.reset_progress(T, U, actor="sam", source="console")
    now = datetime.now(UTC)
    imported = apply_chapter(
        ProgressState(T, "imported"),
        chapter_id="ch-1",
        watch_time=1,
        completed=True,
        last_position=1,
        total_chapters=None,
        at=now,
    )
    service.import_progress(
        [ImportedProgress(imported, started_at=now, chapter_times={"ch-1": now}, updated_at=now)],
        actor="demo",
        reason="demo data",
    )
    with engine.connect() as connection:
        nulls = connection.execute(
            text(
                "SELECT kind, before IS NULL, after IS NULL,"
                " jsonb_typeof(before), jsonb_typeof(after) FROM progress_events ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in nulls] == [
        ("chapter", True, False, None, "object"),
        ("reset", False, True, "object", None),
        ("migration", True, False, None, "object"),
    ]


def test_migration_0004_converts_json_nulls_and_sorts_old_snapshots(
    migrated_engine: Engine, database_url: str
) -> None:
    config = alembic_config(database_url)
    unsorted = {
        "tutorialId": T,
        "chapterProgress": [{"chapterId": "b"}, {"chapterId": "a"}],
        "quizScores": [{"quizId": "q2"}, {"quizId": "q1"}],
    }
    row = {
        "occurred_at": datetime.now(UTC),
        "tutorial_id": T,
        "user_id": "migrated",
        "kind": "chapter",
        "source": "api",
        "actor": "x",
    }
    command.downgrade(config, "0003")
    try:
        with migrated_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO progress_events"
                    " (occurred_at, tutorial_id, user_id, kind, source, actor, before, after)"
                    " VALUES (:occurred_at, :tutorial_id, :user_id, :kind, :source, :actor,"
                    " 'null'::jsonb, CAST(:after AS jsonb))"
                ),
                {**row, "after": json.dumps(unsorted)},
            )
    finally:
        upgrade(database_url)
    with migrated_engine.begin() as connection:
        before, after = connection.execute(
            text("SELECT before IS NULL, after FROM progress_events WHERE user_id = 'migrated'")
        ).one()
        connection.execute(text("DELETE FROM progress_events WHERE user_id = 'migrated'"))
    assert before is True
    assert [c["chapterId"] for c in after["chapterProgress"]] == ["a", "b"]
    assert [q["quizId"] for q in after["quizScores"]] == ["q1", "q2"]
