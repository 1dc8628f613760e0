"""Property: any sequence of operations leaves the stored aggregates equal to the child rows."""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, case, func, select

from progress.errors import NotEligible
from progress.schema import chapter_progress, tutorial_certificates, tutorial_progress
from progress.service import ProgressService

_pair_numbers = itertools.count()

chapter_ids = st.sampled_from(["c1", "c2", "c3", "c4"])
seconds = st.floats(min_value=0, max_value=5000, allow_nan=False)
operations = st.one_of(
    st.tuples(
        st.just("chapter"),
        chapter_ids,
        seconds,
        st.booleans(),
        seconds,
        st.none() | st.integers(min_value=1, max_value=6),
    ),
    st.tuples(
        st.just("quiz"),
        st.sampled_from(["q1", "q2"]),
        st.integers(min_value=0, max_value=10),
        st.booleans(),
    ),
    st.tuples(st.just("complete"), st.booleans()),
    st.tuples(st.just("reset")),
    st.tuples(st.just("restore"), st.integers(min_value=0, max_value=20)),
)


def apply(service: ProgressService, tutorial: str, user: str, operation: tuple[Any, ...]) -> None:
    kind = operation[0]
    if kind == "chapter":
        _, chapter_id, watch, completed, position, total = operation
        service.update_chapter_progress(
            tutorial,
            user,
            chapter_id=chapter_id,
            watch_time=watch,
            completed=completed,
            last_position=position,
            total_chapters=total,
            actor="p",
            source="api",
        )
    elif kind == "quiz":
        _, quiz_id, score, passed = operation
        service.update_quiz_score(
            tutorial,
            user,
            quiz_id=quiz_id,
            score=score,
            max_score=10,
            passed=passed,
            actor="p",
            source="api",
        )
    elif kind == "complete":
        with contextlib.suppress(NotEligible):
            service.complete_tutorial(
                tutorial,
                user,
                actor="p",
                source="console",
                override_reason="property test" if operation[1] else None,
            )
    elif kind == "reset":
        service.reset_progress(tutorial, user, actor="p", source="console")
    else:
        events = service.history(tutorial, user)
        if events:
            service.restore_progress(events[operation[1] % len(events)].id, actor="p")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(operations, max_size=12))
def test_any_sequence_keeps_aggregates_equal_to_child_rows(
    migrated_engine: Engine, sequence: list[tuple[Any, ...]]
) -> None:
    service = ProgressService(migrated_engine)
    tutorial, user = "property", f"learner-{next(_pair_numbers)}"
    for operation in sequence:
        apply(service, tutorial, user, operation)

    with migrated_engine.connect() as connection:
        stored = connection.execute(
            select(tutorial_progress).where(
                tutorial_progress.c.tutorial_id == tutorial, tutorial_progress.c.user_id == user
            )
        ).one_or_none()
        if stored is None:
            assert service.get_progress(tutorial, user).chapter_progress == []
            return
        children = connection.execute(
            select(
                func.count(chapter_progress.c.id),
                func.coalesce(func.sum(case((chapter_progress.c.completed, 1), else_=0)), 0),
                func.coalesce(func.sum(chapter_progress.c.watch_time), 0.0),
            ).where(chapter_progress.c.progress_id == stored.id)
        ).one()
        certificates = connection.execute(
            select(func.count()).where(tutorial_certificates.c.progress_id == stored.id)
        ).scalar_one()

    seen, completed, watched = children
    total = stored.declared_total_chapters or seen
    assert stored.total_chapters == total
    assert stored.chapters_completed == completed
    assert abs(stored.total_watch_time - watched) < 1e-6
    expected = min(100.0, round(completed * 100 / total, 2)) if total else 0.0
    assert float(stored.completion_percentage) == expected
    assert stored.certificate_earned == (certificates == 1)
    progress = service.get_progress(tutorial, user)
    assert progress.completion_percentage == expected
    assert progress.chapters_completed == completed


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(operations, min_size=1, max_size=10), st.integers(min_value=0))
def test_restoring_any_event_gives_back_exactly_the_state_before_it(
    migrated_engine: Engine, sequence: list[tuple[Any, ...]], pick: int
) -> None:
    service = ProgressService(migrated_engine)
    tutorial, user = "property-restore", f"learner-{next(_pair_numbers)}"
    for operation in sequence:
        apply(service, tutorial, user, operation)
    events = service.history(tutorial, user)
    if not events:
        return
    chosen = events[pick % len(events)]
    service.restore_progress(chosen.id, actor="p")
    snapshot = service.get_snapshot(tutorial, user)
    if chosen.before is None:
        assert snapshot.chapter_progress == []
        assert snapshot.quiz_scores == []
        assert snapshot.certificate is None
    else:
        assert snapshot == chosen.before
