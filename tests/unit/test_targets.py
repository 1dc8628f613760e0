"""Targets as data, judged in their direction, and the error budgets of the ratio targets."""

from __future__ import annotations

import pytest

from queries.targets import (
    Target,
    TargetSettings,
    error_budget,
    evaluate,
    format_value,
    targets,
)


def by_key(settings: TargetSettings | None = None) -> dict[str, Target]:
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


def test_an_error_budget_counts_the_whole_bad_events_that_still_meet_the_target() -> None:
    error_rate = by_key()["error_rate_pct"]
    budget = error_budget(error_rate, bad=50, total=20_000)
    assert budget is not None
    # 200 failures would be 1.00 %, not under 1 %: 199 are allowed.
    assert (budget.allowed, budget.spent, budget.left) == (199, 50, 149)
    assert budget.left_pct == pytest.approx(100 * 149 / 199)


def test_an_overspent_budget_is_negative() -> None:
    error_rate = by_key()["error_rate_pct"]
    budget = error_budget(error_rate, bad=260, total=20_000)
    assert budget is not None
    assert budget.left == -61


def test_a_higher_is_better_target_allows_the_rest() -> None:
    migration = by_key()["migration_success_pct"]
    budget = error_budget(migration, bad=4, total=100)
    assert budget is not None
    assert (budget.allowed, budget.left) == (9, 5)


def test_a_window_too_small_for_a_single_bad_event_allows_none() -> None:
    targets_ = by_key()
    for key, total in (("error_rate_pct", 3), ("fallback_rate_pct", 20)):
        budget = error_budget(targets_[key], bad=0, total=total)
        assert budget is not None
        assert (budget.allowed, budget.left, budget.left_pct) == (0, 0, None)
    fallbacks = error_budget(targets_["fallback_rate_pct"], bad=1, total=37)
    assert fallbacks is not None
    assert (fallbacks.allowed, fallbacks.left) == (1, 0)  # 2 of 37 would be 5.4 %


def test_latency_targets_and_empty_windows_have_no_budget() -> None:
    targets_ = by_key()
    assert error_budget(targets_["p95_response_ms"], bad=1, total=10) is None
    assert error_budget(targets_["error_rate_pct"], bad=0, total=0) is None
