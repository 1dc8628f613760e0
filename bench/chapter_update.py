"""Latency of `ProgressService.update_chapter_progress` beside a raw psycopg upsert.

    python -m bench.chapter_update [--calls 3000] [--learners 300] [--runs 3]

Both run in the same process against the same fresh embedded PostgreSQL: the service call (validate,
lock the learner's row, load the state, write the changed chapter, the aggregates and an audit
event with before/after snapshots, commit) and, as the baseline, one autocommit
`INSERT … ON CONFLICT DO UPDATE` of a chapter row through psycopg with no service around it.
Each run times `--calls` of each, in turn; every figure is the median of the runs with the range.
"""

from __future__ import annotations

import argparse
import time

import psycopg

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
AIM = 10.0  # the service within 10× the raw upsert at p50
BASELINE_UPSERT = """
INSERT INTO chapter_progress (progress_id, chapter_id, watch_time, completed, last_position)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (progress_id, chapter_id) DO UPDATE
SET watch_time = excluded.watch_time, completed = excluded.completed,
    last_position = excluded.last_position, updated_at = now()
"""
OPERATIONS = {
    "service": "`ProgressService.update_chapter_progress`",
    "raw": "raw psycopg single-statement upsert (baseline)",
}
STATISTICS = ("p50", "p95", "p99", "mean")


def service_calls(service: ProgressService, calls: int, learners: int, offset: int) -> list[float]:
    times: list[float] = []
    for call in range(calls):
        started = time.perf_counter()
        service.update_chapter_progress(
            "bench",
            f"learner-{call % learners}",
            chapter_id=f"ch-{call % CHAPTERS}",
            watch_time=20 + offset + call,
            completed=call % 3 == 0,
            last_position=20 + call,
            actor="bench",
            source="api",
        )
        times.append(time.perf_counter() - started)
    return times


def raw_upserts(
    raw: psycopg.Connection, progress_ids: list[int], calls: int, offset: int
) -> list[float]:
    times: list[float] = []
    for call in range(calls):
        started = time.perf_counter()
        raw.execute(
            BASELINE_UPSERT,
            (
                progress_ids[call % len(progress_ids)],
                f"ch-{call % CHAPTERS}",
                20 + offset + call,
                call % 3 == 0,
                20 + call,
            ),
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=300)
    add_runs_argument(parser)
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
        print(f"{args.calls:,} calls each per run, {args.learners} learners × {CHAPTERS} chapters")
        with (
            psycopg.connect(
                url.replace("postgresql+psycopg", "postgresql"), autocommit=True
            ) as raw,
            measuring(url, args.runs),
        ):
            progress_ids = [row[0] for row in raw.execute("SELECT id FROM tutorial_progress")]

            def measure(run: int) -> dict[tuple[str, str], float]:
                offset = run * args.calls
                figures = {
                    "service": percentiles_ms(
                        service_calls(service, args.calls, args.learners, offset)
                    ),
                    "raw": percentiles_ms(raw_upserts(raw, progress_ids, args.calls, offset)),
                }
                cells = {(op, stat): figures[op][stat] for op in OPERATIONS for stat in STATISTICS}
                cells["ratio", "p50"] = figures["service"]["p50"] / figures["raw"]["p50"]
                return cells

            spreads = repeat(measure, args.runs)
            print()
            print(
                markdown_table(
                    ["operation", *(f"{stat} ms" for stat in STATISTICS)],
                    [
                        [name, *(spreads[op, stat].cell(3) for stat in STATISTICS)]
                        for op, name in OPERATIONS.items()
                    ],
                )
            )
            ratio = spreads["ratio", "p50"]
            print(
                f"\nService ÷ baseline at p50, per run: {ratio.cell()}× — "
                f"{ratio.verdict(AIM, f'the aim of {AIM:.0f}×')}."
            )
        engine.dispose()


if __name__ == "__main__":
    main()
