"""`progress-ops check`: a table of the targets, and an exit code cron can alert on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError

from commands import check, main
from commands.exit_codes import ExitCode
from progress import routes
from progress.schema import api_logs
from tests.logger_reports import report_dropped_rows


@pytest.fixture
def on_test_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)


def log_requests(engine: Engine, statuses: list[int], ms: float = 50) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    with engine.begin() as connection:
        connection.execute(
            insert(api_logs),
            [
                {
                    "timestamp": at,
                    "method": "POST",
                    "endpoint": routes.CHAPTER,
                    "status_code": status,
                    "response_time_ms": ms,
                }
                for status in statuses
            ],
        )


@pytest.mark.usefixtures("on_test_database")
def test_met_targets_exit_zero(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    log_requests(engine, [200] * 200)
    assert main(["check", "--window", "1h"]) == 0
    out = capsys.readouterr().out
    assert "Error rate         0.00 %  < 1.00 %   met" in out
    assert "Migration success  –" in out
    assert "No data for: Migration success (nothing to judge; this does not fail)." in out


@pytest.mark.usefixtures("on_test_database")
def test_a_missed_target_exits_one_and_names_it(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    log_requests(engine, [200] * 95 + [500] * 5, ms=900)
    assert main(["check", "--window", "24h"]) == 1
    out = capsys.readouterr().out
    assert "Missed: Avg response time, p95 response time, Error rate." in out


@pytest.mark.usefixtures("on_test_database")
def test_an_unknown_window_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--window", "2w"]) == 2
    assert "use one of 1h, 24h, 7d, 30d" in capsys.readouterr().err


@pytest.mark.usefixtures("on_test_database")
def test_targets_overridden_in_the_environment_are_the_ones_checked(
    engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROGRESS_OPS_TARGET_ERROR_RATE_PCT", "10")
    log_requests(engine, [200] * 95 + [500] * 5)
    assert main(["check", "--window", "1h"]) == 0
    assert "Error rate         5.00 %  < 10.00 %  met" in capsys.readouterr().out


def test_an_unreachable_database_is_could_not_judge_in_one_line_not_a_missed_target(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ops:hunter2@127.0.0.1:9/progress")

    assert main(["check", "--window", "24h"]) == ExitCode.COULD_NOT_RUN

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "progress-ops: Cannot reach the database at postgresql+psycopg://ops:***@127.0.0.1:9/"
    )
    assert "hunter2" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.usefixtures("on_test_database")
def test_a_database_lost_in_the_middle_of_a_check_is_could_not_judge_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def lose_the_connection(engine: Engine, window: object) -> None:
        raise OperationalError(
            "SELECT …", {}, psycopg.OperationalError("server closed the connection")
        )

    monkeypatch.setattr(check, "target_values", lose_the_connection)

    assert main(["check", "--window", "1h"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("progress-ops: Cannot reach the database at postgresql+psycopg://")
    assert "(server closed the connection)" in error
    assert len(error.strip().splitlines()) == 1


@pytest.mark.usefixtures("on_test_database")
def test_a_request_logger_that_dropped_rows_makes_check_unable_to_judge(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    log_requests(engine, [200] * 200)
    report_dropped_rows(engine, 7, at=datetime.now(UTC))
    assert main(["check", "--window", "1h"]) == ExitCode.COULD_NOT_RUN
    out = capsys.readouterr().out
    assert "Error rate         0.00 %  < 1.00 %   met" in out  # the table is still shown
    assert "Request log: 7 API requests were answered but not logged" in out
    assert "Could not judge: the request figures may undercount." in out
