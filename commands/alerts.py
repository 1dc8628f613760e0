"""`progress-ops alerts evaluate|serve`: burn-rate alerts for cron, a systemd timer or a service.

Exit codes (docs/alerts.md): 0 nothing pages, 1 a page-severity alert is firing, 2 the SLOs could
not be judged (the database is unreachable, a setting is wrong): one line on stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from alerting.evaluator import Evaluation, evaluate_once
from progress.db import open_engine
from progress.errors import ProgressError
from queries.slo import describe_duration, span_name

SERVE_INTERVAL_SECONDS = 60.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("alerts", help="SLO burn-rate alerts (docs/alerts.md)")
    alerts = parser.add_subparsers(dest="alerts_command", required=True)
    alerts.add_parser(
        "evaluate",
        help="evaluate once, record and notify changes; exit 1 when a page fires, 2 when unjudged",
    ).set_defaults(handler=evaluate)
    serve_parser = alerts.add_parser(
        "serve", help="evaluate every minute until stopped (SIGTERM finishes the evaluation)"
    )
    serve_parser.add_argument(
        "--interval", type=float, default=SERVE_INTERVAL_SECONDS, help="seconds (default 60)"
    )
    serve_parser.set_defaults(handler=serve)


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:,.1f}"


def render(evaluation: Evaluation) -> str:
    """The table of SLOs and states, the no-data checks, and what changed."""
    windows = list(evaluation.statuses[0].burn_rates) if evaluation.statuses else []
    header = ["SLO", "state", *[f"burn {span_name(w)}" for w in windows], "budget left", "gone in"]
    rows = [header]
    for status in evaluation.statuses:
        rows.append(
            [
                status.slo.label,
                status.state,
                *[_rate(status.burn_rates[w]) for w in windows],
                "–" if status.budget_left is None else f"{status.budget_left:.0%}",
                describe_duration(status.exhausted_in),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"SLOs at {evaluation.at:%Y-%m-%d %H:%M} UTC"]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    for finding in evaluation.data:
        state = f"FIRING {finding.severity}" if finding.firing else "ok"
        lines.append(f"{finding.label}: {state} ({finding.detail})")
    for change in evaluation.changes:
        lines.append(f"{change.kind}: {change.finding.label} ({change.severity}, {change.tier})")
    for delivery in evaluation.deliveries:
        if delivery.error is not None:
            lines.append(f"webhook failed for {delivery.change.finding.label}: {delivery.error}")
    return "\n".join(lines)


def evaluate(_: argparse.Namespace) -> int:
    engine = open_engine()
    try:
        evaluation = evaluate_once(engine)
    finally:
        engine.dispose()
    print(render(evaluation))
    return 1 if evaluation.paging else 0


def serve(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def finish(signum: int, _: FrameType | None) -> None:
        print(f"progress-ops: signal {signum}, stopping after this evaluation.", file=sys.stderr)
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    engine = open_engine()
    try:
        while not stop.is_set():
            try:
                print(render(evaluate_once(engine)), flush=True)
            except ProgressError as error:
                print(f"progress-ops: {error.message}", file=sys.stderr, flush=True)
            stop.wait(args.interval)
    finally:
        engine.dispose()
    return 0
