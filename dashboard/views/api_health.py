"""API health (ops): per endpoint and over time, against the latency and error-rate targets."""

from __future__ import annotations

import streamlit as st

from dashboard.context import freshness_and_refresh, selected_window
from dashboard.widgets import line_with_target, query, show_sql, table_panel
from queries.targets import TargetSettings

window = selected_window()
freshness_and_refresh()
targets = TargetSettings()
st.title("API health")
st.caption(f"{window.describe()} · progress endpoints only (`/health` excluded)")

table_panel(
    "Endpoints, slowest (p95) first",
    "endpoints",
    window,
    empty="No API requests in this window: pick a longer window in the sidebar.",
    column_config={
        "requests": st.column_config.NumberColumn(format="localized"),
        "errors_4xx": st.column_config.NumberColumn("4xx", format="localized"),
        "errors_5xx": st.column_config.NumberColumn("5xx", format="localized"),
        "error_rate_pct": st.column_config.NumberColumn("error rate", format="%.2f %%"),
        "avg_ms": st.column_config.NumberColumn("avg", format="%.1f ms"),
        "p95_ms": st.column_config.NumberColumn("p95", format="%.1f ms"),
    },
)

timeline = query("api_timeline", window)
st.subheader("Over time")
if timeline.empty:
    st.info("No API requests in this window to chart.")
else:
    left, right = st.columns(2)
    left.plotly_chart(
        line_with_target(
            timeline,
            "bucket",
            "error_rate_pct",
            title="Error rate",
            target=targets.error_rate_pct,
            unit="%",
        ),
        width="stretch",
    )
    right.plotly_chart(
        line_with_target(
            timeline,
            "bucket",
            "p95_ms",
            title="p95 response time",
            target=targets.p95_response_ms,
            unit="ms",
        ),
        width="stretch",
    )
show_sql("api_timeline", window)
