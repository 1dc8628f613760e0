"""`progress-ops db upgrade|status|stop`: the schema, and the embedded server's lifecycle.

`status` and `stop` are about the embedded server in `PROGRESS_OPS_DATA_DIR` whether or not
`DATABASE_URL` is set (it may have been started before `DATABASE_URL` was), and never start it.
"""

from __future__ import annotations

import argparse

from commands.exit_codes import ExitCode
from progress import embedded
from progress.db import Settings, database_url, mask_url, upgrade


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="the database schema and the embedded server")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply every migration").set_defaults(
        handler=run_upgrade
    )
    db_commands.add_parser(
        "status", help="is the embedded server running: pid, port, processes using it"
    ).set_defaults(handler=run_status)
    db_commands.add_parser(
        "stop", help="stop the embedded server, whoever started it (ends open sessions)"
    ).set_defaults(handler=run_stop)


def run_upgrade(_: argparse.Namespace) -> int:
    url = database_url()
    upgrade(url)
    print(f"Database at {mask_url(url)} is at the latest schema.")
    return ExitCode.OK


def run_status(_: argparse.Namespace) -> int:
    settings = Settings()
    state = embedded.status(settings.progress_ops_data_dir)
    print(state.describe())
    if settings.database_url:
        print(f"DATABASE_URL is set: the app uses {mask_url(settings.database_url)} instead.")
    return ExitCode.OK if state.running else ExitCode.PROBLEM_FOUND


def run_stop(_: argparse.Namespace) -> int:
    before = embedded.stop(Settings().progress_ops_data_dir)
    if not before.running:
        print(before.describe())
        return ExitCode.OK
    print(f"Stopped the embedded PostgreSQL in {before.data_dir} (pid {before.pid}).")
    if before.users:
        pids = ", ".join(map(str, before.users))
        print(f"Processes {pids} were using it: restart them to start it again.")
    return ExitCode.OK
