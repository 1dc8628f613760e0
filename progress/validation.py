"""Checks run before any write; each failure raises `InvalidInput` naming the field plainly."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime
from typing import get_args

from progress.errors import InvalidInput
from progress.models import Source

MAX_ID_LENGTH = 200
MAX_REASON_LENGTH = 2000
MAX_SECONDS = 10_000_000.0  # about 115 days: far above any video, far below float garbage
MAX_SCORE = 1_000_000.0
MAX_TOTAL_CHAPTERS = 10_000
_SHOWN_LENGTH = 60

_LABELS = {
    "tutorial_id": "tutorial id",
    "user_id": "user id",
    "chapter_id": "chapter id",
    "quiz_id": "quiz id",
    "actor": "operator",
    "watch_time": "watch time",
    "last_position": "last position",
    "total_chapters": "total chapters",
    "max_score": "max score",
    "override_reason": "override reason",
}


def shown(value: object) -> str:
    """`value` as a message quotes it: its repr, cut short (a 100 kB string, `10**5000`)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return "a number of more than 15 digits"
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def label(field: str) -> str:
    return _LABELS.get(field, field.replace("_", " "))


def _has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in allowed for ch in value)


def _has_lone_surrogates(value: str) -> bool:
    """Half of a UTF-16 pair on its own (`"\\ud800"`): not text, and not storable as UTF-8."""
    return any(unicodedata.category(ch) == "Cs" for ch in value)


def check_id(field: str, value: object) -> str:
    name = label(field)
    if not isinstance(value, str) or not value:
        raise InvalidInput(field, f"{name.capitalize()} is required.")
    if not value.strip():
        raise InvalidInput(field, f"{name.capitalize()} is blank.")
    if value != value.strip():
        raise InvalidInput(
            field, f"{name.capitalize()} {shown(value)} has spaces at the start or end."
        )
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(
            field, f"{name.capitalize()} is {len(value)} characters long; at most {MAX_ID_LENGTH}."
        )
    if _has_control_characters(value):
        raise InvalidInput(field, f"{name.capitalize()} contains control characters.")
    if _has_lone_surrogates(value):
        raise InvalidInput(field, f"{name.capitalize()} contains characters that are not text.")
    return value


def check_text(field: str, value: object, *, required: bool) -> str | None:
    name = label(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(field, f"{name.capitalize()} is required.")
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, f"{name.capitalize()} must be text.")
    if len(value) > MAX_REASON_LENGTH:
        raise InvalidInput(
            field,
            f"{name.capitalize()} is {len(value)} characters long; at most {MAX_REASON_LENGTH}.",
        )
    if _has_control_characters(value, allow_newlines=True):
        raise InvalidInput(field, f"{name.capitalize()} contains control characters.")
    if _has_lone_surrogates(value):
        raise InvalidInput(field, f"{name.capitalize()} contains characters that are not text.")
    return value.strip()


def check_number(
    field: str, value: object, *, minimum: float, maximum: float, exclusive_minimum: bool = False
) -> float:
    name = label(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"{name.capitalize()} must be a number, not {shown(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float, e.g. 10**400
        number = math.inf if value > 0 else -math.inf
    if isinstance(value, float) and not math.isfinite(number):
        raise InvalidInput(
            field, f"{name.capitalize()} must be a finite number, not {shown(value)}."
        )
    if number < minimum or (exclusive_minimum and number == minimum):
        bound = "above" if exclusive_minimum else "at least"
        raise InvalidInput(
            field, f"{name.capitalize()} must be {bound} {minimum:g}, not {shown(value)}."
        )
    if number > maximum:
        raise InvalidInput(
            field, f"{name.capitalize()} must be at most {maximum:g}, not {shown(value)}."
        )
    return number


def check_seconds(field: str, value: object) -> float:
    return check_number(field, value, minimum=0, maximum=MAX_SECONDS)


def check_total_chapters(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            "total_chapters", f"Total chapters must be a whole number, not {shown(value)}."
        )
    if not 1 <= value <= MAX_TOTAL_CHAPTERS:
        raise InvalidInput(
            "total_chapters",
            f"Total chapters must be between 1 and {MAX_TOTAL_CHAPTERS}, not {shown(value)}.",
        )
    return value


def check_limit(value: object, *, maximum: int) -> int:
    """How many rows a read may return: a whole number from 1 to `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(
            "limit", f"Limit must be a whole number from 1 to {maximum:,}, not {shown(value)}."
        )
    return value


EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def check_time(field: str, value: object) -> datetime | None:
    """An optional time with a time zone, not before 2000 (the product did not exist)."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(
            field, f"{label(field).capitalize()} must be a date-time with a time zone."
        )
    if value < EARLIEST_TIME:
        raise InvalidInput(
            field, f"{label(field).capitalize()} {value.isoformat()} is before the year 2000."
        )
    return value


def check_flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(
            field, f"{label(field).capitalize()} must be true or false, not {shown(value)}."
        )
    return value


def check_score(score: object, max_score: object) -> tuple[float, float]:
    maximum = check_number(
        "max_score", max_score, minimum=0, maximum=MAX_SCORE, exclusive_minimum=True
    )
    value = check_number("score", score, minimum=0, maximum=MAX_SCORE)
    if value > maximum:
        raise InvalidInput("score", f"Score {value:g} is above max score {maximum:g}.")
    return value, maximum


def check_source(value: object) -> Source:
    allowed: tuple[Source, ...] = get_args(Source)
    for source in allowed:
        if value == source:
            return source
    raise InvalidInput("source", f"Source must be one of {', '.join(allowed)}, not {shown(value)}.")
