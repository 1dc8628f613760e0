"""Burn-rate alerts at benchmark size: one evaluation of every SLO, beside the same burn rates from
the raw rows, and what the per-minute rollups add to the fold.

    .venv/bin/python -m bench.alerts --load   # (re)load 10M requests / 30 days, then measure
    .venv/bin/python -m bench.alerts          # measure the data already loaded

The database is `--url` (default: bench_alerts on the local PostgreSQL server, created if
missing); `--load` replaces its contents with `progress-ops demo-data` at benchmark size
(`bench.common.load_benchmark_data`). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, make_url, select, text

from alerting.evaluator import Settings, evaluate_once
from alerting.notify import AlertSettings
from bench.common import add_data_arguments, load_benchmark_data, machine
from progress.db import make_engine, upgrade
from progress.schema import (
    api_logs,
    client_events,
)
from queries.histogram import fast_edge_ms
from queries.rollups import (
    _fold_api_log_minutes,
    _fold_api_logs,
    _fold_client_event_minutes,
    _fold_client_events,
    refresh,
)
from queries.slo import (
    WINDOWS,
    Counts,
    SloSettings,
    SloStatus,
    floor_minute,
    slo_statuses,
    slos,
)
from queries.targets import TargetSettings

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_alerts"
RAW_API = """
    SELECT count(*), count(*) FILTER (WHERE status_code >= 500),
           count(*) FILTER (WHERE response_time_ms < :edge)
    FROM api_logs
    WHERE timestamp >= :start AND timestamp < :end AND endpoint <> '/health'
"""
RAW_CLIENT = """
    SELECT count(*) FILTER (WHERE kind = 'migration' AND outcome = 'succeeded'),
           count(*) FILTER (WHERE kind = 'migration' AND outcome = 'failed'),
           count(*) FILTER (WHERE kind = 'fallback')
    FROM client_events WHERE occurred_at >= :start AND occurred_at < :end
"""


def ensure_database(url: str) -> None:
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def reload(engine: Engine, args: argparse.Namespace) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine.url.render_as_string(hide_password=False))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    summary, loaded, folded = load_benchmark_data(engine, args, now=now)
    print(
        f"Loaded {summary.api_logs:,} api_logs rows and {summary.client_events:,} client events "
        f"in {loaded:.0f} s, folded in {folded:.0f} s."
    )


def timed(work: Callable[[], object], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def describe(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"median {statistics.median(ms):,.0f} ms (range {min(ms):,.0f}–{max(ms):,.0f})"


def raw_counts(engine: Engine, end: datetime, lengths: list[timedelta]) -> dict[timedelta, Counts]:
    """Every window's counts straight from the raw rows: the baseline."""
    edge = fast_edge_ms(TargetSettings().p95_response_ms)
    counts = {}
    with engine.connect() as connection:
        for length in lengths:
            bounds = {"start": end - length, "end": end, "edge": edge}
            api = connection.execute(text(RAW_API), bounds).one()
            client = connection.execute(text(RAW_CLIENT), bounds).one()
            counts[length] = Counts(*api, *client)
    return counts


def fold_seconds(engine: Engine, since: datetime) -> tuple[float, float]:
    """Folding the requests and client events since `since` again, as the API's refreshes fold
    new rows (into rollup rows that already exist): every level, and the per-minute level alone;
    each in a transaction that is rolled back."""
    new_requests = api_logs.c.timestamp >= since
    new_events = client_events.c.occurred_at >= since
    with engine.connect() as connection, connection.begin() as transaction:
        started = time.perf_counter()
        _fold_api_logs(connection, new_requests)
        _fold_client_events(connection, new_events)
        every_level = time.perf_counter() - started
        transaction.rollback()
    with engine.connect() as connection, connection.begin() as transaction:
        started = time.perf_counter()
        _fold_api_log_minutes(connection, new_requests)
        _fold_client_event_minutes(connection, new_events)
        minute_level = time.perf_counter() - started
        transaction.rollback()
    return every_level, minute_level


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--load", action="store_true", help="replace the data first")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fold-runs", type=int, default=5)
    parser.add_argument(
        "--fold-hours", type=int, default=24, help="the last hours of data folded again"
    )
    args = parser.parse_args()
    ensure_database(args.url)
    engine = make_engine(args.url)
    if args.load:
        reload(engine, args)
    refresh(engine)
    with engine.connect() as connection:
        last = connection.execute(select(func.max(api_logs.c.timestamp))).scalar_one()
        rows = connection.execute(select(func.count()).select_from(api_logs)).scalar_one()
    now = floor_minute(last) + timedelta(minutes=1)  # the data's end
    settings = Settings(SloSettings(), AlertSettings(webhook_url=None), TargetSettings())
    period = timedelta(days=settings.slo.period_days)
    lengths = [*WINDOWS, period]

    print(f"Machine: {machine()}; PostgreSQL at {make_url(args.url).host}")
    print(f"Data: {rows:,} api_logs rows, evaluated at {now:%Y-%m-%d %H:%M} UTC")
    print(f"Load average before: {os.getloadavg()}")

    def read_only() -> list[SloStatus]:
        with engine.connect() as connection:
            return slo_statuses(connection, now, settings=settings.slo, targets=settings.targets)

    evaluations = timed(lambda: evaluate_once(engine, now=now, settings=settings), args.runs)
    reads = timed(read_only, args.runs)
    baseline = timed(lambda: raw_counts(engine, floor_minute(now), lengths), args.runs)
    ours = {s.slo.key: s.burn_rates for s in read_only()}
    truth = raw_counts(engine, floor_minute(now), lengths)
    for slo in slos(settings.targets):
        for length in WINDOWS:
            expected = slo.burn_rate(truth[length])
            got = ours[slo.key][length]
            assert (got is None and expected is None) or abs((got or 0) - (expected or 0)) < 1e-9
    print(f"evaluate_once (fold, judge, record): {describe(evaluations)}")
    print(f"judging every SLO from the rollups: {describe(reads)}")
    print(f"the same burn rates from the raw rows: {describe(baseline)}")
    print("burn rates from the rollups equal those from the raw rows: yes")

    since = now - timedelta(hours=args.fold_hours)
    folds = [fold_seconds(engine, since) for _ in range(args.fold_runs)]
    whole = [w for w, _ in folds]
    minute_level = [m for _, m in folds]
    share = [m / (w - m) for w, m in folds]
    print(
        f"folding the last {args.fold_hours} h again: {describe(whole)}; "
        f"its per-minute level: {describe(minute_level)}"
    )
    print(
        f"per-minute level ÷ the rest of the fold: median {statistics.median(share):.1%} "
        f"(range {min(share):.1%}–{max(share):.1%})"
    )
    print(f"Load average after: {os.getloadavg()}")
    engine.dispose()


if __name__ == "__main__":
    main()
