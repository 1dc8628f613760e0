"""Pieces every page uses: cached queries, a table panel with "Show SQL" and CSV download, and a
time-series chart with its target drawn in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Select

from dashboard.context import engine
from queries import api_health, certificates, client, learning
from queries.sql import compiled_sql, frame
from queries.window import Window

StatementFactory = Callable[[Window, str | None, str | None], Select[*tuple[Any, ...]]]


def _needs_tutorial(tutorial_id: str | None) -> str:
    if tutorial_id is None:
        raise ValueError("this query needs a tutorial")
    return tutorial_id


STATEMENTS: dict[str, StatementFactory] = {
    "endpoints": lambda w, t, x: api_health.endpoint_table_statement(w),
    "api_timeline": lambda w, t, x: api_health.timeline_statement(w),
    "migration_failures": lambda w, t, x: client.migration_failures_statement(w),
    "fallbacks_by_operation": lambda w, t, x: client.fallbacks_by_operation_statement(w),
    "awards_per_day": lambda w, t, x: certificates.awards_per_day_statement(w, tutorial_id=t),
    "awards_by_tutorial": lambda w, t, x: certificates.awards_by_tutorial_statement(
        w, tutorial_id=t
    ),
    "daily_active_tutorials": lambda w, t, x: learning.daily_active_tutorials_statement(w, t),
    "active_learners": lambda w, t, x: learning.active_learners_per_day_statement(w, t),
    "completion": lambda w, t, x: learning.completion_distribution_statement(w, t),
    "time_to_complete": lambda w, t, x: learning.time_to_complete_statement(w, t),
    "quizzes": lambda w, t, x: learning.quiz_results_statement(w, t),
    "at_risk": lambda w, t, x: learning.at_risk_statement(w, t),
    "funnel": lambda w, t, x: learning.chapter_funnel_statement(w, _needs_tutorial(t)),
    "stop_positions": lambda w, t, x: learning.stop_positions_statement(w, _needs_tutorial(t)),
    "stuck": lambda w, t, x: learning.stuck_learners_statement(w, _needs_tutorial(t), x or ""),
}


@st.cache_data(ttl=30, show_spinner=False, max_entries=200)
def _cached(
    name: str, start: datetime, end: datetime, tutorial_id: str | None, extra: str | None
) -> pd.DataFrame:
    return frame(engine(), STATEMENTS[name](Window(start, end), tutorial_id, extra))


def query(
    name: str, window: Window, tutorial_id: str | None = None, extra: str | None = None
) -> pd.DataFrame:
    return _cached(name, window.start, window.end, tutorial_id, extra)


def show_sql(
    name: str, window: Window, tutorial_id: str | None = None, extra: str | None = None
) -> None:
    with st.expander("Show SQL"):
        st.code(compiled_sql(STATEMENTS[name](window, tutorial_id, extra)), language="sql")


def csv_download(data: pd.DataFrame, name: str, window: Window, tutorial_id: str | None) -> None:
    """A CSV whose file name and first lines record the window and filters it was made with."""
    stamp = f"{window.start:%Y%m%dT%H%MZ}-{window.end:%Y%m%dT%H%MZ}"
    header = f"# {name}; window {window.describe()}; tutorial {tutorial_id or 'all'}\n"
    st.download_button(
        "Download CSV",
        header + data.to_csv(index=False),
        file_name=f"{name}_{stamp}{'_' + tutorial_id if tutorial_id else ''}.csv",
        mime="text/csv",
        key=f"csv-{name}",
    )


def table_panel(
    title: str,
    name: str,
    window: Window,
    *,
    empty: str,
    tutorial_id: str | None = None,
    column_config: dict[str, Any] | None = None,
    extra: str | None = None,
) -> pd.DataFrame:
    st.subheader(title)
    data = query(name, window, tutorial_id, extra)
    if data.empty:
        st.info(empty)
    else:
        st.dataframe(data, hide_index=True, width="stretch", column_config=column_config)
        csv_download(data, name, window, tutorial_id)
    show_sql(name, window, tutorial_id, extra)
    return data


def line_with_target(
    data: pd.DataFrame, x: str, y: str, *, title: str, target: float, unit: str
) -> go.Figure:
    figure = go.Figure(
        go.Scatter(x=data[x], y=data[y], mode="lines", name=title, line={"color": "#2457c5"})
    )
    figure.add_hline(
        y=target,
        line_dash="dash",
        line_color="#c0392b",
        annotation_text=f"target {target:g} {unit}",
        annotation_position="top left",
    )
    figure.update_layout(
        title=title,
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis_title=unit,
        xaxis_title=None,
        showlegend=False,
    )
    return figure
