"""Transient database failures, really injected: the unit of work is retried and lands once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import Connection

from progress.db import make_engine
from progress.errors import DatabaseUnavailable, InvalidInput
from progress.schema import chapter_progress, progress_events
from progress.service import ProgressService


@pytest.fixture
def fragile_engine(engine: Engine, database_url: str) -> Iterator[Engine]:
    """A second engine on the test database, disposed after the test."""
    fragile = make_engine(database_url)
    yield fragile
    fragile.dispose()


def kill_connection_on(engine: Engine, fragment: str, times: int, database_url: str) -> list[int]:
    """Terminate the connection's backend right before its next `times` statements containing
    `fragment` run, the way a failover or an idle-timeout would. Returns the killed pids."""
    killed: list[int] = []
    admin_url = database_url.replace("postgresql+psycopg", "postgresql")

    @event.listens_for(engine, "before_cursor_execute")
    def terminate(connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if fragment in statement and len(killed) < times:
            pid = connection.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)

    return killed


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def update(service: ProgressService, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "chapter_id": "c1",
        "watch_time": 60,
        "completed": True,
        "last_position": 60,
        "actor": "u",
        "source": "api",
    }
    arguments.update(overrides)
    return service.update_chapter_progress("t", "u", **arguments)


def test_a_connection_killed_mid_transaction_is_retried_and_lands_once(
    fragile_engine: Engine, engine: Engine, database_url: str
) -> None:
    killed = kill_connection_on(fragile_engine, "INSERT INTO progress_events", 1, database_url)
    progress = update(ProgressService(fragile_engine))
    assert len(killed) == 1
    assert progress.total_watch_time == 60
    assert count(engine, chapter_progress) == 1
    assert count(engine, progress_events) == 1


def test_a_read_survives_a_killed_connection(fragile_engine: Engine, database_url: str) -> None:
    service = ProgressService(fragile_engine)
    update(service)
    killed = kill_connection_on(fragile_engine, "FROM chapter_progress", 2, database_url)
    assert service.get_progress("t", "u").total_watch_time == 60
    assert len(killed) == 2


def test_three_failures_give_up_with_a_clear_message(
    fragile_engine: Engine, engine: Engine, database_url: str
) -> None:
    kill_connection_on(fragile_engine, "INSERT INTO progress_events", 3, database_url)
    with pytest.raises(DatabaseUnavailable, match="Cannot reach the database"):
        update(ProgressService(fragile_engine))
    assert count(engine, progress_events) == 0


def test_validation_errors_are_never_retried(fragile_engine: Engine, database_url: str) -> None:
    statements: list[str] = []
    event.listen(fragile_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with pytest.raises(InvalidInput):
        update(ProgressService(fragile_engine), watch_time=-5)
    assert statements == []


def test_an_unreachable_database_names_the_url_without_its_password() -> None:
    engine = make_engine("postgresql+psycopg://ops:s3cret@127.0.0.1:9/progress")
    with pytest.raises(DatabaseUnavailable) as raised:
        ProgressService(engine).get_progress("t", "u")
    assert "ops:***@127.0.0.1:9/progress" in raised.value.message
    assert "s3cret" not in raised.value.message
    assert "DATABASE_URL" in raised.value.message
