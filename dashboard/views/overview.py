"""Overview (ops): the brief's five targets for the chosen window, and the days they were missed."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.context import engine, freshness_and_refresh, selected_window
from queries.overview import (
    METRIC_COLUMNS,
    api_metrics_statement,
    client_metrics_statement,
    daily_target_values,
    target_values,
)
from queries.sql import compiled_sql
from queries.targets import evaluate, format_value, targets
from queries.window import Window


@st.cache_data(ttl=30, show_spinner=False)
def _values(start_iso: str, end_iso: str) -> dict[str, float | None]:
    window = Window(pd.Timestamp(start_iso).to_pydatetime(), pd.Timestamp(end_iso).to_pydatetime())
    return target_values(engine(), window)


@st.cache_data(ttl=30, show_spinner=False)
def _daily(start_iso: str, end_iso: str) -> pd.DataFrame:
    window = Window(pd.Timestamp(start_iso).to_pydatetime(), pd.Timestamp(end_iso).to_pydatetime())
    return daily_target_values(engine(), window)


_CELL_STYLES = {
    "met": "background-color: #e3f4e8; color: #17602f",
    "missed": "background-color: #fde2e1; color: #9b1c1c; font-weight: 600",
    "no data": "color: #777",
}

window = selected_window()
freshness_and_refresh()
st.title("Overview")
st.caption(f"{window.describe()} · as of {window.end:%H:%M} UTC")

current = _values(window.start.isoformat(), window.end.isoformat())
previous_window = window.previous()
previous = _values(previous_window.start.isoformat(), previous_window.end.isoformat())

if all(value is None for value in current.values()):
    st.info(
        "No API requests or client events in this window. Pick a longer time window in the "
        "sidebar, or send traffic to the API."
    )
else:
    columns = st.columns(len(METRIC_COLUMNS))
    for column, target in zip(columns, targets(), strict=True):
        result = evaluate(target, current[target.key])
        with column, st.container(border=True):
            before = previous[target.key]
            delta = (
                None
                if result.value is None or before is None
                else f"{result.value - before:+,.2f} {target.unit}"
            )
            st.metric(
                target.label,
                "no data" if result.value is None else format_value(result.value, target.unit),
                delta=delta,
                delta_color="inverse" if target.direction == "below" else "normal",
                help=f"Target {target.describe()}. Change against the previous "
                f"{window.length // timedelta(hours=1)} h.",
            )
            colour = {"met": "green", "missed": "red", "no data": "gray"}[result.status]
            st.markdown(f":{colour}-badge[{result.status}] target {target.describe()}")

    daily = _daily(window.start.isoformat(), window.end.isoformat())
    if len(daily) > 1:
        st.subheader("Targets by day")
        grid = pd.DataFrame({"day": pd.to_datetime(daily["day"]).dt.strftime("%a %d %b")})
        for target in targets():
            grid[target.label] = [
                evaluate(target, None if pd.isna(value) else float(value)).status
                for value in daily[target.key]
            ]
        st.dataframe(
            grid.style.map(lambda status: _CELL_STYLES.get(status, "")),
            hide_index=True,
            width="stretch",
            height=35 * (len(grid) + 1) + 3,  # every day visible, no inner scrolling
        )
    with st.expander("Show SQL"):
        st.code(compiled_sql(api_metrics_statement(window)), language="sql")
        st.code(compiled_sql(client_metrics_statement(window)), language="sql")
