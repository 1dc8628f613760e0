"""schemathesis against our own OpenAPI document: generated requests, valid and invalid, never
get a 5xx, and every answer matches the document (status code, content type, body schema).

Every check runs, `positive_data_acceptance` included: a request the document calls valid must be
accepted (or answered 409: not eligible for the certificate yet). The document states the id
patterns, bounds and event kinds; the few rules that relate two values, which a JSON schema cannot
state but the document describes (score ≤ maxScore; `tutorialId` in a migration body equal to the
path's; each chapter and quiz once per upload; events within the last 30 days; times from 2000
on; an annotation at most 30 days ahead, its range ending after it within 31 days), are applied
to the generated valid requests by `within_the_described_rules`.

Driven through Hypothesis directly (`operation.as_strategy()`), one test per operation: the
schemathesis pytest plugin's fixture-based loader does not run under this pytest version.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from api.app import create_app
from progress import routes
from progress.request_log import RequestLog
from progress.service import ProgressService
from tests.api.conftest import SERVICE_TOKEN
from tests.api.conftest import settings as api_settings

OPERATIONS = [*routes.PROGRESS_ENDPOINTS, ("GET", routes.HEALTH), ("POST", routes.ANNOTATIONS)]


def _once(items: list[Any], key: str) -> list[Any]:
    seen: set[object] = set()
    kept = []
    for item in items:
        if isinstance(item, dict) and item.get(key) in seen:
            continue
        seen.add(item.get(key) if isinstance(item, dict) else id(item))
        kept.append(item)
    return kept


def _fit_quiz(quiz: dict[str, Any], now: str) -> None:
    if isinstance(quiz.get("score"), int | float) and isinstance(quiz.get("maxScore"), int | float):
        quiz["score"] = min(quiz["score"], quiz["maxScore"])
    if "completedAt" in quiz:
        quiz["completedAt"] = now


def within_the_described_rules(case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
    """A generated valid request, made to follow the rules the document describes in words."""
    body: Any = case.body
    if not isinstance(body, dict):
        return case
    now = datetime.now(UTC).isoformat()
    _fit_quiz(body, now)
    if body.get("tutorialId") is not None and case.path_parameters:
        body["tutorialId"] = unquote(str(case.path_parameters.get("tutorial_id")))
    if body.get("lastWatchedAt") is not None:
        body["lastWatchedAt"] = now
    for field, key in (("chapterProgress", "chapterId"), ("quizScores", "quizId")):
        if isinstance(body.get(field), list):
            body[field] = _once(body[field], key)
    for quiz in body.get("quizScores") or []:
        _fit_quiz(quiz, now)
    for event in body.get("events") or []:
        event["occurredAt"] = now
    if case.path == routes.ANNOTATIONS:  # at most 30 days ahead; a range ends within 31 days
        if body.get("at") is not None:
            body["at"] = now
        if body.get("endsAt") is not None:  # after `at`, or after now when `at` is left out
            body["endsAt"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    return case


@pytest.fixture(scope="module")
def api_schema(migrated_engine: Engine) -> Iterator[schemathesis.BaseSchema]:
    request_log = RequestLog(migrated_engine)
    app: FastAPI = create_app(
        ProgressService(migrated_engine),
        api_settings(),
        request_log=request_log,
    )
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"HTTPBearer": {"bearer": SERVICE_TOKEN}}},
            # A body over the size limit is refused with 413 before it is parsed.
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "422"]
                }
            },
        }
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    request_log.close()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_no_5xx_and_answers_match_the_document(
    api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE).map(within_the_described_rules),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers_as_documented(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate()

    answers_as_documented()
