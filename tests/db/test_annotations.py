"""Annotations: the service's checks and write, `progress-ops annotate`, the window query with the
support console's hourly counts, and the mark a schema upgrade leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, select, update

from commands import main
from progress.annotations import add_annotation
from progress.db import alembic_config
from progress.errors import InvalidInput
from progress.models import Source
from progress.schema import annotations_table, progress_events
from progress.service import ProgressService
from queries.annotations import annotations_statement
from queries.sql import frame
from queries.window import Window

NOW = datetime.now(UTC).replace(microsecond=0)


def stored(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(annotations_table).order_by(annotations_table.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def test_an_annotation_is_stored_with_its_kind_author_and_time(engine: Engine) -> None:
    at = NOW - timedelta(minutes=5)
    annotation = add_annotation(
        engine, text="  deploy 2.4.1 ", kind="deploy", author="ci-pipeline", at=at
    )
    [row] = stored(engine)
    assert row["id"] == annotation.id
    assert (row["at"], row["ends_at"], row["kind"], row["text"], row["author"]) == (
        at,
        None,
        "deploy",
        "deploy 2.4.1",
        "ci-pipeline",
    )


def test_an_annotation_without_a_time_is_now_and_may_span_a_range(engine: Engine) -> None:
    before = datetime.now(UTC)
    point = add_annotation(engine, text="note", author="sam")
    incident = add_annotation(
        engine,
        text="db failover",
        kind="incident",
        author="sam",
        at=NOW,
        ends_at=NOW + timedelta(hours=1),
    )
    assert point.kind == "note"
    assert before <= point.at <= datetime.now(UTC)
    assert incident.ends_at == NOW + timedelta(hours=1)
    assert len(stored(engine)) == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"text": "   "}, "text", "Annotation text is required."),
        ({"text": "x" * 501}, "text", "501 characters long; at most 500"),
        ({"text": "deploy\n2.4.1"}, "text", "control characters"),
        ({"kind": "party"}, "kind", "Kind must be one of deploy, note, alert"),
        ({"author": "sam\x00"}, "author", "Author contains control characters."),
        ({"author": ""}, "author", "Author is required."),
        ({"at": datetime(2026, 12, 1, 12, 0)}, "at", "At needs a time zone"),
        ({"at": NOW + timedelta(days=40)}, "at", "more than 30 days ahead"),
        ({"ends_at": NOW - timedelta(hours=1)}, "ends_at", "Ends at must be after the start."),
        ({"ends_at": NOW + timedelta(days=40)}, "ends_at", "spans at most 31 days"),
    ],
)
def test_a_bad_annotation_is_refused_with_a_clear_message_and_nothing_is_written(
    engine: Engine, values: dict[str, Any], field: str, message: str
) -> None:
    arguments: dict[str, Any] = {"text": "deploy", "author": "sam", "at": NOW, **values}
    with pytest.raises(InvalidInput, match=message) as raised:
        add_annotation(engine, **arguments)
    assert raised.value.field == field
    assert stored(engine) == []


def test_the_window_lists_annotations_that_start_in_it_or_reach_into_it(engine: Engine) -> None:
    window = Window(NOW - timedelta(hours=6), NOW)
    for text, at, ends_at in [
        ("before, a point", window.start - timedelta(minutes=1), None),
        (
            "before, reaching in",
            window.start - timedelta(hours=1),
            window.start + timedelta(hours=1),
        ),
        ("inside", window.start + timedelta(hours=2), None),
        ("at the end: outside", window.end, None),
    ]:
        add_annotation(engine, text=text, author="sam", at=at, ends_at=ends_at)
    marks = frame(engine, annotations_statement(window))
    assert list(marks.columns) == ["at", "ends_at", "kind", "text", "author"]
    assert list(marks["text"]) == ["before, reaching in", "inside"]


def test_support_resets_and_restores_are_one_mark_per_hour_with_their_counts(
    engine: Engine, service: ProgressService
) -> None:
    users: list[tuple[str, Source]] = [
        ("learner-1", "console"),
        ("learner-2", "console"),
        ("learner-3", "console"),
        ("learner-9", "api"),  # not support
    ]
    for user, source in users:
        service.update_chapter_progress(
            "sql-basics",
            user,
            chapter_id="ch-1",
            watch_time=10,
            completed=False,
            last_position=10,
            actor=user,
            source="api",
        )
        actor = "sam@support" if source == "console" else user
        service.reset_progress("sql-basics", user, actor=actor, source=source)
    [first_reset] = service.history("sql-basics", "learner-1")[:1]
    service.restore_progress(first_reset.id, actor="kim@support", reason="ticket 812")
    # Move one reset to the previous hour: two hours, two marks.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with engine.begin() as connection:
        connection.execute(
            update(progress_events)
            .where(progress_events.c.user_id == "learner-3", progress_events.c.kind == "reset")
            .values(occurred_at=hour - timedelta(minutes=30))
        )
    marks = frame(
        engine, annotations_statement(Window(hour - timedelta(hours=2), hour + timedelta(hours=1)))
    )
    assert list(marks["kind"]) == ["support", "support"]
    assert list(marks["at"]) == [hour - timedelta(hours=1), hour]
    assert list(marks["text"]) == [
        "support: 1 reset this hour",
        "support: 2 resets, 1 restore this hour",
    ]
    assert marks["author"].iloc[1] == "kim@support, sam@support"


@pytest.fixture
def cli_on_test_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


@pytest.mark.usefixtures("cli_on_test_database")
def test_progress_ops_annotate_stores_a_deploy_mark(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--kind", "deploy", "--at", "2026-12-01T10:30", "--author", "ci"]
    assert main(["annotate", "deploy 2.4.1", *arguments]) == 0
    assert "(deploy) at 2026-12-01 10:30:00 UTC: deploy 2.4.1" in capsys.readouterr().out
    [row] = stored(engine)
    assert (row["at"], row["author"]) == (datetime(2026, 12, 1, 10, 30, tzinfo=UTC), "ci")


@pytest.mark.usefixtures("cli_on_test_database")
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--at", "yesterday"], "'yesterday' is not a date and time"),
        (["--kind", "party"], "Kind must be one of"),
        (["--at", "2026-12-01T10:00Z", "--ends-at", "2026-12-01T09:00Z"], "after the start"),
    ],
)
def test_progress_ops_annotate_with_bad_input_exits_2_and_writes_nothing(
    engine: Engine, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["annotate", "deploy", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert stored(engine) == []


def test_a_schema_upgrade_leaves_a_migration_annotation(engine: Engine, database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "0007-1")  # drops the annotations table…
    command.upgrade(config, "head")  # …and brings it back, with the upgrade's mark
    [row] = stored(engine)
    with engine.connect() as connection:
        head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    assert (row["kind"], row["text"], row["author"]) == (
        "migration",
        f"schema migrated to {head}",
        "system",
    )
    command.upgrade(config, "head")  # nothing to do: no second mark
    assert len(stored(engine)) == 1
