"""Burn-rate alerts at benchmark size: one evaluation of every SLO, beside the same burn rates from
the raw rows, and what the per-minute rollups add to the fold.

    .venv/bin/python -m bench.alerts --load   # (re)load 10M requests / 30 days, then measure
    .venv/bin/python -m bench.alerts          # measure the data already loaded
    .venv/bin/python -m bench.alerts --read-only --url …/bench_speed   # reads only

The database is `--url` (default: bench_alerts on the local PostgreSQL server, created if
missing); `--load` replaces its contents with `progress-ops demo-data` at benchmark size
(`bench.common.load_benchmark_data`). `--read-only` measures only what reads, on a database
others use, with every connection read only. Each run measures everything once, in turn; every
figure is the median of `--runs` runs with the range. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, make_url, select, text

from alerting.evaluator import Settings, evaluate_once
from alerting.notify import AlertSettings
from bench.common import (
    add_data_arguments,
    add_runs_argument,
    load_benchmark_data,
    markdown_table,
    measuring,
    positive_runs,
    read_only_connections,
    repeat,
    seconds_of,
    slowest,
)
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
    data_findings,
    floor_minute,
    slo_statuses,
    slos,
)
from queries.targets import TargetSettings

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_alerts"
BUDGET_MS = 200.0
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


def judge(engine: Engine, now: datetime, settings: Settings) -> list[SloStatus]:
    """What `evaluate_once` reads: every SLO over every window, and the no-data checks."""
    with engine.connect() as connection:
        statuses = slo_statuses(connection, now, settings=settings.slo, targets=settings.targets)
        data_findings(connection, now, settings=settings.slo)
    return statuses


def check_burn_rates(engine: Engine, now: datetime, settings: Settings) -> None:
    """The rollups' burn rates equal those from the raw rows, or the comparison means nothing."""
    period = timedelta(days=settings.slo.period_days)
    ours = {s.slo.key: s.burn_rates for s in judge(engine, now, settings)}
    truth = raw_counts(engine, floor_minute(now), [*WINDOWS, period])
    for slo in slos(settings.targets):
        for length in WINDOWS:
            expected = slo.burn_rate(truth[length])
            got = ours[slo.key][length]
            assert (got is None and expected is None) or abs((got or 0) - (expected or 0)) < 1e-9


def fold_table(engine: Engine, args: argparse.Namespace, now: datetime) -> str:
    """With and without the minute level, interleaved within each run, per shape of folding."""
    before = rollups_at(args.before)
    folds = {
        "with": (_fold_api_logs, _fold_client_events),
        "without": (before._fold_api_logs, before._fold_client_events),
    }
    rows = []
    for shape, minutes in (("one fold per minute", 1), ("one fold of the whole span", 0)):
        span = timedelta(hours=args.fold_hours)
        step = timedelta(minutes=minutes) if minutes else span
        slices = [now - span + step * i for i in range(int(span / step) + 1)]

        def measure(_run: int, slices: list[datetime] = slices) -> dict[str, float]:
            ms = {name: fold_seconds(engine, pair, slices) * 1e3 for name, pair in folds.items()}
            return {**ms, "added": 100 * (ms["with"] / ms["without"] - 1)}

        figures = repeat(measure, args.fold_runs)
        rows.append(
            [
                f"{shape} ({args.fold_hours} h)",
                figures["with"].cell(0),
                figures["without"].cell(0),
                figures["added"].cell(1),
            ]
        )
    return markdown_table(
        ["folding again", "with the minute level ms", f"without ({args.before}) ms", "added %"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--load", action="store_true", help="replace the data first")
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="only what reads (judging, the raw rows): for a database others use, e.g. bench_speed",
    )
    add_runs_argument(parser, default=5)
    parser.add_argument("--fold-runs", type=positive_runs, default=5)
    parser.add_argument(
        "--fold-hours", type=int, default=2, help="the last hours of data folded again"
    )
    parser.add_argument(
        "--before", default="98e64eb", help="the revision without the minute level (git)"
    )
    args = parser.parse_args()
    url = args.url or DEFAULT_URL
    if args.read_only and args.load:
        raise SystemExit("--load writes: not with --read-only")
    with read_only_connections() if args.read_only else nullcontext():
        measure_alerts(url, args)


def measure_alerts(url: str, args: argparse.Namespace) -> None:
    if not args.read_only:
        ensure_database(url)
    engine = make_engine(url)
    if args.load:
        reload(engine, args)
    if not args.read_only:
        refresh(engine)
    with engine.connect() as connection:
        last = connection.execute(select(func.max(api_logs.c.timestamp))).scalar_one()
        rows = connection.execute(select(func.count()).select_from(api_logs)).scalar_one()
    now = floor_minute(last) + timedelta(minutes=1)  # the data's end
    settings = Settings(SloSettings(), AlertSettings(webhook_url=None), TargetSettings())
    lengths = [*WINDOWS, timedelta(days=settings.slo.period_days)]
    print(
        f"Data: {rows:,} api_logs rows in {make_url(url).database}"
        f"{' (read only)' if args.read_only else ''}, evaluated at {now:%Y-%m-%d %H:%M} UTC"
    )
    check_burn_rates(engine, now, settings)
    print("Burn rates from the rollups equal those from the raw rows: yes")

    with measuring(url, args.runs):

        def measure(_run: int) -> dict[str, float]:
            figures = {}
            if not args.read_only:
                figures["evaluate_once (fold, judge, record)"] = seconds_of(
                    lambda: evaluate_once(engine, now=now, settings=settings)
                )
            figures["judging: every SLO and the no-data checks, from the rollups"] = seconds_of(
                lambda: judge(engine, now, settings)
            )
            figures["baseline: the same burn rates from the raw rows"] = seconds_of(
                lambda: raw_counts(engine, floor_minute(now), lengths)
            )
            return {name: seconds * 1e3 for name, seconds in figures.items()}

        figures = repeat(measure, args.runs)
        print()
        print(
            markdown_table(
                ["measurement", "ms"],
                [[name, figure.cell(0, budget=BUDGET_MS)] for name, figure in figures.items()],
            )
        )
        worst = slowest(f for name, f in figures.items() if not name.startswith("baseline"))
        print(f"\nBudget {BUDGET_MS:.0f} ms: {worst.verdict(BUDGET_MS, 'it')}.")
        if not args.read_only:
            print()
            print(fold_table(engine, args, now))
    engine.dispose()


if __name__ == "__main__":
    main()
