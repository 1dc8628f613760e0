"""Alert state and history in the `alerts` table: one row per alert, from firing to resolution.

Each evaluation hands `record` what it found for every alert key; `record` compares that with
the open alerts and returns the changes to notify: an alert **fires** once, notifies again only
when it **escalates** above the highest severity it had (ticket → page) or **resolves**. A page
that calms to a ticket is recorded quietly, and paging again after that does not re-notify.

All of it happens under a transaction-level advisory lock, so two evaluators running at once
take turns: the second sees what the first recorded and finds nothing to change (the unique
index on open alerts backs this up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, func, select

from progress.schema import alerts
from queries.slo import SEVERITY_RANK, Severity

ADVISORY_LOCK = 712_304_006
ChangeKind = Literal["fired", "escalated", "resolved"]


@dataclass(frozen=True)
class Finding:
    """What one evaluation found for one alert key (severity None: not firing)."""

    key: str
    label: str
    severity: Severity | None
    tier: str | None
    burn_rate: float | None
    detail: str  # what burns, how fast, the budget left: the notification's body
    dashboard_url: str


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    finding: Finding
    severity: Severity  # for "resolved": the severity it had
    tier: str
    fired_at: datetime
    peak_burn_rate: float | None


def _peak(old: float | None, new: float | None) -> float | None:
    return new if old is None else old if new is None else max(old, new)


def record(connection: Connection, findings: list[Finding], now: datetime) -> list[Change]:
    """Record `findings` in `connection`'s transaction; the changes to notify once it commits."""
    connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))
    open_alerts = {
        row.alert_key: row
        for row in connection.execute(select(alerts).where(alerts.c.resolved_at.is_(None)))
    }
    changes: list[Change] = []
    for finding in findings:
        row = open_alerts.get(finding.key)
        if row is None:
            if finding.severity is None or finding.tier is None:
                continue
            connection.execute(
                alerts.insert().values(
                    alert_key=finding.key,
                    severity=finding.severity,
                    peak_severity=finding.severity,
                    tier=finding.tier,
                    fired_at=now,
                    burn_rate=finding.burn_rate,
                    peak_burn_rate=finding.burn_rate,
                )
            )
            changes.append(
                Change("fired", finding, finding.severity, finding.tier, now, finding.burn_rate)
            )
            continue
        peak = _peak(row.peak_burn_rate, finding.burn_rate)
        this_row = alerts.update().where(alerts.c.id == row.id)
        if finding.severity is None or finding.tier is None:
            connection.execute(this_row.values(resolved_at=now))
            changes.append(Change("resolved", finding, row.severity, row.tier, row.fired_at, peak))
            continue
        # Above the highest severity it had: a page that calmed to a ticket and pages again has
        # already paged once.
        escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[row.peak_severity]
        peak_severity = finding.severity if escalated else row.peak_severity
        connection.execute(
            this_row.values(
                severity=finding.severity,
                tier=finding.tier,
                burn_rate=finding.burn_rate,
                peak_burn_rate=peak,
                peak_severity=peak_severity,
            )
        )
        if escalated:
            changes.append(
                Change("escalated", finding, finding.severity, finding.tier, row.fired_at, peak)
            )
    return changes
