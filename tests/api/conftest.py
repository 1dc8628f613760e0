"""An API over the test database, with one learner token, one service token and a request log
that the tests flush when they want to read `api_logs`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth import hash_token
from api.settings import ApiSettings, ApiToken
from progress.request_log import RequestLog
from progress.service import ProgressService

LEARNER = "learner-1"
LEARNER_TOKEN = "learner-token-for-tests"
SERVICE_TOKEN = "service-token-for-tests"
SERVICE_NAME = "support-bot"
TUTORIAL = "sql-basics"


def settings(**overrides: object) -> ApiSettings:
    values: dict[str, object] = {
        "tokens": [
            ApiToken(sha256=hash_token(LEARNER_TOKEN), role="learner", user_id=LEARNER),
            ApiToken(sha256=hash_token(SERVICE_TOKEN), role="service", name=SERVICE_NAME),
        ],
        "trusted_user_header": None,
        "allow_anonymous": None,
        "cors_origins": [],
        "request_log": True,
        "log_interval_ms": 60_000,  # the tests flush when they read the log
        **overrides,
    }
    return ApiSettings.model_validate(values)  # validated, without reading the environment


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


AS_LEARNER = bearer(LEARNER_TOKEN)
AS_SERVICE = bearer(SERVICE_TOKEN)

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def request_log(engine: Engine) -> RequestLog:
    return RequestLog(engine, interval_ms=60_000)


@pytest.fixture
def make_client(service: ProgressService, request_log: RequestLog) -> Iterator[ClientFactory]:
    """Build a started client (lifespan run) with settings overridden by keyword."""
    clients: list[TestClient] = []

    def make(*, embedded: bool = False, **overrides: object) -> TestClient:
        app = create_app(service, settings(**overrides), request_log=request_log, embedded=embedded)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
