"""The Overview's five metrics against hand-computed values on a small fixed dataset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from progress import routes
from progress.schema import api_logs, client_events
from queries.overview import (
    COUNT_COLUMNS,
    METRIC_COLUMNS,
    daily_target_values,
    target_report,
    target_series,
    target_values,
)
from queries.rollups import refresh
from queries.targets import TargetSettings
from queries.window import Window

DAY = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = Window(DAY, DAY + timedelta(days=2))


def request(
    at: datetime, ms: float, status: int = 200, endpoint: str = routes.CHAPTER
) -> dict[str, object]:
    method = "GET" if endpoint in (routes.PROGRESS, routes.HEALTH) else "POST"
    return {
        "timestamp": at,
        "method": method,
        "endpoint": endpoint,
        "status_code": status,
        "response_time_ms": ms,
    }


@pytest.fixture
def dataset(engine: Engine) -> Engine:
    first, second = DAY + timedelta(hours=10), DAY + timedelta(days=1, hours=10)
    rows = [request(first, ms) for ms in range(10, 110, 10)]  # 10..100 ms, all 200
    rows += [
        request(second, 100),
        request(second, 300, 500),
        request(second, 200, 404),
        request(second, 400),
    ]
    rows += [request(first, 5000, 500, routes.HEALTH)]  # not a progress request: ignored
    rows += [request(DAY - timedelta(minutes=1), 9999, 500)]  # outside the window
    events: list[dict[str, Any]] = [
        {"occurred_at": first, "kind": "migration", "outcome": outcome, "operation": None}
        for outcome in ("attempted", "succeeded", "attempted", "failed", "attempted", "succeeded")
    ] + [
        {"occurred_at": second, "kind": "migration", "outcome": "succeeded", "operation": None},
        {"occurred_at": second, "kind": "fallback", "outcome": None, "operation": "getProgress"},
    ]
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
        connection.execute(insert(client_events), events)
    refresh(engine)
    return engine


def test_window_totals_match_hand_computed_values(dataset: Engine) -> None:
    values = target_values(dataset, WINDOW)
    all_ms = [*range(10, 110, 10), 100, 300, 200, 400]
    assert values["avg_response_ms"] == pytest.approx(sum(all_ms) / 14)
    # the 95th percentile of 14 values is the 14th (rank ⌈0.95 × 14⌉), read within 1 %
    assert values["p95_response_ms"] == pytest.approx(400, rel=0.01)
    assert values["error_rate_pct"] == pytest.approx(100 * 2 / 14)
    assert values["migration_success_pct"] == pytest.approx(100 * 3 / 4)
    assert values["fallback_rate_pct"] == pytest.approx(100 * 1 / 15)


def test_each_day_is_measured_on_its_own(dataset: Engine) -> None:
    daily = daily_target_values(dataset, WINDOW)
    assert len(daily) == 2
    first, second = daily.to_dict("records")
    assert first["error_rate_pct"] == 0
    assert first["migration_success_pct"] == pytest.approx(100 * 2 / 3)
    assert first["fallback_rate_pct"] == 0
    assert second["error_rate_pct"] == pytest.approx(50)
    assert second["avg_response_ms"] == pytest.approx(250)
    assert second["migration_success_pct"] == pytest.approx(100)


def test_an_empty_window_has_no_data_rather_than_zeros(engine: Engine) -> None:
    values = target_values(engine, WINDOW)
    assert {key: values[key] for key in METRIC_COLUMNS} == dict.fromkeys(METRIC_COLUMNS)
    assert {key: values[key] for key in COUNT_COLUMNS} == dict.fromkeys(COUNT_COLUMNS, 0)
    assert daily_target_values(engine, WINDOW).empty


def test_the_report_judges_each_target_against_the_previous_window(dataset: Engine) -> None:
    report = target_report(dataset, WINDOW, TargetSettings(min_comparison_events=1)).set_index(
        "key"
    )
    assert report.loc["error_rate_pct", "status"] == "missed"
    assert report.loc["avg_response_ms", "status"] == "met"
    all_ms = [*range(10, 110, 10), 100, 300, 200, 400]
    assert report.loc["avg_response_ms", "margin"] == pytest.approx(200 - sum(all_ms) / 14)
    # the previous two days hold one request: a 500 after 9,999 ms
    assert report.loc["avg_response_ms", "previous_value"] == pytest.approx(9999)
    assert report.loc["avg_response_ms", "change"] == pytest.approx(sum(all_ms) / 14 - 9999)
    assert report.isna().loc["migration_success_pct", "previous_value"]


def test_a_change_needs_enough_events_in_both_windows(dataset: Engine) -> None:
    report = target_report(dataset, WINDOW).set_index("key")  # default: at least 100 events
    latency = report.loc["avg_response_ms"]
    assert (latency["volume"], latency["previous_volume"]) == (14, 1)
    assert latency["previous_value"] == pytest.approx(9999)
    assert report["change"].isna().all()
    enough = target_report(dataset, WINDOW, TargetSettings(min_comparison_events=2))
    assert enough["change"].isna().all()  # the previous window holds a single request
    assert (
        target_report(dataset, WINDOW, TargetSettings(min_comparison_events=1))["change"]
        .notna()
        .any()
    )


def test_the_report_gives_each_ratio_target_its_error_budget(dataset: Engine) -> None:
    report = target_report(dataset, WINDOW).set_index("key")
    errors = report.loc["error_rate_pct"]
    assert (errors["bad"], errors["total"]) == (2, 14)
    assert errors["budget_allowed"] == 0  # 1 failure of 14 requests is already 7 %
    assert errors["budget_left"] == -2
    migrations = report.loc["migration_success_pct"]
    assert (migrations["bad"], migrations["total"]) == (1, 4)
    assert migrations["budget_allowed"] == 0
    fallbacks = report.loc["fallback_rate_pct"]
    assert (fallbacks["bad"], fallbacks["total"]) == (1, 15)
    assert report.isna().loc["p95_response_ms", "budget_left"]


def test_the_sparkline_series_has_buckets_sized_to_the_window(dataset: Engine) -> None:
    series = target_series(dataset, WINDOW)  # two days: hourly buckets
    assert series["bucket"].tolist() == [
        DAY + timedelta(hours=10),
        DAY + timedelta(days=1, hours=10),
    ]
    assert series["error_rate_pct"].tolist() == [0, pytest.approx(50)]
    assert series["fallback_rate_pct"].tolist() == [0, pytest.approx(20)]
