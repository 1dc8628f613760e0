"""`POST …/{tutorial_id}/migrate`: the client's localStorage copy merged into the server's."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from progress.schema import client_events, tutorial_progress
from progress.service import ProgressService
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL

BASE = f"/v1/tutorials/progress/{TUTORIAL}"


def local_copy(**overrides: Any) -> dict[str, Any]:
    """What the brief's client keeps in localStorage: the GET response, as it last saw it."""
    return {
        "tutorialId": TUTORIAL,
        "userId": LEARNER,
        "completionPercentage": 50,
        "chaptersCompleted": 1,
        "totalChapters": 2,
        "chapterProgress": [
            {"chapterId": "ch-1", "watchTime": 40, "completed": True, "lastPosition": 300},
            {"chapterId": "ch-2", "watchTime": 90, "completed": False, "lastPosition": 90},
        ],
        "quizScores": [
            {
                "quizId": "quiz-1",
                "score": 9,
                "maxScore": 10,
                "passed": True,
                "attempts": 2,
                "completedAt": "2026-11-20T10:00:00Z",
            }
        ],
        "certificateEligible": False,
        "certificateEarned": False,
        "totalWatchTime": 130,
        "lastWatchedAt": "2026-11-20T10:05:00Z",
        **overrides,
    }


def server_has_progress(client: TestClient) -> None:
    """On the server: ch-1 watched longer but not completed; quiz-1 failed once."""
    client.post(
        f"{BASE}/chapter",
        json={
            "userId": LEARNER,
            "chapterId": "ch-1",
            "watchTime": 250,
            "completed": False,
            "lastPosition": 250,
        },
        headers=AS_LEARNER,
    )
    client.post(
        f"{BASE}/quiz",
        json={"userId": LEARNER, "quizId": "quiz-1", "score": 4, "maxScore": 10, "passed": False},
        headers=AS_LEARNER,
    )


def test_the_merge_keeps_the_best_of_both_sides(client: TestClient) -> None:
    server_has_progress(client)

    response = client.post(f"{BASE}/migrate", json=local_copy(), headers=AS_LEARNER)

    assert response.status_code == 200
    body = response.json()
    assert body["chapterProgress"] == [
        {"chapterId": "ch-1", "watchTime": 250, "completed": True, "lastPosition": 300},
        {"chapterId": "ch-2", "watchTime": 90, "completed": False, "lastPosition": 90},
    ]
    (quiz,) = body["quizScores"]
    assert (quiz["score"], quiz["passed"], quiz["attempts"]) == (9, True, 2)
    assert body["totalChapters"] == 2
    assert body["completionPercentage"] == 50
    assert body["totalWatchTime"] == 340  # recomputed, not the client's 130


def test_the_same_upload_twice_changes_nothing_the_second_time(
    client: TestClient, service: ProgressService, engine: Engine
) -> None:
    server_has_progress(client)
    first = client.post(f"{BASE}/migrate", json=local_copy(), headers=AS_LEARNER).json()
    events = service.history(TUTORIAL, LEARNER)
    with engine.connect() as connection:
        updated_at = connection.execute(select(tutorial_progress.c.updated_at)).scalar_one()

    second = client.post(f"{BASE}/migrate", json=local_copy(), headers=AS_LEARNER)

    assert second.status_code == 200
    assert second.json() == first
    assert service.history(TUTORIAL, LEARNER) == events
    with engine.connect() as connection:
        assert connection.execute(select(tutorial_progress.c.updated_at)).scalar_one() == updated_at


def test_a_migration_is_recorded_as_an_event_and_a_client_outcome(
    client: TestClient, service: ProgressService, engine: Engine
) -> None:
    response = client.post(f"{BASE}/migrate", json=local_copy(), headers=AS_LEARNER)
    assert response.status_code == 200

    (event,) = service.history(TUTORIAL, LEARNER)
    assert (event.kind, event.source, event.actor) == ("migration", "migration", LEARNER)
    assert event.before is None
    assert event.after is not None
    assert len(event.after.chapter_progress) == 2
    with engine.connect() as connection:
        row = connection.execute(select(client_events)).mappings().one()
    assert row["kind"] == "migration"
    assert row["outcome"] == "succeeded"
    assert row["record_count"] == 3
    assert (row["user_id"], row["tutorial_id"]) == (LEARNER, TUTORIAL)


def test_a_client_that_says_it_earned_the_certificate_gets_it_when_eligible(
    client: TestClient, service: ProgressService
) -> None:
    chapters = [
        {"chapterId": "ch-1", "watchTime": 300, "completed": True, "lastPosition": 300},
        {"chapterId": "ch-2", "watchTime": 300, "completed": True, "lastPosition": 300},
    ]

    response = client.post(
        f"{BASE}/migrate",
        json=local_copy(chapterProgress=chapters, certificateEarned=True),
        headers=AS_LEARNER,
    )

    assert response.json()["certificateEarned"] is True
    snapshot = service.get_snapshot(TUTORIAL, LEARNER)
    assert snapshot.certificate is not None
    assert snapshot.certificate.awarded_by == LEARNER


def test_a_claimed_certificate_is_not_awarded_when_chapters_are_missing(
    client: TestClient,
) -> None:
    response = client.post(
        f"{BASE}/migrate", json=local_copy(certificateEarned=True), headers=AS_LEARNER
    )

    assert response.status_code == 200
    assert response.json()["certificateEarned"] is False


def test_a_minimal_copy_with_only_chapters_is_enough(client: TestClient) -> None:
    copy = {"userId": LEARNER, "chapterProgress": local_copy()["chapterProgress"]}

    response = client.post(f"{BASE}/migrate", json=copy, headers=AS_SERVICE)

    assert response.status_code == 200
    assert len(response.json()["chapterProgress"]) == 2


def test_an_upload_for_another_tutorial_is_refused(client: TestClient, engine: Engine) -> None:
    response = client.post(
        f"{BASE}/migrate", json=local_copy(tutorialId="git-essentials"), headers=AS_LEARNER
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "tutorialId"
    with engine.connect() as connection:
        assert connection.execute(select(client_events)).first() is None


def test_a_chapter_twice_in_one_upload_is_refused_naming_its_place(client: TestClient) -> None:
    twice = local_copy()["chapterProgress"][:1] * 2

    response = client.post(
        f"{BASE}/migrate", json=local_copy(chapterProgress=twice), headers=AS_LEARNER
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "chapterProgress[1].chapterId"
    assert "more than once" in error["message"]


def test_an_impossible_quiz_in_the_upload_is_refused_naming_its_place(client: TestClient) -> None:
    quizzes = [{**local_copy()["quizScores"][0], "score": 11}]

    response = client.post(
        f"{BASE}/migrate", json=local_copy(quizScores=quizzes), headers=AS_LEARNER
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "quizScores[0].score"


def test_a_quiz_time_without_a_time_zone_is_refused(client: TestClient) -> None:
    quizzes = [{**local_copy()["quizScores"][0], "completedAt": "2026-11-20T10:00:00"}]

    response = client.post(
        f"{BASE}/migrate", json=local_copy(quizScores=quizzes), headers=AS_LEARNER
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "quizScores[0].completedAt"
