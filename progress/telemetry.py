"""Client telemetry: what the browser-side service reports about itself, into `client_events`.

Two kinds, as the dashboard's migration and fallback pages read them:
- `migration`: an upload of the client's localStorage copy was `attempted`, `succeeded` or
  `failed` (with a short `reason` such as `network_error` and the `recordCount` it carried);
- `fallback`: an `operation` of the client's service (`getProgress`, …) was served from
  localStorage because the API could not be reached.

Events are checked here, all before any is written: a batch is stored whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel
from sqlalchemy import Engine, insert

from progress.db import run_with_retry
from progress.errors import InvalidInput
from progress.schema import client_events
from progress.service import located
from progress.validation import (
    AS_WHOLE_NUMBER,
    MAX_ID_LENGTH,
    IsoDateTime,
    check_id,
    check_text,
    id_json_schema,
    text_json_schema,
)

FallbackOperation = Literal[
    "getProgress", "updateChapterProgress", "updateQuizScore", "completeTutorial", "resetProgress"
]
MigrationOutcome = Literal["attempted", "succeeded", "failed"]

MAX_BATCH: Final = 100
MAX_REASON_LENGTH: Final = 200
MAX_RECORD_COUNT: Final = 1_000_000
MAX_CLOCK_AHEAD: Final = timedelta(minutes=5)
MAX_AGE: Final = timedelta(days=30)
_INSERT: Final = insert(client_events)


# What `check_events` enforces per kind, stated in the JSON schema: a migration has an outcome; a
# fallback has an operation and no outcome.
_KIND_RULES: Final[list[JsonValue]] = [
    {
        "properties": {
            "kind": {"const": "migration"},
            "outcome": {"enum": list(get_args(MigrationOutcome))},
        },
        "required": ["kind", "outcome"],
    },
    {
        "properties": {
            "kind": {"const": "fallback"},
            "operation": {"enum": list(get_args(FallbackOperation))},
            "outcome": {"type": "null"},
        },
        "required": ["kind", "operation"],
    },
]


class ClientEvent(BaseModel):
    """One telemetry event as the client sends it (camelCase JSON)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        strict=True,
        json_schema_extra={"oneOf": _KIND_RULES},
    )

    kind: Literal["migration", "fallback"]
    occurred_at: IsoDateTime = Field(
        description="When it happened on the client (ISO 8601 with a time zone); at most "
        "5 minutes ahead of the server's clock and at most 30 days old"
    )
    outcome: MigrationOutcome | None = Field(
        default=None, description="Required for `migration`; must be null for `fallback`"
    )
    operation: FallbackOperation | None = Field(
        default=None, description="Required for `fallback`: the client operation served locally"
    )
    reason: str | None = Field(
        default=None,
        max_length=MAX_REASON_LENGTH,
        json_schema_extra=text_json_schema,
        description="Why a migration failed, as a short code (`network_error`, `quota_exceeded`)",
    )
    record_count: Annotated[int, Field(ge=0, le=MAX_RECORD_COUNT), AS_WHOLE_NUMBER] | None = Field(
        default=None, description="Records the migration carried"
    )
    user_id: str | None = Field(
        default=None, min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra=id_json_schema
    )
    tutorial_id: str | None = Field(
        default=None, min_length=1, max_length=MAX_ID_LENGTH, json_schema_extra=id_json_schema
    )


def check_events(events: Sequence[ClientEvent], *, now: datetime) -> None:
    """Raise `InvalidInput` for the first event that breaks a rule; fields read `events[3].…`."""
    if not events:
        raise InvalidInput("events", "A batch needs at least one event.")
    if len(events) > MAX_BATCH:
        raise InvalidInput(
            "events", f"A batch holds at most {MAX_BATCH} events, not {len(events)}."
        )
    for index, event in enumerate(events):
        where = f"events[{index}]"
        if event.kind == "migration" and event.outcome is None:
            raise InvalidInput(f"{where}.outcome", "A migration event needs an outcome.")
        if event.kind == "fallback":
            if event.operation is None:
                raise InvalidInput(f"{where}.operation", "A fallback event needs an operation.")
            if event.outcome is not None:
                raise InvalidInput(
                    f"{where}.outcome", "A fallback event has no outcome; leave it out."
                )
        if event.occurred_at > now + MAX_CLOCK_AHEAD:
            raise InvalidInput(
                f"{where}.occurred_at",
                f"Occurred at {event.occurred_at.isoformat()} is in the future.",
            )
        if event.occurred_at < now - MAX_AGE:
            raise InvalidInput(
                f"{where}.occurred_at",
                f"Occurred at {event.occurred_at.isoformat()} is more than 30 days ago.",
            )
        with located(where):
            for field, value in (("user_id", event.user_id), ("tutorial_id", event.tutorial_id)):
                if value is not None:
                    check_id(field, value)
            check_text("reason", event.reason, required=False)


def record_client_events(
    engine: Engine, events: Sequence[ClientEvent], *, received_at: datetime
) -> int:
    """Check every event, then store the batch in one transaction; returns the number stored."""
    check_events(events, now=received_at)
    rows = [
        {
            "occurred_at": event.occurred_at,
            "received_at": received_at,
            "kind": event.kind,
            "outcome": event.outcome,
            "operation": event.operation,
            "reason": (event.reason or "").strip() or None,
            "record_count": event.record_count,
            "user_id": event.user_id,
            "tutorial_id": event.tutorial_id,
        }
        for event in events
    ]

    def write() -> int:
        with engine.begin() as connection:
            connection.execute(_INSERT, rows)
        return len(rows)

    return run_with_retry(write, engine=engine)
