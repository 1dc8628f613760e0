"""Every query behind the dashboard, on benchmark-sized data, beside the naive SQL for the same
question (the brief's where it has one) — same data, same window, same run.

    python -m bench.queries [--learners 100000] [--api-logs 10000000] [--days 30] [--runs 3]
    python -m bench.queries --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_speed

Loads the demo data into a fresh embedded PostgreSQL and folds it into the rollups (as
`progress-ops demo-data` does) — or reads `--url`, a database loaded that way, without writing
to it — then, for windows of 1 h, 24 h, 7 d and 30 d ending at the data's end, times each query
warm (statement sent, every row fetched) and the naive SQL beside it. A run times each of them
once (the first run after an untimed warm-up); every cell is the median of `--runs` runs with the
range. Budget: 100 ms, by the median.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine, TextClause, text

from bench.common import (
    Spread,
    add_data_arguments,
    add_runs_argument,
    benchmark_data,
    markdown_table,
    measuring,
    repeat,
    slowest,
)
from progress.db import make_engine
from queries import api_health, certificates, client, learning, overview
from queries.window import Window

PRESETS = ("1h", "24h", "7d", "30d")
BUDGET_MS = 100.0
TUTORIAL = "react-hooks"
CHAPTER = "ch-05"

# The naive SQL for each question: straight over the raw rows. The brief's three queries keep
# their text; only `NOW() - INTERVAL '…'` becomes the window's bounds (same cost, same rows).
BRIEF_ERROR_RATE = """
SELECT endpoint, COUNT(*) as total_requests,
  SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) as errors,
  ROUND(100.0 * SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) / COUNT(*), 2)
    as error_rate_percent
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= :start AND timestamp < :end
GROUP BY endpoint"""
NAIVE_P95_BY_ENDPOINT = """
SELECT endpoint, COUNT(*), AVG(response_time_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms)
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= :start AND timestamp < :end
GROUP BY endpoint"""
NAIVE_API_METRICS = """
SELECT COUNT(*), SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END), AVG(response_time_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms)
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= :start AND timestamp < :end"""
NAIVE_API_METRICS_PER_DAY = """
SELECT DATE(timestamp), COUNT(*), SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END),
  AVG(response_time_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms)
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= :start AND timestamp < :end
GROUP BY DATE(timestamp)"""
NAIVE_API_TIMELINE = """
SELECT date_bin(CAST(:bucket AS interval), timestamp, TIMESTAMPTZ '2000-01-01 00:00+00'),
  COUNT(*), SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END), AVG(response_time_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms)
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= :start AND timestamp < :end
GROUP BY 1"""
NAIVE_CLIENT_PER_DAY = """
SELECT DATE(occurred_at),
  COUNT(*) FILTER (WHERE kind = 'migration' AND outcome = 'succeeded'),
  COUNT(*) FILTER (WHERE kind = 'migration' AND outcome = 'failed'),
  COUNT(*) FILTER (WHERE kind = 'fallback')
FROM client_events WHERE occurred_at >= :start AND occurred_at < :end
GROUP BY DATE(occurred_at)"""
NAIVE_FAILURES = """
SELECT reason, COUNT(*), SUM(record_count) FROM client_events
WHERE kind = 'migration' AND outcome = 'failed'
AND occurred_at >= :start AND occurred_at < :end
GROUP BY reason"""
NAIVE_FALLBACKS = """
SELECT operation, COUNT(*) FROM client_events
WHERE kind = 'fallback' AND occurred_at >= :start AND occurred_at < :end
GROUP BY operation"""
BRIEF_DAILY_ACTIVE = """
SELECT tutorial_id, COUNT(DISTINCT user_id) as active_users,
  AVG(completion_percentage) as avg_completion
