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
from queries.targets import Target, TargetSettings, evaluate, format_value, targets
from queries.window import Window

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


# What each target is measured over, and what its error budget is counted in (one, many).
_EVENTS = {
    "avg_response_ms": ("request", "requests"),
    "p95_response_ms": ("request", "requests"),
    "error_rate_pct": ("request", "requests"),
    "migration_success_pct": ("migration outcome", "migration outcomes"),
    "fallback_rate_pct": ("operation", "operations"),
}
_BAD_EVENTS = {
    "error_rate_pct": ("failed request", "failed requests"),
    "migration_success_pct": ("failed migration", "failed migrations"),
    "fallback_rate_pct": ("fallback", "fallbacks"),
}


Row = dict[str, Any]  # one row of `queries.overview.target_report`


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _count(n: int, nouns: tuple[str, str]) -> str:
    return f"{n:,} {nouns[0] if n == 1 else nouns[1]}"


def describe_change(report: Row, span: str) -> tuple[str | None, str | None]:
    """The card's delta ("+12 ms", "−0.35 pts"; "no change" when it rounds to zero) or, when
    either window holds too few events to compare (`min_comparison_events`), the sentence saying
    so instead."""
    change = _number(report["change"])
    if change is not None:
        shown = round(change) if report["unit"] == "ms" else round(change, 2)
        if shown == 0:
            return "no change", None
        return (f"{shown:+,.0f} ms" if report["unit"] == "ms" else f"{shown:+,.2f} pts"), None
    nouns = _EVENTS[str(report["key"])]
    needed = TargetSettings().min_comparison_events
    before, now = int(report["previous_volume"]), int(report["volume"])
    if before < needed:
        return None, (
            f"No change shown: not enough data in the previous {span} "
            f"({_count(before, nouns)}; {needed:,} needed)."
        )
    if now < needed:
        return (
            None,
            f"No change shown: too few {nouns[1]} in this window ({now:,}; {needed:,} needed).",
        )
    return None, None  # a value is missing: "no data" says it


def describe_budget(report: Row) -> str | None:
    """The budget line of a ratio target, in whole events: "Error budget: 149 of 199 failed
    requests left (75 %)", overspent, or none when the window is too small to allow a single bad
    event; None for latency targets and windows without events."""
    allowed, left = _number(report["budget_allowed"]), _number(report["budget_left"])
    if allowed is None or left is None:
        return None
    allowed_n, left_n, bad = int(allowed), int(left), int(report["bad"])
    events = _BAD_EVENTS[str(report["key"])]
    total = _count(int(report["total"]), _EVENTS[str(report["key"])])
    if allowed_n == 0:
        return f"No error budget: over {total}, a single {events[0]} misses the target" + (
            f" ({_count(bad, events)} so far)." if bad else "."
        )
    if left_n >= 0:
        share = 100 * left_n / allowed_n
        return f"Error budget: {left_n:,} of {_count(allowed_n, events)} left ({share:.0f}\u00a0%)"
    return f"Error budget overspent: {_count(bad, events)}, {allowed_n:,} allowed over {total}"


def _span(window: Window) -> str:
    hours = window.length / timedelta(hours=1)
    return f"{hours:g} h" if hours < 48 else f"{window.length.days} days"


CARD_WIDTH = 180  # px: five cards in a row on a wide screen, three at 1024 px, one on a phone


def _card(
    target: Target,
    report: Row,
    series: pd.Series,
    bucket: str,
    span: str,
    alert: str | None = None,
) -> None:
    value = _number(report["value"])
    delta, no_comparison = describe_change(report, span)
    precision = (
        " (within ±1 %: read from latency histograms)" if target.key.startswith("p95") else ""
    )
    with st.container(border=True, width=CARD_WIDTH):
        st.metric(
            target.label,
            "no data" if value is None else format_value(value, target.unit),
            delta=delta,
            delta_color="off"
            if delta == "no change"
            else "inverse"
            if target.direction == "below"
            else "normal",
            delta_arrow="off" if delta == "no change" else "auto",
            chart_data=series.dropna().tolist() or None,
            chart_type="line",
            help=f"Target {target.describe()}{precision}. The line: one point per {bucket} with "
            "events (buckets without any are left out).",
        )
        status = str(report["status"])
        st.markdown(f":{_STATUS_COLOURS[status]}-badge[{status}] target {target.describe()}")
        if alert is not None:
            st.markdown(f":red-badge[:material/notifications_active: {alert}]")
        for line in (no_comparison, describe_budget(report)):
            if line is not None:
                st.caption(line)


# The grid's column names: short, so the day and all five targets fit a 1024 px screen.
GRID_LABELS = {
    "avg_response_ms": "avg time",
    "p95_response_ms": "p95 time",
    "error_rate_pct": "error rate",
    "migration_success_pct": "migration",
    "fallback_rate_pct": "fallback",
}


def _grid(daily: pd.DataFrame) -> pd.DataFrame:
    grid = pd.DataFrame({"UTC day": pd.to_datetime(daily["day"]).dt.strftime("%a %d %b")})
    for target in targets():
        grid[GRID_LABELS[target.key]] = [
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
    days = data.grid_days(window)
    daily = data.load("daily_targets", days)

    if all(_number(row["value"]) is None for row in report.values()) and daily.empty:
        empty_state(
            "No API requests or client events in this window. Pick a longer time window in the "
            "sidebar, or send traffic to the API."
        )
    else:
        span = _span(window)
        st.caption(f"Change against the previous {span}.")
        bucket = bucket_name(window)
        firing = alerting.firing_by_target()
        with st.container(horizontal=True, gap="xsmall"):
            for target in targets():
                _card(
                    target,
                    report[target.key],
                    series[target.key],
                    bucket,
                    span,
                    firing.get(target.key),
                )

    last_day = days.end - timedelta(microseconds=1)  # the window's end is not in it
    st.subheader(f"Targets by day, {days.start:%d %b} – {last_day:%d %b}")
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


data_page("Overview", render, refreshable=True, reads="overview")
