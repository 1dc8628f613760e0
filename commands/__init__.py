"""The `progress-ops` command: the entry point that composes the layers below it.

It lives above `progress/` and `queries/` (which never import it), so each subcommand can use
whichever layer it needs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError

from commands import alerts, annotate, check, database, demo, http_api, load
from commands.exit_codes import ExitCode
from progress.db import first_line, is_transient, unavailable
from progress.errors import ProgressError, QueryRefused

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="progress-ops",
        description="Tutorial progress store, API and dashboard. "
        "DATABASE_URL picks the database; unset, an embedded PostgreSQL is used.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    database.add_parsers(subcommands)
    demo.add_parser(subcommands)
    check.add_parser(subcommands)
    http_api.add_parsers(subcommands)
    load.add_parser(subcommands)
    annotate.add_parser(subcommands)
    alerts.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code is an `ExitCode` (argparse's usage errors exit 2 too)."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ProgressError as error:
        return _fail(error)
    except DBAPIError as error:  # the database went away, or refused a query, mid-command
        if not is_transient(error):
            return _fail(QueryRefused(first_line(error)))
        return _fail(unavailable(error))


def _fail(error: ProgressError) -> int:
    """One line on stderr, never a traceback, and the exit code for "could not run"."""
    print(f"progress-ops: {error.message}", file=sys.stderr)
    return ExitCode.COULD_NOT_RUN


if __name__ == "__main__":
    sys.exit(main())
