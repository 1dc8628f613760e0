"""Figures of the Completion trends page: the cohort heat map, curves, rates over time — and
`add_marks`, the hook that draws dated annotations (releases, content changes) on a time axis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import BLUE, GREY, _layout

Mark = tuple[datetime, str]


def add_marks(figure: go.Figure, marks: Sequence[Mark]) -> go.Figure:
    """A dotted vertical line with its text at each `(time, text)` on a chart whose x axis is
    time. The page passes no marks yet: an annotations table can feed this once it exists."""
    for at, text in marks:
        figure.add_vline(x=at, line={"color": GREY, "width": 1, "dash": "dot"})
        figure.add_annotation(
            x=at, y=1, yref="paper", text=text, showarrow=False, xanchor="left", yanchor="top"
        )
    return figure


def heatmap(shares: pd.DataFrame, *, title: str, cohort_format: str) -> go.Figure:
    """Cohorts (rows, newest at the bottom) × days since start (columns); blank cells are cohorts
    too young for that column."""
    days = [c for c in shares.columns if c.startswith("day ")]
    labels = [
        f"{pd.Timestamp(c):{cohort_format}} ({n:,})"
        for c, n in zip(shares["cohort"], shares["starters"], strict=True)
    ]
    values = shares[days].astype("float64").to_numpy()
    text = [["" if pd.isna(v) else f"{v:.0f} %" for v in row] for row in values]
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=days,
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=100,
            hoverongaps=False,
            colorbar={"title": "%"},
            hovertemplate="%{y}<br>%{x}: %{z:.1f} %<extra></extra>",
        )
    )
    _layout(figure, title=title, height=max(260, 60 + 24 * len(labels)), y_title=None)
    figure.update_yaxes(autorange="reversed", rangemode="normal", tickformat=None, type="category")
    return figure


def curves(lines: pd.DataFrame, *, title: str) -> go.Figure:
    """One line per `name`: the share (%) at each `day`."""
    figure = go.Figure()
    for name, group in lines.groupby("name", sort=False):
        figure.add_scatter(
            x=group["day"],
            y=group["share"],
            name=str(name),
            mode="lines+markers",
            connectgaps=False,
            hovertemplate=f"{name}<br>day %{{x}}: %{{y:.1f}} %<extra></extra>",
        )
    _layout(figure, title=title, height=340, y_title="% of starters")
    figure.update_layout(showlegend=True)
    figure.update_xaxes(title="days since start", type="category")
    return figure


def rates(
    table: pd.DataFrame, y: str, *, title: str, highlight: str, marks: Sequence[Mark] = ()
) -> go.Figure:
    """`y` per cohort week, one line per tutorial; `highlight` (the total) drawn thicker."""
    figure = go.Figure()
    for name, group in table.groupby("tutorial_id", sort=True):
        main = name == highlight
        figure.add_scatter(
            x=group["cohort"],
            y=group[y].astype("float64"),
            name=str(name),
            mode="lines+markers",
            connectgaps=False,
            line={"width": 4 if main else 1.5, **({"color": BLUE} if main else {})},
            hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: %{{y:.1f}} %<extra></extra>",
        )
    _layout(figure, title=title, height=380, y_title="%")
    figure.update_layout(showlegend=True)
    figure.update_xaxes(tickformat="%d %b")
    return add_marks(figure, marks)
