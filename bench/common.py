"""Shared by the benchmark scripts: a throwaway embedded server, percentiles, the machine."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from progress.db import start_embedded, upgrade


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
