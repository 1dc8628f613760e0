"""Each dashboard page's whole script run, cold and warm, on benchmark-sized data.

    python -m bench.pages [--learners 100000] [--api-logs 10000000] [--days 30] [--runs 5]
    DATABASE_URL=… python -m bench.pages --existing [--runs 5]

The table goes to stdout; Streamlit's notes about running without a server go to stderr.

Loads the demo data into a fresh embedded PostgreSQL (and folds the request logs into the
rollups, as `progress-ops demo-data` does) — or, with `--existing`, reads the database
`DATABASE_URL` names, already filled, without writing to it — then runs every page through
Streamlit's AppTest for the 24 h, 7 d and 30 d windows:

- cold: Streamlit's query caches emptied, a new session, the page's first run (the engine and its
  pool already exist, as in a running server; the background fold's warm-up is off, so this is
  the page's own script with nothing cached);
- warm: the same session's next runs (what a filter change back, an auto-refresh within the
  cache's 30 s, or a reload costs), median of `--runs`.

Targets (issue 3): cold ≤ 1 s, warm ≤ 150 ms. The baseline, in the same run, is the console
without a learner — the entry script, the sidebar, a title and one input: what Streamlit and the
app cost before any page reads data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.common import add_data_arguments, load_benchmark_data, machine, throwaway_database
from progress.db import make_engine, mask_url

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
WINDOWS = ("24h", "7d", "30d")
TUTORIAL = "react-hooks"
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


def time_page(page: str, query: dict[str, str], window: str, runs: int) -> tuple[float, float]:
    """(cold ms, warm median ms) of one page's whole script run."""
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update({"window": window, **query})
    app.switch_page(page)
    started = time.perf_counter()
    app.run()
    cold = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception[0].value}")
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    return cold * 1e3, statistics.median(warm) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_data_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--existing", action="store_true", help="read DATABASE_URL's data instead of loading"
    )
    args = parser.parse_args()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    os.environ["PROGRESS_OPS_WARM_WINDOWS"] = "[]"  # each cold run reads what it needs itself

    if args.existing:
        if "DATABASE_URL" not in os.environ:
            parser.error("--existing: set DATABASE_URL to a database filled with benchmark data")
        print(f"Machine: {machine()}; {mask_url(os.environ['DATABASE_URL'])}, as filled\n")
        time_pages(args.runs)
        return
    with throwaway_database() as url:
        engine = make_engine(url)
        summary, load_seconds, fold_seconds = load_benchmark_data(engine, args, now=now)
        loaded = load_seconds + fold_seconds
        engine.dispose()
        os.environ["DATABASE_URL"] = url
        print(f"Machine: {machine()}; embedded PostgreSQL 18")
        print(
            f"Data: {summary.progress_rows:,} learner-tutorial pairs of {args.learners:,} "
            f"learners, {summary.api_logs:,} api_logs rows, {summary.client_events:,} client "
            f"events over {args.days} days (loaded and folded in {loaded:.0f} s).\n"
        )
        time_pages(args.runs)


def time_pages(runs: int) -> None:
    """The table: every page's cold and warm script run, per window."""
    AppTest.from_file(APP, default_timeout=120).run()  # the engine, as a running server has
    header = " | ".join(f"{w} cold ms | {w} warm ms" for w in WINDOWS)
    print(f"| page | {header} |")
    print("|---|" + "---:|" * (2 * len(WINDOWS)))
    for name, (page, query) in PAGES.items():
        cells = []
        for window in WINDOWS:
            cold, warm = time_page(page, query, window, runs)
            cells += [f"{cold:,.0f}", f"{warm:,.0f}"]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
