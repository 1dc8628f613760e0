"""API health: per-endpoint traffic, errors (4xx apart from 5xx) and latency, and their course
over time. Requests are the progress endpoints' (`progress.routes.PROGRESS_ENDPOINTS`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Numeric, Select, and_, func, literal, select, tuple_

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import api_logs
from queries.window import Window


def _in_window(window: Window) -> Any:
    return and_(
        api_logs.c.timestamp >= window.start,
        api_logs.c.timestamp < window.end,
        tuple_(api_logs.c.method, api_logs.c.endpoint).in_(list(PROGRESS_ENDPOINTS)),
    )


def endpoint_table_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Per endpoint: requests, 4xx, 5xx, error rate %, avg and p95 ms — slowest (p95) first."""
    requests = func.count()
    client_errors = func.count().filter(api_logs.c.status_code.between(400, 499))
    server_errors = func.count().filter(api_logs.c.status_code >= 500)
    p95 = func.percentile_cont(0.95).within_group(api_logs.c.response_time_ms)
    return (
        select(
            api_logs.c.method,
            api_logs.c.endpoint,
            requests.label("requests"),
            client_errors.label("errors_4xx"),
            server_errors.label("errors_5xx"),
            func.round(
                (100.0 * (client_errors + server_errors) / requests).cast(Numeric()), 2
            ).label("error_rate_pct"),
            func.round(func.avg(api_logs.c.response_time_ms).cast(Numeric()), 1).label("avg_ms"),
            func.round(p95.cast(Numeric()), 1).label("p95_ms"),
        )
        .where(_in_window(window))
        .group_by(api_logs.c.method, api_logs.c.endpoint)
        .order_by(p95.desc())
    )


def bucket_for(window: Window) -> timedelta:
    """Chart buckets sized to the window: about 50–200 points whatever its length."""
    for size in (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=6),
    ):
        if window.length / size <= 200:
            return size
    return timedelta(days=1)


def timeline_statement(window: Window) -> Select[*tuple[Any, ...]]:
    """Error rate % and p95 ms per time bucket (`date_bin`, aligned to the window's start)."""
    bucket = func.date_bin(literal(bucket_for(window)), api_logs.c.timestamp, window.start)
    requests = func.count()
    return (
        select(
            bucket.label("bucket"),
            requests.label("requests"),
            (100.0 * func.count().filter(api_logs.c.status_code >= 400) / requests).label(
                "error_rate_pct"
            ),
            func.percentile_cont(0.95).within_group(api_logs.c.response_time_ms).label("p95_ms"),
        )
        .where(_in_window(window))
        .group_by(bucket)
        .order_by(bucket)
    )
