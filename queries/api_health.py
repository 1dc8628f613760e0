"""API health: per-endpoint traffic, errors (4xx apart from 5xx) and latency, and their course
over time (`queries.requests`: hourly rollups and latency histograms). Requests are the progress
endpoints' (`progress.routes.PROGRESS_ENDPOINTS`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Numeric, Select, func, select

from queries.histogram import ORIGIN
from queries.requests import aggregate_statement
from queries.window import Window


def endpoint_table_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Per endpoint: requests, 4xx, 5xx, error rate %, avg and p95 ms — slowest (p95) first."""
    rows = aggregate_statement(window.start, window.end, by="endpoint").subquery("per_endpoint")
    return select(
        rows.c.method,
        rows.c.endpoint,
        rows.c.requests,
        rows.c.errors_4xx,
        rows.c.errors_5xx,
        func.round(rows.c.error_rate_pct.cast(Numeric), 2).label("error_rate_pct"),
        func.round(rows.c.avg_ms.cast(Numeric), 1).label("avg_ms"),
        func.round(rows.c.p95_ms.cast(Numeric), 1).label("p95_ms"),
    ).order_by(rows.c.p95_ms.desc())


def bucket_for(window: Window) -> timedelta:
    """Chart buckets sized to the window: minutes for a few hours (raw rows, cheap), else the
    rollups' 1-hour, 6-hour or 1-day periods, at most about 200 points."""
    if window.length <= timedelta(hours=3):
        return timedelta(minutes=1)
    if window.length <= timedelta(days=2):
        return timedelta(hours=1)
    if window.length <= timedelta(days=50):
        return timedelta(hours=6)
    return timedelta(days=1)


def bucket_name(window: Window) -> str:
    """The bucket of `bucket_for(window)` in words, for chart titles: "1 min", "6 h", "UTC day"."""
    bucket = bucket_for(window)
    if bucket < timedelta(hours=1):
        return f"{bucket // timedelta(minutes=1)} min"
    if bucket < timedelta(days=1):
        return f"{bucket // timedelta(hours=1)} h"
    return "UTC day"


def bucket_starts(window: Window, bucket: timedelta | None = None) -> list[datetime]:
    """Every bucket the window touches (default `bucket_for(window)`), in order, aligned to UTC
    midnight as the statements' `date_bin` aligns them: the first may start before the window.
    A chart puts every one on its axis, so a bucket without events shows as a gap."""
    size = bucket or bucket_for(window)
    moment = ORIGIN + ((window.start - ORIGIN) // size) * size
    starts = []
    while moment < window.end:
        starts.append(moment)
        moment += size
    return starts


def timeline_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Requests, error rate % and p95 ms per time bucket (aligned to the window's start)."""
    return aggregate_statement(window.start, window.end, by="bucket", bucket=bucket_for(window))
