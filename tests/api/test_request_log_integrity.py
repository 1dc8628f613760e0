"""One bad value never stops request logging: hostile input is cleaned before it is logged, a row
the database refuses is dropped alone, and whatever is dropped is counted where people look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from bench.fuzz_api import HOSTILE, send
from progress import routes
from progress.request_log import RequestLog, clean_text
from progress.schema import api_logs, request_log_health
from queries.logger_health import request_logger_health
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
NUL = "learner\x00-1"
SURROGATE = "learner-\ud800"
HUGE = "x" * 100_000


def logged_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(api_logs)).scalar_one()


def test_hostile_user_ids_and_urls_never_stop_request_logging(
    client: TestClient, request_log: RequestLog, engine: Engine
) -> None:
    statuses = [
        send(client, request, headers)
        for headers in (AS_LEARNER, AS_SERVICE)
        for request in HOSTILE
    ]
    request_log.flush()
    ordinary = client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)
    request_log.flush()

    assert max(statuses) < 500, statuses
    assert statuses.count(422) > len(statuses) / 2  # most of them are refused
    assert ordinary.status_code == 200
    assert logged_count(engine) == len(statuses) + 1  # every answered request has its row
    with engine.connect() as connection:
        users = connection.execute(select(api_logs.c.user_id)).scalars().all()
    assert all(user is None or (len(user) <= 200 and user.isprintable()) for user in users)
    assert (request_log.health().dropped, request_log.pending) == (0, 0)


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("learner-1", "learner-1"),
        (NUL, "learner-1"),
        (SURROGATE, "learner-"),
        ("\x00\x01", None),
        ("", None),
        (None, None),
        (HUGE, "x" * 200),
    ],
)
def test_a_logged_user_id_is_bounded_printable_text(value: str | None, logged: str | None) -> None:
    assert clean_text(value) == logged


def refused_row(log: RequestLog, status_code: int) -> None:
    log.record(
        at=datetime.now(UTC),
        method="GET",
        endpoint=routes.PROGRESS,
        status_code=status_code,  # 999 breaks api_logs' check constraint
        response_time_ms=1.0,
        user_id=LEARNER,
    )


def test_a_row_the_database_refuses_is_dropped_alone_and_counted(engine: Engine) -> None:
    log = RequestLog(engine, interval_ms=60_000)
    for status in (200, 200, 999, 200, 404, 200, 200):
        refused_row(log, status)

    assert log.flush() == 6
    health = log.health()
    assert (health.written, health.dropped, health.pending) == (6, 1, 0)
    assert "status_code_range" in (health.last_error or "")
    refused_row(log, 200)
    assert log.flush() == 1  # later batches are not held back
    assert logged_count(engine) == 7

    report = request_logger_health(engine)
    assert report.rows_dropped == 1
    assert not report.ok
    assert "1 API requests were answered but not logged" in report.problems()[0]
    log.close()


def test_health_shows_the_request_loggers_counters(
    client: TestClient, request_log: RequestLog
) -> None:
    client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)
    request_log.flush()

    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["requestLog"]["instanceId"] == request_log.instance_id
    assert (body["requestLog"]["written"], body["requestLog"]["dropped"]) == (1, 0)
    assert body["requestLog"]["pending"] == 0  # a request is logged once it is answered
    assert body["requestLog"]["lastFlushAt"] is not None


def test_a_logger_that_stopped_reporting_is_stale_and_a_stopped_one_is_not(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    row = {
        "host": "api-1",
        "pid": 7,
        "started_at": now - timedelta(hours=2),
        "rows_pending": 0,
        "rows_written": 10,
        "rows_dropped": 0,
        "stopped_at": None,
    }
    with engine.begin() as connection:
        connection.execute(
            insert(request_log_health),
            [
                {**row, "instance_id": "killed", "reported_at": now - timedelta(minutes=10)},
                {
                    **row,
                    "instance_id": "stopped",
                    "reported_at": now - timedelta(minutes=10),
                    "stopped_at": now - timedelta(minutes=10),
                },
                {**row, "instance_id": "running", "reported_at": now - timedelta(seconds=5)},
                {**row, "instance_id": "long-gone", "reported_at": now - timedelta(days=3)},
            ],
        )

    report = request_logger_health(engine, now=now)
    assert sorted(logger.instance_id for logger in report.loggers) == [
        "killed",
        "running",
        "stopped",
    ]
    assert [logger.instance_id for logger in report.stale] == ["killed"]
    last = now - timedelta(minutes=10)
    assert report.problems() == [
        f"request logger killed has not reported since {last:%Y-%m-%d %H:%M} UTC"
    ]


def test_a_logger_reports_itself_when_it_writes_and_when_it_stops(engine: Engine) -> None:
    log = RequestLog(engine, interval_ms=60_000)
    refused_row(log, 200)
    log.flush()
    (running,) = request_logger_health(engine).loggers
    assert (running.rows_written, running.stopped_at, running.stale) == (1, None, False)

    log.close()
    (stopped,) = request_logger_health(engine).loggers
    assert stopped.stopped_at is not None
    assert request_logger_health(engine).ok
