"""Shared by the benchmark scripts: a throwaway embedded server or an existing database read
only, percentiles, the machine, and the one way every script reports a figure — the median of
`--runs` runs with its range, and the load average before and after."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, func, make_url, select, text
from sqlalchemy.pool import Pool

from progress.db import analyze, make_engine, start_embedded, upgrade
from progress.demo import DemoSpec, DemoSummary, load_demo_data
from progress.schema import api_logs, client_events, tutorial_progress
from queries.rollups import refresh

Key = TypeVar("Key", bound=Hashable)
DEFAULT_RUNS = 3
LOADAVG = Path("/proc/loadavg")


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


def server_place(url: str) -> str:
    """Where the PostgreSQL of `url` runs: the embedded server over its Unix socket, or a host."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if not host or str(host).startswith("/"):
        return "embedded (Unix socket)"
    return f"on {host}:{parsed.port or 5432}"


def postgres_line(version: str, url: str) -> str:
    return f"PostgreSQL {version} {server_place(url)}"


def machine_line(url: str) -> str:
    """The machine and the database server a run measured: cores, RAM, Python, PostgreSQL."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()
    return f"{machine()}, {postgres_line(version.split()[0], url)}"


# The median and range of every figure over several runs.


@dataclass(frozen=True)
class Spread:
    """One figure over several runs. Reported as its median with the range, never the best run:
    a budget is met when the median is within it."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("a figure needs at least one run")

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def within(self, budget: float) -> bool:
        return self.median <= budget

    def verdict(self, budget: float, what: str) -> str:
        """'within the 60 s budget by the median' or 'over …'."""
        return f"{'within' if self.within(budget) else 'over'} {what} by the median"

    def cell(self, digits: int = 1, *, budget: float | None = None) -> str:
        """'median (min–max)'; bold when the median is over `budget`."""
        median = number(self.median, digits)
        if budget is not None and not self.within(budget):
            median = f"**{median}**"
        return f"{median} ({number(self.low, digits)}–{number(self.high, digits)})"


def number(value: float, digits: int = 1) -> str:
    """Thousands separated; no decimals from 1,000 up (a tenth of a second is noise there)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.{digits}f}"


def spread(values: Iterable[float]) -> Spread:
    return Spread(tuple(values))


def slowest(spreads: Iterable[Spread]) -> Spread:
    """The figure with the highest median: the one a budget is judged by."""
    return max(spreads, key=lambda figure: figure.median)


def repeat(measure: Callable[[int], Mapping[Key, float]], runs: int) -> dict[Key, Spread]:
    """Call `measure(run)` for run 0 … runs-1; every figure it returns, over all the runs.

    A run measures everything once (ours and the baseline in turn), so a neighbour's burst of
    load falls on both and shows in the range instead of hiding in a best round."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    samples: dict[Key, list[float]] = {}
    for run in range(runs):
        for key, value in measure(run).items():
            samples.setdefault(key, []).append(value)
    return {key: spread(values) for key, values in samples.items()}


def seconds_of(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# The load the machine was under.


@dataclass(frozen=True)
class LoadAverage:
    one: float
    five: float
    fifteen: float

    @classmethod
    def parse(cls, text_: str) -> LoadAverage:
        """From the text of /proc/loadavg: '0.52 0.58 0.59 1/467 12345'."""
        fields = text_.split()
        if len(fields) < 3:
            raise ValueError(f"not a load average: {text_!r}")
        return cls(float(fields[0]), float(fields[1]), float(fields[2]))

    def __str__(self) -> str:
        return f"{self.one:.2f} / {self.five:.2f} / {self.fifteen:.2f}"


def load_average(path: Path = LOADAVG) -> LoadAverage:
    return LoadAverage.parse(path.read_text())


def load_line(before: LoadAverage, after: LoadAverage, cores: int | None = None) -> str:
    cores = cores or os.cpu_count() or 1
    return f"Load average (1 / 5 / 15 min, {cores} cores): {before} before, {after} after."


def runs_line(runs: int) -> str:
    return f"Each cell: median of {runs} runs (min–max)."


@contextmanager
def measuring(url: str, runs: int) -> Iterator[None]:
    """Print the machine before a measurement, and the runs and the load average before and
    after it at the end: the lines that go above and below a table in docs/benchmarks.md."""
    print(f"Machine: {machine_line(url)}")
    before = load_average()
    yield
    after = load_average()
    print(f"\n{runs_line(runs)} {load_line(before, after)}")


def markdown_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    text_columns: int = 1,
    also_text: Collection[int] = (),
) -> str:
    """A Markdown table: the first `text_columns` columns and those in `also_text` (indices)
    left-aligned, the figures right."""
    align = [
        "---" if index < text_columns or index in also_text else "---:"
        for index in range(len(header))
    ]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def positive_runs(value: str) -> int:
    runs = int(value)
    if runs < 1:
        raise argparse.ArgumentTypeError(f"--runs must be at least 1, not {runs}")
    return runs


