"""Checks run before any write; each failure raises `InvalidInput` naming the field plainly."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

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


def _ranges(code_points: list[int]) -> str:
    """A regular-expression character class body for `code_points` (sorted), as ranges."""
    parts: list[str] = []
    start = previous = code_points[0]
    for point in [*code_points[1:], -1]:
        if point == previous + 1:
            previous = point
            continue
        parts.append(
            _escape(start) if start == previous else f"{_escape(start)}-{_escape(previous)}"
        )
        start = previous = point
    return "".join(parts)


def _escape(point: int) -> str:
    # `\uXXXX` reads the same in Python's and ECMA-262's regular expressions; astral characters
    # are written as themselves.
    return f"\\u{point:04x}" if point <= 0xFFFF else chr(point)


@cache
def _unicode_classes() -> tuple[str, str, str]:
    """(control and format characters, the same less tab and line breaks, whitespace) as
    character class bodies. Computed once, on demand: it scans all of Unicode. Lone surrogates
    (also refused) are left out: UTF-8 cannot carry them, and regular expression engines that
    work on UTF-8 (Rust's, which JSON Schema validators use) reject a pattern that names them."""
    control: list[int] = []
    space: list[int] = []
    for point in range(0x110000):
        character = chr(point)
        if unicodedata.category(character) in {"Cc", "Cf"}:
            control.append(point)
        if character.isspace():
            space.append(point)
    multiline = [point for point in control if chr(point) not in "\t\n\r"]
    return _ranges(control), _ranges(multiline), _ranges(sorted(set(space) - set(control)))


def id_pattern() -> str:
    """What `check_id` accepts, as a regular expression (its length aside): no control or format
    characters, no whitespace at either end. For the OpenAPI document."""
    control, _, space = _unicode_classes()
    return f"^[^{control}{space}](?:[^{control}]*[^{control}{space}])?$"


def text_pattern() -> str:
    """What `check_text` accepts (its length aside): line breaks and tabs, but no other control
    or format characters. For the OpenAPI document."""
    return f"^[^{_unicode_classes()[1]}]*$"


def line_pattern() -> str:
    """One line of text that is not blank, without control or format characters (tabs and line
    breaks included): an annotation's text. For the OpenAPI document."""
    control, _, space = _unicode_classes()
    return f"^[^{control}]*[^{control}{space}][^{control}]*$"


def line_json_schema(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a one-line text field: the pattern `line_pattern` describes."""
    schema["pattern"] = line_pattern()


def id_json_schema(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of an id field: the pattern `check_id` enforces."""
    schema["pattern"] = id_pattern()


def text_json_schema(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a free-text field (a reason): the pattern `check_text` enforces."""
    schema["pattern"] = text_pattern()


def _iso_text(value: object) -> object:
    """A date-time in JSON is ISO 8601 text: a number (`1700000000`) is refused, not read as
    seconds since 1970."""
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError(
        "datetime_type", "Input should be an ISO 8601 date-time such as 2026-11-20T10:00:00Z"
    )


def _whole(value: object) -> object:
    """A JSON number with no fraction (`12.0`) is the whole number JSON Schema says it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# After any `Field` bounds in an `Annotated` int: placed before them, pydantic's JSON schema
# loses the bounds' names (`ge` instead of `minimum`).
AS_WHOLE_NUMBER = BeforeValidator(_whole)
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), Field(strict=False)]


def label(field: str) -> str:
    return _LABELS.get(field, field.replace("_", " "))


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
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
    if has_control_characters(value):
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
    if has_control_characters(value, allow_newlines=True):
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
