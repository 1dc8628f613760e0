"""What an index on `tutorial_progress.last_watched_at` would cost every watch.

    python -m bench.watch_index [--calls 3000] [--learners 2000] [--runs 3]

Every chapter update sets `last_watched_at` (and `updated_at`). Without an index on either, the
update of the `tutorial_progress` row is HOT: the new row version goes on the same page and no
index is touched. With one, every update writes a new entry into every index of the table. Each
run times `--calls` of `ProgressService.update_chapter_progress` without the index, then with it,
and reads the share of HOT updates from `pg_stat_user_tables`; every figure is the median of the
runs with the range. (What the index would buy: `bench.queries` times the queries that filter on
the column, without it.)
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import Engine, text

from bench.common import (
    add_runs_argument,
    markdown_table,
    measuring,
    percentiles_ms,
    repeat,
    throwaway_database,
)
from progress.db import make_engine
from progress.service import ProgressService

CHAPTERS = 8
INDEX = "ix_bench_tutorial_progress_last_watched_at"
SHAPES = {False: "no index on last_watched_at", True: "with an index on last_watched_at"}


def updates(service: ProgressService, calls: int, learners: int, offset: int) -> list[float]:
    times = []
    for call in range(calls):
        started = time.perf_counter()
        service.update_chapter_progress(
            "bench",
            f"learner-{(call * 7919) % learners}",
            chapter_id=f"ch-{call % CHAPTERS}",
            watch_time=20 + offset + call,
            completed=False,
            last_position=20 + call,
            actor="bench",
            source="api",
        )
        times.append(time.perf_counter() - started)
    return times


def hot_counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        row = connection.execute(
            text(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                " WHERE relname = 'tutorial_progress'"
            )
        ).one()
    return int(row[0]), int(row[1])


def round_with(
    engine: Engine, service: ProgressService, args: argparse.Namespace, indexed: bool, offset: int
) -> dict[tuple[bool, str], float]:
    """One round of updates with or without the index: p50, p95 and the HOT share in %."""
    with engine.begin() as connection:
        statement = (
            f"CREATE INDEX {INDEX} ON tutorial_progress (last_watched_at)"
            if indexed
            else f"DROP INDEX IF EXISTS {INDEX}"
        )
        connection.execute(text(statement))
    engine.dispose()  # backends flush their statistics when they exit
    before = hot_counts(engine)
    figures = percentiles_ms(updates(service, args.calls, args.learners, offset))
    engine.dispose()
    time.sleep(1)
    after = hot_counts(engine)
    updated, hot = after[0] - before[0], after[1] - before[1]
    return {
        (indexed, "p50"): figures["p50"],
        (indexed, "p95"): figures["p95"],
        (indexed, "hot"): 100 * hot / updated if updated else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=2000)
    add_runs_argument(parser)
    args = parser.parse_args()

    print(f"{args.learners:,} learners × {CHAPTERS} chapters; {args.calls:,} updates per round")
    with throwaway_database() as url:
        engine = make_engine(url)
        service = ProgressService(engine)
        updates(service, args.learners * 2, args.learners, 0)  # every learner has progress
        with measuring(url, args.runs):

            def measure(run: int) -> dict[tuple[bool, str], float]:
                offset = 2 * run * args.calls
                return {
                    **round_with(engine, service, args, False, offset),
                    **round_with(engine, service, args, True, offset + args.calls),
                }

            figures = repeat(measure, args.runs)
            print()
            print(
                markdown_table(
                    ["`tutorial_progress`", "update p50 ms", "p95 ms", "HOT updates %"],
                    [
                        [
                            name,
                            figures[indexed, "p50"].cell(3),
                            figures[indexed, "p95"].cell(3),
                            figures[indexed, "hot"].cell(0),
                        ]
                        for indexed, name in SHAPES.items()
                    ],
                )
            )
        engine.dispose()


if __name__ == "__main__":
    main()
