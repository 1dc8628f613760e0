"""Loading request logs: `progress.bulk.copy_api_logs` beside a plain psycopg COPY loop.

    python -m bench.load_api_logs [--rows 10000000]

Each run starts a fresh embedded PostgreSQL. The same generated rows (the demo generator's 30 days
of traffic) are loaded twice, into an empty `api_logs` each time:
- ours: numpy columns → binary COPY into a staging table → one INSERT … SELECT;
- baseline: a Python loop calling psycopg's `copy.write_row` once per row.
The generation time is reported apart from the load.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import psycopg

from bench.common import machine, throwaway_database
from progress.bulk import ApiLogColumns, copy_api_logs
from progress.db import make_engine
from progress.demo import DemoSpec, api_log_columns

POSTGRES_EPOCH_SECONDS = 946_684_800


def baseline_rows(columns: ApiLogColumns) -> list[tuple[object, ...]]:
    timestamps = columns.timestamps.astype("datetime64[us]").astype(datetime)
    routes = columns.routes
    return [
        (
            stamp.replace(tzinfo=UTC),
            routes[route][0],
            routes[route][1],
            int(status),
            float(latency),
            f"learner-{user:06d}" if user >= 0 else None,
        )
        for stamp, route, status, latency, user in zip(
            timestamps,
            columns.route_index.tolist(),
            columns.status_code.tolist(),
            columns.response_time_ms.tolist(),
            columns.user_number.tolist(),
            strict=True,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()

    spec = DemoSpec(
        learners=100_000,
        days=30,
        seed=7,
        now=datetime(2026, 11, 24, tzinfo=UTC),
        api_logs=args.rows,
    )
    started = time.perf_counter()
    columns, _ = api_log_columns(spec)
    generated = time.perf_counter() - started

    with throwaway_database() as url:
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            copy_api_logs(connection, columns)
        ours = time.perf_counter() - started
        with engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE api_logs")
        engine.dispose()

        rows = baseline_rows(columns)
        started = time.perf_counter()
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as raw:
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    "COPY api_logs (timestamp, method, endpoint, status_code, response_time_ms,"
                    " user_id) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        baseline = time.perf_counter() - started

    print(f"Machine: {machine()}; embedded PostgreSQL 18")
    print(f"{args.rows:,} api_logs rows over 30 days; generation (numpy) took {generated:.1f} s\n")
    print("| load | seconds | rows/s |")
    print("|---|---:|---:|")
    for name, seconds in (
        ("`copy_api_logs` (binary COPY + INSERT … SELECT)", ours),
        ("baseline: psycopg `copy.write_row` loop", baseline),
    ):
        print(f"| {name} | {seconds:.1f} | {args.rows / seconds:,.0f} |")
    print(f"\nGeneration + our load: {generated + ours:.1f} s (budget: 60 s)")


if __name__ == "__main__":
    main()
