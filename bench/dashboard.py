"""Every query behind the dashboard on benchmark-sized data (whole pages: `bench.pages`).

    python -m bench.dashboard [--learners 100000] [--api-logs 10000000] [--days 30]

Loads the demo data into a fresh embedded PostgreSQL (and folds the request logs into the
rollups, as `progress-ops demo-data` does), then times, warm, the median of five runs of each
query for windows of 1 h, 24 h, 7 d and 30 d, beside the brief's naive SQL for the same question
on the same data and window where the brief has one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from bench.common import add_data_arguments, load_benchmark_data, machine, throwaway_database
from progress.db import make_engine
from queries import api_health, certificates, client, learning, overview
from queries.window import Window

PRESETS = ("1h", "24h", "7d", "30d")
INTERVALS = {"1h": "1 hour", "24h": "24 hours", "7d": "7 days", "30d": "30 days"}
TUTORIAL = "react-hooks"

# The brief's monitoring SQL, with only its interval made the window's.
BRIEF_ERROR_RATE = """
SELECT endpoint, COUNT(*) as total_requests,
  SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) as errors,
  ROUND(100.0 * SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) / COUNT(*), 2)
    as error_rate_percent
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= NOW() - INTERVAL '{interval}' GROUP BY endpoint"""
NAIVE_P95 = """
SELECT endpoint, COUNT(*), AVG(response_time_ms),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time_ms)
FROM api_logs WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= NOW() - INTERVAL '{interval}' GROUP BY endpoint"""
BRIEF_DAILY_ACTIVE = """
SELECT tutorial_id, COUNT(DISTINCT user_id) as active_users,
  AVG(completion_percentage) as avg_completion
FROM tutorial_progress WHERE last_watched_at >= NOW() - INTERVAL '{interval}'
GROUP BY tutorial_id"""
BRIEF_CERTIFICATES = """
SELECT DATE(updated_at) as date, COUNT(*) as certificates_earned
FROM tutorial_progress WHERE certificate_earned = TRUE
AND updated_at >= NOW() - INTERVAL '{interval}'
GROUP BY DATE(updated_at) ORDER BY date DESC"""

Query = Callable[[Window], Any]
QUERIES: dict[str, tuple[Query, str | None]] = {
    "overview: API metrics (total)": (lambda w: overview.api_metrics_statement(w), NAIVE_P95),
    "overview: API metrics per day": (
        lambda w: overview.api_metrics_statement(w, by_day=True),
        NAIVE_P95,
    ),
    "overview: client metrics per day": (
        lambda w: overview.client_metrics_statement(w, by_day=True),
        None,
    ),
    "API health: endpoints": (api_health.endpoint_table_statement, BRIEF_ERROR_RATE),
    "API health: timeline": (api_health.timeline_statement, NAIVE_P95),
    "migration: failures by reason": (client.migration_failures_statement, None),
    "migration: fallbacks by operation": (client.fallbacks_by_operation_statement, None),
    "learning: daily active tutorials": (
        learning.daily_active_tutorials_statement,
        BRIEF_DAILY_ACTIVE,
    ),
    "learning: active learners per day": (learning.active_learners_per_day_statement, None),
    "learning: completion bands": (learning.completion_distribution_statement, None),
    "learning: time to certificate": (learning.time_to_complete_statement, None),
    "learning: quizzes": (learning.quiz_results_statement, None),
    "learning: funnel": (lambda w: learning.chapter_funnel_statement(w, TUTORIAL), None),
    "learning: stop positions": (lambda w: learning.stop_positions_statement(w, TUTORIAL), None),
    "learning: stuck learners": (
        lambda w: learning.stuck_learners_statement(w, TUTORIAL, "ch-05"),
        None,
    ),
    "learning: at risk": (learning.at_risk_statement, None),
    "certificates: per day": (certificates.awards_per_day_statement, BRIEF_CERTIFICATES),
    "certificates: by tutorial": (certificates.awards_by_tutorial_statement, None),
}


def median_ms(engine: Engine, statement: Any, runs: int = 5) -> float:
    timings = []
    with engine.connect() as connection:
        connection.execute(statement).all()  # warm
        for _ in range(runs):
            started = time.perf_counter()
            connection.execute(statement).all()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_arguments(parser)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    with throwaway_database() as url:
        engine = make_engine(url)
        summary, loaded, folded = load_benchmark_data(engine, args, now=now)
        print(f"Machine: {machine()}; embedded PostgreSQL 18")
        print(
            f"Data: {summary.progress_rows:,} learner-tutorial pairs of {args.learners:,} learners,"
            " "
            f"{summary.api_logs:,} api_logs rows and {summary.client_events:,} client events over "
            f"{args.days} days; loaded in {loaded:.0f} s, folded into rollups in {folded:.1f} s.\n"
        )
        print(
            "| query | " + " | ".join(f"{p} ms" for p in PRESETS) + " | brief's SQL, 30 d | ratio |"
        )
        print("|---|" + "---:|" * (len(PRESETS) + 2))
        for name, (build, naive) in QUERIES.items():
            ours = [median_ms(engine, build(Window.last(p, now=now))) for p in PRESETS]
            row = f"| {name} | " + " | ".join(f"{ms:.1f}" for ms in ours)
            if naive:
                brief = median_ms(engine, text(naive.format(interval=INTERVALS["30d"])), runs=3)
                row += f" | {brief:,.0f} | {brief / ours[-1]:,.0f}× |"
            else:
                row += " | – | – |"
            print(row)
        engine.dispose()


if __name__ == "__main__":
    main()
