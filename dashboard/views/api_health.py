"""API health (ops): per endpoint — requests, 4xx, 5xx, error rate, avg and p95 latency, slowest
first — and error rate and p95 over time against their targets."""

from __future__ import annotations

import posixpath

import pandas as pd
import streamlit as st

from dashboard import charts, data
from dashboard.state import Filters
from dashboard.widgets import data_page, empty_state, show_sql, table_panel
from queries.api_health import bucket_for, bucket_name
from queries.histogram import RELATIVE_ERROR
from queries.targets import targets
from queries.window import Window

P95_NOTE = (
    f"A p95 is read from latency histograms: within ±{100 * RELATIVE_ERROR:.0f} % of the exact "
    "value, so endpoints with close latencies can show the same p95."
)

ENDPOINT_COLUMNS = {
    "requests": st.column_config.NumberColumn("requests", format="localized"),
    "errors_4xx": st.column_config.NumberColumn("4xx", format="localized"),
    "errors_5xx": st.column_config.NumberColumn("5xx", format="localized"),
    "error_rate_pct": st.column_config.NumberColumn("error rate", format="%.2f %%"),
    "avg_ms": st.column_config.NumberColumn("avg", format="%,.0f ms"),
    "p95_ms": st.column_config.NumberColumn("p95", format="%,.0f ms"),
}


def shared_prefix(paths: pd.Series) -> str:
    """The path every endpoint starts with ("/v1/tutorials/progress"); "" for fewer than two."""
    unique = sorted(set(paths))
    return posixpath.commonpath(unique) if len(unique) > 1 else ""


def short_endpoints(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """One "endpoint" column, method and the path after `prefix` ("POST …/{tutorial_id}/quiz"),
    so the table fits a 1024 px screen with every number column."""
    rest = [path.removeprefix(prefix) or "/" for path in frame["endpoint"]]
    names = [
        f"{m} …{r}" if prefix else f"{m} {r}" for m, r in zip(frame["method"], rest, strict=True)
    ]
    return frame.drop(columns="method").assign(endpoint=names)


def render(filters: Filters, window: Window) -> None:
    goals = {target.key: target for target in targets()}
    prefix = shared_prefix(data.load("endpoints", window)["endpoint"])
    notes = [f"… stands for {prefix}." if prefix else "", P95_NOTE]
    table_panel(
        "Endpoints, slowest (p95) first",
        "endpoints",
        filters,
        window,
        empty="No API requests in this window: pick a longer window in the sidebar.",
        column_config=ENDPOINT_COLUMNS,
        prepare=lambda frame: short_endpoints(frame, prefix),
        caption=" ".join(note for note in notes if note),
    )

    st.subheader("Over time")
    timeline = data.load("api_timeline", window)
    if not charts.has_points(timeline, "requests"):
        empty_state("No API requests in this window to chart: pick a longer window.")
    else:
        per = f"per {bucket_name(window)}"
        marks = data.load("annotations", window)
        for column, title, goal in (
            ("error_rate_pct", f"Error rate {per}", "error_rate_pct"),
            ("p95_ms", f"p95 response time {per}", "p95_response_ms"),
        ):
            figure = charts.line_with_target(
                timeline,
                "bucket",
                column,
                title=title,
                target=goals[goal],
                window=window,
                bucket=bucket_for(window),
            )
            st.altair_chart(charts.add_annotations(figure, marks), width="stretch")
    show_sql("api_timeline", window)


data_page(
    "API health",
    render,
    note="progress endpoints only (`/health` excluded)",
    refreshable=True,
    reads="api_health",
)
