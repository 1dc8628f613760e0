"""The endpoints: thin handlers that identify the caller and call `ProgressService`.

Paths are the route templates of `progress.routes`, the same strings `api_logs.endpoint` holds.
Handlers are plain `def`s: FastAPI runs them in its thread pool, where the synchronous service and
its connection pool belong.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from starlette.routing import Match
from starlette.types import Scope

from api.auth import Caller, CallerDep, authorize
from api.body_limit import LimitedBodyRoute
from api.errors import ErrorBody, NotEligibleBody
from api.metrics import ApiMetrics
from api.schemas import (
    ChapterUpdate,
    ClientEventBatch,
    CompleteRequest,
    EventsAccepted,
    HealthStatus,
    MigrateRequest,
    QuizSubmission,
    RequestLogStatus,
    ResetResponse,
)
from progress import routes
from progress.db import check_connection
from progress.errors import DatabaseUnavailable, InvalidInput
from progress.models import Progress
from progress.request_log import RequestLog
from progress.service import ProgressService
from progress.telemetry import ClientEvent, record_client_events
from progress.validation import MAX_ID_LENGTH, id_json_schema

log = logging.getLogger(__name__)


def _tutorial_id_schema(schema: dict[str, Any]) -> None:
    id_json_schema(schema)
    schema["not"] = {"enum": sorted(routes.RESERVED_TUTORIAL_IDS)}


def _not_reserved(tutorial_id: str) -> str:
    if tutorial_id in routes.RESERVED_TUTORIAL_IDS:
        raise PydanticCustomError(
            "reserved", "{id} is not a tutorial id: it names an endpoint", {"id": tutorial_id}
        )
    return tutorial_id


TutorialId = Annotated[
    str,
    AfterValidator(_not_reserved),
    Path(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        json_schema_extra=_tutorial_id_schema,
        description="The tutorial. `events` is not one: that path is the telemetry endpoint.",
    ),
]


def _user_id_query(
    request: Request,
    user_id: Annotated[
        str,
        Query(
            alias="userId",
            min_length=1,
            max_length=MAX_ID_LENGTH,
            json_schema_extra=id_json_schema,
            description="The learner. Missing is a 400: the progress of a learner who is not "
            "signed in stays on their device.",
        ),
    ],
) -> str:
    if len(request.query_params.getlist("userId")) > 1:
        raise InvalidInput("user_id", "userId is given more than once; give it once.")
    return user_id


UserIdQuery = Annotated[str, Depends(_user_id_query)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "userId missing or null: anonymous progress stays on the device",
        405: "`events` is not a tutorial: its path is the telemetry endpoint (POST only)",
        401: "no valid credentials",
        403: "a learner token acting for another learner",
        409: "not eligible for the certificate: what is missing",
        413: "request body too large",
        422: "invalid input: which field and why",
        503: "database unreachable; retry after `Retry-After` seconds",
    }
    return {
        status: {
            "model": NotEligibleBody if status == 409 else ErrorBody,
            "description": described[status],
        }
        for status in statuses
    }


_READ_ERRORS = _errors(400, 401, 403, 405, 422, 503)
_WRITE_ERRORS = _errors(400, 401, 403, 413, 422, 503)


def _utf8_url(request: Request) -> None:
    """Refuse a path or query that is not UTF-8 once percent-decoded (`%FF`), instead of letting
    the framework read it with replacement characters (a different id than the one sent)."""
    for part, key in (("path", "raw_path"), ("query", "query_string")):
        raw = request.scope.get(key)
        try:
            unquote_to_bytes(raw if isinstance(raw, bytes) else b"").decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                part, f"The URL's {part} is not valid UTF-8 once percent-decoded."
            ) from None


class _Route(LimitedBodyRoute):
    """`{PREFIX}/{tutorial_id}` does not match a reserved segment: `GET /events` is the telemetry
    endpoint with the wrong method (405), not the progress of a tutorial named `events`. (On
    the other routes, such a tutorial id is a 422.)"""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        reserved = child.get("path_params", {}).get("tutorial_id") in routes.RESERVED_TUTORIAL_IDS
        if reserved and self.path == routes.PROGRESS:
            return Match.NONE, {}
        return match, child


router = APIRouter(tags=["progress"], route_class=_Route, dependencies=[Depends(_utf8_url)])


def _service(request: Request) -> ProgressService:
    service: ProgressService = request.app.state.service
    return service


def _metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


@router.get(routes.PROGRESS, response_model=Progress, responses=_READ_ERRORS)
def get_progress(
    request: Request, tutorial_id: TutorialId, caller: CallerDep, user_id: UserIdQuery
) -> Progress:
    """The learner's progress in the tutorial; empty progress (0 %) when there is none yet."""
    user = authorize(request, caller, user_id)
    return _service(request).get_progress(tutorial_id, user)


