"""The brief's five target metrics, as data, and how a measured value is judged against them.

Targets can be overridden with environment variables (e.g. `PROGRESS_OPS_TARGET_ERROR_RATE_PCT=2`).
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """A ratio target's allowance of bad events over a window, and what is left of it.

    "Error rate < 1 %" over 20,000 requests allows 200 errors: that is the budget. With 50 errors
    150 are left (75 % of the budget); with 260, −60 (−30 %: overspent). "Migration success
    > 90 %" allows 10 failures in 100 outcomes the same way.
    """

    allowed: float  # bad events the target allows: the allowed share × total
    spent: int  # bad events that happened
    left: float  # allowed − spent; negative when overspent
    left_pct: float | None  # left as a percentage of allowed (None when nothing is allowed)


def error_budget(target: Target, *, bad: int, total: int) -> ErrorBudget | None:
    """The budget of a ratio target (unit "%") over `total` events of which `bad` were bad;
    None for latency targets and when there were no events."""
    if target.unit != "%" or total <= 0:
        return None
    share = target.threshold if target.direction == "below" else 100 - target.threshold
    allowed = share / 100 * total
    left = allowed - bad
    return ErrorBudget(allowed, bad, left, 100 * left / allowed if allowed > 0 else None)


def format_value(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.2f} %"
