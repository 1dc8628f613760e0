"""Shared by the benchmark scripts: a throwaway embedded server, percentiles, the machine."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text

from progress.db import start_embedded, upgrade
from progress.demo import DemoSpec, DemoSummary, load_demo_data
from queries.rollups import refresh


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated embedded PostgreSQL, deleted afterwards; yields its SQLAlchemy URL."""
    directory = Path(tempfile.mkdtemp(prefix="progress-ops-bench-"))
    directory.chmod(0o755)
    server = start_embedded(directory / "postgres", delete_on_exit=True)
    try:
        url = str(server.get_uri(driver="psycopg"))
        upgrade(url)
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of durations given in seconds, in milliseconds."""
    ordered = sorted(seconds)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": cuts[49] * 1e3,
        "p95": cuts[94] * 1e3,
        "p99": cuts[98] * 1e3,
        "mean": statistics.fmean(ordered) * 1e3,
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark data size: 100k learners and 10M requests over 30 days unless told."""
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--api-logs", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)


def load_benchmark_data(
    engine: Engine, args: argparse.Namespace, *, now: datetime
) -> tuple[DemoSummary, float, float]:
    """Demo data of the requested size, folded into the rollups and analysed, as
    `progress-ops demo-data` leaves it; returns the summary, load and fold seconds."""
    spec = DemoSpec(args.learners, args.days, 7, now, api_logs=args.api_logs)
    started = time.perf_counter()
    summary = load_demo_data(engine, spec)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    refresh(engine)
    folded = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return summary, loaded, folded
