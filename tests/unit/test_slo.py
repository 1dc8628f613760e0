"""Burn rates, the workbook's tiers and their cap, and the states an SLO can be in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from progress.errors import InvalidInput
from queries.slo import (
    TIERS,
    WINDOWS,
    Counts,
    Slo,
    describe_duration,
    exhaustion,
    judge,
    slos,
)
from queries.targets import TargetSettings

PERIOD = timedelta(days=30)


def slo(key: str) -> Slo:
    return next(s for s in slos() if s.key == key)


def test_the_tiers_are_the_workbooks_table_for_a_30_day_slo() -> None:
    assert [(t.severity, t.name(), round(t.factor(PERIOD), 1)) for t in TIERS] == [
        ("page", "1h/5m", 14.4),
        ("page", "6h/30m", 6.0),
        ("ticket", "1d/2h", 3.0),
        ("ticket", "3d/6h", 1.0),
    ]


def test_another_period_rescales_the_factors() -> None:
    assert TIERS[0].factor(timedelta(days=28)) == pytest.approx(13.44)


def test_a_1_percent_budget_keeps_every_factor() -> None:
    errors = slo("error_rate")
    assert [errors.threshold(t, PERIOD) for t in TIERS] == pytest.approx([14.4, 6, 3, 1])


def test_a_10_percent_budget_caps_the_page_tiers_at_half_the_events_failing() -> None:
    """14.4× a 10 % budget would be 144 % failures: the tier could never fire."""
    migration = slo("migration_success")
    assert migration.budget == pytest.approx(0.10)
    assert [migration.threshold(t, PERIOD) for t in TIERS] == pytest.approx([5, 5, 3, 1])


def test_a_5_percent_budget_caps_only_the_fast_page_tier() -> None:
    assert [slo("fallback_rate").threshold(t, PERIOD) for t in TIERS] == pytest.approx(
        [10, 6, 3, 1]
    )


def counts_with(bad_share: float, events: int = 1000) -> dict[timedelta, Counts]:
    failed = round(events * bad_share)
    window = Counts(migrations_succeeded=events - failed, migrations_failed=failed)
    return {length: window for length in [*WINDOWS, PERIOD]}


def test_a_capped_tier_fires_when_most_migrations_fail() -> None:
    status = judge(slo("migration_success"), counts_with(0.6), period=PERIOD, min_events=20)
    assert status.state == "firing page"
    assert status.burn_rate == pytest.approx(6.0)
    assert status.firing_tier == TIERS[0]


def test_a_slow_burn_fires_only_a_ticket() -> None:
    status = judge(slo("migration_success"), counts_with(0.2), period=PERIOD, min_events=20)
    assert (status.state, status.severity) == ("firing ticket", "ticket")


def test_too_little_traffic_is_no_data_rather_than_an_alert() -> None:
    status = judge(slo("migration_success"), counts_with(1.0, 10), period=PERIOD, min_events=20)
    assert status.state == "no data"
    assert status.severity is None


def test_a_burn_that_stopped_in_the_short_windows_is_recovering() -> None:
    counts = counts_with(0.6)
    calm = Counts(migrations_succeeded=1000)
    counts |= {length: calm for length in (timedelta(minutes=5), timedelta(minutes=30))}
    counts |= {timedelta(hours=2): calm, timedelta(hours=6): calm}
    status = judge(slo("migration_success"), counts, period=PERIOD, min_events=20)
    assert status.state == "recovering"


def test_budget_left_and_when_it_is_gone_at_this_rate() -> None:
    status = judge(slo("migration_success"), counts_with(0.05), period=PERIOD, min_events=20)
    assert status.state == "ok"
    assert status.budget_left == pytest.approx(0.5)  # 5 % failed of the 10 % allowed
    assert status.exhausted_in == PERIOD * 0.5 / 0.5
    assert exhaustion(-0.2, 3.0, PERIOD) == timedelta(0)
    assert exhaustion(0.5, 0.0, PERIOD) is None
    assert describe_duration(timedelta(hours=26, minutes=5)) == "1 d 2 h"
    assert describe_duration(timedelta(minutes=75)) == "1 h 15 min"
    assert describe_duration(timedelta(0)) == "now"


def test_a_latency_target_the_minute_rollup_does_not_count_is_refused() -> None:
    with pytest.raises(InvalidInput, match="450 ms is not one of them"):
        slos(TargetSettings(p95_response_ms=450))
