"""API health (ops): per endpoint — requests, 4xx, 5xx, error rate, avg and p95 latency, slowest
first — and error rate and p95 over time against their targets."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data
from dashboard.state import Filters
from dashboard.widgets import data_page, empty_state, show_sql, table_panel
from queries.api_health import bucket_name
from queries.targets import targets
from queries.window import Window

ENDPOINT_COLUMNS = {
    "requests": st.column_config.NumberColumn("requests", format="localized"),
    "errors_4xx": st.column_config.NumberColumn("4xx", format="localized"),
    "errors_5xx": st.column_config.NumberColumn("5xx", format="localized"),
    "error_rate_pct": st.column_config.NumberColumn("error rate", format="%.2f %%"),
    "avg_ms": st.column_config.NumberColumn("avg", format="%,.1f ms"),
    "p95_ms": st.column_config.NumberColumn("p95", format="%,.1f ms"),
}


def render(filters: Filters, window: Window) -> None:
    goals = {target.key: target for target in targets()}
    table_panel(
        "Endpoints, slowest (p95) first",
        "endpoints",
        filters,
        window,
        empty="No API requests in this window: pick a longer window in the sidebar.",
        column_config=ENDPOINT_COLUMNS,
    )

    st.subheader("Over time")
    timeline = data.load("api_timeline", window)
    if timeline.empty:
        empty_state("No API requests in this window to chart: pick a longer window.")
    else:
        per = f"per {bucket_name(window)}"
        marks = data.load("annotations", window)
        left, right = st.columns(2)
        left.plotly_chart(
            charts.add_annotations(
                charts.line_with_target(
                    timeline,
                    "bucket",
                    "error_rate_pct",
                    title=f"Error rate {per}",
                    target=goals["error_rate_pct"],
                ),
                marks,
            ),
            width="stretch",
        )
        right.plotly_chart(
            charts.add_annotations(
                charts.line_with_target(
                    timeline,
                    "bucket",
                    "p95_ms",
                    title=f"p95 response time {per}",
                    target=goals["p95_response_ms"],
                ),
                marks,
            ),
            width="stretch",
        )
    show_sql("api_timeline", window)


data_page(
    "API health",
    render,
    note="progress endpoints only (`/health` excluded)",
    refreshable=True,
)
