"""Time windows: half-open, in UTC, named presets and the window before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from queries.window import PRESETS, BadWindow, Window, utc_midnight

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("preset", "length"),
    [
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        ("30d", timedelta(days=30)),
    ],
)
def test_a_preset_window_ends_now_and_has_its_length(preset: str, length: timedelta) -> None:
    window = Window.last(preset, now=NOW)
    assert (window.start, window.end, window.length) == (NOW - length, NOW, length)


def test_the_presets_are_the_sidebars() -> None:
    assert list(PRESETS) == ["1h", "24h", "7d", "30d"]


def test_the_previous_window_is_adjacent_and_as_long() -> None:
    window = Window.last("7d", now=NOW)
    assert window.previous() == Window(NOW - timedelta(days=14), NOW - timedelta(days=7))
    assert window.previous().end == window.start


@pytest.mark.parametrize("bad", ["2w", "", "24 h", "1H"])
def test_unknown_presets_name_the_good_ones(bad: str) -> None:
    with pytest.raises(BadWindow, match="use one of 1h, 24h, 7d, 30d"):
        Window.last(bad, now=NOW)


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(BadWindow, match="must start before it ends"):
        Window(NOW, NOW)


def test_a_window_needs_time_zones() -> None:
    with pytest.raises(BadWindow, match="time zones"):
        Window(datetime(2026, 11, 1), datetime(2026, 11, 2))


def test_utc_midnight_is_taken_in_utc_whatever_the_zone() -> None:
    late_evening_in_new_york = datetime(2026, 11, 23, 22, tzinfo=timezone(timedelta(hours=-5)))
    assert utc_midnight(late_evening_in_new_york) == datetime(2026, 11, 24, tzinfo=UTC)


def test_a_window_describes_itself_in_utc() -> None:
    assert Window.last("1h", now=NOW).describe() == "2026-11-24 11:00 – 2026-11-24 12:00 UTC"
