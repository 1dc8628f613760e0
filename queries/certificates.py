"""Certificates: awards per day (by `tutorial_certificates.awarded_at`, so a later touch of the
progress row never moves an award, unlike the brief's `DATE(updated_at)`), and by tutorial."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select

from progress.schema import tutorial_certificates, tutorial_progress
from queries.window import Window


def _awarded_in(window: Window, tutorial_id: str | None) -> Any:
    conditions = [
        tutorial_certificates.c.awarded_at >= window.start,
        tutorial_certificates.c.awarded_at < window.end,
    ]
    if tutorial_id:
        conditions.append(tutorial_progress.c.tutorial_id == tutorial_id)
    return and_(*conditions)


def _joined() -> Any:
    return tutorial_certificates.join(
        tutorial_progress, tutorial_progress.c.id == tutorial_certificates.c.progress_id
    )


def _certificates(tutorial_id: str | None) -> Any:
    """The certificates, joined to their progress rows only when a tutorial filter needs them."""
    return _joined() if tutorial_id else tutorial_certificates


def awards_per_day_statement(
    window: Window, *, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    """Per UTC day: certificates earned, how many by support override, and the running total."""
    day = func.date_trunc("day", tutorial_certificates.c.awarded_at, "UTC").label("day")
    earned = func.count()
    return (
        select(
            day,
            earned.label("certificates"),
            func.count()
            .filter(tutorial_certificates.c.override_reason.is_not(None))
            .label("overrides"),
            func.sum(earned).over(order_by=day).label("cumulative"),
        )
        .select_from(_certificates(tutorial_id))
        .where(_awarded_in(window, tutorial_id))
        .group_by(day)
        .order_by(day)
    )


def awards_by_tutorial_statement(
    window: Window, *, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    return (
        select(
            tutorial_progress.c.tutorial_id,
            func.count().label("certificates"),
            func.count()
            .filter(tutorial_certificates.c.override_reason.is_not(None))
            .label("overrides"),
        )
        .select_from(_joined())
        .where(_awarded_in(window, tutorial_id))
        .group_by(tutorial_progress.c.tutorial_id)
        .order_by(func.count().desc())
    )
