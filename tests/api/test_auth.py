"""Who may call, and whose progress they may touch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.auth import hash_token
from api.settings import ApiSettings, ApiToken
from progress.service import ProgressService
from tests.api.conftest import (
    AS_LEARNER,
    AS_SERVICE,
    LEARNER,
    SERVICE_NAME,
    TUTORIAL,
    ClientFactory,
    bearer,
)

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
CHAPTER = {"chapterId": "ch-1", "watchTime": 60, "completed": False, "lastPosition": 60}


def watch(client: TestClient, user: str, headers: dict[str, str]) -> Any:
    return client.post(f"{BASE}/chapter", json={"userId": user, **CHAPTER}, headers=headers)


def test_a_request_without_credentials_is_a_401_with_a_bearer_challenge(
    client: TestClient,
) -> None:
    response = client.get(BASE, params={"userId": LEARNER})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "authorization", ["Bearer not-a-known-token", "Basic bGVhcm5lcjpzZWNyZXQ=", "Bearer"]
)
def test_an_unknown_token_or_another_scheme_is_a_401(
    client: TestClient, authorization: str
) -> None:
    response = client.get(
        BASE, params={"userId": LEARNER}, headers={"Authorization": authorization}
    )

    assert response.status_code == 401


def test_a_learner_token_may_touch_its_own_progress(
    client: TestClient, service: ProgressService
) -> None:
    assert watch(client, LEARNER, AS_LEARNER).status_code == 200

    (event,) = service.history(TUTORIAL, LEARNER)
    assert event.actor == LEARNER
    assert event.source == "api"


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("GET", BASE, {"params": {"userId": "someone-else"}}),
        ("DELETE", BASE, {"params": {"userId": "someone-else"}}),
        ("POST", f"{BASE}/chapter", {"json": {"userId": "someone-else", **CHAPTER}}),
        ("POST", f"{BASE}/complete", {"json": {"userId": "someone-else"}}),
        ("POST", f"{BASE}/migrate", {"json": {"userId": "someone-else"}}),
    ],
)
def test_a_learner_token_may_not_touch_another_learners_progress(
    client: TestClient,
    service: ProgressService,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    watch(client, "someone-else", AS_SERVICE)

    response = client.request(method, path, headers=AS_LEARNER, **options)

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": f"This token may only read and change the progress of {LEARNER}.",
        "field": "userId",
    }
    assert len(service.history(TUTORIAL, "someone-else")) == 1


def test_a_service_token_acts_for_anyone_and_is_named_in_the_history(
    client: TestClient, service: ProgressService
) -> None:
    assert watch(client, "learner-7", AS_SERVICE).status_code == 200
    assert watch(client, "learner-8", AS_SERVICE).status_code == 200

    assert service.history(TUTORIAL, "learner-7")[0].actor == SERVICE_NAME
    assert service.history(TUTORIAL, "learner-8")[0].actor == SERVICE_NAME


def test_the_trusted_header_names_a_learner_when_configured(
    make_client: ClientFactory, service: ProgressService
) -> None:
    client = make_client(trusted_user_header="X-Authenticated-User")
    as_proxy = {"X-Authenticated-User": "learner-42"}

    assert watch(client, "learner-42", as_proxy).status_code == 200
    assert watch(client, "learner-43", as_proxy).status_code == 403
    assert service.history(TUTORIAL, "learner-42")[0].actor == "learner-42"


def test_the_trusted_header_is_ignored_when_not_configured(client: TestClient) -> None:
    response = watch(client, "learner-42", {"X-Authenticated-User": "learner-42"})

    assert response.status_code == 401


def test_without_tokens_the_embedded_demo_database_lets_anyone_act_as_anonymous(
    make_client: ClientFactory, service: ProgressService
) -> None:
    client = make_client(embedded=True, tokens=[])

    assert watch(client, "learner-5", {}).status_code == 200
    assert service.history(TUTORIAL, "learner-5")[0].actor == "anonymous"


def test_without_tokens_any_other_database_refuses_anonymous_callers(
    make_client: ClientFactory,
) -> None:
    client = make_client(embedded=False, tokens=[])

    assert watch(client, "learner-5", {}).status_code == 401


def test_anonymous_access_can_be_switched_off_on_the_demo_database(
    make_client: ClientFactory,
) -> None:
    client = make_client(embedded=True, tokens=[], allow_anonymous=False)

    assert watch(client, "learner-5", {}).status_code == 401


def test_configured_tokens_turn_anonymous_access_off_even_on_the_demo_database(
    make_client: ClientFactory,
) -> None:
    client = make_client(embedded=True)

    assert watch(client, LEARNER, {}).status_code == 401
    assert watch(client, LEARNER, AS_LEARNER).status_code == 200


def test_health_and_the_openapi_document_need_no_credentials(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_tokens_are_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = {"sha256": hash_token("t0k3n"), "role": "learner", "user_id": "learner-9"}
    monkeypatch.setenv("PROGRESS_OPS_API_TOKENS", json.dumps([entry]))

    (token,) = ApiSettings(_env_file=None).tokens

    assert token == ApiToken.model_validate(entry)
    assert bearer("t0k3n") == {"Authorization": "Bearer t0k3n"}


@pytest.mark.parametrize(
    "entry",
    [
        {"sha256": "not-hex", "role": "service", "name": "x"},
        {"sha256": "a" * 64, "role": "learner"},
        {"sha256": "a" * 64, "role": "service"},
        {"sha256": "a" * 64, "role": "admin", "name": "x"},
    ],
)
def test_a_malformed_token_entry_is_refused_at_start(entry: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ApiToken.model_validate(entry)
