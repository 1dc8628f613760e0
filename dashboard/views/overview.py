"""Overview (ops): the brief's five targets for the window — value, met or missed, change against
the previous window, a daily sparkline and, for the ratio targets, the error budget left — and a
day-by-target grid of which targets were missed when."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.budget import describe_budget, error_budget_left
from dashboard.state import Filters
from dashboard.widgets import csv_download, data_page, empty_state, export_header, show_sql, table
from queries.targets import Target, evaluate, format_value, targets
from queries.window import Window

SPARKLINE_DAYS = timedelta(days=7)
_STATUS_COLOURS = {"met": "green", "missed": "red", "no data": "gray"}
_CELL_STYLES = {
    "met": "background-color: #e3f4e8; color: #17602f",
    "missed": "background-color: #fde2e1; color: #9b1c1c; font-weight: 600",
    "no data": "color: #6b7280",
}


def _values(window: Window) -> dict[str, float | None]:
    row = data.load("targets", window).iloc[0]
    return {str(key): None if pd.isna(value) else float(value) for key, value in row.items()}


def _change(value: float | None, before: float | None, target: Target) -> str | None:
    if value is None or before is None:
        return None
    if target.unit == "ms":
        return f"{value - before:+,.0f} ms"
    return f"{value - before:+,.2f} pts"


def _span(window: Window) -> str:
    hours = window.length / timedelta(hours=1)
    return f"{hours:g} h" if hours < 48 else f"{window.length.days} days"


def _card(target: Target, value: float | None, before: float | None, series: pd.Series) -> None:
    result = evaluate(target, value)
    with st.container(border=True):
        st.metric(
            target.label,
            "no data" if value is None else format_value(value, target.unit),
            delta=_change(value, before, target),
            delta_color="inverse" if target.direction == "below" else "normal",
            chart_data=series.dropna().tolist() or None,
            chart_type="line",
            help=f"Target {target.describe()}. The line: one point per UTC day.",
        )
        status = result.status
        st.markdown(f":{_STATUS_COLOURS[status]}-badge[{status}] target {target.describe()}")
        left = error_budget_left(target, value)
        if left is not None:
            st.caption(describe_budget(left))


def _grid(daily: pd.DataFrame) -> pd.DataFrame:
    grid = pd.DataFrame({"day (UTC)": pd.to_datetime(daily["day"]).dt.strftime("%a %d %b")})
    for target in targets():
        grid[target.label] = [
            evaluate(target, None if pd.isna(value) else float(value)).status
            for value in daily[target.key]
        ]
    return grid


def render(filters: Filters, window: Window) -> None:
    current = _values(window)
    previous = _values(window.previous())
    # The sparklines and the grid cover whole UTC days, at least the last week's.
    first = min(window.start, window.end - SPARKLINE_DAYS)
    days = Window(first.replace(hour=0, minute=0, second=0, microsecond=0), window.end)
    daily = data.load("daily_targets", days)

    if all(value is None for value in current.values()) and daily.empty:
        empty_state(
            "No API requests or client events in this window. Pick a longer time window in the "
            "sidebar, or send traffic to the API."
        )
    else:
        st.caption(f"Change against the previous {_span(window)}.")
        for column, target in zip(st.columns(5), targets(), strict=True):
            with column:
                _card(target, current[target.key], previous[target.key], daily[target.key])

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
    show_sql("targets", window, label="Show SQL: the cards")
    show_sql("daily_targets", days, label="Show SQL: by day")


data_page("Overview", render, refreshable=True)
