"""The error budget left on the Overview's ratio targets."""

from __future__ import annotations

import pytest

from dashboard.budget import describe_budget, error_budget_left
from queries.targets import targets

AVG_MS, P95_MS, ERROR_RATE, MIGRATION, FALLBACK = targets()


def test_a_lower_is_better_rate_spends_its_budget_in_proportion() -> None:
    assert error_budget_left(ERROR_RATE, 0.25) == pytest.approx(75)  # < 1 %: a quarter spent
    assert error_budget_left(FALLBACK, 5) == pytest.approx(0)
    assert error_budget_left(ERROR_RATE, 1.5) == pytest.approx(-50)


def test_a_higher_is_better_rate_spends_its_budget_on_failures() -> None:
    assert error_budget_left(MIGRATION, 97.5) == pytest.approx(75)  # > 90 %: 2.5 of 10 failed
    assert error_budget_left(MIGRATION, 100) == pytest.approx(100)
    assert error_budget_left(MIGRATION, 85) == pytest.approx(-50)


def test_latency_targets_and_missing_values_have_no_budget() -> None:
    assert error_budget_left(AVG_MS, 120) is None
    assert error_budget_left(P95_MS, 120) is None
    assert error_budget_left(ERROR_RATE, None) is None


def test_the_budget_reads_as_a_sentence() -> None:
    assert describe_budget(75.4) == "75 % of the error budget left"
    assert describe_budget(-50) == "error budget overspent by 50 %"
