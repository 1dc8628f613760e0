"""The five target metrics over a window: in total, per UTC day, per time bucket, and judged.

- API response time (avg, p95) and error rate: requests to the progress endpoints
  (`progress.routes.PROGRESS_ENDPOINTS`; `/health` is not counted); an error is a status ≥ 400.
- Migration success rate: migrations that `succeeded` ÷ (`succeeded` + `failed`); `attempted`
  rows are not outcomes.
- Fallback rate: operations the client served from localStorage ÷ (those + progress API requests).

Each metric is None (NaN in frames) where there is nothing to measure: no requests, no migration
outcomes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select

from queries.api_health import bucket_for
from queries.client import outcome_counts_statement
from queries.requests import aggregate_statement
from queries.sql import frame
from queries.targets import TargetSettings, error_budget, evaluate, targets
from queries.window import Window

METRIC_COLUMNS = (
    "avg_response_ms",
    "p95_response_ms",
    "error_rate_pct",
    "migration_success_pct",
    "fallback_rate_pct",
)
COUNT_COLUMNS = ("requests", "errors", "migrations_succeeded", "migrations_failed", "fallbacks")
_API = ("requests", "errors_4xx", "errors_5xx", "avg_ms", "p95_ms")
_CLIENT = ("migrations_succeeded", "migrations_failed", "fallbacks")


def api_metrics_statement(window: Window, *, by_day: bool = False) -> Select[*tuple[Any, ...]]:
    """Requests, errors and latency of the progress endpoints, in total or per UTC day."""
    return aggregate_statement(window.start, window.end, by="day" if by_day else "all")


def client_metrics_statement(window: Window, *, by_day: bool = False) -> Select[*tuple[Any, ...]]:
    """Migration outcomes and fallbacks, in total or per UTC day."""
    return outcome_counts_statement(window, by="day" if by_day else "all")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator * 100 / denominator.where(denominator > 0)


def _metrics(counts: pd.DataFrame) -> pd.DataFrame:
    """The five metrics (and the counts behind them) from API and client counts per key."""
    data = counts.reindex(columns=list(dict.fromkeys([*counts.columns, *_API, *_CLIENT])))
    for column in (*_API, *_CLIENT):
        data[column] = pd.to_numeric(data[column], errors="coerce").astype("float64")
    tallies = ["requests", "errors_4xx", "errors_5xx", *_CLIENT]
    data[tallies] = data[tallies].fillna(0)
    data["errors"] = data["errors_4xx"] + data["errors_5xx"]
    outcomes = data["migrations_succeeded"] + data["migrations_failed"]
    return data.assign(
        avg_response_ms=data["avg_ms"],
        p95_response_ms=data["p95_ms"],
        error_rate_pct=_ratio(data["errors"], data["requests"]),
        migration_success_pct=_ratio(data["migrations_succeeded"], outcomes),
        fallback_rate_pct=_ratio(data["fallbacks"], data["fallbacks"] + data["requests"]),
    )


def _per_key(api: pd.DataFrame, client: pd.DataFrame, key: str) -> pd.DataFrame:
    if api.empty and client.empty:
        return pd.DataFrame(columns=[key, *METRIC_COLUMNS])
    merged = api.merge(client, on=key, how="outer").sort_values(key)
    return _metrics(merged)[[key, *METRIC_COLUMNS]].reset_index(drop=True)


def target_values(engine: Engine, window: Window) -> dict[str, float | None]:
    """The five metrics over the whole window, and the counts behind them (`COUNT_COLUMNS`)."""
    api = frame(engine, api_metrics_statement(window)).reindex(columns=list(_API))
    client = frame(engine, client_metrics_statement(window))
    row = _metrics(pd.concat([api.head(1), client], axis=1)).iloc[0]
    return {
        key: None if pd.isna(row[key]) else float(row[key])
        for key in (*METRIC_COLUMNS, *COUNT_COLUMNS)
    }


def daily_target_values(engine: Engine, window: Window) -> pd.DataFrame:
    """day (UTC midnight) and the five metrics, one row per day with requests or client events."""
    api = frame(engine, api_metrics_statement(window, by_day=True))
    client = frame(engine, client_metrics_statement(window, by_day=True))
    return _per_key(api, client, "day")


def series_statements(window: Window) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The API and the client counts per time bucket sized to the window (`bucket_for`)."""
    bucket = bucket_for(window)
    return (
        aggregate_statement(window.start, window.end, by="bucket", bucket=bucket),
        outcome_counts_statement(window, by="bucket", bucket=bucket),
    )


def target_series(engine: Engine, window: Window) -> pd.DataFrame:
    """bucket and the five metrics, with buckets sized to the window (`bucket_for`): a sparkline."""
    api, client = (frame(engine, statement) for statement in series_statements(window))
    return _per_key(api, client, "bucket")


# The events each target is measured over (its volume), and what counts as bad among them for
# the ratio targets' error budgets.
_VOLUME_COUNTS = {
    "avg_response_ms": ("requests",),
    "p95_response_ms": ("requests",),
    "error_rate_pct": ("requests",),
    "migration_success_pct": ("migrations_succeeded", "migrations_failed"),
    "fallback_rate_pct": ("fallbacks", "requests"),
}
_BAD_COUNTS = {
    "error_rate_pct": "errors",
    "migration_success_pct": "migrations_failed",
    "fallback_rate_pct": "fallbacks",
}
REPORT_COLUMNS = (
    "key",
    "label",
    "unit",
    "direction",
    "threshold",
    "value",
    "status",
    "margin",
    "previous_value",
    "volume",
    "previous_volume",
    "change",
    "bad",
    "total",
    "budget_allowed",
    "budget_left",
    "budget_left_pct",
)


def target_report(
    engine: Engine, window: Window, settings: TargetSettings | None = None
) -> pd.DataFrame:
    """One row per target (`REPORT_COLUMNS`): its value over the window, met / missed / no data
    and the margin, the value over the previous window of the same length, the events each value
    is measured over (`volume`, `previous_volume`) and the change — None unless both windows hold
    at least `min_comparison_events` — and for the three ratio targets the error budget
    (`queries.targets.error_budget`)."""
    settings = settings or TargetSettings()
    current = target_values(engine, window)
    previous = target_values(engine, window.previous())
    rows = []
    for target in targets(settings):
        value, before = current[target.key], previous[target.key]
        result = evaluate(target, value)
        volume, previous_volume = (
            int(sum(values[key] or 0 for key in _VOLUME_COUNTS[target.key]))
            for values in (current, previous)
        )
        comparable = min(volume, previous_volume) >= settings.min_comparison_events
        row: dict[str, Any] = {
            "key": target.key,
            "label": target.label,
            "unit": target.unit,
            "direction": target.direction,
            "threshold": target.threshold,
            "value": value,
            "status": result.status,
            "margin": result.margin,
            "previous_value": before,
            "volume": volume,
            "previous_volume": previous_volume,
            "change": (
                value - before if comparable and value is not None and before is not None else None
            ),
        }
        if target.key in _BAD_COUNTS:
            bad = int(current[_BAD_COUNTS[target.key]] or 0)
            budget = error_budget(target, bad=bad, total=volume)
            row |= {"bad": bad, "total": volume}
            if budget is not None:
                row |= {
                    "budget_allowed": budget.allowed,
                    "budget_left": budget.left,
                    "budget_left_pct": budget.left_pct,
                }
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(REPORT_COLUMNS))
