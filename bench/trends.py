"""Every query behind the Completion trends page, on an existing database, beside the naive query
over raw progress rows for the same question — same data, same choices, same run.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_trends \\
        python -m bench.trends [--runs 5] [--now 2026-12-02T00:00:00Z]

Fill the database first with `progress-ops demo-data` (e.g. `--learners 1000000 --days 180`).
Each query runs for every choice the page offers that changes its work — cohort size (day, week,
month), range (4 to 52 weeks), N (1 to 60 days), all tutorials or one — warm, `--runs` times, in
`--rounds` passes (each choice keeps its best pass: on a shared machine a neighbour's burst is
not the query's cost); the table shows, per query, the choice whose median was slowest, with the
range of its runs.
The naive query (the same statement over `queries.trends.progress_rows()`, one row per learner,
instead of the rollup) runs 3 times for the widest choice (52 weeks, all tutorials). The learner
lists read progress rows either way: their baseline is the statement as it was before migration
0008 (`learners_before_0008`: the certificate joined from `tutorial_certificates`, "completed
within N" as `completed_at < started_at + N days`), run for every choice like ours without the
indexes 0008 added (dropped in a transaction that is rolled back), its slowest shown. Budget:
100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import product
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    false,
    func,
    select,
    text,
    true,
)

from bench.common import machine
from progress.db import open_engine
from progress.schema import tutorial_certificates, tutorial_cohort_days, tutorial_progress
from queries import trends
from queries.sql import compiled_sql
from queries.trends import PERIODS, Span

BUDGET_MS = 100.0
WEEKS = (4, 13, 26, 52)
WITHIN = (1, 14, 60)
Build = Callable[[Span, trends.Period, int, datetime, bool], Select[Any]]


def cohort_of(day: datetime, period: trends.Period) -> tuple[datetime, datetime]:
    """The day, week (from Monday) or month that `day` (a UTC midnight) is in: its start and end."""
    start = {
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
    }[period]
    return start, trends.period_end(pd.Timestamp(start), period).to_pydatetime()


def learners_before_0008(
    start: datetime, end: datetime, tutorials: tuple[str, ...], who: trends.Who, within: int
) -> Select[Any]:
    """The baseline: `trends.learners_statement` as it was before `certified_at` and the indexes
    pairing `started_at` with each moment (migration 0008)."""
    p, c = tutorial_progress, tutorial_certificates
    deadline = p.c.started_at + timedelta(days=within)
    condition: ColumnElement[bool] = {
        "started": true(),
        "completed": p.c.completed_at < deadline,
        "certified": and_(
            c.c.awarded_at < deadline,
            c.c.awarded_at >= start,
            c.c.awarded_at < end + timedelta(days=within),
        ),
        "not completed": ~func.coalesce(p.c.completed_at < deadline, false()),
    }[who]
    joined = c.c.progress_id == p.c.id
    return (
        select(
            p.c.user_id,
            p.c.tutorial_id,
            p.c.started_at,
            p.c.completed_at,
            c.c.awarded_at.label("certificate_at"),
            p.c.completion_percentage,
        )
        .select_from(p.join(c, joined) if who == "certified" else p.outerjoin(c, joined))
        .where(
            p.c.started_at >= start,
            p.c.started_at < end,
            condition,
            *([p.c.tutorial_id.in_(tutorials)] if tutorials else []),
        )
        .order_by(p.c.started_at, p.c.tutorial_id, p.c.user_id)
        .limit(500)
    )


def _learners(
    who: trends.Who, s: Span, p: trends.Period, n: int, now: datetime, raw: bool
) -> Select[Any]:
    """The learners of the cohort (day, week or month) three weeks before the span's end; `raw`:
    the statement before migration 0008."""
    start, end = cohort_of(s.end - timedelta(weeks=3), p)
    build = learners_before_0008 if raw else trends.learners_statement
    return build(start, end, s.tutorials, who, n)


QUERIES: dict[str, Build] = {
    "start cohorts (heat map, curves)": lambda s, p, n, now, raw: trends.cohorts_statement(
        s, p, raw=raw
    ),
    "completion within N by week": lambda s, p, n, now, raw: trends.cohorts_statement(
        s, "week", (n,), raw=raw
    ),
    "median days to certificate by week": lambda s, p, n, now, raw: trends.median_days_statement(
        s, "week", n, now, raw=raw
    ),
    "tutorials side by side / what changed": lambda s, p, n, now, raw: trends.summary_statement(
        s, n, now, raw=raw
    ),
    "median days to certificate per tutorial": lambda s, p, n, now, raw: (
        trends.median_days_statement(s, None, n, now, raw=raw)
    ),
    "largest drop (chapters completed)": lambda s, p, n, now, raw: trends.chapter_reach_statement(
        s, raw=raw
    ),
    **{f"learners behind a cell ({who})": partial(_learners, who) for who in trends.WHO},
}
LEARNER_LISTS = {name for name in QUERIES if name.startswith("learners")}


def run_ms(connection: Connection, statement: Select[Any], runs: int) -> list[float]:
    connection.execute(statement).all()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(statement).all()
        times.append((time.perf_counter() - started) * 1e3)
    return times


@contextmanager
def connected(engine: Engine, *, before_0008: bool = False) -> Iterator[Connection]:
    """A connection; `before_0008`: inside a transaction that drops the indexes migration 0008
    added and is rolled back, so the baseline is planned as it was before them (the planner would
    otherwise use them for it too). It holds the table's lock meanwhile: a benchmark database."""
    with engine.connect() as connection:
        if not before_0008:
            yield connection
            return
        with connection.begin() as transaction:
            for moment in ("completed", "certified"):
                connection.execute(text(f"DROP INDEX ix_tutorial_progress_started_at_{moment}"))
            yield connection
            transaction.rollback()


