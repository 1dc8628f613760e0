"""Alerts (ops): every SLO's state, its burn rate per window against each tier, the budget spent
over the period, the no-data checks, and the alert history the evaluator recorded.

The state is judged live from the rollups (docs/alerts.md explains SLOs, burn rates and tiers);
alerts fire, notify and resolve only through `progress-ops alerts evaluate|serve`."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import alerting, charts, data
from dashboard.text import literal
from dashboard.widgets import database_guard, empty_state, table
from queries.slo import TIERS, SloSettings, SloStatus, describe_duration
from queries.window import Window

STATE_COLOURS = {
    "firing page": "red",
    "firing ticket": "orange",
    "recovering": "blue",
    "ok": "green",
    "no data": "gray",
}


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:,.1f}×"


def tier_table(status: SloStatus, period: timedelta) -> pd.DataFrame:
    """One row per tier: the burn rates over its two windows (named in the tier, long/short:
    "page 1h/5m") against its threshold; the same columns on every row, so the table stays
    narrow."""
    rows = []
    for tier in TIERS:
        threshold = status.slo.threshold(tier, period)
        rows.append(
            {
                "tier": f"{tier.severity} {tier.name()}",
                "threshold": f"> {threshold:,.1f}×",
                "long window": _rate(status.burn_rates[tier.long]),
                "short window": _rate(status.burn_rates[tier.short]),
                "firing": "yes" if status.firing_tier == tier else "",
            }
        )
    return pd.DataFrame(rows)


def _slo_card(status: SloStatus, period: timedelta) -> None:
    with st.container(border=True):
        colour = STATE_COLOURS[status.state]
        st.markdown(f"**{status.slo.label}** &nbsp; :{colour}-badge[{status.state}]")
        budget = "–" if status.budget_left is None else f"{status.budget_left:.0%}"
        left, right = st.columns(2)
        left.metric(f"Budget left ({period.days} days)", budget)
        right.metric(
            "Gone at the 1-hour rate in",
            describe_duration(status.exhausted_in),
            help="How long the budget left lasts if the last hour's burn rate goes on.",
        )
        table(tier_table(status, period), key=f"tiers-{status.slo.key}")


def budget_chart(spent: pd.DataFrame, days: int, window: Window) -> alt.LayerChart:
    """Per SLO, the share of the period's error budget spent by the end of each hour (UTC), with
    the whole budget as a dotted line at 100 %."""
    shown = pd.DataFrame(
        {
            "hour": pd.to_datetime(spent["hour"], utc=True),
            "slo": spent["slo"].astype(str),
            "spent": spent["budget_spent_pct"].astype("float64"),
        }
    )
    shown["when"] = [f"{hour:%Y-%m-%d %H:%M} UTC" for hour in shown["hour"]]
    lines = (
        alt.Chart(shown)
        .mark_line(invalid=charts.GAPS)
        .encode(
            x=alt.X(
                "hour:T",
                scale=alt.Scale(
                    type="utc", domain=[window.start.isoformat(), window.end.isoformat()]
                ),
                axis=alt.Axis(format="%d %b", title=None, grid=False),
            ),
            y=alt.Y("spent:Q", title="% of the period's budget"),
            color=alt.Color("slo:N", sort=None, legend=charts.legend_below()),
            tooltip=[
                alt.Tooltip("slo:N", title="SLO"),
                alt.Tooltip("when:N", title="by the end of"),
                alt.Tooltip("spent:Q", title="% of the budget spent", format=",.1f"),
            ],
        )
    )
    whole = alt.Chart(pd.DataFrame({"y": [100.0], "label": ["whole budget"]}))
    rule = whole.mark_rule(color=charts.GREY, strokeDash=[2, 3]).encode(y="y:Q")
    label = whole.mark_text(align="right", baseline="bottom", dy=-3, color=charts.GREY).encode(
        y="y:Q", x=alt.value("width"), text="label:N"
    )
    height = charts.height_with_legend(280, shown["slo"].nunique())
    chart = alt.layer(lines, rule, label).properties(height=height)
    title = f"Error budget spent over the last {days} days (by the end of each hour)"
    return charts.titled(chart, title)  # type: ignore[no-any-return]


HISTORY_COLUMNS = {
    "alert_key": "alert",
    "severity": "severity",
    "peak_severity": "peak",
    "tier": "tier",
    "fired_at": "fired (UTC)",
    "resolved_at": "resolved",
    "peak_burn_rate": "peak burn",
}


def render() -> None:
    at = alerting.now()
    settings = SloSettings()
    period = timedelta(days=settings.period_days)
    st.title("Alerts")
    st.caption(
        f"SLOs over the last {settings.period_days} days, judged at {at:%Y-%m-%d %H:%M} UTC · "
        "alerts fire and notify through `progress-ops alerts evaluate` (docs/alerts.md)"
    )
    statuses, findings = alerting.judgement(at)
    for status in statuses:  # one card a row: its tier table stays whole at 1024 px
        _slo_card(status, period)
    for finding in findings:
        state = f":red-badge[firing {finding.severity}]" if finding.firing else ":green-badge[ok]"
        st.markdown(f"**{literal(finding.label)}** {state} — {literal(finding.detail)}")

    spent = alerting.budget_spent(at)
    if spent.empty:
        empty_state("No requests or client events in the period yet: no budget to chart.")
    else:
        window = Window(at - period, at)
        marks = data.load("annotations", window)
        figure = budget_chart(spent, settings.period_days, window)
        st.altair_chart(charts.add_annotations(figure, marks), width="stretch")

    st.subheader("History")
    recorded = alerting.history(at)
    if recorded.empty:
        empty_state("No alert has fired in the period.")
    else:
        shown = recorded[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS)
        shown["peak burn"] = shown["peak burn"].map(_rate)
        for moment in ("fired (UTC)", "resolved"):  # minutes: the table fits at 1024 px
            shown[moment] = pd.to_datetime(shown[moment], utc=True).dt.strftime("%Y-%m-%d %H:%M")
        table(shown, key="alert-history")


def page() -> None:
    with database_guard():
        if st.session_state.get("auto_refresh"):
            st.fragment(render, run_every=timedelta(minutes=1))()
        else:
            render()


page()
