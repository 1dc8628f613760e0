"""The `progress-ops` command: schema upgrades and clear failures."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

from commands import main


def test_db_upgrade_brings_the_database_to_the_latest_schema(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert "is at the latest schema" in capsys.readouterr().out
    tables = set(inspect(engine).get_table_names())
    assert {
        "tutorial_progress",
        "chapter_progress",
        "quiz_scores",
        "tutorial_certificates",
    } <= tables
    assert {"progress_events", "api_logs", "client_events", "tutorials"} <= tables


def test_an_unreachable_database_is_one_clear_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ops:hunter2@127.0.0.1:9/progress")
    assert main(["db", "upgrade"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "progress-ops: Cannot reach the database at postgresql+psycopg://ops:***@"
    )
    assert "hunter2" not in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1


def test_an_embedded_server_that_cannot_start_says_where_and_what_to_do(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PROGRESS_OPS_DATA_DIR", "/proc/no-such-place/postgres")
    assert main(["db", "upgrade"]) == 2
    error = capsys.readouterr().err
    assert "embedded PostgreSQL could not start in /proc/no-such-place/postgres" in error
    assert "DATABASE_URL" in error
