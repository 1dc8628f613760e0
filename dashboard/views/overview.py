"""Overview (ops): the brief's five targets for the window — value, met or missed, change against
the previous window, a sparkline in buckets sized to the window and, for the ratio targets, the
error budget left — and a day-by-target grid of which targets were missed when.

The numbers come from `queries.overview.target_report` and `target_series`; this page only lays
them out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import alerting, data
from dashboard.state import Filters
from dashboard.widgets import csv_download, data_page, empty_state, export_header, show_sql, table
from queries.api_health import bucket_name
from queries.targets import Target, evaluate, format_value, targets
from queries.window import Window, utc_midnight

GRID_DAYS = timedelta(days=7)
ANNOTATION_COLUMNS = {
    "at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm"),
    "ends_at": st.column_config.DatetimeColumn("ends (UTC)", format="YYYY-MM-DD HH:mm"),
}
_STATUS_COLOURS = {"met": "green", "missed": "red", "no data": "gray"}
_CELL_STYLES = {
    "met": "background-color: #e3f4e8; color: #17602f",
    "missed": "background-color: #fde2e1; color: #9b1c1c; font-weight: 600",
    "no data": "color: #6b7280",
}


# What a ratio target's error budget is counted in.
_BAD_EVENTS = {
    "error_rate_pct": "failed requests",
    "migration_success_pct": "failed migrations",
    "fallback_rate_pct": "fallbacks",
}


Row = dict[str, Any]  # one row of `queries.overview.target_report`


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _change(report: Row, target: Target) -> str | None:
    change = _number(report["change"])
    if change is None:
        return None
    if target.unit == "ms":
        return f"{change:+,.0f} ms"
    return f"{change:+,.2f} pts"


def describe_budget(report: Row) -> str | None:
    """The budget line of a ratio target: "Error budget: 150 of 200 failed requests left (75 %)",
    or how far it is overspent; None for latency targets and windows without events."""
    allowed, left, left_pct = (
        _number(report[k]) for k in ("budget_allowed", "budget_left", "budget_left_pct")
    )
    if allowed is None or left is None:
        return None
    events = _BAD_EVENTS[str(report["key"])]
    share = "" if left_pct is None else f" ({left_pct:.0f} %)"
    if left >= 0:
        return f"Error budget: {left:,.0f} of {allowed:,.0f} {events} left{share}"
    return f"Error budget overspent: {int(report['bad']):,} {events}, {allowed:,.0f} allowed{share}"


def _span(window: Window) -> str:
    hours = window.length / timedelta(hours=1)
    return f"{hours:g} h" if hours < 48 else f"{window.length.days} days"


def _card(
    target: Target, report: Row, series: pd.Series, bucket: str, alert: str | None = None
) -> None:
    value = _number(report["value"])
    with st.container(border=True):
        st.metric(
            target.label,
            "no data" if value is None else format_value(value, target.unit),
            delta=_change(report, target),
            delta_color="inverse" if target.direction == "below" else "normal",
            chart_data=series.dropna().tolist() or None,
            chart_type="line",
            help=f"Target {target.describe()}. The line: one point per {bucket}.",
        )
        status = str(report["status"])
        st.markdown(f":{_STATUS_COLOURS[status]}-badge[{status}] target {target.describe()}")
        if alert is not None:
            st.markdown(f":red-badge[:material/notifications_active: {alert}]")
        budget = describe_budget(report)
        if budget is not None:
            st.caption(budget)


def _grid(daily: pd.DataFrame) -> pd.DataFrame:
    grid = pd.DataFrame({"day (UTC)": pd.to_datetime(daily["day"]).dt.strftime("%a %d %b")})
    for target in targets():
        grid[target.label] = [
            evaluate(target, None if pd.isna(value) else float(value)).status
            for value in daily[target.key]
        ]
    return grid


def render(filters: Filters, window: Window) -> None:
    report = {
        str(row["key"]): {str(name): value for name, value in row.items()}
        for row in data.load("target_report", window).to_dict("records")
    }
    series = data.load("target_series", window)
    # The grid covers whole UTC days, at least the last week's.
    first = min(window.start, window.end - GRID_DAYS)
    days = Window(utc_midnight(first), window.end)
    daily = data.load("daily_targets", days)

    if all(_number(row["value"]) is None for row in report.values()) and daily.empty:
        empty_state(
            "No API requests or client events in this window. Pick a longer time window in the "
            "sidebar, or send traffic to the API."
        )
    else:
        st.caption(f"Change against the previous {_span(window)}.")
        bucket = bucket_name(window)
        firing = alerting.firing_by_target()
        for column, target in zip(st.columns(5), targets(), strict=True):
            with column:
                _card(
                    target, report[target.key], series[target.key], bucket, firing.get(target.key)
                )

    st.subheader(f"Targets by day, {days.start:%d %b} – {days.end:%d %b}")
    if daily.empty:
        empty_state("No day in this period has requests or client events to judge.")
    else:
        grid = _grid(daily)
        table(grid.style.map(lambda s: _CELL_STYLES.get(s, "")), max_rows=40)
        csv_download(
            daily,
            "targets_by_day",
            title="Target metrics by UTC day",
            window=days,
            header=export_header(filters, days),
        )
    _annotations(filters, window)
    show_sql("target_report", window, label="Show SQL: the cards")
    show_sql("target_series", window, label="Show SQL: the sparklines")
    show_sql("daily_targets", days, label="Show SQL: by day")
    show_sql("annotations", window, label="Show SQL: annotations")


def _annotations(filters: Filters, window: Window) -> None:
    """Deploys, notes, alerts, schema migrations and support actions per hour in the window: the
    marks the other pages' charts draw."""
    marks = data.load("annotations", window)
    with st.expander(f"Annotations in this window ({len(marks):,})", icon=":material/push_pin:"):
        if marks.empty:
            empty_state(
                'No annotations in this window. Add one with `progress-ops annotate "deploy '
                '2.4.1" --kind deploy` or `POST /v1/annotations`.'
            )
            return
        table(marks, column_config=ANNOTATION_COLUMNS, key="t-annotations")
        csv_download(
            marks,
            "annotations",
            title="Annotations",
            window=window,
            header=export_header(filters, window),
        )


data_page("Overview", render, refreshable=True)
