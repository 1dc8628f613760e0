"""`progress-ops check --window 24h`: the targets as a table, exit 1 when any is missed.

For cron or CI: "no data" does not fail the check (there is nothing to judge), a missed target does.
"""

from __future__ import annotations

import argparse

from progress.db import open_engine
from progress.errors import InvalidInput
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
        refresh(engine)  # fold requests logged since the last refresh
        values = target_values(engine, window)
    finally:
        engine.dispose()
    evaluations = [evaluate(target, values[target.key]) for target in targets()]
    print(render(evaluations, window))
    unjudged = [e.target.label for e in evaluations if e.status == "no data"]
    if unjudged:
        print(f"No data for: {', '.join(unjudged)} (nothing to judge; this does not fail).")
    missed = [e.target.label for e in evaluations if e.status == "missed"]
    if missed:
        print(f"Missed: {', '.join(missed)}.")
        return 1
    return 0
