"""Migration & fallback: what the browser clients report in `client_events`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select

from progress.schema import client_events
from queries.window import Window


def _in_window(window: Window, kind: str) -> Any:
    return and_(
        client_events.c.occurred_at >= window.start,
        client_events.c.occurred_at < window.end,
        client_events.c.kind == kind,
    )


def migration_failures_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Failed migrations by reason, most frequent first, with the records they carried."""
    return (
        select(
            func.coalesce(client_events.c.reason, "(no reason given)").label("reason"),
            func.count().label("failures"),
            func.coalesce(func.sum(client_events.c.record_count), 0).label("records"),
        )
        .where(_in_window(window, "migration"), client_events.c.outcome == "failed")
        .group_by(client_events.c.reason)
        .order_by(func.count().desc())
    )


def fallbacks_by_operation_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Operations served from the client's localStorage, by operation, most frequent first."""
    return (
        select(client_events.c.operation, func.count().label("fallbacks"))
        .where(_in_window(window, "fallback"))
        .group_by(client_events.c.operation)
        .order_by(func.count().desc())
    )
