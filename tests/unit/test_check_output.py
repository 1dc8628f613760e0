"""`progress-ops check` prints margins in the unit they are in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commands.check import render
from queries.targets import evaluate, targets
from queries.window import Window


def test_margins_of_percentages_are_in_points_and_latency_margins_in_ms() -> None:
    values = {"avg_response_ms": 150.0, "error_rate_pct": 0.5, "migration_success_pct": 95.0}
    evaluations = [evaluate(target, values.get(target.key)) for target in targets()]
    end = datetime(2026, 11, 24, tzinfo=UTC)
    lines = render(evaluations, Window(end - timedelta(days=1), end)).splitlines()
    rows = {line.split("  ")[0]: line for line in lines[2:]}
    assert rows["Avg response time"].endswith("+50.00 ms")
    assert rows["Error rate"].endswith("+0.50 pts")
    assert rows["Migration success"].endswith("+5.00 pts")
    assert "%" not in rows["Error rate"].split("met")[-1]
