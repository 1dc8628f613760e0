"""Annotations for a window: the stored ones (deploys, notes, alerts, schema migrations) and the
support console's resets and restores counted per hour from `progress_events`.

Support actions are per learner, so a mark per action would bury a chart during a bulk clean-up:
they show as one mark per UTC hour with a count, derived here and never stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Select, Text, case, func, literal, null, or_, select, union_all

from progress.schema import annotations_table, progress_events
from queries.rollups import utc_trunc
from queries.window import Window

SUPPORT_KINDS = ("reset", "restore")


def _counted(number: Any, noun: str) -> Any:
    """ "1 reset", "12 resets", or NULL for none (which `concat_ws` skips)."""
    return case(
        (number == 1, f"1 {noun}"),
        (number > 1, func.format(f"%s {noun}s", number)),
    )


def annotations_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """at, ends_at, kind, text, author — oldest first: annotations that start in the window or
    whose range reaches into it, and per hour with support resets or restores, a `support` mark
    (at the hour's start, or the window's start for its first partial hour)."""
    stored = annotations_table.c
    events = progress_events.c
    hour = utc_trunc("hour", events.occurred_at)
    count = func.count()
    support = select(
        func.greatest(hour, literal(window.start, DateTime(timezone=True))).label("at"),
        null().cast(DateTime(timezone=True)).label("ends_at"),
        literal("support", Text).label("kind"),
        func.concat(
            "support: ",
            func.concat_ws(
                ", ",
                _counted(count.filter(events.kind == "reset"), "reset"),
                _counted(count.filter(events.kind == "restore"), "restore"),
            ),
            " this hour",
        ).label("text"),
        func.string_agg(events.actor.distinct(), literal(", ", Text)).label("author"),
    ).where(
        events.source == "console",
        events.kind.in_(SUPPORT_KINDS),
        events.occurred_at >= window.start,
        events.occurred_at < window.end,
    )
    marks = union_all(
        select(stored.at, stored.ends_at, stored.kind, stored.text, stored.author).where(
            stored.at < window.end,
            or_(stored.at >= window.start, stored.ends_at > window.start),
        ),
        support.group_by(hour),
    ).subquery("marks")
    return select(marks).order_by(marks.c.at, marks.c.kind)
