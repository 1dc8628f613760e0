"""API health, migration & fallback and certificate queries on small hand-made data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

from progress import routes
from progress.schema import api_logs, client_events
from progress.service import ProgressService
from queries import api_health, certificates, client
from queries.rollups import refresh
from queries.sql import frame
from queries.window import Window

START = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=2))


def request(minute: int, endpoint: str, status: int, ms: float) -> dict[str, Any]:
    method = "GET" if endpoint == routes.PROGRESS else "POST"
    return {
        "timestamp": START + timedelta(minutes=minute),
        "method": method,
        "endpoint": endpoint,
        "status_code": status,
        "response_time_ms": ms,
    }


def test_endpoint_table_splits_4xx_from_5xx_and_puts_the_slowest_first(engine: Engine) -> None:
    rows = [
        request(1, routes.CHAPTER, 200, 10),
        request(2, routes.CHAPTER, 404, 20),
        request(3, routes.CHAPTER, 503, 30),
        request(4, routes.CHAPTER, 200, 40),
        request(5, routes.PROGRESS, 200, 900),
        request(6, routes.HEALTH, 500, 1),
    ]
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
    refresh(engine)
    table = frame(engine, api_health.endpoint_table_statement(WINDOW)).to_dict("records")
    assert [row["endpoint"] for row in table] == [routes.PROGRESS, routes.CHAPTER]
    chapter = table[1]
    assert (chapter["requests"], chapter["errors_4xx"], chapter["errors_5xx"]) == (4, 1, 1)
    assert float(chapter["error_rate_pct"]) == 50.0
    assert float(chapter["avg_ms"]) == 25.0
    assert float(chapter["p95_ms"]) == pytest.approx(40, rel=0.01)  # the 4th of 4, within 1 %


def test_timeline_buckets_fit_the_window() -> None:
    assert api_health.bucket_for(Window.last("1h", now=START)) == timedelta(minutes=1)
    assert api_health.bucket_for(Window.last("24h", now=START)) == timedelta(hours=1)
    assert api_health.bucket_for(Window.last("7d", now=START)) == timedelta(hours=6)
    assert api_health.bucket_for(Window.last("30d", now=START)) == timedelta(hours=6)
    names = [api_health.bucket_name(Window.last(w, now=START)) for w in ("1h", "24h", "30d")]
    assert names == ["1 min", "1 h", "6 h"]
    ninety_days = Window(START - timedelta(days=90), START)
    assert api_health.bucket_name(ninety_days) == "UTC day"


def test_the_timeline_counts_errors_per_bucket(engine: Engine) -> None:
    rows = [
        request(0, routes.CHAPTER, 200, 10),
        request(0, routes.CHAPTER, 500, 10),
        request(61, routes.CHAPTER, 200, 10),
    ]
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
    refresh(engine)
    timeline = frame(engine, api_health.timeline_statement(WINDOW))
    assert timeline["requests"].tolist() == [2, 1]
    assert timeline["error_rate_pct"].astype(float).tolist() == [50.0, 0.0]


def test_migration_failures_and_fallbacks_are_grouped(engine: Engine) -> None:
    at = START + timedelta(minutes=5)
    events = [
        {
            "occurred_at": at,
            "kind": "migration",
            "outcome": "failed",
            "reason": "quota_exceeded",
            "record_count": 3,
            "operation": None,
        },
        {
            "occurred_at": at,
            "kind": "migration",
            "outcome": "failed",
            "reason": "quota_exceeded",
            "record_count": 4,
            "operation": None,
        },
        {
            "occurred_at": at,
            "kind": "migration",
            "outcome": "failed",
            "reason": None,
            "record_count": None,
            "operation": None,
        },
        {
            "occurred_at": at,
            "kind": "fallback",
            "outcome": None,
            "reason": None,
            "record_count": None,
            "operation": "getProgress",
        },
    ]
    with engine.begin() as connection:
        connection.execute(insert(client_events), events)
    refresh(engine)
    failures = frame(engine, client.migration_failures_statement(WINDOW)).to_dict("records")
    assert failures == [
        {"reason": "quota_exceeded", "failures": 2, "records": 7},
        {"reason": "(no reason given)", "failures": 1, "records": 0},
    ]
    fallbacks = frame(engine, client.fallbacks_by_operation_statement(WINDOW))
    assert fallbacks.to_dict("records") == [{"operation": "getProgress", "fallbacks": 1}]


def test_certificates_count_on_the_award_day_even_when_the_row_changes_later(
    engine: Engine,
) -> None:
    now = [START + timedelta(minutes=1)]
    service = ProgressService(engine, clock=lambda: now[0])
    for user in ("a", "b"):
        service.update_chapter_progress(
            "t",
            user,
            chapter_id="c",
            watch_time=1,
            completed=True,
            last_position=1,
            total_chapters=1,
            actor=user,
            source="api",
        )
        service.complete_tutorial("t", user, actor=user, source="api")
    now[0] = START + timedelta(days=3)  # learner a is touched days later
    service.update_chapter_progress(
        "t",
        "a",
        chapter_id="c",
        watch_time=9,
        completed=True,
        last_position=9,
        actor="a",
        source="api",
    )
    per_day = frame(engine, certificates.awards_per_day_statement(WINDOW)).to_dict("records")
    assert [(row["certificates"], row["overrides"], row["cumulative"]) for row in per_day] == [
        (2, 0, 2)
    ]
    with engine.connect() as connection:  # the brief's DATE(updated_at) moves learner a's award
        brief = connection.execute(
            text(
                "SELECT DATE(updated_at), COUNT(*) FROM tutorial_progress"
                " WHERE certificate_earned = TRUE GROUP BY DATE(updated_at) ORDER BY 1"
            )
        ).all()
    assert len(brief) == 2
    by_tutorial = frame(engine, certificates.awards_by_tutorial_statement(WINDOW, tutorial_id="t"))
    assert by_tutorial.to_dict("records") == [
        {"tutorial_id": "t", "certificates": 2, "overrides": 0}
    ]
