"""A real database outage: 503 with `Retry-After` (never a 500), and recovery without a restart.

The API runs on a database of its own on the test server. The outage is real: the database stops
accepting connections (`ALLOW_CONNECTIONS false`, which binds superusers too) and the API's
connections are terminated; then it is allowed again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, select, text

from api.app import create_app
from progress.db import make_engine, upgrade
from progress.request_log import RequestLog
from progress.schema import api_logs
from progress.service import ProgressService
from tests.api.conftest import AS_LEARNER, LEARNER, TUTORIAL, settings

DATABASE = "progress_ops_outage"
BASE = f"/v1/tutorials/progress/{TUTORIAL}"
CHAPTER = {
    "userId": LEARNER,
    "chapterId": "ch-1",
    "watchTime": 5,
    "completed": False,
    "lastPosition": 5,
}


def admin(engine: Engine, *statements: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture
def outage_engine(migrated_engine: Engine, database_url: str) -> Iterator[Engine]:
    admin(
        migrated_engine,
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {DATABASE}",
    )
    url = make_url(database_url).set(database=DATABASE).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    admin(
        migrated_engine,
        f"ALTER DATABASE {DATABASE} ALLOW_CONNECTIONS true",
        f"DROP DATABASE {DATABASE} WITH (FORCE)",
    )


def test_an_outage_answers_503_with_retry_after_and_the_api_recovers_without_a_restart(
    migrated_engine: Engine, outage_engine: Engine
) -> None:
    request_log = RequestLog(outage_engine, interval_ms=60_000)
    app = create_app(
        ProgressService(outage_engine),
        settings(retry_after_seconds=7),
        request_log=request_log,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(f"{BASE}/chapter", json=CHAPTER, headers=AS_LEARNER).status_code == 200

        admin(migrated_engine, f"ALTER DATABASE {DATABASE} ALLOW_CONNECTIONS false")
        with migrated_engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :database AND pid <> pg_backend_pid()"
                ),
                {"database": DATABASE},
            )
        during = [
            client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER),
            client.post(f"{BASE}/chapter", json=CHAPTER, headers=AS_LEARNER),
            client.get("/health"),
        ]
        assert request_log.flush() == 0  # the log cannot be written either; the rows wait

        admin(migrated_engine, f"ALTER DATABASE {DATABASE} ALLOW_CONNECTIONS true")
        after = client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)

    assert [response.status_code for response in during] == [503, 503, 503]
    for response in during:
        assert response.headers["retry-after"] == "7"
    assert during[0].json()["error"]["code"] == "database_unavailable"
    assert "postgres" not in during[0].text  # no URL, no driver message for the client
    health = during[2].json()
    assert (health["status"], health["database"]) == ("unavailable", "unreachable")
    assert (health["requestLog"]["pending"], health["requestLog"]["dropped"]) == (3, 0)
    assert after.status_code == 200
    assert after.json()["chapterProgress"][0]["chapterId"] == "ch-1"
    with outage_engine.connect() as connection:  # written at shutdown, once the database was back
        statuses = connection.execute(select(api_logs.c.status_code).order_by(api_logs.c.id))
        assert list(statuses.scalars()) == [200, 503, 503, 503, 200]
