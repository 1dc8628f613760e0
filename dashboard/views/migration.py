"""Migration & fallback (ops): the clients' localStorage migrations and offline fallbacks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import engine, freshness_and_refresh, selected_window
from dashboard.widgets import line_with_target, table_panel
from queries.overview import daily_target_values
from queries.targets import TargetSettings
from queries.window import Window

window = selected_window()
freshness_and_refresh()
targets = TargetSettings()
st.title("Migration & fallback")
st.caption(window.describe())


@st.cache_data(ttl=30, show_spinner=False)
def _daily(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return daily_target_values(engine(), Window(start.to_pydatetime(), end.to_pydatetime()))


daily = _daily(pd.Timestamp(window.start), pd.Timestamp(window.end))
if daily.empty:
    st.info("No client events in this window: pick a longer window in the sidebar.")
else:
    left, right = st.columns(2)
    left.plotly_chart(
        line_with_target(
            daily,
            "day",
            "migration_success_pct",
            title="Migration success rate per day",
            target=targets.migration_success_pct,
            unit="%",
        ),
        width="stretch",
    )
    right.plotly_chart(
        line_with_target(
            daily,
            "day",
            "fallback_rate_pct",
            title="Fallback rate per day",
            target=targets.fallback_rate_pct,
            unit="%",
        ),
        width="stretch",
    )

left, right = st.columns(2)
with left:
    table_panel(
        "Failed migrations by reason",
        "migration_failures",
        window,
        empty="No failed migrations in this window.",
    )
with right:
    table_panel(
        "Fallbacks by operation",
        "fallbacks_by_operation",
        window,
        empty="No operations were served from the fallback in this window.",
    )
