"""Migration & fallback (ops): the clients' localStorage migrations and offline fallbacks — success
and fallback rates per day against their targets, failures by reason, fallbacks by operation."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data
from dashboard.state import Filters
from dashboard.widgets import data_page, empty_state, show_sql, table_panel
from queries.targets import targets
from queries.window import Window

COUNT = st.column_config.NumberColumn(format="localized")
DAILY_CHARTS = (
    ("migration_success_pct", "Migration success per day", "migration"),
    ("fallback_rate_pct", "Fallback rate per day", "fallback"),
)


def render(filters: Filters, window: Window) -> None:
    goals = {target.key: target for target in targets()}
    daily = data.load("daily_targets", window)
    marks = data.load("annotations", window)
    if daily.empty:
        empty_state("No client events in this window: pick a longer window in the sidebar.")
    else:
        for column, (key, title, noun) in zip(st.columns(2), DAILY_CHARTS, strict=True):
            goal = goals[key]
            series = daily.dropna(subset=[key])
            with column:
                if series.empty:
                    empty_state(f"No {noun} outcomes in this window to chart.")
                else:
                    figure = charts.line_with_target(series, "day", key, title=title, target=goal)
                    st.plotly_chart(charts.add_annotations(figure, marks), width="stretch")
    show_sql("daily_targets", window)

    left, right = st.columns(2)
    with left:
        table_panel(
            "Failed migrations by reason",
            "migration_failures",
            filters,
            window,
            empty="No failed migrations in this window.",
            column_config={"failures": COUNT, "records": COUNT},
        )
    with right:
        table_panel(
            "Fallbacks by operation",
            "fallbacks_by_operation",
            filters,
            window,
            empty="No operations were served from the fallback in this window.",
            column_config={"fallbacks": COUNT},
        )


data_page("Migration & fallback", render, refreshable=True)
