"""Input checks give messages a support person understands."""

from __future__ import annotations

import pytest

from progress.db import mask_url
from progress.errors import InvalidInput
from progress.validation import check_id, check_number, check_score, check_text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "User id is required."),
        ("", "User id is required."),
        ("   ", "User id is blank."),
        ("bob ", "User id 'bob ' has spaces at the start or end."),
        ("x" * 201, "User id is 201 characters long; at most 200."),
        ("bo\tb", "User id contains control characters."),
        ("bo\u200bb", "User id contains control characters."),
    ],
)
def test_bad_ids_are_named_in_plain_words(value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_id("user_id", value)
    assert raised.value.message == message
    assert raised.value.field == "user_id"


def test_ids_may_hold_any_printable_text() -> None:
    assert check_id("user_id", "anne-marie.o'neil@example.com") == "anne-marie.o'neil@example.com"
    assert check_id("user_id", "学习者-7") == "学习者-7"


def test_score_above_max_score_reads_like_the_issue() -> None:
    with pytest.raises(InvalidInput, match=r"^Score 12 is above max score 10\.$"):
        check_score(12, 10)


def test_numbers_must_be_finite_real_numbers() -> None:
    for bad in (float("nan"), float("-inf"), "3", None, True):
        with pytest.raises(InvalidInput):
            check_number("watch_time", bad, minimum=0, maximum=10)
    assert check_number("watch_time", 3, minimum=0, maximum=10) == 3.0


def test_reasons_may_span_lines_but_not_hold_control_characters() -> None:
    assert check_text("reason", "  line one\nline two ", required=False) == "line one\nline two"
    assert check_text("reason", "   ", required=False) is None
    with pytest.raises(InvalidInput, match="Reason is required"):
        check_text("reason", None, required=True)
    with pytest.raises(InvalidInput, match="control characters"):
        check_text("reason", "bell\x07", required=False)


def test_masked_urls_hide_the_password_only() -> None:
    assert (
        mask_url("postgresql+psycopg://ops:pw@db:5432/p")
        == "postgresql+psycopg://ops:***@db:5432/p"
    )
    assert mask_url("postgresql+psycopg://db/p") == "postgresql+psycopg://db/p"