@router.post(routes.CHAPTER, response_model=Progress, responses=_WRITE_ERRORS)
def update_chapter(
    request: Request, tutorial_id: TutorialId, body: ChapterUpdate, caller: CallerDep
) -> Progress:
    """Record a chapter's total watch time, position and completion (idempotent)."""
    user = authorize(request, caller, body.user_id)
    return _service(request).update_chapter_progress(
        tutorial_id,
        user,
        chapter_id=body.chapter_id,
        watch_time=body.watch_time,
        completed=body.completed,
        last_position=body.last_position,
        total_chapters=body.total_chapters,
        actor=caller.actor,
        source="api",
    )


@router.post(routes.QUIZ, response_model=Progress, responses=_WRITE_ERRORS)
def submit_quiz(
    request: Request, tutorial_id: TutorialId, body: QuizSubmission, caller: CallerDep
) -> Progress:
    """Record one quiz attempt: the best score is kept, every attempt counted."""
    user = authorize(request, caller, body.user_id)
    return _service(request).update_quiz_score(
        tutorial_id,
        user,
        quiz_id=body.quiz_id,
        score=body.score,
        max_score=body.max_score,
        passed=body.passed,
        actor=caller.actor,
        source="api",
    )


@router.post(
    routes.COMPLETE,
    response_model=Progress,
    responses={**_WRITE_ERRORS, **_errors(409)},
)
def complete_tutorial(
    request: Request, tutorial_id: TutorialId, body: CompleteRequest, caller: CallerDep
) -> Progress:
    """Award the certificate; 409 naming what is missing when the learner is not eligible."""
    user = authorize(request, caller, body.user_id)
    return _service(request).complete_tutorial(tutorial_id, user, actor=caller.actor, source="api")


@router.delete(routes.PROGRESS, response_model=ResetResponse, responses=_READ_ERRORS)
def reset_progress(
    request: Request, tutorial_id: TutorialId, caller: CallerDep, user_id: UserIdQuery
) -> ResetResponse:
    """Remove the learner's progress in the tutorial (support can restore it from history)."""
    user = authorize(request, caller, user_id)
    _service(request).reset_progress(tutorial_id, user, actor=caller.actor, source="api")
    return ResetResponse(success=True, message="Progress reset successfully")


@router.post(routes.MIGRATE, response_model=Progress, responses=_WRITE_ERRORS)
def migrate(
    request: Request, tutorial_id: TutorialId, body: MigrateRequest, caller: CallerDep
) -> Progress:
    """Merge the client's localStorage copy into the stored progress, losing neither side.

    Per chapter the larger watch time and position, completed if either says so; per quiz the
    best score and the larger attempt count; the certificate is kept. Sending the same copy again
    changes nothing. A merge that changes something is recorded in `client_events` (outcome
    `succeeded`) in the same transaction; one that changes nothing writes nothing. Clients report
    `attempted` and `failed` themselves.
    """
    user = authorize(request, caller, body.user_id)
    return _service(request).merge_progress(
        tutorial_id,
        user,
        client=body.to_progress(tutorial_id, user),
        actor=caller.actor,
        on_recorded=_metrics(request).count_migration_succeeded,
    )


@router.post(
    routes.CLIENT_EVENTS,
    response_model=EventsAccepted,
    responses=_errors(401, 403, 413, 422, 503),
)
def client_events(request: Request, body: ClientEventBatch, caller: CallerDep) -> EventsAccepted:
    """Store a batch of client telemetry (1–100 events), all or none.

    A learner token may report only its own events; events without a `userId` are its own.
    """
    events = [_own_event(request, caller, event) for event in body.events]
    stored = record_client_events(_service(request).engine, events, received_at=datetime.now(UTC))
    _metrics(request).count_client_events(events)
    return EventsAccepted(accepted=stored)


def _own_event(request: Request, caller: Caller, event: ClientEvent) -> ClientEvent:
    if caller.role == "learner" and event.user_id is None:
        return event.model_copy(update={"user_id": caller.user_id})
    if event.user_id is not None:
        authorize(request, caller, event.user_id)
    return event


@router.get(
    routes.HEALTH,
    response_model=HealthStatus,
    tags=["operations"],
    responses={503: {"model": HealthStatus, "description": "database unreachable"}},
)
def health(request: Request) -> HealthStatus | JSONResponse:
    """Whether the API can reach its database, and how its request logger is doing: rows
    pending, written and dropped, the last write and the last error (no credentials needed)."""
    request_log: RequestLog | None = request.app.state.request_log
    logger = (
        None
        if request_log is None
        else RequestLogStatus.model_validate(asdict(request_log.health()))
    )
    try:
        check_connection(_service(request).engine)
    except DatabaseUnavailable as error:
        log.warning("health check: %s", error.message)
        return JSONResponse(
            HealthStatus(
                status="unavailable", database="unreachable", request_log=logger
            ).model_dump(by_alias=True, mode="json"),
            status_code=503,
            headers={"Retry-After": str(request.app.state.settings.retry_after_seconds)},
        )
    return HealthStatus(status="ok", database="reachable", request_log=logger)
