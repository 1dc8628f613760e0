"""The hourly rollups answer exactly what raw `api_logs` answers (p95 within the stated 1 %),
stay current incrementally, and never count a row twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text

from progress import routes
from progress.schema import api_log_hours, api_logs
from queries.rollups import aggregate_statement, cover, refresh
from queries.sql import frame

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
ENDPOINTS = [(routes.CHAPTER, "POST"), (routes.PROGRESS, "GET"), (routes.QUIZ, "POST")]


def log_rows(count: int, *, seed: int, hours: float = 50) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, hours * 3600, count))
    rows = []
    for offset in offsets:
        endpoint, method = ENDPOINTS[int(rng.integers(len(ENDPOINTS)))]
        rows.append(
            {
                "timestamp": START + timedelta(seconds=float(offset)),
                "method": method,
                "endpoint": endpoint,
                "status_code": int(rng.choice([200, 200, 200, 200, 404, 503])),
                "response_time_ms": float(np.round(rng.lognormal(4, 0.8), 3)),
            }
        )
    rows.append({**rows[0], "endpoint": routes.HEALTH, "method": "GET", "status_code": 500})
    return rows


def insert_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)


def raw_truth(engine: Engine, start: datetime, end: datetime, key: str) -> list[Any]:
    """The same figures straight from api_logs, with the exact percentile_disc."""
    keys = {
        "all": "1",
        "day": "date_trunc('day', timestamp, 'UTC')",
        "endpoint": "method, endpoint",
    }[key]
    sql = f"""
        SELECT {keys}, count(*), count(*) FILTER (WHERE status_code BETWEEN 400 AND 499),
               count(*) FILTER (WHERE status_code >= 500), avg(response_time_ms),
               percentile_disc(0.95) WITHIN GROUP (ORDER BY response_time_ms)
        FROM api_logs
        WHERE timestamp >= :start AND timestamp < :end AND endpoint <> '/health'
        GROUP BY {keys} ORDER BY {keys}
    """  # noqa: S608 - the keys come from the dict above, the values are bound
    with engine.connect() as connection:
        return list(connection.execute(text(sql), {"start": start, "end": end}).all())


def assert_matches(engine: Engine, start: datetime, end: datetime, by: str) -> None:
    ours = frame(engine, aggregate_statement(start, end, by=by))  # type: ignore[arg-type]
    truth = raw_truth(engine, start, end, by)
    assert len(ours) == len(truth)
    for (_, row), expected in zip(ours.iterrows(), truth, strict=True):
        *_, requests, errors_4xx, errors_5xx, avg_ms, p95 = expected
        assert (row["requests"], row["errors_4xx"], row["errors_5xx"]) == (
            requests,
            errors_4xx,
            errors_5xx,
        )
        assert row["avg_ms"] == pytest.approx(avg_ms, rel=1e-9)
        assert abs(row["p95_ms"] / p95 - 1) < 0.01


# Windows with partial hours at both edges, whole hours only, less than an hour, and one whose
# histogram is read from hours, 6-hour periods and a whole day.
WINDOWS = [
    (START + timedelta(hours=3, minutes=30), START + timedelta(hours=45, minutes=5)),
    (START + timedelta(minutes=17), START + timedelta(hours=49, minutes=3)),
    (START, START + timedelta(hours=48)),
    (START + timedelta(hours=5, minutes=10), START + timedelta(hours=5, minutes=50)),
]


@pytest.mark.parametrize("by", ["all", "day", "endpoint"])
@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_rollups_answer_what_raw_rows_answer(
    engine: Engine, start: datetime, end: datetime, by: str
) -> None:
    insert_rows(engine, log_rows(3000, seed=1))
    assert refresh(engine) == 3001
    assert_matches(engine, start, end, by)


def test_late_rows_count_from_the_next_refresh_and_only_once(engine: Engine) -> None:
    insert_rows(engine, log_rows(1000, seed=2))
    refresh(engine)
    insert_rows(engine, log_rows(500, seed=3))  # lands in hours already folded
    start, end = WINDOWS[0]
    assert refresh(engine) == 501
    assert refresh(engine) == 0  # nothing new: nothing folded twice
    assert_matches(engine, start, end, "all")
    with engine.connect() as connection:
        folded = connection.execute(select(func.sum(api_log_hours.c.requests))).scalar_one()
    assert folded == 1502


def test_rows_in_the_current_hour_count_before_any_refresh(engine: Engine) -> None:
    insert_rows(engine, log_rows(300, seed=5, hours=0.5))  # all within the first half hour
    start, end = START, START + timedelta(minutes=45)
    assert_matches(engine, start, end, "all")
    assert frame(engine, aggregate_statement(start, end, by="all"))["requests"].iloc[0] == 300


def test_a_window_is_covered_by_days_then_six_hours_then_hours() -> None:
    start, end = START + timedelta(hours=3), START + timedelta(days=2, hours=8)
    assert cover(start, end, 24) == [
        (1, start, START + timedelta(hours=6)),
        (6, START + timedelta(hours=6), START + timedelta(days=1)),
        (24, START + timedelta(days=1), START + timedelta(days=2)),
        (6, START + timedelta(days=2), START + timedelta(days=2, hours=6)),
        (1, START + timedelta(days=2, hours=6), end),
    ]
    assert cover(start, end, 1) == [(1, start, end)]


def test_time_buckets_of_an_hour_or_more_come_from_the_rollup(engine: Engine) -> None:
    insert_rows(engine, log_rows(2000, seed=4))
    refresh(engine)
    start, end = START, START + timedelta(hours=48)
    buckets = frame(engine, aggregate_statement(start, end, by="bucket", bucket=timedelta(hours=6)))
    assert len(buckets) == 8
    assert buckets["requests"].sum() == raw_truth(engine, start, end, "all")[0][1]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.floats(min_value=0.05, max_value=60_000), min_size=1, max_size=300))
def test_histogram_p95_is_within_one_percent_of_the_exact_value(
    migrated_engine: Engine, latencies: list[float]
) -> None:
    with migrated_engine.begin() as connection:
        connection.execute(
            text("TRUNCATE api_logs, api_log_hours, api_log_latency_bins, rollup_watermarks")
        )
        connection.execute(
            insert(api_logs),
            [
                {
                    "timestamp": START + timedelta(minutes=i % 600),
                    "method": "POST",
                    "endpoint": routes.CHAPTER,
                    "status_code": 200,
                    "response_time_ms": ms,
                }
                for i, ms in enumerate(latencies)
            ],
        )
    refresh(migrated_engine)
    ours = frame(migrated_engine, aggregate_statement(START, START + timedelta(hours=10), by="all"))
    exact = float(np.quantile(np.array(latencies), 0.95, method="inverted_cdf"))
    assert abs(float(ours["p95_ms"].iloc[0]) / exact - 1) < 0.01
