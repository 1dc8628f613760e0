"""The Completion trends page's choices in the URL (`dashboard.trend_choices`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboard.trend_choices import TrendChoices
from queries.trends import ALL

NOW = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # a Wednesday


def test_no_parameters_mean_the_defaults_and_the_defaults_write_none() -> None:
    choices = TrendChoices.from_params({})
    assert choices == TrendChoices()
    assert choices.to_params() == {}


def test_choices_round_trip_through_the_url() -> None:
    choices = TrendChoices(
        period="month",
        weeks=26,
        within=30,
        tutorials=("docker-101", "sql-basics"),
        curves="tutorial",
        split=date(2026, 10, 15),
        length=14,
        changed="sql-basics",
    )
    params = choices.to_params()
    assert params["tutorials"] == "docker-101,sql-basics"
    assert TrendChoices.from_params(params) == choices


def test_values_that_make_no_sense_fall_back_to_the_defaults() -> None:
    choices = TrendChoices.from_params(
        {
            "period": "year",
            "weeks": "5",
            "within": "abc",
            "curves": "x",
            "split": "2026-13-40",
            "length": "1000",
            "tutorials": ",,",
        }
    )
    assert choices == TrendChoices(length=91)


def test_week_cohorts_start_on_the_monday_and_end_tomorrow_at_midnight_utc() -> None:
    span = TrendChoices(weeks=4).span(NOW)
    assert span.end == datetime(2026, 12, 3, tzinfo=UTC)
    assert span.start == datetime(2026, 11, 2, tzinfo=UTC)  # 5 Nov, back to its Monday
    assert span.start.weekday() == 0
    assert TrendChoices(period="month", weeks=8).span(NOW).start == datetime(
        2026, 10, 1, tzinfo=UTC
    )


def test_before_and_after_are_the_same_number_of_days_around_the_change() -> None:
    before, after = TrendChoices(split=date(2026, 11, 1), length=28).before_after(NOW)
    assert (before.start, before.end) == (
        datetime(2026, 10, 4, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert (after.start, after.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 29, tzinfo=UTC),
    )
    assert TrendChoices().changed == ALL
