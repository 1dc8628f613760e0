"""One evaluation: fold new rows, judge every SLO and no-data check, record changes, notify."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from alerting.notify import AlertSettings, Delivery, deliver
from alerting.store import Change, Finding, record
from progress.annotations import MAX_TEXT_LENGTH, write_annotation
from progress.db import explain
from queries.rollups import refresh
from queries.slo import (
    TIERS,
    DataFinding,
    SloSettings,
    SloStatus,
    data_findings,
    describe_duration,
    slo_statuses,
)
from queries.targets import TargetSettings


@dataclass(frozen=True)
class Settings:
    """Everything an evaluation reads from the environment, overridable in tests."""

    slo: SloSettings = field(default_factory=SloSettings)
    alert: AlertSettings = field(default_factory=AlertSettings)
    targets: TargetSettings = field(default_factory=TargetSettings)


@dataclass(frozen=True)
class Evaluation:
    at: datetime
    statuses: list[SloStatus]
    data: list[DataFinding]
    changes: list[Change]
    deliveries: list[Delivery]

    @property
    def paging(self) -> bool:
        """A page-severity alert is firing (the command's exit code 1)."""
        return any(s.severity == "page" for s in self.statuses) or any(
            d.firing and d.severity == "page" for d in self.data
        )


def dashboard_link(base_url: str, page: str, length: timedelta) -> str:
    """The dashboard page for a window a little longer than `length` (its sidebar's presets)."""
    preset = (
        "1h" if length <= timedelta(hours=1) else "24h" if length <= timedelta(days=1) else "7d"
    )
    return f"{base_url.rstrip('/')}/{page}?window={preset}"


def _slo_finding(status: SloStatus, settings: Settings) -> Finding:
    period = timedelta(days=settings.slo.period_days)
    tier = status.firing_tier
    threshold = None if tier is None else status.slo.threshold(tier, period)
    rates = ", ".join(
        f"{t.name()} {_rate(status.burn_rates[t.short])}/{_rate(status.burn_rates[t.long])}"
        for t in TIERS
    )
    budget = (
        "no traffic in the period"
        if status.budget_left is None
        else f"{status.budget_left:.0%} of the {settings.slo.period_days}-day budget left, "
        f"gone in {describe_duration(status.exhausted_in)} at the 1-hour rate"
    )
    burning = (
        ""
        if tier is None
        else f"burning {_rate(status.burn_rate)} the budget ({tier.name()} windows both > "
        f"{threshold:.1f}×); "
    )
    return Finding(
        key=status.slo.key,
        label=status.slo.label,
        severity=status.severity,
        tier=None if tier is None else f"{tier.name()} > {threshold:.1f}×",
        burn_rate=status.burn_rate,
        detail=f"{burning}burn short/long: {rates}; {budget}.",
        dashboard_url=dashboard_link(
            settings.alert.dashboard_url, status.slo.dashboard_page, (tier or TIERS[0]).long
        ),
    )


def _data_finding(finding: DataFinding, settings: Settings) -> Finding:
    page = "migration" if finding.key == "no_data:client events" else "api_health"
    return Finding(
        key=finding.key,
        label=finding.label,
        severity=finding.severity if finding.firing else None,
        tier="no data" if finding.firing else None,
        burn_rate=None,
        detail=f"{finding.detail}.",
        dashboard_url=dashboard_link(settings.alert.dashboard_url, page, timedelta(hours=1)),
    )


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1f}×"


def annotate(connection: Connection, changes: list[Change], at: datetime) -> None:
    """Mark each change on the dashboard's charts, in the transaction that records it: a line
    when an alert fires or escalates, a band from firing to resolution when it resolves."""
    for change in changes:
        what = f"{change.finding.label}: {change.severity} alert {change.kind} ({change.tier})"
        ends_at = at if change.kind == "resolved" and at > change.fired_at else None
        write_annotation(
            connection,
            at=change.fired_at if ends_at else at,
            ends_at=ends_at,
            kind="alert",
            text=what[:MAX_TEXT_LENGTH],
            author="alerts",
        )


def evaluate_once(
    engine: Engine, *, now: datetime | None = None, settings: Settings | None = None
) -> Evaluation:
    """Judge, record and notify once. Raises `DatabaseUnavailable` when the database cannot be
    read or written (nothing is recorded or sent then)."""
    s = settings or Settings()
    at = now or datetime.now(UTC)
    try:
        refresh(engine)  # fold what the request logger and clients wrote since the last refresh
        with engine.begin() as connection:
            statuses = slo_statuses(connection, at, settings=s.slo, targets=s.targets)
            data = data_findings(connection, at, settings=s.slo)
            findings = [_slo_finding(status, s) for status in statuses]
            findings += [_data_finding(finding, s) for finding in data]
            changes = record(connection, findings, at)
            annotate(connection, changes, at)
    except DBAPIError as error:
        raise explain(error, engine) from error
    return Evaluation(at, statuses, data, changes, deliver(changes, s.alert))
