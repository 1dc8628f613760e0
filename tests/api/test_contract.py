"""Each endpoint's JSON against the brief's examples, key for key and type for type.

The examples are copied verbatim from the brief ("Backend API Requirements"); `conforms` reads
their type descriptions ("string | null", "number (seconds)", "ISO 8601 date", "0-100").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import AS_LEARNER, LEARNER, TUTORIAL

BRIEF_PROGRESS: dict[str, Any] = {
    "tutorialId": "string",
    "userId": "string | null",
    "completionPercentage": "0-100",
    "chaptersCompleted": "number",
    "totalChapters": "number",
    "chapterProgress": [
        {
            "chapterId": "string",
            "watchTime": "number (seconds)",
            "completed": "boolean",
            "lastPosition": "number (seconds)",
        }
    ],
    "quizScores": [
        {
            "quizId": "string",
            "score": "number",
            "maxScore": "number",
            "passed": "boolean",
            "attempts": "number",
            "completedAt": "ISO 8601 date",
        }
    ],
    "certificateEligible": "boolean",
    "certificateEarned": "boolean",
    "totalWatchTime": "number (seconds)",
    "lastWatchedAt": "ISO 8601 date | null",
}
BRIEF_CHAPTER_REQUEST = {
    "userId": "string | null",
    "chapterId": "string",
    "watchTime": "number",
    "completed": "boolean",
    "lastPosition": "number",
    "totalChapters": "number (optional)",
}
BRIEF_QUIZ_REQUEST = {
    "userId": "string | null",
    "quizId": "string",
    "score": "number",
    "maxScore": "number",
    "passed": "boolean",
}
BRIEF_RESET_RESPONSE = {"success": True, "message": "Progress reset successfully"}

BASE = f"/v1/tutorials/progress/{TUTORIAL}"


def conforms(value: Any, spec: Any) -> bool:
    if isinstance(spec, dict):
        return (
            isinstance(value, dict)
            and set(value) == set(spec)
            and all(conforms(value[key], spec[key]) for key in spec)
        )
    if isinstance(spec, list):
        return isinstance(value, list) and all(conforms(item, spec[0]) for item in value)
    options = [option.split(" (")[0].strip() for option in spec.split("|")]
    return any(_is(value, option) for option in options)


def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "0-100":
        return _is(value, "number") and 0 <= value <= 100
    if kind == "ISO 8601 date":
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    raise AssertionError(f"unknown type in the brief's example: {kind}")


def chapter_body(**overrides: Any) -> dict[str, Any]:
    return {
        "userId": LEARNER,
        "chapterId": "ch-1",
        "watchTime": 300,
        "completed": True,
        "lastPosition": 298.5,
        "totalChapters": 2,
        **overrides,
    }


def test_the_conformance_check_rejects_a_missing_key_and_a_wrong_type() -> None:
    assert not conforms({"tutorialId": "t"}, BRIEF_PROGRESS)
    assert not conforms({"success": "yes"}, {"success": "boolean"})
    assert conforms({"at": None}, {"at": "ISO 8601 date | null"})


def test_get_without_progress_is_the_brief_shape_with_zero_progress(client: TestClient) -> None:
    response = client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)

    assert response.status_code == 200
    body = response.json()
    assert conforms(body, BRIEF_PROGRESS)
    assert body["tutorialId"] == TUTORIAL
    assert body["userId"] == LEARNER
    assert body["completionPercentage"] == 0
    assert body["chapterProgress"] == []
    assert body["quizScores"] == []
    assert body["lastWatchedAt"] is None


def test_the_brief_chapter_request_returns_the_progress(client: TestClient) -> None:
    assert set(chapter_body()) == set(BRIEF_CHAPTER_REQUEST)

    response = client.post(f"{BASE}/chapter", json=chapter_body(), headers=AS_LEARNER)

    assert response.status_code == 200
    body = response.json()
    assert conforms(body, BRIEF_PROGRESS)
    assert body["chapterProgress"] == [
        {"chapterId": "ch-1", "watchTime": 300, "completed": True, "lastPosition": 298.5}
    ]
    assert body["completionPercentage"] == 50
    assert body["totalChapters"] == 2
    assert body["lastWatchedAt"] is not None


def test_total_chapters_is_optional_in_a_chapter_request(client: TestClient) -> None:
    body = chapter_body()
    del body["totalChapters"]

    response = client.post(f"{BASE}/chapter", json=body, headers=AS_LEARNER)

    assert response.status_code == 200
    assert response.json()["totalChapters"] == 1


def test_the_brief_quiz_request_returns_the_progress(client: TestClient) -> None:
    request = {"userId": LEARNER, "quizId": "quiz-1", "score": 8, "maxScore": 10, "passed": True}
    assert set(request) == set(BRIEF_QUIZ_REQUEST)

    response = client.post(f"{BASE}/quiz", json=request, headers=AS_LEARNER)

    assert response.status_code == 200
    body = response.json()
    assert conforms(body, BRIEF_PROGRESS)
    (quiz,) = body["quizScores"]
    assert {k: quiz[k] for k in ("quizId", "score", "maxScore", "passed", "attempts")} == {
        "quizId": "quiz-1",
        "score": 8,
        "maxScore": 10,
        "passed": True,
        "attempts": 1,
    }


def test_complete_returns_the_progress_with_the_certificate(client: TestClient) -> None:
    client.post(f"{BASE}/chapter", json=chapter_body(totalChapters=1), headers=AS_LEARNER)

    response = client.post(f"{BASE}/complete", json={"userId": LEARNER}, headers=AS_LEARNER)

    assert response.status_code == 200
    body = response.json()
    assert conforms(body, BRIEF_PROGRESS)
    assert body["certificateEligible"] is True
    assert body["certificateEarned"] is True


def test_delete_answers_exactly_the_brief_message_and_removes_the_progress(
    client: TestClient,
) -> None:
    client.post(f"{BASE}/chapter", json=chapter_body(), headers=AS_LEARNER)

    response = client.delete(BASE, params={"userId": LEARNER}, headers=AS_LEARNER)

    assert response.status_code == 200
    assert response.json() == BRIEF_RESET_RESPONSE
    after = client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER).json()
    assert after["chapterProgress"] == []


def test_the_openapi_document_describes_every_endpoint_of_the_brief(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    operations = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert operations == {
        ("GET", "/v1/tutorials/progress/{tutorial_id}"),
        ("DELETE", "/v1/tutorials/progress/{tutorial_id}"),
        ("POST", "/v1/tutorials/progress/{tutorial_id}/chapter"),
        ("POST", "/v1/tutorials/progress/{tutorial_id}/quiz"),
        ("POST", "/v1/tutorials/progress/{tutorial_id}/complete"),
        ("POST", "/v1/tutorials/progress/{tutorial_id}/migrate"),
        ("POST", "/v1/tutorials/progress/events"),
        ("GET", "/health"),
        ("POST", "/v1/annotations"),
        ("GET", "/metrics"),
    }
