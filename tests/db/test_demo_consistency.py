"""A loaded demo database is consistent: the rollups equal what the raw rows say, every audit
event holds the state the service reads, the schema is as the migrations built it, and the data
is the same whatever the number of worker processes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from progress import demo
from progress.bulk import learner_id_sql
from progress.demo import DemoSpec, learner_id, load_demo_data
from progress.errors import InvalidInput
from progress.models import ProgressSnapshot
from progress.schema import (
    CERTIFICATE_DAYS,
    tutorial_certificate_days,
    tutorial_chapter_days,
    tutorial_cohort_days,
)
from progress.service import ProgressService
from queries.rollups import refresh
from queries.trends import progress_rows
from tests.db.test_demo import NOW, SMALL, fingerprint

SPEC = DemoSpec(learners=300, days=45, seed=5, now=NOW, api_logs=2_000)


def rows(engine: Engine, sql: str) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(text(sql))}


def test_the_trend_rollups_equal_what_the_progress_rows_say(engine: Engine) -> None:
    load_demo_data(engine, SPEC)
    raw = progress_rows()
    counted = [c for c in tutorial_cohort_days.c if c.name not in ("tutorial_id", "day")]
    checks = [
        (tutorial_cohort_days, [raw.c.tutorial_id, raw.c.day], [raw.c[c.name] for c in counted]),
        (
            tutorial_chapter_days,
            [raw.c.tutorial_id, raw.c.day, raw.c.chapters_completed],
            [raw.c.learners],
        ),
        (
            tutorial_certificate_days,
            [raw.c.tutorial_id, raw.c.day, raw.c.days_to_certificate],
            [raw.c.learners],
        ),
    ]
    with engine.connect() as connection:
        for table, keys, values in checks:
            statement = select(*keys, *[func.sum(v) for v in values]).group_by(*keys)
            if table is tutorial_certificate_days:
                statement = statement.where(raw.c.days_to_certificate < CERTIFICATE_DAYS)
            expected = {tuple(row) for row in connection.execute(statement)}
            stored = {tuple(row) for row in connection.execute(select(table))}
            assert stored == expected, table.name
            assert len(stored) > 10


def test_every_audit_event_holds_the_state_the_service_reads(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    service = ProgressService(engine)
    with engine.connect() as connection:
        events = connection.execute(
            text("SELECT tutorial_id, user_id, after, occurred_at FROM progress_events")
        ).all()
        pairs = connection.execute(text("SELECT count(*) FROM tutorial_progress")).scalar_one()
    assert len(events) == pairs
    for tutorial, user, after, occurred_at in events:
        snapshot = service.get_snapshot(tutorial, user)
        assert ProgressSnapshot.model_validate(after) == snapshot
        assert set(after) == set(snapshot.model_dump(by_alias=True))
        moments = [snapshot.started_at, snapshot.last_watched_at]
        moments += [q.completed_at for q in snapshot.quiz_scores]
        moments += [snapshot.certificate.awarded_at] if snapshot.certificate else []
        assert occurred_at == max(m for m in moments if m is not None)


def test_the_learners_active_days_equal_a_fold_from_scratch(engine: Engine) -> None:
    load_demo_data(engine, SPEC)
    assert refresh(engine) > 0  # the request logs and client events, not the progress events
    loaded = {
        name: rows(engine, f"SELECT * FROM {name}")  # noqa: S608 (the two names below)
        for name in ("learner_tutorial_days", "learner_days")
    }
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE learner_tutorial_days, learner_days"))
        connection.execute(text("DELETE FROM rollup_watermarks WHERE name = 'progress_events'"))
    refresh(engine)
    for name, before in loaded.items():
        assert rows(engine, f"SELECT * FROM {name}") == before, name  # noqa: S608
        assert len(before) > 100


SCHEMA = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
"""


def test_the_indexes_and_constraints_are_built_again_as_they_were(engine: Engine) -> None:
    before = rows(engine, SCHEMA)
    load_demo_data(engine, SPEC)
    assert rows(engine, SCHEMA) == before


def test_the_same_data_whatever_the_number_of_workers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "LEARNERS_PER_CHUNK", 7)  # 43 chunks
    load_demo_data(engine, SPEC)
    first = fingerprint(engine)
    ids = rows(engine, "SELECT id, tutorial_id, user_id FROM tutorial_progress")
    with engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE tutorials, tutorial_progress, api_logs, client_events, progress_events,"
                " learner_days, learner_tutorial_days, tutorial_cohort_days,"
                " tutorial_chapter_days, tutorial_certificate_days RESTART IDENTITY CASCADE"
            )
        )
    load_demo_data(engine, SPEC, workers=2)
    assert fingerprint(engine) == first
    assert rows(engine, "SELECT id, tutorial_id, user_id FROM tutorial_progress") == ids


def test_loading_into_a_database_with_progress_is_refused(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    with pytest.raises(InvalidInput, match="already has progress"):
        load_demo_data(engine, SMALL)


@pytest.mark.parametrize("number", [1, 42, 999_999, 1_000_000, 10_000_000])
def test_learner_ids_made_in_sql_are_the_demos_own(engine: Engine, number: int) -> None:
    sql = learner_id_sql("CAST(:number AS integer)")
    with engine.connect() as connection:
        made = connection.execute(text(f"SELECT {sql}"), {"number": number}).scalar_one()
    assert made == learner_id(number)
