"""How much of a ratio target's error budget a window has left.

A target of "error rate < 1 %" allows 1 failed request in 100: that allowance over a window is its
error budget. At 0.25 % the window spent a quarter of it and has 75 % left; at 1.5 % it overspent
(−50 %). "Migration success > 90 %" allows 10 failures in 100 the same way. Latency targets have
no budget in this sense.
"""

from __future__ import annotations

from queries.targets import Target


def error_budget_left(target: Target, value: float | None) -> float | None:
    """Percent of the budget left (negative: overspent); None for latency targets or no data."""
    if target.unit != "%" or value is None:
        return None
    if target.direction == "below":
        allowed, spent = target.threshold, value
    else:
        allowed, spent = 100 - target.threshold, 100 - value
    if allowed <= 0:
        return None
    return 100 * (1 - spent / allowed)


def describe_budget(left: float) -> str:
    if left >= 0:
        return f"{left:.0f} % of the error budget left"
    return f"error budget overspent by {-left:.0f} %"
