"""Targets as data, judged in their direction; windows that make sense."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queries.targets import TargetSettings, evaluate, format_value, targets
from queries.window import BadWindow, Window

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def by_key(settings: TargetSettings | None = None) -> dict[str, object]:
    return {target.key: target for target in targets(settings)}


def test_the_five_targets_are_the_briefs() -> None:
    described = {t.key: t.describe() for t in targets()}
    assert described == {
        "avg_response_ms": "< 200 ms",
        "p95_response_ms": "< 500 ms",
        "error_rate_pct": "< 1.00 %",
        "migration_success_pct": "> 90.00 %",
        "fallback_rate_pct": "< 5.00 %",
    }


def test_lower_is_better_targets_are_missed_at_or_above_the_threshold() -> None:
    [avg, *_] = targets()
    assert evaluate(avg, 150).status == "met"
    assert evaluate(avg, 150).margin == 50
    assert evaluate(avg, 200).status == "missed"
    assert evaluate(avg, 250).margin == -50


def test_higher_is_better_targets_are_missed_at_or_below_the_threshold() -> None:
    migration = targets()[3]
    assert evaluate(migration, 95).status == "met"
    assert evaluate(migration, 90).status == "missed"


def test_no_data_is_neither_met_nor_missed() -> None:
    result = evaluate(targets()[2], None)
    assert (result.status, result.value, result.margin) == ("no data", None, None)


def test_targets_can_be_overridden_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRESS_OPS_TARGET_ERROR_RATE_PCT", "2.5")
    error_rate = targets()[2]
    assert error_rate.threshold == 2.5
    assert evaluate(error_rate, 2).status == "met"


def test_values_are_formatted_with_units() -> None:
    assert format_value(1234.4, "ms") == "1,234 ms"
    assert format_value(0.456, "%") == "0.46 %"


def test_a_preset_window_ends_now_and_its_previous_one_is_adjacent() -> None:
    window = Window.last("7d", now=NOW)
    assert (window.start, window.end) == (NOW - timedelta(days=7), NOW)
    assert window.previous() == Window(NOW - timedelta(days=14), NOW - timedelta(days=7))


@pytest.mark.parametrize("bad", ["2w", "", "24 h"])
def test_unknown_presets_name_the_good_ones(bad: str) -> None:
    with pytest.raises(BadWindow, match="use one of 1h, 24h, 7d, 30d"):
        Window.last(bad, now=NOW)


def test_a_window_must_start_before_it_ends() -> None:
    with pytest.raises(BadWindow):
        Window(NOW, NOW)
