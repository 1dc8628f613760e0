"""Every request lands in `api_logs` under its route template, written off the request path."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import at_most_every, create_app
from progress import routes
from progress.db import make_engine
from progress.request_log import RequestLog
from progress.schema import api_log_hours, api_logs
from progress.service import ProgressService
from tests.api.conftest import AS_LEARNER, LEARNER, TUTORIAL, ClientFactory, settings

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # nothing listens on port 1


def logged(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(api_logs).order_by(api_logs.c.id)).mappings()
        return [dict(row) for row in rows]


def test_a_request_is_logged_with_its_route_template_status_and_user(
    client: TestClient, request_log: RequestLog, engine: Engine
) -> None:
    before = datetime.now(UTC)
    client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)

    assert logged(engine) == []  # buffered, not written on the request path
    request_log.flush()

    (row,) = logged(engine)
    assert row["method"] == "GET"
    assert row["endpoint"] == routes.PROGRESS == "/v1/tutorials/progress/{tutorial_id}"
    assert row["status_code"] == 200
    assert row["user_id"] == LEARNER
    assert row["response_time_ms"] >= 0
    assert before <= row["timestamp"] <= datetime.now(UTC)


def test_errors_are_logged_with_their_status_under_the_route_they_were_sent_to(
    make_client: ClientFactory, request_log: RequestLog, engine: Engine
) -> None:
    client = make_client(max_body_bytes=2048)
    bad_quiz = {"userId": LEARNER, "quizId": "q", "score": 3, "maxScore": 2, "passed": True}
    client.post(f"{BASE}/quiz", json=bad_quiz, headers=AS_LEARNER)
    client.post(f"{BASE}/migrate", json={"userId": LEARNER, "x": "y" * 4096}, headers=AS_LEARNER)
    client.get(BASE, params={"userId": LEARNER})
    client.get("/no/such/path")
    request_log.flush()

    assert [
        (r["method"], r["endpoint"], r["status_code"], r["user_id"]) for r in logged(engine)
    ] == [
        ("POST", routes.QUIZ, 422, LEARNER),
        ("POST", routes.MIGRATE, 413, None),
        ("GET", routes.PROGRESS, 401, None),
        ("GET", "<unmatched>", 404, None),
    ]


def test_a_clean_shutdown_writes_every_buffered_row(
    make_client: ClientFactory, request_log: RequestLog, engine: Engine
) -> None:
    client = make_client()
    for _ in range(5):
        client.get("/health")

    client.__exit__(None, None, None)  # the app's shutdown: no flush by the test

    assert len(logged(engine)) == 5
    assert request_log.pending == 0


def test_rows_are_written_in_batches_by_the_background_thread(engine: Engine) -> None:
    log = RequestLog(engine, batch_rows=3, interval_ms=60_000)
    log.start()
    try:
        for _ in range(3):
            record(log, "/health")
        for _ in range(500):  # a full batch wakes the writer; wait for it, without timing it
            if log.written == 3:
                break
            time.sleep(0.01)
    finally:
        log.close()

    assert log.written == 3
    assert len(logged(engine)) == 3


def record(log: RequestLog, endpoint: str) -> None:
    log.record(
        at=datetime.now(UTC),
        method="GET",
        endpoint=endpoint,
        status_code=200,
        response_time_ms=1.0,
        user_id=None,
    )


def test_a_failed_write_keeps_the_rows_for_later_and_never_raises() -> None:
    down = make_engine(UNREACHABLE)
    log = RequestLog(down, batch_rows=2, max_pending=3)
    record(log, "/r0")
    record(log, "/r1")

    assert log.flush() == 0
    assert log.pending == 2
    for n in range(2, 5):
        record(log, f"/r{n}")
    assert log.flush() == 0
    assert (log.pending, log.dropped) == (3, 2)  # bounded: the oldest rows went first
    down.dispose()


def test_each_written_batch_is_folded_into_the_dashboards_rollups(
    service: ProgressService, engine: Engine
) -> None:
    app = create_app(service, settings())  # its own request log, as `progress-ops api` runs it
    with TestClient(app) as client:
        client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)
        client.get(BASE, params={"userId": "someone-else"}, headers=AS_LEARNER)
        assert app.state.request_log.flush() == 2

        with engine.connect() as connection:
            folded = connection.execute(
                select(api_log_hours.c.requests, api_log_hours.c.errors_4xx).where(
                    api_log_hours.c.endpoint == routes.PROGRESS
                )
            ).one()
    assert tuple(folded) == (2, 1)


def test_the_rollup_fold_runs_at_most_once_per_interval() -> None:
    runs: list[int] = []
    hourly = at_most_every(3600, lambda: runs.append(1))
    always = at_most_every(0, lambda: runs.append(2))

    for _ in range(3):
        hourly()
        always()

    assert runs == [1, 2, 2, 2]
