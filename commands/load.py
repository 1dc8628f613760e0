"""`progress-ops load`: realistic, bounded traffic against a local API (see `api.load`)."""

from __future__ import annotations

import argparse
import asyncio
import os

from api.load import MAX_RPS, MAX_SECONDS, LoadPlan, run_load
from commands.exit_codes import ExitCode


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "load", help="drive realistic traffic at a local API so the dashboard moves"
    )
    parser.add_argument("--rps", type=float, required=True, help=f"requests/second (≤ {MAX_RPS})")
    parser.add_argument("--seconds", type=float, required=True, help=f"how long (≤ {MAX_SECONDS})")
    parser.add_argument(
        "--incident",
        action="store_true",
        help="simulate an incident: errors, slow uploads, failed migrations, fallbacks "
        "(default: a healthy service that meets every target)",
    )
    parser.add_argument(
        "--error-rate",
        type=float,
        default=None,
        help="share of deliberately invalid requests (default 0, or 0.05 with --incident)",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API (loopback only)")
    parser.add_argument("--learners", type=int, default=200, help="simulated learners")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--token",
        default=os.environ.get("PROGRESS_OPS_LOAD_TOKEN"),
        help="a service token (default $PROGRESS_OPS_LOAD_TOKEN; none needed on the demo database)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    plan = LoadPlan(
        url=args.url,
        rps=args.rps,
        seconds=args.seconds,
        error_rate=args.error_rate,
        learners=args.learners,
        seed=args.seed,
        token=args.token,
        incident=args.incident,
    )
    kind = "an incident" if plan.incident else "a healthy service"
    print(f"Sending {plan.total} requests to {plan.url} at {plan.rps:g}/s, simulating {kind} …")
    report = asyncio.run(run_load(plan))
    print(report.summary())
    if report.sent and not report.statuses.get(0):
        return ExitCode.OK
    return ExitCode.PROBLEM_FOUND  # requests that got no answer: is the API running?
