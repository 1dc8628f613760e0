"""The `progress-ops` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from progress import demo_cli
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
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every migration").set_defaults(
        handler=_db_upgrade
    )
    demo_cli.add_parser(commands)
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
