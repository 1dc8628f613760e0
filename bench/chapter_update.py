"""Latency of `ProgressService.update_chapter_progress` beside a raw psycopg upsert.

    python -m bench.chapter_update [--calls 3000] [--learners 300]

Both run in the same process against the same fresh embedded PostgreSQL: the service call (validate,
lock the learner's row, load the state, write the changed chapter, the aggregates and an audit
event with before/after snapshots, commit) and, as the baseline, one autocommit
`INSERT … ON CONFLICT DO UPDATE` of a chapter row through psycopg with no service around it.
"""

from __future__ import annotations

import argparse
import time

import psycopg

from bench.common import machine, percentiles_ms, throwaway_database
from progress.db import make_engine
from progress.service import ProgressService

CHAPTERS = 8
BASELINE_UPSERT = """
INSERT INTO chapter_progress (progress_id, chapter_id, watch_time, completed, last_position)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (progress_id, chapter_id) DO UPDATE
SET watch_time = excluded.watch_time, completed = excluded.completed,
    last_position = excluded.last_position, updated_at = now()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=300)
    args = parser.parse_args()

    with throwaway_database() as url:
        engine = make_engine(url)
        service = ProgressService(engine)
        for learner in range(args.learners):  # existing progress: the common case
            for chapter in range(CHAPTERS):
                service.update_chapter_progress(
                    "bench",
                    f"learner-{learner}",
                    chapter_id=f"ch-{chapter}",
                    watch_time=10,
                    completed=False,
                    last_position=10,
                    total_chapters=CHAPTERS,
                    actor="bench",
                    source="api",
                )

        service_times: list[float] = []
        for call in range(args.calls):
            started = time.perf_counter()
            service.update_chapter_progress(
                "bench",
                f"learner-{call % args.learners}",
                chapter_id=f"ch-{call % CHAPTERS}",
                watch_time=20 + call,
                completed=call % 3 == 0,
                last_position=20 + call,
                actor="bench",
                source="api",
            )
            service_times.append(time.perf_counter() - started)

        raw_times: list[float] = []
        with psycopg.connect(
            url.replace("postgresql+psycopg", "postgresql"), autocommit=True
        ) as raw:
            progress_ids = [row[0] for row in raw.execute("SELECT id FROM tutorial_progress")]
            for call in range(args.calls):
                started = time.perf_counter()
                raw.execute(
                    BASELINE_UPSERT,
                    (
                        progress_ids[call % len(progress_ids)],
                        f"ch-{call % CHAPTERS}",
                        20 + call,
                        call % 3 == 0,
                        20 + call,
                    ),
                )
                raw_times.append(time.perf_counter() - started)
        engine.dispose()

    service_ms, raw_ms = percentiles_ms(service_times), percentiles_ms(raw_times)
    print(f"Machine: {machine()}; embedded PostgreSQL 18 over a Unix socket")
    print(f"{args.calls:,} calls each, {args.learners} learners × {CHAPTERS} chapters\n")
    print("| operation | p50 ms | p95 ms | p99 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for name, figures in (
        ("`ProgressService.update_chapter_progress`", service_ms),
        ("raw psycopg single-statement upsert (baseline)", raw_ms),
    ):
        print(
            f"| {name} | {figures['p50']:.3f} | {figures['p95']:.3f} | {figures['p99']:.3f} "
            f"| {figures['mean']:.3f} |"
        )
    print(f"\nService ÷ baseline at p50: {service_ms['p50'] / raw_ms['p50']:.1f}×")


if __name__ == "__main__":
    main()
