"""Pydantic models of what the service returns.

`Progress.model_dump(by_alias=True, mode="json")` is exactly the brief's GET response: camelCase
keys, ISO 8601 timestamps in UTC. `ProgressSnapshot` adds what a faithful undo needs (certificate
details, the declared chapter count) and is what `progress_events` stores before and after a change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Source = Literal["api", "console", "migration", "system"]
EventKind = Literal["chapter", "quiz", "complete", "reset", "restore", "migration"]


class _BriefModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ChapterProgress(_BriefModel):
    chapter_id: str
    watch_time: float = Field(description="Seconds watched in this chapter, in total")
    completed: bool
    last_position: float = Field(description="Seconds into the video where the learner stopped")


class QuizScore(_BriefModel):
    quiz_id: str
    score: float = Field(description="Best score of all attempts")
    max_score: float
    passed: bool = Field(description="True once any attempt passed")
    attempts: int
    completed_at: AwareDatetime = Field(description="Time of the latest attempt")


class Progress(_BriefModel):
    """One learner's progress through one tutorial: the brief's GET response."""

    tutorial_id: str
    user_id: str | None
    completion_percentage: float
    chapters_completed: int
    total_chapters: int
    chapter_progress: list[ChapterProgress]
    quiz_scores: list[QuizScore]
    certificate_eligible: bool
    certificate_earned: bool
    total_watch_time: float
    last_watched_at: AwareDatetime | None


class LearnerTutorial(_BriefModel):
    """One row of a learner search: a tutorial the learner has progress in."""

    user_id: str
    tutorial_id: str
    completion_percentage: float
    certificate_earned: bool
    last_watched_at: datetime | None
    updated_at: datetime


class Certificate(_BriefModel):
    awarded_at: AwareDatetime
    awarded_by: str
    override_reason: str | None = None


class ProgressSnapshot(Progress):
    """Everything needed to put a learner's progress back exactly as it was."""

    certificate: Certificate | None = None
    declared_total_chapters: int | None = None
    started_at: AwareDatetime | None = Field(
        default=None, description="The pair's first progress (kept through a restore)"
    )
    completed_at: AwareDatetime | None = Field(
        default=None, description="When every chapter was complete; None while not"
    )

    def to_progress(self) -> Progress:
        # The fields were validated when the snapshot was built; copy them without re-validating.
        return Progress.model_construct(**{name: getattr(self, name) for name in _PROGRESS_FIELDS})


_PROGRESS_FIELDS = tuple(Progress.model_fields)


class ProgressEvent(_BriefModel):
    """One change to a learner's progress, as `history()` returns it (newest first)."""

    id: int
    occurred_at: datetime
    tutorial_id: str
    user_id: str
    kind: EventKind
    source: Source
    actor: str
    reason: str | None
    before: ProgressSnapshot | None
    after: ProgressSnapshot | None
    restored_event_id: int | None


def snapshot_json(snapshot: ProgressSnapshot | None) -> dict[str, Any] | None:
    return None if snapshot is None else snapshot.model_dump(by_alias=True, mode="json")
