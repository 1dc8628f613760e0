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
import itertools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, make_url, select, text

from alerting.evaluator import Settings, evaluate_once
from alerting.notify import AlertSettings
from bench.common import add_data_arguments, load_benchmark_data, machine
from progress.db import make_engine, upgrade
from progress.schema import (
    api_logs,
    client_events,
)
from queries.histogram import fast_edge_ms
from queries.rollups import _fold_api_logs, _fold_client_events, refresh
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


Fold = Callable[[Connection, Any], None]


def rollups_at(revision: str) -> ModuleType:
    """`queries/rollups.py` as it was at `revision` (git), loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:queries/rollups.py"],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    module = ModuleType(f"rollups_at_{revision}")
    sys.modules[module.__name__] = module  # for its dataclasses
    exec(compile(source, f"{revision}:queries/rollups.py", "exec"), module.__dict__)
    return module


def fold_seconds(engine: Engine, folds: tuple[Fold, Fold], slices: list[datetime]) -> float:
    """Fold the requests and client events of each `[slices[i], slices[i + 1])` again, one fold
    per slice as the API's refreshes do (into rollup rows that already exist), in a transaction
    that is rolled back; the seconds it took."""
    fold_requests, fold_events = folds
    with engine.connect() as connection, connection.begin() as transaction:
        started = time.perf_counter()
        for start, end in itertools.pairwise(slices):
            at = api_logs.c.timestamp
            fold_requests(connection, and_(at >= start, at < end))
            occurred = client_events.c.occurred_at
            fold_events(connection, and_(occurred >= start, occurred < end))
        seconds = time.perf_counter() - started
        transaction.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--load", action="store_true", help="replace the data first")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fold-runs", type=int, default=5)
    parser.add_argument(
        "--fold-hours", type=int, default=2, help="the last hours of data folded again"
    )
    parser.add_argument(
        "--before", default="98e64eb", help="the revision without the minute level (git)"
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

    before = rollups_at(args.before)
    folds = {
        "with": (_fold_api_logs, _fold_client_events),
        "without": (before._fold_api_logs, before._fold_client_events),
    }
    for shape, minutes in (("one fold per minute", 1), ("one fold of the whole span", 0)):
        span = timedelta(hours=args.fold_hours)
        step = timedelta(minutes=minutes) if minutes else span
        slices = [now - span + step * i for i in range(int(span / step) + 1)]
        seconds: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(args.fold_runs):  # interleaved, so both see the same machine
            for name, pair in folds.items():
                seconds[name].append(fold_seconds(engine, pair, slices))
        added = [w / o - 1 for w, o in zip(seconds["with"], seconds["without"], strict=True)]
        print(
            f"folding the last {args.fold_hours} h again, {shape}: with the minute level "
            f"{describe(seconds['with'])}; without (queries/rollups.py at {args.before}) "
            f"{describe(seconds['without'])}; the minute level adds median "
            f"{statistics.median(added):.1%} (range {min(added):.1%} to {max(added):.1%})"
        )
    print(f"Load average after: {os.getloadavg()}")
    engine.dispose()


if __name__ == "__main__":
    main()
