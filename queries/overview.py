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
from sqlalchemy import Engine, Select, and_, func, or_, select

from progress.schema import client_events
from queries.rollups import aggregate_statement
from queries.sql import frame
from queries.window import Window


def _day(column: Any) -> Any:
    return func.date_trunc("day", column, "UTC")


def api_metrics_statement(window: Window, *, by_day: bool = False) -> Select[*tuple[Any, ...]]:
    """Requests, errors and latency of the progress endpoints, via the hourly rollups."""
    return aggregate_statement(window.start, window.end, by="day" if by_day else "all")


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
    denominator = pd.Series(denominator, dtype="float64")
    return pd.Series(numerator, dtype="float64") * 100 / denominator.where(denominator > 0)


API_COLUMNS = ("requests", "errors_4xx", "errors_5xx", "avg_ms", "p95_ms")
CLIENT_COLUMNS = ("migrations_succeeded", "migrations_failed", "fallbacks")
METRIC_COLUMNS = (
    "avg_response_ms",
    "p95_response_ms",
    "error_rate_pct",
    "migration_success_pct",
    "fallback_rate_pct",
)


def target_values(engine: Engine, window: Window) -> dict[str, float | None]:
    """The five metrics over the whole window (None where there is nothing to measure)."""
    api = frame(engine, api_metrics_statement(window))
    client = frame(engine, client_metrics_statement(window))
    merged = pd.concat([api.reindex(columns=list(API_COLUMNS)).head(1), client], axis=1)
    row = _metrics(merged if len(merged) else pd.DataFrame([{}])).iloc[0]
    return {key: None if pd.isna(row[key]) else float(row[key]) for key in METRIC_COLUMNS}


def daily_target_values(engine: Engine, window: Window) -> pd.DataFrame:
    """One row per UTC day of the window with the five metrics (NaN where nothing to measure)."""
    api = frame(engine, api_metrics_statement(window, by_day=True))
    client = frame(engine, client_metrics_statement(window, by_day=True))
    if api.empty and client.empty:
        return pd.DataFrame(columns=["day", *METRIC_COLUMNS])
    merged = api.merge(client, on="day", how="outer").sort_values("day")
    return _metrics(merged)[["day", *METRIC_COLUMNS]].reset_index(drop=True)


def _metrics(data: pd.DataFrame) -> pd.DataFrame:
    data = data.reindex(columns=list(dict.fromkeys([*data.columns, *API_COLUMNS, *CLIENT_COLUMNS])))
    for column in (*API_COLUMNS, *CLIENT_COLUMNS):
        data[column] = pd.to_numeric(data[column], errors="coerce")
    counts = ["requests", "errors_4xx", "errors_5xx", *CLIENT_COLUMNS]
    data[counts] = data[counts].fillna(0)
    data["avg_response_ms"] = data["avg_ms"]
    data["p95_response_ms"] = data["p95_ms"]
    data["error_rate_pct"] = _ratio(
        data["errors_4xx"] + data["errors_5xx"], data["requests"]
    ).to_numpy()
    outcomes = data["migrations_succeeded"] + data["migrations_failed"]
    data["migration_success_pct"] = _ratio(data["migrations_succeeded"], outcomes).to_numpy()
    data["fallback_rate_pct"] = _ratio(
        data["fallbacks"], data["fallbacks"] + data["requests"]
    ).to_numpy()
    return data
