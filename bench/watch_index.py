"""What an index on `tutorial_progress.last_watched_at` would cost every watch.

    python -m bench.watch_index [--calls 3000] [--learners 2000]

Every chapter update sets `last_watched_at` (and `updated_at`). Without an index on either, the
update of the `tutorial_progress` row is HOT: the new row version goes on the same page and no
index is touched. With one, every update writes a new entry into every index of the table. This
times `ProgressService.update_chapter_progress` without and with the index, alternating (two
rounds each), and reports the share of HOT updates from `pg_stat_user_tables`. (What the index
would buy: `bench.queries` times the queries that filter on the column, without it.)
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import Engine, text

from bench.common import machine, percentiles_ms, throwaway_database
from progress.db import make_engine
from progress.service import ProgressService

CHAPTERS = 8
INDEX = "ix_bench_tutorial_progress_last_watched_at"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=2000)
    args = parser.parse_args()

    results: dict[bool, list[float]] = {False: [], True: []}
    hot: dict[bool, list[tuple[int, int]]] = {False: [], True: []}
    with throwaway_database() as url:
        engine = make_engine(url)
        service = ProgressService(engine)
        updates(service, args.learners * 2, args.learners, 0)  # every learner has progress
        for round_, indexed in enumerate((False, True, False, True)):
            with engine.begin() as connection:
                statement = (
                    f"CREATE INDEX {INDEX} ON tutorial_progress (last_watched_at)"
                    if indexed
                    else f"DROP INDEX IF EXISTS {INDEX}"
                )
                connection.execute(text(statement))
            engine.dispose()  # backends flush their statistics when they exit
            before = hot_counts(engine)
            results[indexed] += updates(service, args.calls, args.learners, round_ * args.calls)
            engine.dispose()
            time.sleep(1)
            after = hot_counts(engine)
            hot[indexed].append((after[0] - before[0], after[1] - before[1]))
        engine.dispose()

    print(f"Machine: {machine()}; embedded PostgreSQL 18 over a Unix socket")
    print(f"{args.learners:,} learners × {CHAPTERS} chapters; {args.calls:,} updates per round\n")
    print("| `tutorial_progress` | update p50 ms | p95 ms | HOT updates |")
    print("|---|---:|---:|---:|")
    for indexed in (False, True):
        figures = percentiles_ms(results[indexed])
        updated = sum(n for n, _ in hot[indexed])
        hot_share = 100 * sum(h for _, h in hot[indexed]) / updated if updated else 0.0
        name = "with an index on last_watched_at" if indexed else "no index on last_watched_at"
        print(f"| {name} | {figures['p50']:.3f} | {figures['p95']:.3f} | {hot_share:.0f} % |")


if __name__ == "__main__":
    main()
