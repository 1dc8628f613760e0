"""The five target metrics over a window, in total and per day.

- API response time (avg, p95) and error rate: requests to the progress endpoints
  (`progress.routes.PROGRESS_ENDPOINTS`; `/health` is not counted); an error is a status ≥ 400.
- Migration success rate: migrations that `succeeded` ÷ (`succeeded` + `failed`); `attempted`
  rows are not outcomes.
- Fallback rate: operations the client served from localStorage ÷ (those + progress API requests).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, and_, func, or_, select, tuple_

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import api_logs, client_events
from queries.sql import frame
from queries.window import Window


def _progress_requests() -> Any:
    return tuple_(api_logs.c.method, api_logs.c.endpoint).in_(list(PROGRESS_ENDPOINTS))


def _day(column: Any) -> Any:
    return func.date_trunc("day", column, "UTC")


def api_metrics_statement(window: Window, *, by_day: bool = False) -> Select[*tuple[Any, ...]]:
    columns = [
        func.count().label("requests"),
        func.count().filter(api_logs.c.status_code >= 400).label("errors"),
        func.avg(api_logs.c.response_time_ms).label("avg_response_ms"),
        func.percentile_cont(0.95)
        .within_group(api_logs.c.response_time_ms)
        .label("p95_response_ms"),
    ]
    conditions = and_(
        api_logs.c.timestamp >= window.start,
        api_logs.c.timestamp < window.end,
        _progress_requests(),
    )
    if not by_day:
        return select(*columns).where(conditions)
    day = _day(api_logs.c.timestamp).label("day")
    return select(day, *columns).where(conditions).group_by(day).order_by(day)


def client_metrics_statement(window: Window, *, by_day: bool = False) -> Select[*tuple[Any, ...]]:
    columns = [
        func.count().filter(client_events.c.outcome == "succeeded").label("migrations_succeeded"),
        func.count().filter(client_events.c.outcome == "failed").label("migrations_failed"),
        func.count().filter(client_events.c.kind == "fallback").label("fallbacks"),
    ]
    conditions = and_(
        client_events.c.occurred_at >= window.start,
        client_events.c.occurred_at < window.end,
        or_(client_events.c.kind == "fallback", client_events.c.outcome != "attempted"),
    )
    if not by_day:
        return select(*columns).where(conditions)
    day = _day(client_events.c.occurred_at).label("day")
    return select(day, *columns).where(conditions).group_by(day).order_by(day)


def _ratio(numerator: Any, denominator: Any) -> Any:
    return (
        pd.Series(numerator, dtype="float64")
        * 100
        / pd.Series(denominator).where(pd.Series(denominator) > 0)
    )


def target_values(engine: Engine, window: Window) -> dict[str, float | None]:
    """The five metrics over the whole window (None where there is nothing to measure)."""
    daily = _combine(
        frame(engine, api_metrics_statement(window)),
        frame(engine, client_metrics_statement(window)),
    )
    row = daily.iloc[0]
    return {key: None if pd.isna(row[key]) else float(row[key]) for key in METRIC_COLUMNS}


def daily_target_values(engine: Engine, window: Window) -> pd.DataFrame:
    """One row per UTC day of the window with the five metrics (NaN where nothing to measure)."""
    api = frame(engine, api_metrics_statement(window, by_day=True))
    client = frame(engine, client_metrics_statement(window, by_day=True))
    if api.empty and client.empty:
        return pd.DataFrame(columns=["day", *METRIC_COLUMNS])
    merged = api.merge(client, on="day", how="outer").sort_values("day")
    return _combine(merged, None)[["day", *METRIC_COLUMNS]]


METRIC_COLUMNS = (
    "avg_response_ms",
    "p95_response_ms",
    "error_rate_pct",
    "migration_success_pct",
    "fallback_rate_pct",
)


def _combine(api: pd.DataFrame, client: pd.DataFrame | None) -> pd.DataFrame:
    data = api if client is None else pd.concat([api, client], axis=1)
    data = data.copy()
    for column in ("requests", "errors", "migrations_succeeded", "migrations_failed", "fallbacks"):
        data[column] = pd.to_numeric(data[column], errors="coerce").fillna(0)
    for column in ("avg_response_ms", "p95_response_ms"):
        data[column] = pd.to_numeric(data[column], errors="coerce")
    data["error_rate_pct"] = _ratio(data["errors"], data["requests"]).to_numpy()
    outcomes = data["migrations_succeeded"] + data["migrations_failed"]
    data["migration_success_pct"] = _ratio(data["migrations_succeeded"], outcomes).to_numpy()
    data["fallback_rate_pct"] = _ratio(
        data["fallbacks"], data["fallbacks"] + data["requests"]
    ).to_numpy()
    return data
