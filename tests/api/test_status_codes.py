"""Every status code the brief's client relies on, with the error body it can read.

The client retries 5xx and network errors and never retries 4xx: so bad input is a 422 (or 400)
naming the field, "no progress yet" is not an error, and nothing here is ever a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from progress.models import Progress
from progress.request_log import RequestLog
from progress.schema import progress_events, tutorial_progress
from progress.service import ProgressService
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL, ClientFactory, settings

BASE = f"/v1/tutorials/progress/{TUTORIAL}"


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "field"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


def test_a_rule_broken_in_the_service_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    quiz = {"userId": LEARNER, "quizId": "q1", "score": 12, "maxScore": 10, "passed": True}

    response = client.post(f"{BASE}/quiz", json=quiz, headers=AS_LEARNER)

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "invalid_input",
        "message": "Score 12 is above max score 10.",
        "field": "score",
    }
    assert count(engine, tutorial_progress) == 0
    assert count(engine, progress_events) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"watchTime": "12"}, "watchTime"),  # a string is not a number
        ({"completed": 1}, "completed"),  # 1 is not true
        ({"watchTime": -1}, "watchTime"),
        ({"lastPosition": 1e12}, "lastPosition"),
        ({"chapterId": ""}, "chapterId"),
        ({"totalChapters": 0}, "totalChapters"),
    ],
)
def test_a_malformed_chapter_request_is_a_422_naming_the_json_field(
    client: TestClient, engine: Engine, change: dict[str, Any], field: str
) -> None:
    body = {
        "userId": LEARNER,
        "chapterId": "ch-1",
        "watchTime": 10,
        "completed": False,
        "lastPosition": 10,
        **change,
    }

    response = client.post(f"{BASE}/chapter", json=body, headers=AS_LEARNER)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert error["field"] == field
    assert count(engine, progress_events) == 0


def test_an_id_with_control_characters_is_a_422_in_the_brief_field_name(
    client: TestClient,
) -> None:
    body = {
        "userId": LEARNER,
        "chapterId": "ch\x001",
        "watchTime": 1,
        "completed": False,
        "lastPosition": 1,
    }

    response = client.post(f"{BASE}/chapter", json=body, headers=AS_LEARNER)

    assert response.status_code == 422
    assert error_of(response)["field"] == "chapterId"


def test_a_body_that_is_not_json_is_a_422(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/complete",
        content=b"{not json",
        headers={**AS_LEARNER, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert "not valid JSON" in error_of(response)["message"]


def test_complete_when_not_eligible_is_a_409_listing_what_is_missing(
    client: TestClient, engine: Engine
) -> None:
    client.post(
        f"{BASE}/chapter",
        json={
            "userId": LEARNER,
            "chapterId": "ch-1",
            "watchTime": 30,
            "completed": False,
            "lastPosition": 30,
            "totalChapters": 3,
        },
        headers=AS_LEARNER,
    )
    client.post(
        f"{BASE}/quiz",
        json={"userId": LEARNER, "quizId": "quiz-1", "score": 2, "maxScore": 10, "passed": False},
        headers=AS_LEARNER,
    )
    events_before = count(engine, progress_events)

    response = client.post(f"{BASE}/complete", json={"userId": LEARNER}, headers=AS_LEARNER)

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_eligible"
    assert error["incompleteChapters"] == ["ch-1"]
    assert error["unseenChapters"] == 2
    assert error["failedQuizzes"] == ["quiz-1"]
    assert error["totalChapters"] == 3
    assert "ch-1" in error["message"]
    assert "quiz-1" in error["message"]
    assert count(engine, progress_events) == events_before


def test_reading_progress_that_does_not_exist_is_a_200_not_a_404(client: TestClient) -> None:
    response = client.get(
        "/v1/tutorials/progress/never-started", params={"userId": LEARNER}, headers=AS_LEARNER
    )

    assert response.status_code == 200
    assert response.json()["completionPercentage"] == 0


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("GET", BASE, {}),
        ("DELETE", BASE, {}),
        ("POST", f"{BASE}/complete", {"json": {"userId": None}}),
        ("POST", f"{BASE}/complete", {"json": {}}),
        (
            "POST",
            f"{BASE}/chapter",
            {"json": {"chapterId": "c", "watchTime": 1, "completed": False, "lastPosition": 1}},
        ),
        (
            "POST",
            f"{BASE}/quiz",
            {"json": {"userId": None, "quizId": "q", "score": 1, "maxScore": 2, "passed": False}},
        ),
        ("POST", f"{BASE}/migrate", {"json": {"chapterProgress": []}}),
    ],
)
def test_a_missing_or_null_user_id_is_a_400_saying_anonymous_progress_stays_on_the_device(
    client: TestClient, engine: Engine, method: str, path: str, options: dict[str, Any]
) -> None:
    response = client.request(method, path, headers=AS_SERVICE, **options)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "anonymous_progress"
    assert error["field"] == "userId"
    assert "stays on their device" in error["message"]
    assert count(engine, tutorial_progress) == 0


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=2048)
    big = {"userId": LEARNER, "chapterProgress": [], "padding": "x" * 4096}

    response = client.post(f"{BASE}/migrate", json=big, headers=AS_LEARNER)

    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


def test_a_chunked_body_over_the_limit_is_a_413_too(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=2048)

    def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1024

    response = client.post(
        f"{BASE}/complete",
        content=chunks(),
        headers={**AS_LEARNER, "Content-Type": "application/json"},
    )

    assert response.status_code == 413


def test_an_unknown_path_is_a_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/tutorials/progresses", headers=AS_LEARNER)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_a_405_in_the_error_shape(client: TestClient) -> None:
    response = client.put(f"{BASE}/chapter", json={}, headers=AS_LEARNER)

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


class _BrokenService(ProgressService):
    def get_progress(self, tutorial_id: str, user_id: str) -> Progress:
        raise RuntimeError("secret internal detail")


def test_a_bug_is_a_generic_500_without_a_traceback(engine: Engine) -> None:
    app = create_app(_BrokenService(engine), settings(), request_log=RequestLog(engine))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)

    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_cors_allows_the_configured_frontend_origin_only(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://learn.example"])
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }

    allowed = client.options(
        f"{BASE}/chapter", headers={"Origin": "https://learn.example", **preflight}
    )
    refused = client.options(
        f"{BASE}/chapter", headers={"Origin": "https://evil.example", **preflight}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://learn.example"
    assert "access-control-allow-origin" not in refused.headers
