"""The rollups answer exactly what the raw rows answer (p95 within the stated bound), stay current
incrementally, never count a row twice, and never skip one that commits late."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table, func, insert, select, text

from progress import routes
from progress.schema import (
    api_log_hours,
    api_logs,
    client_events,
    metadata,
    progress_events,
    rollup_watermarks,
)
from queries import client, rollups
from queries.histogram import RELATIVE_ERROR, cover
from queries.requests import aggregate_statement
from queries.rollups import _ADVISORY_LOCK, refresh
from queries.sql import frame
from queries.window import Window

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
        "bucket": "date_bin('6 hours', timestamp, '2000-01-01 00:00+00')",
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
    bucket = timedelta(hours=6) if by == "bucket" else None
    ours = frame(engine, aggregate_statement(start, end, by=by, bucket=bucket))  # type: ignore[arg-type]
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
        assert abs(row["p95_ms"] / p95 - 1) <= RELATIVE_ERROR


# Windows with partial hours at both edges, whole hours only, less than an hour, and one whose
# histogram is read from hours, 6-hour periods and a whole day.
WINDOWS = [
    (START + timedelta(hours=3, minutes=30), START + timedelta(hours=45, minutes=5)),
    (START + timedelta(minutes=17), START + timedelta(hours=49, minutes=3)),
    (START, START + timedelta(hours=48)),
    (START + timedelta(hours=5, minutes=10), START + timedelta(hours=5, minutes=50)),
]


@pytest.mark.parametrize("by", ["all", "day", "endpoint", "bucket"])
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
def test_histogram_p95_is_within_the_stated_bound_of_the_exact_value(
    migrated_engine: Engine, latencies: list[float]
) -> None:
    with migrated_engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE api_logs, api_log_hours, api_log_latency_bins, rollup_watermarks"
                " RESTART IDENTITY"
            )
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
    assert abs(float(ours["p95_ms"].iloc[0]) / exact - 1) <= RELATIVE_ERROR
    assert RELATIVE_ERROR < 0.01


def folded_requests(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.sum(api_log_hours.c.requests))).scalar() or 0)


def test_a_refresh_in_the_callers_transaction_is_undone_with_it(engine: Engine) -> None:
    insert_rows(engine, log_rows(200, seed=6))
    with engine.connect() as connection:
        transaction = connection.begin()
        assert refresh(connection) == 201
        transaction.rollback()
    assert folded_requests(engine) == 0
    assert refresh(engine) == 201
    assert folded_requests(engine) == 201


def test_a_row_that_commits_after_a_later_one_is_not_skipped(engine: Engine) -> None:
    """The watermark bug: the first ids are taken first but commit last. A refresh meanwhile must
    not move the watermark past them (it waits briefly for the insert, then folds nothing)."""
    early, late = log_rows(1, seed=7), log_rows(50, seed=8)
    with engine.connect() as slow_writer:
        slow = slow_writer.begin()
        slow_writer.execute(insert(api_logs), early)  # takes the first ids, not committed yet
        insert_rows(engine, late)  # later ids, committed
        assert refresh(engine) == 0
        with engine.connect() as connection:
            watermark = connection.execute(
                select(rollup_watermarks.c.last_id).where(rollup_watermarks.c.name == "api_logs")
            ).scalar_one()
        assert watermark == 0
        slow.commit()
    assert refresh(engine) == len(early) + len(late)
    assert folded_requests(engine) == len(early) + len(late)


def test_refreshes_racing_with_inserts_count_every_row_once(engine: Engine) -> None:
    batches = [log_rows(100, seed=seed) for seed in range(20, 28)]
    barrier = threading.Barrier(len(batches))

    def write_and_fold(rows: list[dict[str, Any]]) -> None:
        barrier.wait()
        insert_rows(engine, rows)
        refresh(engine)

    with ThreadPoolExecutor(len(batches)) as pool:
        list(pool.map(write_and_fold, batches))
    refresh(engine)  # any batch whose insert was in flight during every refresh
    assert folded_requests(engine) == sum(len(rows) for rows in batches)
    assert refresh(engine) == 0


def client_event(at: datetime, kind: str, outcome: str | None, **more: Any) -> dict[str, Any]:
    event = {"occurred_at": at, "kind": kind, "outcome": outcome, "operation": None}
    return event | {"reason": None, "record_count": None} | more


def test_client_event_rollup_answers_what_raw_events_answer(engine: Engine) -> None:
    rng = np.random.default_rng(9)
    events = []
    for offset in rng.uniform(0, 50 * 3600, 600):
        at = START + timedelta(seconds=float(offset))
        draw = rng.random()
        if draw < 0.5:
            events.append(client_event(at, "fallback", None, operation="getProgress"))
        else:
            outcome = ["attempted", "succeeded", "failed"][int(rng.integers(3))]
            reason = "network_error" if outcome == "failed" and draw < 0.7 else None
            events.append(client_event(at, "migration", outcome, reason=reason, record_count=3))
    with engine.begin() as connection:
        connection.execute(insert(client_events), events)
    refresh(engine)
    for start, end in WINDOWS:
        window = Window(start, end)
        inside = [e for e in events if start <= e["occurred_at"] < end]
        totals = frame(engine, client.outcome_counts_statement(window)).iloc[0].to_dict()
        assert totals == {
            "migrations_succeeded": sum(e["outcome"] == "succeeded" for e in inside),
            "migrations_failed": sum(e["outcome"] == "failed" for e in inside),
            "fallbacks": sum(e["kind"] == "fallback" for e in inside),
        }
        failed = [e for e in inside if e["outcome"] == "failed"]
        expected = {
            reason: sum(e.get("reason") == reason for e in failed)
            for reason in {e.get("reason") for e in failed}
        }
        by_reason = frame(engine, client.migration_failures_statement(window))
        assert dict(zip(by_reason["reason"], by_reason["failures"], strict=True)) == {
            (reason or "(no reason given)"): count for reason, count in expected.items()
        }
        assert by_reason["records"].sum() == 3 * len(failed)


def test_a_refresh_while_another_folds_returns_at_once_and_the_next_catches_up(
    engine: Engine,
) -> None:
    insert_rows(engine, log_rows(100, seed=30))
    with engine.connect() as first:
        transaction = first.begin()
        assert refresh(first) == 101  # this refresh holds its lock until it commits
        insert_rows(engine, log_rows(10, seed=31))
        assert refresh(engine) == 0
        transaction.commit()
    assert refresh(engine) == 11
    assert folded_requests(engine) == 112


def test_the_migrations_build_exactly_the_tables_the_code_declares(
    migrated_engine: Engine,
) -> None:
    """`progress.schema` (what the code reads and writes, rollups included) and the Alembic
    migrations (what the database has) agree: no table, column, index or constraint differs."""
    with migrated_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def _one_row(table: Table) -> dict[str, Any]:
    """A row any of the three source tables accepts."""
    at = START + timedelta(minutes=5)
    if table is api_logs:
        return log_rows(1, seed=40)[0]
    if table is client_events:
        return client_event(at, "fallback", None, operation="getProgress")
    return {
        "occurred_at": at,
        "tutorial_id": "react-hooks",
        "user_id": "learner-1",
        "kind": "chapter",
        "source": "api",
        "actor": "learner-1",
    }


def _fold_waits_for_a_writer(engine: Engine, polls: set[Any]) -> bool:
    """Whether the refresh in progress (the session holding its advisory lock) is waiting for the
    insert in flight: queued for a lock, or looking at `pg_locks` again (`polls` collects the
    start times of the looks seen so far)."""
    with engine.connect() as connection:
        fold = connection.execute(
            text(
                "SELECT a.wait_event_type, a.query, a.query_start FROM pg_locks l "
                "JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key"
            ),
            {"key": _ADVISORY_LOCK},
        ).first()
    if fold is None:
        return False
    if fold.wait_event_type == "Lock":
        return True
    if "pg_locks" in fold.query:
        polls.add(fold.query_start)
    return len(polls) >= 2


@pytest.mark.parametrize("table", [api_logs, client_events, progress_events], ids=lambda t: t.name)
def test_a_write_never_waits_for_a_fold_while_a_vacuum_holds_the_table(
    engine: Engine, table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vacuum or ANALYZE holds SHARE UPDATE EXCLUSIVE on a source table, an insert is in flight,
    and a refresh is folding (waiting for that insert): another insert into the table must not be
    blocked by any lock at all (`lock_timeout` 1 ms fails it if it waits), and takes < 20 ms. The
    refresh then folds every committed row."""
    monkeypatch.setattr(rollups, "WRITER_WAIT_MS", 10_000)  # the fold surely outlasts the write
    monkeypatch.setattr(rollups, "LOCK_TIMEOUT_MS", 10_000)
    with engine.begin() as connection:
        connection.execute(insert(table), [_one_row(table)])
    with (
        engine.connect() as vacuum,
        engine.connect() as in_flight,
        engine.connect() as writer,
        ThreadPoolExecutor(1) as pool,
    ):
        vacuum.begin()
        vacuum.execute(text(f"LOCK TABLE {table.name} IN SHARE UPDATE EXCLUSIVE MODE"))
        in_flight.begin()
        in_flight.execute(insert(table), [_one_row(table)])
        fold = pool.submit(refresh, engine)
        polls: set[Any] = set()
        while not _fold_waits_for_a_writer(engine, polls):
            assert not fold.done(), "the refresh ended before the write could race it"
            time.sleep(0.001)
        writer.begin()
        writer.execute(text("SET LOCAL lock_timeout = '1ms'"))
        started = time.perf_counter()
        writer.execute(insert(table), [_one_row(table)])
        took = time.perf_counter() - started
        writer.commit()
        assert not fold.done(), "the refresh ended before the write: nothing was tested"
        in_flight.commit()
        vacuum.commit()
        assert fold.result(timeout=30) == 1  # the rows committed when it started
    assert took < 0.020
    assert refresh(engine) == 2  # and the two committed while it folded, from the next one
