"""`progress-ops api` (serve the HTTP API with uvicorn) and `progress-ops api-token` (tokens)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys

from api.auth import hash_token
from api.settings import ApiSettings
from commands.exit_codes import ExitCode
from progress.db import Settings, database_url, is_embedded, mask_url, upgrade
from progress.errors import InvalidInput


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "api",
        help="serve the HTTP API with uvicorn (PROGRESS_OPS_API_HOST/PORT/WORKERS or flags)",
    )
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")
    serve.set_defaults(handler=run_api)

    token = commands.add_parser("api-token", help="make API tokens and their configuration")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    hashing = token_commands.add_parser(
        "hash", help="print the SHA-256 of a token (read from stdin when not given)"
    )
    hashing.add_argument("token", nargs="?", default=None)
    hashing.set_defaults(handler=run_hash)
    new = token_commands.add_parser(
        "new", help="make a random token and print it with its PROGRESS_OPS_API_TOKENS entry"
    )
    new.add_argument("--role", choices=("learner", "service"), required=True)
    new.add_argument("--user-id", default=None, help="learner tokens: the learner's user id")
    new.add_argument("--name", default=None, help="service tokens: the name kept in history")
    new.set_defaults(handler=run_new)


def run_api(args: argparse.Namespace) -> int:
    import uvicorn  # only this command needs the server

    settings = ApiSettings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    database = Settings()
    url = database_url(database)
    if is_embedded(database):
        upgrade(url)  # once, before the workers start
    print(
        f"progress-ops API on http://{host}:{port} (docs at /docs), {workers} worker(s); "
        f"database {mask_url(url)}",
        file=sys.stderr,
    )
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=10,
        access_log=False,  # every request is in api_logs
    )
    return ExitCode.OK


def run_hash(args: argparse.Namespace) -> int:
    token = args.token if args.token is not None else sys.stdin.readline().strip()
    if not token:
        raise InvalidInput("token", "Give the token as an argument or on standard input.")
    print(hash_token(token))
    return ExitCode.OK


def run_new(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(32)
    entry: dict[str, str] = {"sha256": hash_token(token), "role": args.role}
    if args.role == "learner":
        if not args.user_id:
            raise InvalidInput("user_id", "A learner token needs --user-id.")
        entry["user_id"] = args.user_id
    else:
        if not args.name:
            raise InvalidInput("name", "A service token needs --name.")
        entry["name"] = args.name
    print(f"token (give it to the caller; it is not stored): {token}")
    print(f"entry for PROGRESS_OPS_API_TOKENS: {json.dumps(entry)}")
    return ExitCode.OK