FROM tutorial_progress WHERE last_watched_at >= :start AND last_watched_at < :end
GROUP BY tutorial_id"""
NAIVE_ACTIVE_LEARNERS = """
SELECT DATE(c.updated_at), COUNT(DISTINCT p.user_id)
FROM chapter_progress c JOIN tutorial_progress p ON p.id = c.progress_id
WHERE c.updated_at >= :start AND c.updated_at < :end
GROUP BY DATE(c.updated_at)"""
NAIVE_TIME_TO_CERTIFICATE = """
SELECT p.tutorial_id, EXTRACT(EPOCH FROM c.awarded_at - p.created_at) / 86400.0
FROM tutorial_certificates c JOIN tutorial_progress p ON p.id = c.progress_id
WHERE c.awarded_at >= :start AND c.awarded_at < :end"""
BRIEF_CERTIFICATES = """
SELECT DATE(updated_at) as date, COUNT(*) as certificates_earned
FROM tutorial_progress WHERE certificate_earned = TRUE
AND updated_at >= :start AND updated_at < :end
GROUP BY DATE(updated_at) ORDER BY date DESC"""


Ours = Callable[[Engine, Window], Any]


def statement(build: Callable[[Window], Any]) -> Ours:
    def run(engine: Engine, window: Window) -> Any:
        with engine.connect() as connection:
            return connection.execute(build(window)).all()

    return run


@dataclass(frozen=True)
class Question:
    name: str
    ours: Ours
    naive: str | None = None
    naive_label: str = "naive"


QUESTIONS = [
    Question(
        "overview: the five targets (cards: window and the one before)",
        lambda engine, window: overview.target_report(engine, window),
    ),
    Question(
        "overview: API metrics (total)",
        statement(overview.api_metrics_statement),
        NAIVE_API_METRICS,
        "percentile_cont",
    ),
    Question(
        "overview: API metrics per day",
        statement(lambda w: overview.api_metrics_statement(w, by_day=True)),
        NAIVE_API_METRICS_PER_DAY,
        "percentile_cont",
    ),
    Question(
        "overview: client metrics per day",
        statement(lambda w: overview.client_metrics_statement(w, by_day=True)),
        NAIVE_CLIENT_PER_DAY,
    ),
    Question(
        "overview: sparkline series",
        lambda engine, window: overview.target_series(engine, window),
        NAIVE_API_TIMELINE,
        "percentile_cont",
    ),
    Question(
        "API health: endpoints",
        statement(api_health.endpoint_table_statement),
        BRIEF_ERROR_RATE,
        "brief's SQL",
    ),
    Question(
        "API health: endpoints (p95 baseline)",
        statement(api_health.endpoint_table_statement),
        NAIVE_P95_BY_ENDPOINT,
        "percentile_cont",
    ),
    Question(
        "API health: timeline",
        statement(api_health.timeline_statement),
        NAIVE_API_TIMELINE,
        "percentile_cont",
    ),
    Question(
        "migration: failures by reason",
        statement(client.migration_failures_statement),
        NAIVE_FAILURES,
    ),
    Question(
        "migration: fallbacks by operation",
        statement(client.fallbacks_by_operation_statement),
        NAIVE_FALLBACKS,
    ),
    Question(
        "learning: daily active tutorials",
        statement(learning.daily_active_tutorials_statement),
        BRIEF_DAILY_ACTIVE,
        "brief's SQL",
    ),
    Question(
        "learning: active learners per day",
        statement(learning.active_learners_per_day_statement),
        NAIVE_ACTIVE_LEARNERS,
    ),
    Question(
        "learning: active learners per day, one tutorial",
        statement(lambda w: learning.active_learners_per_day_statement(w, TUTORIAL)),
    ),
    Question("learning: completion bands", statement(learning.completion_distribution_statement)),
    Question(
        "learning: time to certificate (binned)",
        statement(learning.time_to_certificate_statement),
        NAIVE_TIME_TO_CERTIFICATE,
        "a row per certificate",
    ),
    Question("learning: quizzes", statement(learning.quiz_results_statement)),
    Question(
        "learning: funnel", statement(lambda w: learning.chapter_funnel_statement(w, TUTORIAL))
    ),
    Question(
        "learning: stop positions",
        statement(lambda w: learning.stop_positions_statement(w, TUTORIAL)),
    ),
    Question(
        "learning: stuck learners",
        statement(lambda w: learning.stuck_learners_statement(w, TUTORIAL, CHAPTER)),
    ),
    Question("learning: at risk", statement(learning.at_risk_statement)),
    Question("sidebar: tutorials", statement(lambda _w: learning.tutorials_statement())),
    Question(
        "certificates: per day",
        statement(certificates.awards_per_day_statement),
        BRIEF_CERTIFICATES,
        "brief's SQL",
    ),
    Question("certificates: by tutorial", statement(certificates.awards_by_tutorial_statement)),
]


Figures = dict[tuple[str, str, str], float]


def elapsed_ms(run: Callable[[], object], *, warm: bool) -> float:
    """One timed execution, after an untimed one when `warm` (the first run's caches)."""
    if warm:
        run()
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1e3


def naive_runner(engine: Engine, sql: TextClause, window: Window) -> Callable[[], object]:
    bounds = {"start": window.start, "end": window.end, "bucket": api_health.bucket_for(window)}

    def run() -> object:
        with engine.connect() as connection:
            return connection.execute(sql, bounds).all()

    return run


def measure(engine: Engine, now: datetime, run: int) -> Figures:
    """One run: every question for every window, ours then the naive SQL, each once (the first
    run warms each first). (question, preset, 'ours' or 'naive') → ms."""
    figures: Figures = {}
    for question in QUESTIONS:
        for preset in PRESETS:
            window = Window.last(preset, now=now)
            ours = partial(question.ours, engine, window)
            figures[question.name, preset, "ours"] = elapsed_ms(ours, warm=run == 0)
            if question.naive is not None:
                naive = naive_runner(engine, text(question.naive), window)
                figures[question.name, preset, "naive"] = elapsed_ms(naive, warm=run == 0)
    return figures


def ratio_cell(ours: Spread, naive: Spread) -> str:
    ratio = naive.median / ours.median
    return f"{naive.cell()} · {ratio:,.1f}×" if ratio < 10 else f"{naive.cell()} · {ratio:,.0f}×"


def table(figures: dict[tuple[str, str, str], Spread]) -> str:
    header = [
        "query",
        *(f"{p} ms" for p in PRESETS),
        "baseline",
        *(f"baseline {p} ms · ÷ ours" for p in PRESETS),
    ]
    rows = []
    for question in QUESTIONS:
        ours = [figures[question.name, p, "ours"] for p in PRESETS]
        row = [question.name, *(o.cell(budget=BUDGET_MS) for o in ours)]
        if question.naive is None:
            row += ["–", *("–" for _ in PRESETS)]
        else:
            row.append(question.naive_label)
            row += [
                ratio_cell(o, figures[question.name, p, "naive"])
                for o, p in zip(ours, PRESETS, strict=True)
            ]
        rows.append(row)
    return markdown_table(header, rows, also_text={len(PRESETS) + 1})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_data_arguments(parser)
    add_runs_argument(parser)
    args = parser.parse_args()

    with benchmark_data(args, now=datetime.now(UTC).replace(second=0, microsecond=0)) as data:
        print(f"Data: {data.description}.")
        engine = make_engine(data.url)
        with measuring(data.url, args.runs):
            figures = repeat(partial(measure, engine, data.now), args.runs)
            print()
            print(table(figures))
            worst = slowest((f for (_, _, side), f in figures.items() if side == "ours"))
            print(
                f"\nSlowest of ours: {worst.cell()} ms — "
                f"{worst.verdict(BUDGET_MS, f'the {BUDGET_MS:.0f} ms budget')}."
            )
        engine.dispose()


if __name__ == "__main__":
    main()
