"""`progress-ops check --window 24h`: the targets as a table, and an exit code cron can alert on.

0: every target met ("no data" does not fail: there is nothing to judge); 1: a target missed;
2: could not judge. Anything that makes judging impossible (the database unreachable, …) is a
`ProgressError` raised before the verdict, which `progress-ops` prints as one line with exit 2 —
so a cron job never reads an outage as a missed target. The table is printed but the exit is 2
too when an API request logger reports requests it could not log (`queries.logger_health`):
the request figures then undercount, so "met" cannot be trusted.
"""

from __future__ import annotations

import argparse

from commands.exit_codes import ExitCode
from progress.db import check_connection, check_schema, open_engine
from progress.errors import InvalidInput
from queries.logger_health import LoggerHealth, request_logger_health
from queries.overview import target_values
from queries.rollups import refresh
from queries.targets import Evaluation, evaluate, format_value, targets
from queries.window import PRESETS, BadWindow, Window


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check", help="judge the service against its targets; exit 1 when one is missed"
    )
    parser.add_argument(
        "--window", default="24h", help=f"one of {', '.join(PRESETS)} (default 24h)"
    )
    parser.set_defaults(handler=run)


POINTS = {"%": "pts"}  # a margin of a percentage is in percentage points


def render(evaluations: list[Evaluation], window: Window) -> str:
    rows = [("target", "value", "goal", "status", "margin")]
    for result in evaluations:
        unit = result.target.unit
        rows.append(
            (
                result.target.label,
                "–" if result.value is None else format_value(result.value, unit),
                result.target.describe(),
                result.status,
                "–" if result.margin is None else f"{result.margin:+,.2f} {POINTS.get(unit, unit)}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [f"Targets for {window.describe()}"]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        window = Window.last(args.window)
    except BadWindow as error:
        raise InvalidInput("window", str(error)) from None
    engine = open_engine()
    try:
        check_connection(engine)  # unreachable: could not judge (exit 2), never "missed"
        check_schema(engine)
        refresh(engine)  # fold requests logged since the last refresh
        values = target_values(engine, window)
        logging = request_logger_health(engine)
    finally:
        engine.dispose()
    evaluations = [evaluate(target, values[target.key]) for target in targets()]
    print(render(evaluations, window))
    return verdict(evaluations, logging)


def verdict(evaluations: list[Evaluation], logging: LoggerHealth) -> int:
    unjudged = [e.target.label for e in evaluations if e.status == "no data"]
    if unjudged:
        print(f"No data for: {', '.join(unjudged)} (nothing to judge; this does not fail).")
    missed = [e.target.label for e in evaluations if e.status == "missed"]
    for problem in logging.problems():
        print(f"Request log: {problem}.")
    if missed:
        print(f"Missed: {', '.join(missed)}.")
        return ExitCode.PROBLEM_FOUND
    if not logging.ok:
        print("Could not judge: the request figures may undercount.")
        return ExitCode.COULD_NOT_RUN
    return ExitCode.OK
