"""A benchmark on a database others loaded reads it and can write nothing to it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest
from psycopg.errors import ReadOnlySqlTransaction
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError

from bench.common import benchmark_data, read_only_connections
from progress.db import make_engine
from progress.schema import api_logs, tutorial_progress
from progress.service import ProgressService

AT = datetime(2026, 12, 2, 17, 20, 30, tzinfo=UTC)


def a_learner_and_a_request(engine: Engine) -> None:
    ProgressService(engine).update_chapter_progress(
        "sql-basics",
        "learner-1",
        chapter_id="ch-1",
        watch_time=10,
        completed=False,
        last_position=5,
        total_chapters=4,
        actor="test",
        source="api",
    )
    with engine.begin() as connection:
        connection.execute(
            insert(api_logs).values(
                timestamp=AT,
                method="GET",
                endpoint="/health",
                status_code=200,
                response_time_ms=1.0,
            )
        )


def test_every_connection_opened_within_the_block_refuses_to_write(
    engine: Engine, database_url: str
) -> None:
    with read_only_connections():
        reader = make_engine(database_url)
        with pytest.raises(DBAPIError) as refused, reader.begin() as connection:
            connection.execute(insert(tutorial_progress).values(tutorial_id="t", user_id="u"))
        assert isinstance(refused.value.orig, ReadOnlySqlTransaction)
        reader.dispose()
    writer = make_engine(database_url)
    with writer.connect() as connection:
        assert connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "off"
    writer.dispose()


def test_an_existing_database_is_described_and_its_windows_end_where_its_data_ends(
    engine: Engine, database_url: str
) -> None:
    a_learner_and_a_request(engine)
    args = argparse.Namespace(url=database_url)
    with benchmark_data(args, now=datetime.now(UTC)) as data:
        assert data.now == datetime(2026, 12, 2, 17, 21, tzinfo=UTC)
        assert "1 learner-tutorial pairs of 1 learners, 1 api_logs rows" in data.description
        assert "(read only)" in data.description
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(api_logs)).scalar_one() == 1
