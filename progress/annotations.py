"""Annotations: what happened to the service, marked on the dashboard's time charts.

An annotation is a moment (`at`) or a range (`at` to `ends_at`) with a kind, a one-line text and
an author. People add them (`progress-ops annotate`, `POST /v1/annotations`); the system adds them
for schema migrations (`record_schema_migration`, run by the Alembic environment) and, once the
alert evaluator is wired in, for alert firings and resolutions:

    add_annotation(engine, kind="alert", text="error rate burning 14.4× budget: paging",
                   author="alerts", at=fired_at)                       # firing: a line
    add_annotation(engine, kind="alert", text="error rate back within budget",
                   author="alerts", at=fired_at, ends_at=resolved_at)  # resolved: a band

Support resets and restores are not written here: the dashboard counts them per hour from
`progress_events` (`queries.annotations`), since one mark per learner would bury the chart.

Every value is checked before anything is written; a bad one raises `InvalidInput` naming it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import Connection, Engine, insert

from progress.db import run_with_retry
from progress.errors import InvalidInput
from progress.schema import ANNOTATION_KINDS, annotations_table
from progress.validation import check_id, has_control_characters

MAX_TEXT_LENGTH: Final = 500
MAX_AHEAD: Final = timedelta(days=30)  # planned maintenance, not next year's
MAX_RANGE: Final = timedelta(days=31)
SYSTEM_AUTHOR: Final = "system"
_LABELS: Final = {"at": "At", "ends_at": "Ends at"}


class Annotation(BaseModel):
    """A stored annotation; as JSON (`by_alias=True`) camelCase, as the API answers it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    id: int
    at: datetime
    ends_at: datetime | None
    kind: str
    text: str
    author: str


def check_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("text", "Annotation text is required.")
    text = value.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            "text", f"Annotation text is {len(text)} characters long; at most {MAX_TEXT_LENGTH}."
        )
    if has_control_characters(text):
        raise InvalidInput(
            "text", "Annotation text contains control characters (one line, no tabs)."
        )
    return text


def check_kind(value: object) -> str:
    if value not in ANNOTATION_KINDS:
        raise InvalidInput(
            "kind", f"Kind must be one of {', '.join(ANNOTATION_KINDS)}, not {value!r}."
        )
    return str(value)


def check_times(
    at: datetime, ends_at: datetime | None, *, now: datetime
) -> tuple[datetime, datetime | None]:
    for field, moment in (("at", at), ("ends_at", ends_at)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(field, f"{_LABELS[field]} needs a time zone (UTC: add Z).")
    if at > now + MAX_AHEAD:
        raise InvalidInput("at", f"At {at.isoformat()} is more than 30 days ahead.")
    if ends_at is not None:
        if ends_at <= at:
            raise InvalidInput("ends_at", "Ends at must be after the start.")
        if ends_at - at > MAX_RANGE:
            raise InvalidInput("ends_at", "An annotation spans at most 31 days.")
    return at.astimezone(UTC), None if ends_at is None else ends_at.astimezone(UTC)


def add_annotation(
    engine: Engine,
    *,
    text: str,
    author: str,
    kind: str = "note",
    at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Annotation:
    """Check every value, then store the annotation (at: now by default); returns it with its id."""
    now = datetime.now(UTC)
    checked_text = check_text(text)
    checked_kind = check_kind(kind)
    checked_author = check_id("author", author)
    start, end = check_times(at or now, ends_at, now=now)

    def write() -> Annotation:
        with engine.begin() as connection:
            return write_annotation(
                connection,
                at=start,
                ends_at=end,
                kind=checked_kind,
                text=checked_text,
                author=checked_author,
            )

    return run_with_retry(write, engine=engine)


def write_annotation(
    connection: Connection,
    *,
    at: datetime,
    ends_at: datetime | None,
    kind: str,
    text: str,
    author: str,
) -> Annotation:
    """Insert checked values on the caller's connection (in its transaction)."""
    new_id = connection.execute(
        insert(annotations_table)
        .values(at=at, ends_at=ends_at, kind=kind, text=text, author=author)
        .returning(annotations_table.c.id)
    ).scalar_one()
    return Annotation(id=new_id, at=at, ends_at=ends_at, kind=kind, text=text, author=author)


def record_schema_migration(connection: Connection, revision: str) -> Annotation:
    """The mark the Alembic environment leaves after an upgrade: "schema migrated to 0007"."""
    return write_annotation(
        connection,
        at=datetime.now(UTC),
        ends_at=None,
        kind="migration",
        text=check_text(f"schema migrated to {revision}"),
        author=SYSTEM_AUTHOR,
    )
