"""`POST /v1/tutorials/progress/events`: client telemetry into `client_events`, validated, bounded,
stored whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from progress.demo import FALLBACK_OPERATIONS
from progress.schema import client_events
from progress.telemetry import FallbackOperation
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL

EVENTS = "/v1/tutorials/progress/events"


def now_iso(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + offset).isoformat()


def fallback(**overrides: Any) -> dict[str, Any]:
    return {"kind": "fallback", "operation": "getProgress", "occurredAt": now_iso(), **overrides}


def migration(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "migration",
        "outcome": "failed",
        "reason": "quota_exceeded",
        "recordCount": 14,
        "userId": LEARNER,
        "tutorialId": TUTORIAL,
        "occurredAt": now_iso(),
        **overrides,
    }


def stored(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(client_events).order_by(client_events.c.id)).mappings()
        return [dict(row) for row in rows]


def test_a_batch_of_migrations_and_fallbacks_is_stored(client: TestClient, engine: Engine) -> None:
    batch = [migration(), migration(outcome="attempted", reason=None), fallback(userId="u-2")]

    response = client.post(EVENTS, json={"events": batch}, headers=AS_SERVICE)

    assert response.status_code == 200
    assert response.json() == {"accepted": 3}
    rows = stored(engine)
    assert [(r["kind"], r["outcome"], r["operation"]) for r in rows] == [
        ("migration", "failed", None),
        ("migration", "attempted", None),
        ("fallback", None, "getProgress"),
    ]
    assert rows[0]["reason"] == "quota_exceeded"
    assert rows[0]["record_count"] == 14
    assert rows[0]["user_id"] == LEARNER
    assert rows[0]["tutorial_id"] == TUTORIAL
    assert rows[2]["user_id"] == "u-2"


def test_a_learner_token_reports_its_own_events_only(client: TestClient, engine: Engine) -> None:
    mine = client.post(EVENTS, json={"events": [fallback()]}, headers=AS_LEARNER)
    theirs = client.post(EVENTS, json={"events": [fallback(userId="u-2")]}, headers=AS_LEARNER)

    assert mine.status_code == 200
    assert theirs.status_code == 403
    assert [row["user_id"] for row in stored(engine)] == [LEARNER]


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([], "events"),
        ([fallback()] * 101, "events"),
        ([migration(outcome=None)], "events[0].outcome"),
        ([fallback(operation=None)], "events[0].operation"),
        ([fallback(outcome="failed")], "events[0].outcome"),
        ([fallback(operation="deleteEverything")], "events[0].operation"),
        ([migration(kind="crash")], "events[0].kind"),
        ([migration(reason="x" * 201)], "events[0].reason"),
        ([migration(reason="bad\x07reason")], "events[0].reason"),
        ([migration(recordCount=-1)], "events[0].recordCount"),
        ([migration(recordCount="3")], "events[0].recordCount"),
        ([migration(userId=" padded ")], "events[0].userId"),
        ([fallback(), migration(occurredAt="2026-11-24T10:00:00")], "events[1].occurredAt"),
        ([fallback(occurredAt=now_iso(timedelta(hours=1)))], "events[0].occurredAt"),
        ([fallback(occurredAt=now_iso(-timedelta(days=31)))], "events[0].occurredAt"),
    ],
)
def test_a_batch_with_one_bad_event_is_a_422_naming_it_and_stores_nothing(
    client: TestClient, engine: Engine, events: list[dict[str, Any]], field: str
) -> None:
    response = client.post(EVENTS, json={"events": events}, headers=AS_SERVICE)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert stored(engine) == []


def test_a_batch_at_the_size_limit_is_accepted(client: TestClient, engine: Engine) -> None:
    response = client.post(EVENTS, json={"events": [fallback()] * 100}, headers=AS_SERVICE)

    assert response.status_code == 200
    assert len(stored(engine)) == 100


def test_the_operations_accepted_are_those_the_demo_data_reports() -> None:
    assert set(get_args(FallbackOperation)) == set(FALLBACK_OPERATIONS)