def span(now: datetime, weeks: int, tutorials: tuple[str, ...]) -> Span:
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(1)
    return Span(end - timedelta(weeks=weeks), end, tutorials)


def cell(times: list[float]) -> str:
    return f"{statistics.median(times):,.1f} ms ({min(times):,.1f}–{max(times):,.1f})"


def slowest(
    engine: Engine,
    name: str,
    now: datetime,
    args: argparse.Namespace,
    *,
    raw: bool,
    runs: int | None = None,
    rounds: int | None = None,
) -> tuple[str, list[float]]:
    """The choice for which query `name`'s best pass had the slowest median, and its times. A
    learner list depends on the cohort size, N and the tutorials, not on the range: it runs for 4
    weeks only, but for every N the page offers."""
    build, learners = QUERIES[name], name in LEARNER_LISTS
    best: dict[str, list[float]] = {}
    with connected(engine, before_0008=learners and raw) as connection:
        for _ in range(rounds or args.rounds):
            for period, weeks, within, tutorials in product(
                PERIODS,
                WEEKS[:1] if learners else WEEKS,
                trends.MILESTONES if learners else WITHIN,
                ((), (args.tutorial,)),
            ):
                statement = build(span(now, weeks, tutorials), period, within, now, raw)
                times = run_ms(connection, statement, runs or args.runs)
                choice = f"{period}, {weeks} w, N={within}, {tutorials[0] if tutorials else 'all'}"
                kept = best.get(choice)
                if kept is None or statistics.median(times) < statistics.median(kept):
                    best[choice] = times
    return max(best.items(), key=lambda item: statistics.median(item[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2, help="passes; each choice keeps its best")
    parser.add_argument("--now", default=None, help="ISO 8601 end of the data (default: now)")
    parser.add_argument("--tutorial", default="docker-101", help="the one-tutorial choice")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    engine = open_engine()
    with engine.connect() as connection:
        pairs = connection.execute(select(func.count()).select_from(tutorial_progress)).scalar()
        rollup = connection.execute(select(func.count()).select_from(tutorial_cohort_days)).scalar()
        first, last = connection.execute(
            select(
                func.min(tutorial_progress.c.started_at), func.max(tutorial_progress.c.started_at)
            )
        ).one()
    print(f"data: {pairs:,} learner-tutorial pairs started {first:%Y-%m-%d} – {last:%Y-%m-%d}; ")
    print(f"{rollup:,} rows in tutorial_cohort_days; now = {now:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}; load average before: {os.getloadavg()}")
    print()
    print(
        "| query | slowest choice | ours: median (range) | naive, 52 weeks, all: median (range) |"
    )
    print("|---|---|---|---|")
    worst = 0.0
    for name, build in QUERIES.items():
        choice, times = slowest(engine, name, now, args, raw=False)
        worst = max(worst, statistics.median(times))
        if name in LEARNER_LISTS:
            before, before_times = slowest(engine, name, now, args, raw=True, runs=3, rounds=1)
            naive_cell = f"{cell(before_times)}, before 0008 (slowest: {before})"
        else:
            wide = span(now, 52, ())
            naive = build(wide, "week", 14, now, True)
            same = compiled_sql(naive) == compiled_sql(build(wide, "week", 14, now, False))
            with connected(engine) as connection:
                naive_cell = "— (the same query)" if same else cell(run_ms(connection, naive, 3))
        print(f"| {name} | {choice} | {cell(times)} | {naive_cell} |")
    print()
    print(
        f"slowest median: {worst:,.1f} ms (budget {BUDGET_MS:.0f} ms); load average after: "
        f"{os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
