"""The Alerts page's reads: alert history, and how each SLO's budget was spent over the period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Engine,
    Select,
    and_,
    case,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import alerts, api_log_hours, api_log_latency_bins, client_event_hours
from queries.histogram import bin_of
from queries.rollups import ALL_ENDPOINTS
from queries.slo import Counts, SloSettings, slos
from queries.sql import frame
from queries.targets import TargetSettings


def alert_history_statement(since: datetime) -> Select[Any]:
    """Alerts open now or fired since `since`, newest first: alert_key, severity, peak_severity,
    tier, fired_at, resolved_at, burn_rate, peak_burn_rate."""
    a = alerts.c
    return (
        select(
            a.alert_key,
            a.severity,
            a.peak_severity,
            a.tier,
            a.fired_at,
            a.resolved_at,
            a.burn_rate,
            a.peak_burn_rate,
        )
        .where((a.fired_at >= since) | a.resolved_at.is_(None))
        .order_by(a.fired_at.desc(), a.id.desc())
    )


def open_alerts_statement() -> Select[Any]:
    """The alerts firing now: alert_key, severity, tier, fired_at, burn_rate."""
    a = alerts.c
    return select(a.alert_key, a.severity, a.tier, a.fired_at, a.burn_rate).where(
        a.resolved_at.is_(None)
    )


def _events_if(events: Any, *conditions: Any) -> Any:
    return case((and_(*conditions), events), else_=literal(0, BigInteger))


def hourly_counts_statement(start: datetime, end: datetime, *, fast_ms: float) -> Select[Any]:
    """hour and the `Counts` fields per whole hour `[start, end)` (hours with events only)."""
    h, bins, c = api_log_hours.c, api_log_latency_bins.c, client_event_hours.c
    method, endpoint = ALL_ENDPOINTS
    zero = literal(0, BigInteger)
    per_hour = union_all(
        select(
            h.hour,
            h.requests,
            h.errors_5xx,
            zero.label("fast"),
            zero.label("succeeded"),
            zero.label("failed"),
            zero.label("fallbacks"),
        ).where(
            h.hour >= start,
            h.hour < end,
            tuple_(h.method, h.endpoint).in_(list(PROGRESS_ENDPOINTS)),
        ),
        select(bins.period, zero, zero, bins.requests, zero, zero, zero).where(
            bins.span_hours == 1,
            bins.period >= start,
            bins.period < end,
            and_(bins.method == method, bins.endpoint == endpoint),
            bins.bin < bin_of(fast_ms),
        ),
        select(
            c.hour,
            zero,
            zero,
            zero,
            _events_if(c.events, c.kind == "migration", c.outcome == "succeeded"),
            _events_if(c.events, c.kind == "migration", c.outcome == "failed"),
            _events_if(c.events, c.kind == "fallback"),
        ).where(c.hour >= start, c.hour < end),
    ).subquery("per_hour")
    columns = [per_hour.c[name] for name in list(per_hour.c.keys())[1:]]
    hour = per_hour.c.hour
    return (
        select(hour, *[func.sum(column).cast(BigInteger) for column in columns])
        .group_by(hour)
        .order_by(hour)
    )


def budget_burn(
    engine: Engine,
    now: datetime,
    *,
    settings: SloSettings | None = None,
    targets: TargetSettings | None = None,
) -> pd.DataFrame:
    """hour, slo (label), budget_spent_pct: the share of each SLO's budget over the period spent
    by the end of each whole hour (100 %: all of it), from the hourly rollups."""
    s, t = settings or SloSettings(), targets or TargetSettings()
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=s.period_days)
    per_hour = frame(engine, hourly_counts_statement(start, end, fast_ms=t.p95_response_ms))
    frames = []
    for slo in slos(t):
        bad_total = [
            slo.bad_total(Counts(*(int(v) for v in row[1:])))
            for row in per_hour.itertuples(index=False)
        ]
        bad = pd.Series([b for b, _ in bad_total], dtype="float64")
        total = pd.Series([n for _, n in bad_total], dtype="float64")
        allowed = slo.budget * total.sum()
        spent = bad.cumsum() * 100 / allowed if allowed > 0 else bad * float("nan")
        frames.append(
            pd.DataFrame({"hour": per_hour["hour"], "slo": slo.label, "budget_spent_pct": spent})
        )
    if not frames or per_hour.empty:
        return pd.DataFrame(columns=["hour", "slo", "budget_spent_pct"])
    return pd.concat(frames, ignore_index=True)
