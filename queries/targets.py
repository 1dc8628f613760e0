"""The brief's five target metrics, as data, and how a measured value is judged against them.

Targets can be overridden with environment variables (e.g. `PROGRESS_OPS_TARGET_ERROR_RATE_PCT=2`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

Direction = Literal["below", "above"]
Status = Literal["met", "missed", "no data"]


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    threshold: float
    direction: Direction  # "below": the value must stay under the threshold
    unit: str

    def describe(self) -> str:
        sign = "<" if self.direction == "below" else ">"
        return f"{sign} {format_value(self.threshold, self.unit)}"


@dataclass(frozen=True)
class Evaluation:
    target: Target
    value: float | None
    status: Status
    margin: float | None  # how far inside (+) or outside (−) the target, in the target's unit


class TargetSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRESS_OPS_TARGET_", extra="ignore")

    avg_response_ms: float = 200
    p95_response_ms: float = 500
    error_rate_pct: float = 1
    migration_success_pct: float = 90
    fallback_rate_pct: float = 5
    # Below this many events (requests, migration outcomes, operations) in either window, a
    # change against the previous window is not shown: a few requests make any difference noise.
    min_comparison_events: int = 100


def targets(settings: TargetSettings | None = None) -> list[Target]:
    s = settings or TargetSettings()
    return [
        Target("avg_response_ms", "Avg response time", s.avg_response_ms, "below", "ms"),
        Target("p95_response_ms", "p95 response time", s.p95_response_ms, "below", "ms"),
        Target("error_rate_pct", "Error rate", s.error_rate_pct, "below", "%"),
        Target("migration_success_pct", "Migration success", s.migration_success_pct, "above", "%"),
        Target("fallback_rate_pct", "Fallback rate", s.fallback_rate_pct, "below", "%"),
    ]


def evaluate(target: Target, value: float | None) -> Evaluation:
    if value is None:
        return Evaluation(target, None, "no data", None)
    margin = target.threshold - value if target.direction == "below" else value - target.threshold
    return Evaluation(target, value, "met" if margin > 0 else "missed", margin)


@dataclass(frozen=True)
class ErrorBudget:
    """A ratio target's allowance of bad events over a window, and what is left of it, in whole
    events: `allowed` is the most bad events the window can hold and still meet the target.

    "Error rate < 1 %" over 20,000 requests allows 199 failed requests (200 would be 1.00 %, not
    under it). With 50 failures 149 are left (75 % of 199); with 260, −61 (overspent). "Migration
    success > 90 %" over 100 outcomes allows 9 failures the same way. Over 3 requests a single
    failure is already 33 %: nothing is allowed, and there is no budget to speak of.
    """

    allowed: int  # bad events the target allows
    spent: int  # bad events that happened
    left: int  # allowed − spent; negative when overspent
    left_pct: float | None  # left as a percentage of allowed (None when nothing is allowed)


def error_budget(target: Target, *, bad: int, total: int) -> ErrorBudget | None:
    """The budget of a ratio target (unit "%") over `total` events of which `bad` were bad;
    None for latency targets and when there were no events."""
    if target.unit != "%" or total <= 0:
        return None
    threshold = Fraction(str(target.threshold))
    share = threshold if target.direction == "below" else 100 - threshold
    # Met means strictly inside the target: bad × 100 < share × total.
    allowed = max(math.ceil(share * total / 100) - 1, 0)
    left = allowed - bad
    return ErrorBudget(allowed, bad, left, 100 * left / allowed if allowed > 0 else None)


def format_value(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.2f} %"
