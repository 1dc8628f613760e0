"""HTTP latency and throughput of the API, with and without request logging, in one run.

    python -m bench.api_latency [--requests 3000] [--concurrency 8] [--workers 1] [--runs 3]

A fresh embedded PostgreSQL with 300 learners × 8 chapters of progress; the API served by
`progress-ops api` (uvicorn, `--workers` processes) on 127.0.0.1; a closed-loop client (httpx,
`--concurrency` requests in flight at once, keep-alive) sends `--requests` GETs of a learner's
progress, then as many chapter updates. The same is repeated with `PROGRESS_OPS_API_REQUEST_LOG`
off — the baseline for what logging costs. Each run serves with logging on, then off; every
figure is the median of `--runs` runs with the range. Client and server share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.common import (
    add_runs_argument,
    markdown_table,
    measuring,
    percentiles_ms,
    repeat,
    slowest,
    throwaway_database,
)
from progress import routes
from progress.db import make_engine
from progress.request_log import RequestLog
from progress.schema import api_logs
from progress.service import ProgressService

LEARNERS = 300
CHAPTERS = 8
TUTORIAL = "bench"
TARGET_AVG_MS = 200
TARGET_P95_MS = 500
STATISTICS = ("p50", "p95", "p99", "mean")


def seed(url: str) -> None:
    engine = make_engine(url)
    service = ProgressService(engine)
    for learner, chapter in itertools.product(range(LEARNERS), range(CHAPTERS)):
        service.update_chapter_progress(
            TUTORIAL,
            f"learner-{learner}",
            chapter_id=f"ch-{chapter}",
            watch_time=10,
            completed=False,
            last_position=10,
            total_chapters=CHAPTERS,
            actor="bench",
            source="api",
        )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(url: str, *, logging: bool, workers: int, port: int = 0) -> Iterator[str]:
    """`progress-ops api` on loopback `port` (0: a free one) until the block ends (then SIGTERM)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PROGRESS_OPS_API_ALLOW_ANONYMOUS": "true",
        "PROGRESS_OPS_API_REQUEST_LOG": "true" if logging else "false",
    }
    command = [
        str(Path(sys.executable).with_name("progress-ops")),
        "api",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def request_for(kind: str, number: int) -> tuple[str, str, dict[str, Any]]:
    learner = f"learner-{number % LEARNERS}"
    if kind == "GET":
        path = routes.PROGRESS.replace("{tutorial_id}", TUTORIAL)
        return "GET", path, {"params": {"userId": learner}}
    body = {
        "userId": learner,
        "chapterId": f"ch-{number % CHAPTERS}",
        "watchTime": 20 + number,
        "completed": number % 3 == 0,
        "lastPosition": 20 + number,
    }
    return "POST", routes.CHAPTER.replace("{tutorial_id}", TUTORIAL), {"json": body}


async def drive(base: str, kind: str, total: int, concurrency: int) -> tuple[list[float], float]:
    """Closed loop: `concurrency` workers, each sending its next request when one is answered."""
    latencies: list[float] = []
    numbers = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            for number in numbers:
                method, path, options = request_for(kind, number)
                started = time.perf_counter()
                response = await client.request(method, path, **options)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


def record_cost_us(rows: int = 200_000) -> float:
    """Mean cost of `RequestLog.record` (what logging adds on the request path), in µs."""
    log = RequestLog(
        make_engine("postgresql+psycopg://unused@127.0.0.1:1/unused"),
        batch_rows=rows + 1,
        max_pending=rows + 1,
    )
    at = datetime.now(UTC)
    started = time.perf_counter()
    for _ in range(rows):
        log.record(
            at=at,
            method="GET",
            endpoint=routes.PROGRESS,
            status_code=200,
            response_time_ms=1.0,
            user_id="learner-1",
        )
    return (time.perf_counter() - started) / rows * 1e6


def measure_round(url: str, args: argparse.Namespace) -> dict[tuple[str, bool, str], float]:
    """One run: the API with logging on, then off; per request kind, req/s and the latencies."""
    figures: dict[tuple[str, bool, str], float] = {}
    for logging in (True, False):
        with serving(url, logging=logging, workers=args.workers, port=args.port) as base:
            asyncio.run(drive(base, "GET", 300, args.concurrency))  # warm-up
            for kind in ("GET", "POST"):
                latencies, elapsed = asyncio.run(drive(base, kind, args.requests, args.concurrency))
                figures[kind, logging, "req/s"] = len(latencies) / elapsed
                for stat, value in percentiles_ms(latencies).items():
                    figures[kind, logging, stat] = value
    figures["record", True, "µs"] = record_cost_us()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="the API's port (default: a free one)")
    add_runs_argument(parser)
    args = parser.parse_args()
    if not (1 <= args.requests <= 100_000 and 1 <= args.concurrency <= 256 and 1 <= args.runs <= 9):
        raise SystemExit("--requests 1–100000, --concurrency 1–256, --runs 1–9")

    print(
        f"{args.requests:,} requests per row and run, {args.concurrency} in flight, "
        f"{args.workers} uvicorn worker(s), {LEARNERS} learners × {CHAPTERS} chapters; "
        "logging on and off alternate within each run"
    )
    with throwaway_database() as url:
        seed(url)
        with measuring(url, args.runs):
            figures = repeat(lambda _run: measure_round(url, args), args.runs)
            engine = make_engine(url)
            with engine.connect() as connection:
                logged = connection.execute(select(func.count()).select_from(api_logs)).scalar_one()
            engine.dispose()
            names = {"GET": f"GET {routes.PROGRESS}", "POST": f"POST {routes.CHAPTER}"}
            print()
            print(
                markdown_table(
                    ["request", "logging", "req/s", *(f"{s} ms" for s in STATISTICS)],
                    [
                        [
                            f"`{names[kind]}`",
                            "on" if logging else "off (baseline)",
                            figures[kind, logging, "req/s"].cell(0),
                            *(figures[kind, logging, s].cell(2) for s in STATISTICS),
                        ]
                        for kind in ("GET", "POST")
                        for logging in (False, True)
                    ],
                    text_columns=2,
                )
            )
            verdicts = []
            for stat, target, name in (
                ("mean", TARGET_AVG_MS, "avg"),
                ("p95", TARGET_P95_MS, "p95"),
            ):
                worst = slowest(
                    figures[kind, logging, stat] for kind in names for logging in (True, False)
                )
                verdicts.append(
                    f"{stat} {worst.cell()} ms, {worst.verdict(target, f'{name} < {target} ms')}"
                )
            print(f"\nBrief's targets, the worst row: {'; '.join(verdicts)}.")
            sent = args.runs * (2 * args.requests + 300)
            print(
                f"api_logs rows written: {logged:,} (requests sent with logging on: {sent:,}, "
                "plus one /health per start)"
            )
            print(
                "RequestLog.record on the request path: "
                f"{figures['record', True, 'µs'].cell(2)} µs per request"
            )


if __name__ == "__main__":
    main()
