"""`POST /v1/annotations`: service tokens mark the charts; learners may not; bad input writes
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from progress import routes
from progress.schema import annotations_table
from tests.api.conftest import AS_LEARNER, AS_SERVICE, SERVICE_NAME


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(annotations_table)).scalar_one()
        )


def test_a_service_token_adds_an_annotation_under_its_name(
    client: TestClient, engine: Engine
) -> None:
    answer = client.post(
        routes.ANNOTATIONS,
        json={
            "text": "deploy 2.4.1",
            "kind": "deploy",
            "at": "2026-12-02T10:00:00Z",
            "endsAt": "2026-12-02T10:20:00+00:00",
        },
        headers=AS_SERVICE,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body == {
        "id": body["id"],
        "at": "2026-12-02T10:00:00Z",
        "endsAt": "2026-12-02T10:20:00Z",
        "kind": "deploy",
        "text": "deploy 2.4.1",
        "author": SERVICE_NAME,
    }
    assert count(engine) == 1


def test_a_learner_token_may_not_annotate(client: TestClient, engine: Engine) -> None:
    answer = client.post(routes.ANNOTATIONS, json={"text": "hello"}, headers=AS_LEARNER)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert count(engine) == 0


def test_annotating_without_credentials_is_a_401(client: TestClient, engine: Engine) -> None:
    assert client.post(routes.ANNOTATIONS, json={"text": "hello"}).status_code == 401
    assert count(engine) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "deploy\u0007"}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "deploy", "kind": "party"}, "kind"),
        ({"text": "deploy", "at": "2026-12-02T10:00:00"}, "at"),
        (
            {"text": "deploy", "at": "2026-12-02T10:00:00Z", "endsAt": "2026-12-02T09:00:00Z"},
            "endsAt",
        ),
        ({"text": 42}, "text"),
        ({}, "text"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    client: TestClient, engine: Engine, body: dict[str, Any], field: str
) -> None:
    answer = client.post(routes.ANNOTATIONS, json=body, headers=AS_SERVICE)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert count(engine) == 0