def add_runs_argument(parser: argparse.ArgumentParser, default: int = DEFAULT_RUNS) -> None:
    parser.add_argument(
        "--runs",
        type=positive_runs,
        default=default,
        help=f"times the whole measurement runs; each figure is their median (default {default})",
    )


# The data a benchmark reads.


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark data size: 100k learners and 10M requests over 30 days unless told; or
    `--url` of a database already loaded that way (read, never written)."""
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--api-logs", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--url",
        default=None,
        help="an existing database loaded by `progress-ops demo-data` (e.g. bench_speed), read "
        "only, instead of loading a throwaway one",
    )


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
    analyze(engine)
    return summary, loaded, folded


@contextmanager
def read_only_connections() -> Iterator[None]:
    """Within the block, every connection this process opens refuses to write: a benchmark on a
    database someone else loaded (and others read) cannot change it, even by a background fold."""

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET default_transaction_read_only = on")
        cursor.close()
        dbapi_connection.commit()

    event.listen(Pool, "connect", read_only)
    try:
        yield
    finally:
        event.remove(Pool, "connect", read_only)


@dataclass(frozen=True)
class BenchmarkData:
    url: str
    now: datetime  # the data's end: windows end here
    description: str


def _existing(url: str) -> BenchmarkData:
    engine = make_engine(url)
    with engine.connect() as connection:
        pairs, learners = connection.execute(
            select(func.count(), func.count(tutorial_progress.c.user_id.distinct()))
        ).one()
        requests, first, last = connection.execute(
            select(func.count(), func.min(api_logs.c.timestamp), func.max(api_logs.c.timestamp))
        ).one()
        events = connection.execute(select(func.count()).select_from(client_events)).scalar_one()
    engine.dispose()
    now = last.replace(second=0, microsecond=0) + timedelta(minutes=1)
    days = (last - first) / timedelta(days=1)
    return BenchmarkData(
        url,
        now,
        f"{pairs:,} learner-tutorial pairs of {learners:,} learners, {requests:,} api_logs rows "
        f"and {events:,} client events over {days:.0f} days, in the existing database "
        f"{make_url(url).database} (read only), ending {now:%Y-%m-%d %H:%M} UTC",
    )


@contextmanager
def benchmark_data(args: argparse.Namespace, *, now: datetime) -> Iterator[BenchmarkData]:
    """`--url` read only, or a throwaway embedded database loaded with `--learners` … ending
    at `now`."""
    if args.url:
        with read_only_connections():
            yield _existing(args.url)
        return
    with throwaway_database() as url:
        engine = make_engine(url)
        summary, loaded, folded = load_benchmark_data(engine, args, now=now)
        engine.dispose()
        yield BenchmarkData(
            url,
            now,
            f"{summary.progress_rows:,} learner-tutorial pairs of {args.learners:,} learners, "
            f"{summary.api_logs:,} api_logs rows and {summary.client_events:,} client events "
            f"over {args.days} days (loaded in {loaded:.0f} s, folded into the rollups in "
            f"{folded:.0f} s)",
        )
