"""Certificates (product): awards per day and in total, by tutorial, overrides marked."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.context import selected_window
from dashboard.widgets import query, show_sql, table_panel

window = selected_window()
st.title("Certificates")
st.caption(f"{window.describe()} · counted when awarded (`tutorial_certificates.awarded_at`)")

per_day = query("awards_per_day", window)
if per_day.empty:
    st.info("No certificates were awarded in this window: pick a longer window in the sidebar.")
else:
    total, overrides = int(per_day["certificates"].sum()), int(per_day["overrides"].sum())
    first, second = st.columns(2)
    first.metric("Certificates awarded", f"{total:,}")
    second.metric("By support override", f"{overrides:,}")
    figure = go.Figure()
    figure.add_bar(
        x=per_day["day"], y=per_day["certificates"] - per_day["overrides"], name="earned"
    )
    figure.add_bar(x=per_day["day"], y=per_day["overrides"], name="override")
    figure.add_scatter(
        x=per_day["day"], y=per_day["cumulative"], name="cumulative", yaxis="y2", mode="lines"
    )
    figure.update_layout(
        barmode="stack",
        height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"title": "per day"},
        yaxis2={"title": "cumulative", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h"},
    )
    st.plotly_chart(figure, width="stretch")
show_sql("awards_per_day", window)

table_panel(
    "By tutorial",
    "awards_by_tutorial",
    window,
    empty="No certificates in this window.",
)
