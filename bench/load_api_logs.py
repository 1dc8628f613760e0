"""Loading request logs: `progress.bulk.copy_api_logs` beside a plain psycopg COPY loop.

    python -m bench.load_api_logs [--rows 10000000] [--runs 3]

One fresh embedded PostgreSQL. Each run generates the rows (the demo generator's 30 days of
traffic, the same rows every run) and loads them twice, into an empty `api_logs` each time:
- ours: numpy columns → binary COPY into a staging table → one INSERT … SELECT;
- baseline: a Python loop calling psycopg's `copy.write_row` once per row (its tuples are built
  once, before the first run, and not timed).
The generation time is reported apart from the load. Budget: generation + our load ≤ 60 s.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import Engine

from bench.common import (
    add_runs_argument,
    markdown_table,
    measuring,
    repeat,
    seconds_of,
    throwaway_database,
)
from progress.bulk import ApiLogColumns, copy_api_logs
from progress.db import make_engine
from progress.demo import DemoSpec, api_log_columns

BUDGET_SECONDS = 60.0


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


def copy_rows(url: str, rows: list[tuple[object, ...]]) -> None:
    """The baseline: one `write_row` per row through psycopg's COPY."""
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


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE api_logs")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    add_runs_argument(parser)
    args = parser.parse_args()

    spec = DemoSpec(
        learners=100_000,
        days=30,
        seed=7,
        now=datetime(2026, 11, 24, tzinfo=UTC),
        api_logs=args.rows,
    )
    print(f"{args.rows:,} api_logs rows over 30 days, loaded into an empty table each time")
    rows = baseline_rows(api_log_columns(spec)[0])
    with throwaway_database() as url, measuring(url, args.runs):
        engine = make_engine(url)

        def measure(_run: int) -> dict[str, float]:
            started = time.perf_counter()
            columns, _ = api_log_columns(spec)
            generated = time.perf_counter() - started

            def ours() -> None:
                with engine.begin() as connection:
                    copy_api_logs(connection, columns)

            loaded = seconds_of(ours)
            empty(engine)
            baseline = seconds_of(lambda: copy_rows(url, rows))
            empty(engine)
            return {
                "generated": generated,
                "ours": loaded,
                "baseline": baseline,
                "total": generated + loaded,
                "ours rows/s": args.rows / loaded,
                "baseline rows/s": args.rows / baseline,
            }

        figures = repeat(measure, args.runs)
        engine.dispose()
        print()
        print(
            markdown_table(
                ["load", "seconds", "rows/s"],
                [
                    [
                        "`copy_api_logs` (binary COPY + INSERT … SELECT)",
                        figures["ours"].cell(),
                        figures["ours rows/s"].cell(0),
                    ],
                    [
                        "baseline: psycopg `copy.write_row` loop",
                        figures["baseline"].cell(),
                        figures["baseline rows/s"].cell(0),
                    ],
                ],
            )
        )
        total = figures["total"]
        print(
            f"\nGeneration (numpy): {figures['generated'].cell()} s. Generation + our load: "
            f"{total.cell(budget=BUDGET_SECONDS)} s — "
            f"{total.verdict(BUDGET_SECONDS, f'the {BUDGET_SECONDS:.0f} s budget')}."
        )


if __name__ == "__main__":
    main()
