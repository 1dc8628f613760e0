"""Every failure becomes a JSON body `{"error": {"code", "message", "field"}}` and a status code.

The brief's client retries 5xx and network errors and never retries 4xx, so the codes say who must
act: 4xx — the request is wrong and retrying will not help; 503 with `Retry-After` — the database
is unreachable, try again. An unexpected exception is a 500 with a generic message (logged here
with its traceback, never sent to the client).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from progress.errors import DatabaseUnavailable, InvalidInput, NotEligible, ProgressError

log = logging.getLogger(__name__)

ANONYMOUS_PROGRESS = (
    "userId is missing: progress of a learner who is not signed in stays on their device "
    "(localStorage) and is not stored on the server. Sign in to keep progress across devices."
)
UNAVAILABLE_MESSAGE = "The progress database is unavailable right now; try again shortly."
_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. `invalid_input`")
    message: str = Field(description="a sentence for people")
    field: str | None = Field(
        description="the JSON field at fault (`chapterProgress[2].watchTime`)"
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class NotEligibleDetail(ErrorDetail):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    incomplete_chapters: list[str] = Field(description="chapters watched but not completed")
    unseen_chapters: int = Field(description="chapters of the total never watched")
    failed_quizzes: list[str] = Field(description="quizzes recorded but not passed")
    total_chapters: int


class NotEligibleBody(BaseModel):
    error: NotEligibleDetail


class ApiError(Exception):
    """A refusal decided by the API itself (authentication, authorization, anonymous user)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


def camel_field(field: str) -> str:
    """`chapter_progress[2].watch_time` → `chapterProgress[2].watchTime`: the JSON's names."""
    return re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), field)


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    detail = {"code": code, "message": message, "field": field, **extra}
    return JSONResponse({"error": detail}, status_code=status_code, headers=headers)


def _location(loc: Sequence[int | str]) -> str | None:
    """pydantic's error location as a JSON path, without the `body`/`query`/`path` prefix."""
    parts = list(loc[1:]) if loc and loc[0] in {"body", "query", "path", "header"} else list(loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return camel_field(path) if path else None


def _is_anonymous(detail: Any) -> bool:
    """A request's own `userId` (query or body, not nested) that is missing or null."""
    location = tuple(detail.get("loc", ()))
    return (
        len(location) == 2
        and location[0] in {"body", "query"}
        and location[1] == "userId"
        and (detail.get("type") == "missing" or detail.get("input", "") is None)
    )


def _is_json(content_type: str) -> bool:
    """`application/json` or `application/…+json`, parameters aside (what FastAPI parses)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first
    route's, and GET and DELETE of one path are two routes)."""
    methods: set[str] = set()
    routes = list(request.app.router.routes)
    while routes:
        route = routes.pop()
        if isinstance(route, Route):
            if route.matches(request.scope)[0] is not Match.NONE:
                methods |= route.methods or set()
        else:  # FastAPI wraps an included router; its routes are the router's own
            routes += getattr(getattr(route, "original_router", None), "routes", [])
    return sorted(methods)


def install_error_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    async def api_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return error_response(
            error.status_code, error.code, error.message, field=error.field, headers=error.headers
        )

    async def invalid_input(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, InvalidInput)
        return error_response(422, error.code, error.message, field=camel_field(error.field))

    async def request_invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        if any(_is_anonymous(detail) for detail in error.errors()):
            return error_response(400, "anonymous_progress", ANONYMOUS_PROGRESS, field="userId")
        first = error.errors()[0] if error.errors() else {}
        content_type = request.headers.get("content-type", "")
        if first.get("loc", ("",))[0] == "body" and not _is_json(content_type):
            return error_response(
                422,
                "invalid_input",
                "The request body must be JSON, sent with Content-Type: application/json "
                + (
                    f"(this request's Content-Type is {content_type[:100]!r})."
                    if content_type
                    else "(this request has no Content-Type)."
                ),
            )
        if first.get("type") == "json_invalid":
            detail = first.get("ctx", {}).get("error", "")
            return error_response(
                422, "invalid_input", f"The request body is not valid JSON ({detail})."
            )
        field = _location(first.get("loc", ()))
        message = str(first.get("msg", "The request is not valid."))
        return error_response(
            422, "invalid_input", f"{field}: {message}" if field else message, field=field
        )

    async def not_eligible(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, NotEligible)
        return error_response(
            409,
            error.code,
            error.message,
            incompleteChapters=error.incomplete_chapters,
            unseenChapters=error.unseen_chapters,
            failedQuizzes=error.failed_quizzes,
            totalChapters=error.total_chapters,
        )

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("answering 503: %s", error)
        return error_response(
            503,
            "database_unavailable",
            UNAVAILABLE_MESSAGE,
            headers={"Retry-After": str(retry_after_seconds)},
        )

    async def other_progress_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ProgressError)
        return error_response(422, error.code, error.message)

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 400:  # FastAPI could not read the body (e.g. not UTF-8)
            return error_response(
                422, "invalid_input", "The request body could not be read as JSON text."
            )
        headers = dict(error.headers or {})
        allowed = _allowed_methods(request)
        if error.status_code == 405 and allowed:
            headers["Allow"] = ", ".join(allowed)
        message = {
            404: "There is no endpoint at this path; the API is described at /docs.",
            405: f"This endpoint does not accept {request.method}"
            + (f"; it accepts {', '.join(allowed)}." if allowed else "."),
        }.get(error.status_code, str(error.detail))
        return error_response(
            error.status_code,
            _HTTP_CODES.get(error.status_code, "http_error"),
            message,
            headers=headers or None,
        )

    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error answering a request", exc_info=error)
        return error_response(
            500, "internal_error", "Something went wrong on our side; it has been logged."
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(NotEligible, not_eligible)
    app.add_exception_handler(DatabaseUnavailable, unavailable)
    app.add_exception_handler(PoolTimeout, unavailable)
    app.add_exception_handler(ProgressError, other_progress_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
