"""The SLOs' live judgement, their budget burn and the alert history, cached for 30 s; read by
the Alerts page and the Overview's cards. The page judges live (read-only); what fired and when is
what `progress-ops alerts evaluate|serve` recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.context import engine
from queries.alerts import alert_history_statement, budget_burn, open_alerts_statement
from queries.slo import DataFinding, SloSettings, SloStatus, data_findings, slo_statuses, slos
from queries.sql import frame

CACHE_SECONDS = 30


def now() -> datetime:
    """This minute's start: the same answer (and cache entry) for a minute."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


# A resource, not data: the statuses hold the SLOs' rules (functions), which do not pickle.
@st.cache_resource(ttl=CACHE_SECONDS, show_spinner=False)
def judgement(at: datetime) -> tuple[list[SloStatus], list[DataFinding]]:
    with engine().connect() as connection:
        return slo_statuses(connection, at), data_findings(connection, at)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def budget_spent(at: datetime) -> pd.DataFrame:
    return budget_burn(engine(), at)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def history(at: datetime) -> pd.DataFrame:
    since = at - timedelta(days=SloSettings().period_days)
    return frame(engine(), alert_history_statement(since))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def open_alerts(at: datetime) -> pd.DataFrame:
    """alert_key, severity, tier, fired_at, burn_rate of every firing alert (`at`: cache key)."""
    return frame(engine(), open_alerts_statement())


def firing_by_target() -> dict[str, str]:
    """For the Overview's cards: target key → "page firing since 14:03 UTC", for the targets
    whose SLO has an alert firing."""
    at = now()
    target_of = {slo.key: slo.target_key for slo in slos()}
    return {
        target_of[str(row.alert_key)]: f"{row.severity} firing since {row.fired_at:%H:%M} UTC"
        for row in open_alerts(at).itertuples()
        if row.alert_key in target_of
    }
