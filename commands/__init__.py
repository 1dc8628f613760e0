"""The `progress-ops` command: the entry point that composes the layers below it.

It lives above `progress/` and `queries/` (which never import it), so each subcommand can use
whichever layer it needs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from commands import alerts, check, demo, http_api, load
from progress.db import database_url, mask_url, upgrade
from progress.errors import ProgressError

Handler = Callable[[argparse.Namespace], int]


def _db_upgrade(_: argparse.Namespace) -> int:
    url = database_url()
    upgrade(url)
    print(f"Database at {mask_url(url)} is at the latest schema.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="progress-ops",
        description="Tutorial progress store, API and dashboard. "
        "DATABASE_URL picks the database; unset, an embedded PostgreSQL is used.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    db = subcommands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every migration").set_defaults(
        handler=_db_upgrade
    )
    demo.add_parser(subcommands)
    check.add_parser(subcommands)
    http_api.add_parsers(subcommands)
    load.add_parser(subcommands)
    alerts.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ProgressError as error:
        print(f"progress-ops: {error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
