"""`progress-ops demo-data` as it is and as it was at an earlier revision, runs interleaved.

    python -m bench.demo_load --learners 20000 --days 180 --runs 3 [--before 6fc9517]

Each run loads into a new database on the `--server` (created, loaded, dropped), through the
command itself: generation, load, and the fold into the rollups, as a user waits for them. The
earlier revision runs from `git archive` in a temporary directory, with this checkout's Python
environment. Prints each run, then per revision the median seconds with the range, learners a
minute, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from bench.common import machine

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from commands import main; sys.exit(main())"


def checkout(revision: str, directory: Path) -> Path:
    """The files of `revision` (git) in `directory`."""
    archive = subprocess.run(
        ["git", "archive", revision], check=True, capture_output=True, cwd=ROOT
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    return directory


def load_seconds(code: Path, server: str, database: str, arguments: list[str]) -> float:
    """Seconds `progress-ops demo-data` (the code in `code`) takes on a new database."""
    admin = make_url(server).set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    url = make_url(server).set(database=database).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", RUN, "demo-data", *arguments],
            cwd=code,  # its packages come first on the path
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
        print(f"    {done.stdout.strip()}")
        return seconds
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}"')


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default="6fc9517", help="the earlier revision (git)")
    parser.add_argument(
        "--server",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="where to create the databases (a URL; its database is not used)",
    )
    args = parser.parse_args()
    arguments = [
        *("--learners", str(args.learners), "--days", str(args.days), "--seed", "11"),
        *("--now", "2026-12-02T00:00:00Z"),
    ]
    print(f"machine: {machine()}")
    seconds: dict[str, list[float]] = {args.before: [], "this checkout": []}
    loads: list[str] = []
    with tempfile.TemporaryDirectory(prefix="progress-ops-before-") as directory:
        codes = {args.before: checkout(args.before, Path(directory)), "this checkout": ROOT}
        for run in range(args.runs):
            for name, code in codes.items():
                before = load_average()
                taken = load_seconds(code, args.server, f"bench_demo_load_{run}", arguments)
                loads.append(f"{before} → {load_average()}")
                seconds[name].append(taken)
                print(f"run {run + 1}, {name}: {taken:.1f} s (load average {loads[-1]})")
    print()
    print("| code | median s (range) | learners a minute |")
    print("|---|---:|---:|")
    for name, runs in seconds.items():
        median = statistics.median(runs)
        print(
            f"| {name} | {median:,.1f} ({min(runs):,.1f}–{max(runs):,.1f}) |"
            f" {args.learners / median * 60:,.0f} |"
        )
    print(f"load average (1, 5, 15 min) before → after each run: {'; '.join(loads)}")


if __name__ == "__main__":
    main()
