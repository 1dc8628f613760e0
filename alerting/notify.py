"""Notifications of alert changes to a webhook: generic JSON or a Slack-compatible payload.

Each change is POSTed on its own thread, after the evaluation has judged every SLO and recorded
its state, so a slow or failing webhook never holds up another SLO or another notification. Each
POST has a timeout and is retried with exponential backoff (tenacity); what still fails is
reported, not retried at the next evaluation (the change is already recorded: no storms).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from alerting.store import Change


class AlertSettings(BaseSettings):
    """Environment variables `PROGRESS_OPS_ALERT_*` (documented in docs/alerts.md)."""

    model_config = SettingsConfigDict(env_prefix="PROGRESS_OPS_ALERT_", extra="ignore")

    webhook_url: str | None = None
    webhook_format: Literal["json", "slack"] = "json"
    webhook_timeout_seconds: float = 5.0
    webhook_attempts: int = 3
    dashboard_url: str = "http://localhost:8501"


@dataclass(frozen=True)
class Delivery:
    change: Change
    error: str | None  # None: delivered


def message(change: Change) -> str:
    """One line a person reads in a chat or a pager."""
    finding = change.finding
    if change.kind == "resolved":
        peak = "" if change.peak_burn_rate is None else f", peak burn {change.peak_burn_rate:.1f}×"
        return (
            f"[RESOLVED] {finding.label} (was {change.severity}, fired "
            f"{change.fired_at:%Y-%m-%d %H:%M} UTC{peak}). {finding.dashboard_url}"
        )
    verb = "ESCALATED" if change.kind == "escalated" else "FIRING"
    severity = change.severity.upper()
    return f"[{severity} {verb}] {finding.label}: {finding.detail} {finding.dashboard_url}"


def payload(change: Change, settings: AlertSettings) -> dict[str, Any]:
    text = message(change)
    if settings.webhook_format == "slack":
        return {"text": text}
    finding = change.finding
    return {
        "alert": finding.key,
        "label": finding.label,
        "change": change.kind,
        "severity": change.severity,
        "tier": change.tier,
        "burn_rate": finding.burn_rate,
        "peak_burn_rate": change.peak_burn_rate,
        "fired_at": change.fired_at.isoformat(),
        "detail": finding.detail,
        "dashboard_url": finding.dashboard_url,
        "text": text,
    }


def _post(client: httpx.Client, change: Change, settings: AlertSettings) -> Delivery:
    assert settings.webhook_url is not None
    retrying = Retrying(
        stop=stop_after_attempt(max(1, settings.webhook_attempts)),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type(httpx.HTTPError),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                response = client.post(settings.webhook_url, json=payload(change, settings))
                response.raise_for_status()
    except httpx.HTTPError as error:
        return Delivery(change, f"{type(error).__name__}: {error}")
    return Delivery(change, None)


def deliver(changes: list[Change], settings: AlertSettings | None = None) -> list[Delivery]:
    """POST every change to the webhook at once (nothing when no webhook is set)."""
    s = settings or AlertSettings()
    if not changes or not s.webhook_url:
        return []
    with (
        httpx.Client(timeout=s.webhook_timeout_seconds) as client,
        ThreadPoolExecutor(max_workers=min(8, len(changes))) as pool,
    ):
        return list(pool.map(lambda change: _post(client, change, s), changes))
