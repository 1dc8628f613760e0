"""What a database error means to the person who sees it: a lost database, a schema nobody
upgraded, and a refused query each get their own message, and none of them a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from commands import main
from commands.exit_codes import ExitCode
from progress.db import check_schema, explain, head_revision, make_engine
from progress.errors import DatabaseUnavailable, QueryRefused, SchemaOutOfDate


def _refusal(engine: Engine, sql: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
        connection.execute(text(sql))
    return caught.value


def test_a_database_at_the_head_revision_passes_the_schema_check(engine: Engine) -> None:
    check_schema(engine)


def test_a_database_nobody_upgraded_names_both_revisions_and_the_command(
    engine: Engine, stale_schema: str
) -> None:
    with pytest.raises(SchemaOutOfDate) as caught:
        check_schema(engine)

    message = caught.value.message
    assert f"has schema revision {stale_schema}" in message
    assert f"needs {head_revision()}" in message
    assert "Run `progress-ops db upgrade` with the same DATABASE_URL" in message
    assert "Cannot reach" not in message


def test_a_missing_table_on_a_stale_schema_is_explained_as_the_stale_schema(
    engine: Engine, stale_schema: str
) -> None:
    error = explain(_refusal(engine, "SELECT * FROM a_table_from_a_newer_release"), engine)

    assert isinstance(error, SchemaOutOfDate)


def test_a_refused_query_on_an_up_to_date_schema_is_a_fault_to_report_not_a_lost_database(
    engine: Engine,
) -> None:
    for sql in ("SELECT * FROM a_table_from_a_newer_release", "SELEC 1", "SELECT 1 / 0"):
        error = explain(_refusal(engine, sql), engine)

        assert isinstance(error, QueryRefused), sql
        assert error.message.startswith("The database refused a query (")
        assert "report it" in error.message
        assert "Cannot reach" not in error.message


def test_a_database_that_does_not_answer_is_unreachable_with_its_masked_url() -> None:
    url = "postgresql+psycopg://ops:s3cret@127.0.0.1:9/progress"
    engine = make_engine(url)
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            check_schema(engine)
    finally:
        engine.dispose()

    assert caught.value.message.startswith("Cannot reach the database at ")
    assert "s3cret" not in caught.value.message


@pytest.mark.usefixtures("stale_schema")
def test_check_on_a_database_nobody_upgraded_could_not_judge_in_one_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["check", "--window", "24h"]) == ExitCode.COULD_NOT_RUN

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "progress-ops db upgrade" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
