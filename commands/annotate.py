"""`progress-ops annotate "deploy 2.4.1" [--kind deploy] [--at …] [--ends-at …] [--author …]`:
a mark on the dashboard's time charts (see `progress.annotations`)."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime

from progress.annotations import add_annotation
from progress.db import open_engine
from progress.errors import InvalidInput
from progress.schema import ANNOTATION_KINDS


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("annotate", help="mark a deploy, note or incident on the charts")
    parser.add_argument("text", help="one line, at most 500 characters")
    parser.add_argument(
        "--kind", default="note", help=f"one of {', '.join(ANNOTATION_KINDS)} (default note)"
    )
    parser.add_argument(
        "--at", help="when, ISO 8601 (2026-12-02T14:05Z; no zone = UTC; default now)"
    )
    parser.add_argument("--ends-at", help="the end, for a range (ISO 8601, as --at)")
    parser.add_argument("--author", help="who (default: the user running the command)")
    parser.set_defaults(handler=run)


def parse_moment(field: str, value: str | None) -> datetime | None:
    """ISO 8601; a time without a zone is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, f"{value!r} is not a date and time; write it like 2026-12-02T14:05Z."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    at = parse_moment("at", args.at)
    ends_at = parse_moment("ends_at", args.ends_at)
    engine = open_engine()
    try:
        annotation = add_annotation(
            engine,
            text=args.text,
            kind=args.kind,
            author=args.author or getpass.getuser(),
            at=at,
            ends_at=ends_at,
        )
    finally:
        engine.dispose()
    until = f" until {annotation.ends_at:%Y-%m-%d %H:%M}" if annotation.ends_at else ""
    print(
        f"Annotation {annotation.id} ({annotation.kind}) at "
        f"{annotation.at:%Y-%m-%d %H:%M:%S} UTC{until}: {annotation.text}"
    )
    return 0
