"""The HTTP contract is as tight as the document says: date-times are text, 405 names every
method, `/events` is never a tutorial, URLs are UTF-8, numbers are finite, and a wrong
Content-Type is named."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from progress import routes
from progress.errors import InvalidInput
from progress.validation import check_id, id_pattern
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
CHAPTER = {
    "userId": LEARNER,
    "chapterId": "c",
    "watchTime": 1,
    "completed": False,
    "lastPosition": 1,
}


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["message"], body["field"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("migrate", {"userId": LEARNER, "lastWatchedAt": 1700000000}, "lastWatchedAt"),
        (
            "migrate",
            {
                "userId": LEARNER,
                "quizScores": [
                    {
                        "quizId": "q",
                        "score": 1,
                        "maxScore": 2,
                        "passed": True,
                        "attempts": 1,
                        "completedAt": 1700000000,
                    }
                ],
            },
            "quizScores[0].completedAt",
        ),
    ],
)
def test_a_number_is_not_a_date_time(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    status, message, at = error(client.post(f"{BASE}/{path}", json=body, headers=AS_SERVICE))
    assert (status, at) == (422, field)
    assert "ISO 8601" in message


def test_an_event_time_must_be_text_too(client: TestClient) -> None:
    event = {"kind": "fallback", "operation": "getProgress", "occurredAt": 1700000000}
    response = client.post(f"{routes.PREFIX}/events", json={"events": [event]}, headers=AS_SERVICE)
    assert error(response)[0] == 422
    assert "ISO 8601" in error(response)[1]


def test_a_405_names_every_method_the_path_accepts(client: TestClient) -> None:
    response = client.put(BASE, headers=AS_SERVICE)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"
    assert response.json()["error"]["message"].endswith("it accepts DELETE, GET.")


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_events_is_the_telemetry_endpoint_never_a_tutorial(client: TestClient, method: str) -> None:
    response = client.request(
        method, f"{routes.PREFIX}/events", params={"userId": LEARNER}, headers=AS_SERVICE
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_events_is_not_a_tutorial_id_for_writes_either(client: TestClient) -> None:
    response = client.post(f"{routes.PREFIX}/events/chapter", json=CHAPTER, headers=AS_SERVICE)
    assert error(response)[::2] == (422, "tutorialId")


@pytest.mark.parametrize(
    ("url", "part"),
    [
        (f"{BASE}?userId=%FF", "query"),
        (f"{BASE}?userId=learner-1&x=%C3%28", "query"),
        ("/v1/tutorials/progress/%FF?userId=learner-1", "path"),
        ("/v1/tutorials/progress/sql%E9?userId=learner-1", "path"),
    ],
)
def test_a_url_that_is_not_utf8_is_refused_not_replaced(
    client: TestClient, url: str, part: str
) -> None:
    status, message, field = error(client.get(url, headers=AS_SERVICE))
    assert (status, field) == (422, part)
    assert "not valid UTF-8" in message


def test_json_nan_and_infinity_are_refused_as_not_finite(client: TestClient) -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        body = (
            b'{"userId": "learner-1", "quizId": "q", "score": %s, "maxScore": 10, "passed": true}'
            % constant
        )
        response = client.post(
            f"{BASE}/quiz",
            content=body,
            headers={**AS_SERVICE, "Content-Type": "application/json"},
        )
        assert error(response) == (422, "score: Input should be a finite number", "score")


@pytest.mark.parametrize(
    ("content_type", "named"),
    [("text/plain", "'text/plain'"), ("application/x-www-form-urlencoded", "'application/x-www")],
)
def test_a_wrong_content_type_is_named_in_the_message(
    client: TestClient, content_type: str, named: str
) -> None:
    response = client.post(
        f"{BASE}/complete",
        content=b'{"userId": "learner-1"}',
        headers={**AS_SERVICE, "Content-Type": content_type},
    )
    status, message, _ = error(response)
    assert status == 422
    assert "Content-Type: application/json" in message
    assert named in message


def test_whole_numbers_written_with_a_fraction_of_zero_are_whole_numbers(
    client: TestClient,
) -> None:
    chapter = {**CHAPTER, "totalChapters": 3.0}
    response = client.post(f"{BASE}/chapter", json=chapter, headers=AS_SERVICE)
    assert response.json()["totalChapters"] == 3
    chapter["totalChapters"] = 3.5
    assert error(client.post(f"{BASE}/chapter", json=chapter, headers=AS_SERVICE))[0] == 422


def test_the_document_states_id_patterns_event_kinds_and_the_score_rule(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    get = document["paths"][routes.PROGRESS]["get"]
    tutorial, user = (p["schema"] for p in get["parameters"][:2])
    assert tutorial["pattern"] == user["pattern"] == id_pattern()
    assert tutorial["not"] == {"enum": ["events"]}
    assert "405" in get["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["ChapterUpdate"]["properties"]["chapterId"]["pattern"] == id_pattern()
    assert "maxScore" in schemas["QuizSubmission"]["properties"]["score"]["description"]
    kinds = [rule["properties"]["kind"]["const"] for rule in schemas["ClientEvent"]["oneOf"]]
    assert kinds == ["migration", "fallback"]


@pytest.mark.parametrize(
    "value", ["learner-1", "a b", " a", "a ", "a\tb", "a\u200bb", "学习者-7", "x" * 200, "\u3000x"]
)
def test_the_documented_id_pattern_is_what_the_service_checks(value: str) -> None:
    try:
        check_id("user_id", value)
        accepted = True
    except InvalidInput:
        accepted = False
    assert bool(re.match(id_pattern(), value)) == accepted


@pytest.mark.parametrize(
    ("route", "body"),
    [
        (
            "chapter",
            {
                "userId": LEARNER,
                "chapterId": "ch-1",
                "watchTime": 30,
                "completed": False,
                "lastPosition": 30,
                "total_chapters": "abc",
                "watch_time": -1,
            },
        ),
        ("migrate", {"userId": LEARNER, "totalChapters": 2, "total_chapters": -5}),
    ],
    ids=["chapter", "migrate"],
)
def test_a_snake_case_key_is_an_unknown_field_ignored_not_a_second_name_for_a_field(
    client: TestClient, route: str, body: dict[str, object]
) -> None:
    """Schemathesis found it: the document allows unknown fields, so `total_chapters: -5` beside
    `totalChapters` must not be read (and refused) as the same field."""
    answer = client.post(
        f"/v1/tutorials/progress/{TUTORIAL}/{route}", json=body, headers=AS_LEARNER
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["userId"] == LEARNER
