"""Request and response bodies, in the brief's camelCase JSON.

Responses reuse `progress.models.Progress`, which *is* the brief's GET response. Request models
are strict about JSON types (`"12"` is not a number, `1` is not `true`) and carry the same bounds
the service checks, so the OpenAPI document tells clients the rules; the service still checks
everything (ids without control characters, score ≤ maxScore, …) and answers 422 when broken.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from progress.models import ChapterProgress, Progress, QuizScore
from progress.service import MAX_QUIZ_ATTEMPTS, MAX_UPLOAD_QUIZZES
from progress.telemetry import MAX_BATCH, ClientEvent
from progress.validation import (
    AS_WHOLE_NUMBER,
    MAX_ID_LENGTH,
    MAX_SCORE,
    MAX_SECONDS,
    MAX_TOTAL_CHAPTERS,
    IsoDateTime,
    id_json_schema,
)

Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra=id_json_schema)]
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
Score = Annotated[float, Field(ge=0, le=MAX_SCORE, allow_inf_nan=False)]
MaxScore = Annotated[float, Field(gt=0, le=MAX_SCORE, allow_inf_nan=False)]
UserId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        json_schema_extra=id_json_schema,
        description="The learner. A missing or null userId is a 400: the progress of a learner "
        "who is not signed in stays on their device.",
    ),
]
SCORE_RULE = "At most maxScore: a score above it is a 422"


class _Request(BaseModel):
    # Only the brief's camelCase names: a snake_case key is an unknown field, ignored like others,
    # never a second name for a field (it would be validated, and refused, behind the document).
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, validate_by_name=False, strict=True
    )


class ChapterUpdate(_Request):
    user_id: UserId
    chapter_id: Id
    watch_time: Seconds = Field(description="Total seconds watched in this chapter (not a delta)")
    completed: bool
    last_position: Seconds = Field(description="Seconds into the video where the learner is")
    total_chapters: Annotated[int, Field(ge=1, le=MAX_TOTAL_CHAPTERS), AS_WHOLE_NUMBER] | None = (
        None
    )


class QuizSubmission(_Request):
    user_id: UserId
    quiz_id: Id
    score: Score = Field(description=SCORE_RULE)
    max_score: MaxScore
    passed: bool


class CompleteRequest(_Request):
    user_id: UserId


class ChapterUpload(ChapterProgress):
    model_config = ConfigDict(strict=True)

    chapter_id: Id
    watch_time: Seconds
    last_position: Seconds


class QuizUpload(QuizScore):
    model_config = ConfigDict(strict=True)

    quiz_id: Id
    score: Score = Field(description=SCORE_RULE)
    max_score: MaxScore
    attempts: Annotated[int, Field(ge=1, le=MAX_QUIZ_ATTEMPTS), AS_WHOLE_NUMBER]
    completed_at: IsoDateTime


class MigrateRequest(_Request):
    """The client's localStorage copy: the brief's progress shape (the GET response).

    Only `chapterProgress`, `quizScores`, `certificateEarned`, `totalChapters` and `lastWatchedAt`
    are read; the aggregates (`completionPercentage`, …) may be sent but are recomputed.
    """

    user_id: UserId
    tutorial_id: Id | None = Field(default=None, description="If sent, must match the path")
    chapter_progress: list[ChapterUpload] = Field(default=[], max_length=MAX_TOTAL_CHAPTERS)
    quiz_scores: list[QuizUpload] = Field(default=[], max_length=MAX_UPLOAD_QUIZZES)
    certificate_earned: bool = Field(
        default=False, description="Awarded on the server only if the merged progress is eligible"
    )
    total_chapters: Annotated[int, Field(ge=0, le=MAX_TOTAL_CHAPTERS), AS_WHOLE_NUMBER] = 0
    last_watched_at: IsoDateTime | None = None
    completion_percentage: float | None = Field(
        default=None, allow_inf_nan=False, description="Ignored (recomputed)"
    )
    chapters_completed: Annotated[int, AS_WHOLE_NUMBER] | None = Field(
        default=None, description="Ignored (recomputed)"
    )
    certificate_eligible: bool | None = Field(default=None, description="Ignored (recomputed)")
    total_watch_time: float | None = Field(
        default=None, allow_inf_nan=False, description="Ignored (recomputed)"
    )

    def to_progress(self, tutorial_id: str, user_id: str) -> Progress:
        """As the service's merge takes it; the aggregates are placeholders it does not read."""
        return Progress(
            tutorial_id=self.tutorial_id or tutorial_id,
            user_id=user_id,
            completion_percentage=0,
            chapters_completed=0,
            total_chapters=self.total_chapters,
            chapter_progress=list(self.chapter_progress),
            quiz_scores=list(self.quiz_scores),
            certificate_eligible=False,
            certificate_earned=self.certificate_earned,
            total_watch_time=0,
            last_watched_at=self.last_watched_at,
        )


class ClientEventBatch(_Request):
    events: list[ClientEvent] = Field(min_length=1, max_length=MAX_BATCH)


class EventsAccepted(BaseModel):
    accepted: int = Field(description="Events stored")


class ResetResponse(BaseModel):
    success: bool
    message: str


class RequestLogStatus(BaseModel):
    """This API process's request logger (`progress.request_log.RequestLog.health`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    instance_id: str = Field(description="The logger's row in `request_log_health`")
    pending: int = Field(description="Rows buffered, not yet written to `api_logs`")
    written: int = Field(description="Rows written since the process started")
    dropped: int = Field(
        description="Rows never written: refused by the database, or dropped from a full buffer "
        "during an outage. Above 0, the dashboard's request figures undercount."
    )
    last_flush_at: AwareDatetime | None = Field(description="The last write that stored rows")
    last_error: str | None = Field(description="The last write error, if any")
    last_error_at: AwareDatetime | None


class HealthStatus(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status: str = Field(description="`ok` or `unavailable`")
    database: str = Field(description="`reachable` or `unreachable`")
    request_log: RequestLogStatus | None = Field(
        default=None, description="The request logger's counters; null when logging is off"
    )
