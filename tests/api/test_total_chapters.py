"""Nobody below support makes a tutorial look finished by shrinking its chapter count: not with a
learner token, not with a service token, not through `/chapter`, not through `/migrate`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from progress.schema import tutorials
from tests.api.conftest import AS_LEARNER, AS_SERVICE, LEARNER, TUTORIAL

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
ONE_CHAPTER = {
    "userId": LEARNER,
    "chapterId": "ch-1",
    "watchTime": 300,
    "completed": True,
    "lastPosition": 300,
}


@pytest.fixture
def catalog_of_eleven(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(tutorials).values(tutorial_id=TUTORIAL, title="SQL", total_chapters=11)
        )


@pytest.mark.usefixtures("catalog_of_eleven")
@pytest.mark.parametrize("caller", [AS_LEARNER, AS_SERVICE], ids=["learner", "service"])
def test_one_chapter_with_total_chapters_1_does_not_earn_the_certificate(
    client: TestClient, caller: dict[str, str]
) -> None:
    answer = client.post(
        f"{BASE}/chapter", json={**ONE_CHAPTER, "totalChapters": 1}, headers=caller
    )
    complete = client.post(f"{BASE}/complete", json={"userId": LEARNER}, headers=caller)

    assert answer.status_code == 200  # the chapter is saved; the smaller total is ignored
    body = answer.json()
    assert (body["totalChapters"], body["completionPercentage"]) == (11, 9.09)
    assert body["certificateEligible"] is False
    assert complete.status_code == 409
    assert complete.json()["error"]["unseenChapters"] == 10


@pytest.mark.usefixtures("catalog_of_eleven")
@pytest.mark.parametrize("caller", [AS_LEARNER, AS_SERVICE], ids=["learner", "service"])
def test_chapter_and_migrate_follow_one_total_chapters_rule(
    client: TestClient, caller: dict[str, str]
) -> None:
    via_chapter = client.post(
        f"{BASE}/chapter", json={**ONE_CHAPTER, "totalChapters": 12}, headers=caller
    )
    copy = {
        "userId": LEARNER,
        "totalChapters": 3,
        "chapterProgress": [
            {"chapterId": "ch-1", "watchTime": 300, "completed": True, "lastPosition": 300}
        ],
    }
    via_migrate = client.post(f"{BASE}/migrate", json=copy, headers=caller)

    assert via_chapter.json()["totalChapters"] == 12  # not below the catalog: taken
    assert via_migrate.json()["totalChapters"] == 12  # below the catalog: ignored
