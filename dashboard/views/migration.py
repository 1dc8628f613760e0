"""Migration & fallback (ops): the clients' localStorage migrations and offline fallbacks — success
and fallback rates over time (buckets sized to the window) against their targets, failures by
reason, fallbacks by operation."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data
from dashboard.state import Filters
from dashboard.widgets import data_page, empty_state, show_sql, table_panel
from queries.api_health import bucket_for, bucket_name
from queries.targets import targets
from queries.window import Window

COUNT = st.column_config.NumberColumn(format="localized")
CHARTS = (
    ("migration_success_pct", "Migration success", "No migration outcomes"),
    ("fallback_rate_pct", "Fallback rate", "No progress operations"),
)


def render(filters: Filters, window: Window) -> None:
    goals = {target.key: target for target in targets()}
    series = data.load("target_series", window)
    marks = data.load("annotations", window)
    for key, title, nothing in CHARTS:
        if charts.has_points(series, key):
            figure = charts.line_with_target(
                series,
                "bucket",
                key,
                title=f"{title} per {bucket_name(window)}",
                target=goals[key],
                window=window,
                bucket=bucket_for(window),
            )
            st.altair_chart(charts.add_annotations(figure, marks), width="stretch")
        else:
            empty_state(f"{nothing} in this window to chart: pick a longer window in the sidebar.")
    show_sql("target_series", window)

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


data_page("Migration & fallback", render, refreshable=True, reads="migration")
