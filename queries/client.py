"""Migration & fallback: what the browser clients report in `client_events`, read through the
hourly rollup `client_event_hours` (whole hours) and the raw rows (the window's partial hours).

A migration outcome is a `migration` event that `succeeded` or `failed` (`attempted` rows say a
migration started: not an outcome). A fallback is an operation the client served from its
localStorage copy because the API could not be reached.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import BigInteger, Select, Subquery, func, literal, select, union_all

from progress.schema import client_event_hours, client_events
from queries.histogram import ORIGIN
from queries.rollups import HourSplit, utc_trunc
from queries.window import Window


def client_rows(window: Window, *, bucket: timedelta | None = None) -> Subquery:
    """The window's client events as (at, kind, outcome, operation, reason, events, records):
    raw events weigh 1, rollup rows their count; `at` is an hour for rollup rows."""
    split = HourSplit.of(window.start, window.end, bucket=bucket)
    raw = client_events.c
    hours = client_event_hours.c
    return union_all(
        select(
            raw.occurred_at.label("at"),
            raw.kind,
            raw.outcome,
            raw.operation,
            raw.reason,
            literal(1, BigInteger).label("events"),
            func.coalesce(raw.record_count, 0).cast(BigInteger).label("records"),
        ).where(split.raw(raw.occurred_at)),
        select(
            hours.hour.label("at"),
            hours.kind,
            hours.outcome,
            hours.operation,
            hours.reason,
            hours.events,
            hours.records,
        ).where(split.rolled_up(hours.hour)),
    ).subquery("client_rows")


def _count(rows: Subquery, *conditions: Any) -> Any:
    return func.coalesce(func.sum(rows.c.events).filter(*conditions), 0).cast(BigInteger)


def outcome_counts_statement(
    window: Window, *, by: Literal["all", "day", "bucket"] = "all", bucket: timedelta | None = None
) -> Select[*tuple[Any, ...]]:
    """Migrations succeeded, migrations failed and fallbacks: in total (`by="all"`), per UTC
    `day`, or per time `bucket` (aligned to UTC midnight) — keys in order, only those with
    events."""
    rows = client_rows(window, bucket=bucket)
    counts = [
        _count(rows, rows.c.kind == "migration", rows.c.outcome == "succeeded").label(
            "migrations_succeeded"
        ),
        _count(rows, rows.c.kind == "migration", rows.c.outcome == "failed").label(
            "migrations_failed"
        ),
        _count(rows, rows.c.kind == "fallback").label("fallbacks"),
    ]
    if by == "all":
        return select(*counts)
    key = (
        utc_trunc("day", rows.c.at).label("day")
        if by == "day"
        else func.date_bin(literal(bucket), rows.c.at, literal(ORIGIN)).label("bucket")
    )
    return select(key, *counts).group_by(key).order_by(key)


def migration_failures_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Failed migrations by reason, most frequent first, with the records they carried."""
    rows = client_rows(window)
    failures = func.sum(rows.c.events).cast(BigInteger)
    return (
        select(
            func.coalesce(rows.c.reason, "(no reason given)").label("reason"),
            failures.label("failures"),
            func.sum(rows.c.records).cast(BigInteger).label("records"),
        )
        .where(rows.c.kind == "migration", rows.c.outcome == "failed")
        .group_by(rows.c.reason)
        .order_by(failures.desc(), rows.c.reason)
    )


def fallbacks_by_operation_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Operations served from the client's localStorage, by operation, most frequent first."""
    rows = client_rows(window)
    fallbacks = func.sum(rows.c.events).cast(BigInteger)
    return (
        select(rows.c.operation, fallbacks.label("fallbacks"))
        .where(rows.c.kind == "fallback")
        .group_by(rows.c.operation)
        .order_by(fallbacks.desc(), rows.c.operation)
    )
