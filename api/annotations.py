"""`POST /v1/annotations`: a service (a deploy pipeline, the alert evaluator) marks the
dashboard's charts. Learners may not (403); the author is the service token's name."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from api.auth import CallerDep
from api.body_limit import LimitedBodyRoute
from api.errors import ApiError, ErrorBody
from progress import routes
from progress.annotations import MAX_TEXT_LENGTH, Annotation, add_annotation
from progress.schema import ANNOTATION_KINDS
from progress.service import ProgressService
from progress.validation import line_json_schema

_KINDS = ", ".join(ANNOTATION_KINDS)


class AnnotationRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True)

    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="One line, e.g. `deploy 2.4.1`",
        json_schema_extra=line_json_schema,
    )
    kind: str = Field(
        default="note",
        description=f"One of {_KINDS}",
        json_schema_extra={"enum": list(ANNOTATION_KINDS)},
    )
    at: AwareDatetime | None = Field(
        default=None,
        strict=False,
        description="When (ISO 8601 with a zone), at most 30 days ahead; default now",
    )
    ends_at: AwareDatetime | None = Field(
        default=None,
        strict=False,
        description="The end, for a range: after `at`, at most 31 days later",
    )


router = APIRouter(tags=["operations"], route_class=LimitedBodyRoute)


@router.post(
    routes.ANNOTATIONS,
    status_code=201,
    response_model=Annotation,
    responses={
        status: {"model": ErrorBody, "description": description}
        for status, description in (
            (401, "no valid credentials"),
            (403, "not a service token"),
            (413, "request body too large"),
            (422, "invalid input: which field and why; nothing was written"),
            (503, "database unreachable; retry after `Retry-After` seconds"),
        )
    },
)
def create_annotation(request: Request, body: AnnotationRequest, caller: CallerDep) -> Annotation:
    """Mark the dashboard's time charts: a deploy, an incident, a note (service tokens only)."""
    if caller.role != "service":
        raise ApiError(403, "forbidden", "Only service tokens may add annotations.")
    service: ProgressService = request.app.state.service
    return add_annotation(
        service.engine,
        text=body.text,
        kind=body.kind,
        author=caller.actor,
        at=body.at,
        ends_at=body.ends_at,
    )
