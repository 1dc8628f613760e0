"""`progress-ops demo-data`: fill a database with deterministic demo data."""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from commands.exit_codes import ExitCode
from progress.db import analyze, database_url, make_engine, mask_url, upgrade
from progress.demo import DemoSpec, has_progress, load_demo_data
from progress.errors import InvalidInput
from queries.rollups import refresh

DEFAULT_WORKERS = min(4, os.cpu_count() or 1)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo-data",
        help="load deterministic demo data (tutorials, learners, API logs, client telemetry)",
    )
    parser.add_argument("--learners", type=int, default=2000, help="learners (default 2000)")
    parser.add_argument("--days", type=int, default=30, help="days of history (default 30)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--api-logs",
        type=int,
        default=None,
        help="api_logs rows (default: 60 per learner, at most 5M; 10000000 for benchmarks)",
    )
    parser.add_argument(
        "--now",
        default=None,
        help="ISO 8601 time the data ends at (default: now, to the minute)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"processes generating and loading learners side by side (default {DEFAULT_WORKERS}:"
        " the CPU cores, at most 4); the data is the same for any number",
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing when the database already has progress (used by `make run`)",
    )
    parser.set_defaults(handler=run)


def parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("now", f"--now {value!r} is not an ISO 8601 time.") from None
    if parsed.tzinfo is None:
        raise InvalidInput("now", f"--now {value!r} needs a time zone, e.g. {value}Z.")
    return parsed


def run(args: argparse.Namespace) -> int:
    spec = DemoSpec(
        learners=args.learners,
        days=args.days,
        seed=args.seed,
        now=parse_now(args.now),
        api_logs=args.api_logs,
    )
    url = database_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        if has_progress(engine):
            if args.if_empty:
                print(f"Database at {mask_url(url)} already has progress; no demo data loaded.")
                return ExitCode.OK
            raise InvalidInput(
                "database",
                f"The database at {mask_url(url)} already has progress. Load demo data into an "
                "empty database, or pass --if-empty to skip loading.",
            )
        started = time.perf_counter()
        summary = load_demo_data(engine, spec, workers=args.workers)
        loaded = time.perf_counter()
        refresh(engine)  # fold the new request logs into the dashboard's rollups
        analyze(engine)  # once, for what the load and the fold wrote (autovacuum would, later)
        done = time.perf_counter()
        print(
            f"Loaded demo data into {mask_url(url)} in {done - started:.1f} s (folded into the"
            f" rollups in {done - loaded:.1f} s of it): {summary.tutorials} tutorials,"
            f" {summary.progress_rows:,} learner-tutorial pairs of {spec.learners:,} learners,"
            f" {summary.api_logs:,} API requests, {summary.client_events:,} client events."
        )
    finally:
        engine.dispose()
    return ExitCode.OK
