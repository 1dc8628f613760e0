"""Each dashboard page's whole script run, cold and warm, on benchmark-sized data.

    python -m bench.pages [--learners 100000] [--api-logs 10000000] [--days 30] [--runs 3]
    python -m bench.pages --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_speed

The table goes to stdout; Streamlit's notes about running without a server go to stderr.

Loads the demo data into a fresh embedded PostgreSQL (and folds the request logs into the
rollups, as `progress-ops demo-data` does) — or reads `--url`, a database loaded that way, with
every connection read only (the dashboard's background fold then fails and folds nothing) — then
runs every page through Streamlit's AppTest for the 24 h, 7 d and 30 d windows, in each run:

- cold: Streamlit's query caches emptied, a new session, the page's first run (the engine and its
  pool already exist, as in a running server);
- warm: the same session's next run (what a filter change back, an auto-refresh within the
  cache's 30 s, or a reload costs).

Every cell is the median of `--runs` runs with the range.

Targets (issue 3): cold ≤ 1 s, warm ≤ 150 ms. The baseline, in the same run, is the console
without a learner — the entry script, the sidebar, a title and one input: what Streamlit and the
app cost before any page reads data.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.common import (
    add_data_arguments,
    add_runs_argument,
    benchmark_data,
    markdown_table,
    measuring,
    repeat,
    slowest,
)

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
WINDOWS = ("24h", "7d", "30d")
TUTORIAL = "react-hooks"
BUDGETS = {"cold": 1000.0, "warm": 150.0}
PAGES = {
    "Overview": ("views/overview.py", {}),
    "API health": ("views/api_health.py", {}),
    "Migration & fallback": ("views/migration.py", {}),
    "Learning activity, all tutorials": ("views/learning.py", {}),
    "Learning activity, one tutorial": ("views/learning.py", {"tutorial": TUTORIAL}),
    "Certificates": ("views/certificates.py", {}),
    "Progress console (a learner)": (
        "views/console/page.py",
        {"user": "learner-000042", "tutorial": TUTORIAL},
    ),
    "baseline: console, no learner": ("views/console/page.py", {}),
}


def time_page(page: str, query: dict[str, str], window: str) -> tuple[float, float]:
    """(cold ms, warm ms) of one page's whole script run: its first run in a new session with
    the query caches emptied, then the same session's next run."""
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update({"window": window, **query})
    app.switch_page(page)
    started = time.perf_counter()
    app.run()
    cold = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception[0].value}")
    started = time.perf_counter()
    app.run()
    warm = time.perf_counter() - started
    return cold * 1e3, warm * 1e3


def measure(_run: int) -> dict[tuple[str, str, str], float]:
    """One run: every page, every window, cold then warm. (page, window, 'cold'/'warm') → ms."""
    figures = {}
    for name, (page, query) in PAGES.items():
        for window in WINDOWS:
            cold, warm = time_page(page, query, window)
            figures[name, window, "cold"] = cold
            figures[name, window, "warm"] = warm
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_data_arguments(parser)
    add_runs_argument(parser)
    args = parser.parse_args()
    os.environ["PROGRESS_OPS_WARM_WINDOWS"] = "[]"  # each cold run reads what it needs itself

    with benchmark_data(args, now=datetime.now(UTC).replace(second=0, microsecond=0)) as data:
        os.environ["DATABASE_URL"] = data.url
        print(f"Data: {data.description}; the pages' windows end now.")
        AppTest.from_file(APP, default_timeout=120).run()  # the engine, as a running server has
        with measuring(data.url, args.runs):
            figures = repeat(measure, args.runs)
            print()
            print(
                markdown_table(
                    ["page", *(f"{w} {kind} ms" for w in WINDOWS for kind in ("cold", "warm"))],
                    [
                        [
                            name,
                            *(
                                figures[name, w, kind].cell(0, budget=BUDGETS[kind])
                                for w in WINDOWS
                                for kind in BUDGETS
                            ),
                        ]
                        for name in PAGES
                    ],
                )
            )
            for kind, budget in BUDGETS.items():
                worst = slowest((f for (_, _, k), f in figures.items() if k == kind))
                print(
                    f"\nSlowest {kind}: {worst.cell(0)} ms — "
                    f"{worst.verdict(budget, f'the {budget:,.0f} ms budget')}."
                )


if __name__ == "__main__":
    main()
