"""Arbitrary values thrown at every public `ProgressService` method: each call either succeeds or
raises a `ProgressError` (never a raw OverflowError, UnicodeEncodeError or DataError), and a call
that fails writes nothing."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from progress.bulk import ImportedProgress
from progress.errors import ProgressError
from progress.models import ChapterProgress, Progress, QuizScore
from progress.rules import ProgressState
from progress.schema import client_events, progress_events, tutorial_progress
from progress.service import ProgressService

HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "ok\u200b"]
huge_text = st.builds(lambda: "x" * 100_000)  # built, so that no repr shows 100 kB
anything: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1]),
    st.integers(min_value=10**300, max_value=10**400),
    st.builds(lambda: 10**5000),  # beyond what int→str converts
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.sampled_from(HOSTILE_TEXT),
    huge_text,
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
)
hostile_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=100)
)
hostile_id = st.one_of(
    st.sampled_from(["t1", "u1", "c1"]), st.sampled_from(HOSTILE_TEXT), huge_text
)
aware_time = st.datetimes(timezones=st.just(UTC)) | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)
# Built through a plain function: `st.builds(Model)` would also guess the fields' aliases.
chapters = st.builds(
    lambda **fields: ChapterProgress(**fields),
    chapter_id=hostile_id,
    watch_time=hostile_float,
    completed=st.booleans(),
    last_position=hostile_float,
)
quizzes = st.builds(
    lambda **fields: QuizScore(**fields),
    quiz_id=hostile_id,
    score=hostile_float,
    max_score=hostile_float,
    passed=st.booleans(),
    attempts=st.integers(),
    completed_at=aware_time,
)


def progress_copy(**fields: Any) -> Progress:
    return Progress(
        completion_percentage=0,
        chapters_completed=0,
        certificate_eligible=False,
        total_watch_time=0,
        **fields,
    )


copies = st.builds(
    progress_copy,
    tutorial_id=st.sampled_from(["t1"]) | hostile_id,
    user_id=st.none() | st.sampled_from(["u1"]) | hostile_id,
    total_chapters=st.integers(),
    chapter_progress=st.lists(chapters, max_size=3),
    quiz_scores=st.lists(quizzes, max_size=2),
    certificate_earned=st.booleans(),
    last_watched_at=st.none() | aware_time,
)
imports = st.builds(
    lambda tutorial, user: ImportedProgress(
        ProgressState(tutorial, user, exists=True),
        started_at=datetime.now(UTC),
        chapter_times={},
        updated_at=datetime.now(UTC),
    ),
    hostile_id,
    hostile_id,
)

# Per argument name, a plausible value; each is replaced by an arbitrary one half the time.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "tutorial_id": st.sampled_from(["t1", "t2"]),
    "user_id": st.sampled_from(["u1", "u2"]),
    "user_id_prefix": st.sampled_from(["u", "u1"]),
    "chapter_id": st.sampled_from(["c1", "c2"]),
    "quiz_id": st.sampled_from(["q1"]),
    "watch_time": st.floats(min_value=0, max_value=1000),
    "last_position": st.floats(min_value=0, max_value=1000),
    "completed": st.booleans(),
    "passed": st.booleans(),
    "total_chapters": st.none() | st.integers(min_value=1, max_value=20),
    "score": st.floats(min_value=0, max_value=10),
    "max_score": st.just(10.0),
    "actor": st.just("sam"),
    "source": st.sampled_from(["api", "console", "migration", "system"]),
    "reason": st.none() | st.just("ticket 1"),
    "override_reason": st.none() | st.just("goodwill"),
    "event_id": st.integers(min_value=1, max_value=30),
    "limit": st.integers(min_value=1, max_value=100),
    "up_to": st.integers(min_value=1, max_value=10_000),
    "on_recorded": st.none() | st.just(lambda: None),
    "client": copies,
    "items": st.lists(imports, max_size=2),
}
METHODS = [
    name
    for name, member in inspect.getmembers(ProgressService, inspect.isfunction)
    if not name.startswith("_")
]


def writes(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tutorial_progress, progress_events, client_events)
        )


def test_every_public_method_is_fuzzed() -> None:
    assert set(METHODS) == {
        "certificate_blockers",
        "complete_tutorial",
        "count_learners",
        "find_learners",
        "get_progress",
        "get_snapshot",
        "history",
        "import_progress",
        "merge_progress",
        "reset_progress",
        "restore_progress",
        "update_chapter_progress",
        "update_quiz_score",
    }


@pytest.mark.parametrize("method", METHODS)
def test_any_argument_gets_success_or_a_progress_error_and_a_failure_writes_nothing(
    service: ProgressService, engine: Engine, method: str
) -> None:
    parameters = [
        parameter
        for parameter in inspect.signature(getattr(ProgressService, method)).parameters.values()
        if parameter.name != "self"
    ]

    @given(data=st.data())
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def call(data: st.DataObject) -> None:
        arguments = {
            parameter.name: data.draw(
                st.one_of(PLAUSIBLE[parameter.name], anything), label=parameter.name
            )
            for parameter in parameters
        }
        positional = [
            arguments.pop(p.name) for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        before = writes(engine)
        try:
            getattr(service, method)(*positional, **arguments)
        except ProgressError:
            assert writes(engine) == before

    call()
