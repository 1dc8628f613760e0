"""Plotly figures for the pages: one look (colours, fonts, number formats) for every chart.

Numbers use thousands separators; axes say their unit; a target is a dashed red line with its
value written on it. A chart over time spans its window on the x axis, with every bucket of the
window on it (`queries.api_health.bucket_starts`): a bucket without events is a gap in a line
(`connectgaps=False`), never a line drawn across it. Legends sit under the plot and long titles
wrap, so nothing overlaps in a narrow column.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from queries.api_health import bucket_starts
from queries.targets import Target
from queries.window import Window

BLUE = "#2457c5"
LIGHT_BLUE = "#8fb3f0"
RED = "#c0392b"
GREY = "#6b7280"
_MARK_STEPS = 12  # points per annotation line, so hovering anywhere along it shows the text


TITLE_CHARACTERS = 55  # a title wraps after this many: it fits a chart about 450 px wide
DAY = timedelta(days=1)


def _layout(figure: go.Figure, *, title: str, height: int, y_title: str | None) -> go.Figure:
    lines = textwrap.wrap(title, TITLE_CHARACTERS)
    figure.update_layout(
        title={"text": "<br>".join(lines), "font": {"size": 15}},
        height=height + 20 * (len(lines) - 1),
        margin={"l": 10, "r": 10, "t": 44 + 20 * (len(lines) - 1), "b": 10},
        separators=".,",
        showlegend=False,
        hoverlabel={"namelength": -1},
        xaxis_title=None,
        yaxis_title=y_title,
    )
    figure.update_yaxes(tickformat=",~r", rangemode="tozero")
    return figure


def has_points(data: pd.DataFrame, y: str) -> bool:
    """Whether a chart of `y` would show anything (else a page shows its empty state)."""
    return bool(pd.to_numeric(data[y], errors="coerce").notna().any())


def on_buckets(data: pd.DataFrame, x: str, window: Window, bucket: timedelta) -> pd.DataFrame:
    """`data` with one row per bucket the window touches: buckets without a row get NaN."""
    starts = pd.DatetimeIndex(bucket_starts(window, bucket))
    keys = pd.DatetimeIndex(pd.to_datetime(data[x], utc=True)).as_unit(starts.unit)
    return data.drop(columns=x).set_index(keys).reindex(starts).rename_axis(x).reset_index()


def time_axis(figure: go.Figure, window: Window, bucket: timedelta) -> go.Figure:
    """The x axis spans the window's buckets (bars centred on their bucket), ticks formatted for
    the window's length: a single point never autoscales to sub-second ticks."""
    starts = bucket_starts(window, bucket)
    first, last = (
        (starts[0], window.end) if bucket < DAY else (starts[0] - DAY / 2, starts[-1] + DAY / 2)
    )
    if bucket >= DAY or window.length > 2 * DAY:
        ticks = "%d %b"
    elif window.length <= timedelta(hours=3):
        ticks = "%H:%M"
    else:
        ticks = "%H:%M<br>%d %b"
    figure.update_xaxes(range=[first, last], tickformat=ticks, type="date")
    if bucket >= DAY and len(starts) <= 10:
        figure.update_xaxes(dtick=DAY / timedelta(milliseconds=1))
    return figure


def line_with_target(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    target: Target,
    window: Window,
    bucket: timedelta,
) -> go.Figure:
    """A metric per bucket across the window with its target as a dashed red line, named in the
    title. A bucket without events is a gap; a lone point shows as a dot. The y axis spans the
    data and the target, so a rate near 100 % is not squashed against the top."""
    data = on_buckets(data[[x, y]], x, window, bucket)
    values = pd.to_numeric(data[y], errors="coerce")
    unit = target.unit
    figure = go.Figure(
        go.Scatter(
            x=data[x],
            y=values,
            mode="lines+markers",
            connectgaps=False,
            marker={"size": 4},
            line={"color": BLUE, "width": 2},
            hovertemplate=f"%{{x|%Y-%m-%d %H:%M}} UTC<br>%{{y:,.2f}} {unit}<extra></extra>",
        )
    )
    figure.add_scatter(
        x=[data[x].min(), window.end],
        y=[target.threshold, target.threshold],
        mode="lines",
        line={"color": RED, "width": 1.5, "dash": "dash"},
        hovertemplate=f"target {target.describe()}<extra></extra>",
    )
    _layout(figure, title=f"{title} · target {target.describe()}", height=320, y_title=unit)
    time_axis(figure, window, bucket)
    low = min(float(values.min(skipna=True)), target.threshold)
    high = max(float(values.max(skipna=True)), target.threshold)
    pad = max((high - low) * 0.15, 0.5)
    figure.update_yaxes(range=[max(low - pad, 0), high + pad], rangemode="normal")
    return figure


def bars(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    y_title: str,
    colours: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    height: int = 300,
) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=data[x],
            y=data[y],
            marker_color=list(colours) if colours else BLUE,
            text=list(labels) if labels else None,
            textposition="outside" if labels else None,
            cliponaxis=False,
            hovertemplate=f"%{{x}}<br>%{{y:,}} {y_title}<extra></extra>",
        )
    )
    _layout(figure, title=title, height=height, y_title=y_title)
    return figure


def per_day(data: pd.DataFrame, y: str, window: Window, *, title: str, y_title: str) -> go.Figure:
    """A count per UTC day (`day`), on every day the window touches: a day without any is 0."""
    data = on_buckets(data[["day", y]], "day", window, DAY).fillna({y: 0})
    figure = bars(data, "day", y, title=title, y_title=y_title)
    figure.update_traces(hovertemplate=f"%{{x|%a %d %b}}: %{{y:,}} {y_title}<extra></extra>")
    return time_axis(figure, window, DAY)


def binned(data: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> go.Figure:
    """A histogram the database already counted: bins `days_from`–`days_to` with `learners`."""
    start = data["days_from"].astype(float)
    end = data["days_to"].astype(float)
    figure = go.Figure(
        go.Bar(
            x=(start + end) / 2,
            y=data["learners"],
            width=end - start,
            customdata=list(zip(start, end, strict=True)),
            marker={"color": BLUE, "line": {"color": "white", "width": 0.5}},
            hovertemplate=(
                f"%{{customdata[0]:g}}–%{{customdata[1]:g}} {x_title}<br>"
                f"%{{y:,}} {y_title}<extra></extra>"
            ),
        )
    )
    _layout(figure, title=title, height=300, y_title=y_title)
    figure.update_xaxes(title=x_title)
    return figure


def box_statistics(data: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Per `by`: the quartiles (linear interpolation, as Plotly's default) and the whiskers'
    ends (the furthest values within 1.5 × IQR of the box) — what a box plot draws, so the
    browser gets five numbers per box instead of every value."""
    grouped = data.groupby(by, sort=True)[value]
    stats = grouped.quantile(np.array([0.25, 0.5, 0.75])).unstack()
    stats.columns = pd.Index(["q1", "median", "q3"])
    rows = data[[by, value]].join(stats, on=by)
    reach = 1.5 * (rows["q3"] - rows["q1"])
    within = (rows[value] >= rows["q1"] - reach) & (rows[value] <= rows["q3"] + reach)
    inside = rows[within].groupby(by)[value]
    stats["lowerfence"], stats["upperfence"] = inside.min(), inside.max()
    return stats.reset_index()


def stop_positions(data: pd.DataFrame, *, title: str) -> go.Figure:
    """Where in each chapter's video learners stopped (box per chapter, seconds)."""
    stats = box_statistics(data, "chapter_id", "last_position")
    figure = go.Figure(
        go.Box(
            x=stats["chapter_id"],
            q1=stats["q1"],
            median=stats["median"],
            q3=stats["q3"],
            lowerfence=stats["lowerfence"],
            upperfence=stats["upperfence"],
            marker_color=BLUE,
            hoverinfo="x+y",
        )
    )
    return _layout(figure, title=title, height=320, y_title="seconds into the video")


def awards_per_day(data: pd.DataFrame, window: Window) -> go.Figure:
    """Certificates per day (earned and by override, stacked) and the running total, on every
    UTC day of the window (a day without awards is a zero bar, the total holding level)."""
    data = on_buckets(data, "day", window, DAY)
    data[["certificates", "overrides"]] = data[["certificates", "overrides"]].fillna(0)
    data["cumulative"] = data["cumulative"].ffill().fillna(0)
    figure = go.Figure()
    figure.add_bar(
        x=data["day"],
        y=data["certificates"] - data["overrides"],
        name="earned",
        marker_color=BLUE,
        hovertemplate="%{x|%a %d %b}: %{y:,} earned<extra></extra>",
    )
    figure.add_bar(
        x=data["day"],
        y=data["overrides"],
        name="support override",
        marker_color="#f0a02c",
        hovertemplate="%{x|%a %d %b}: %{y:,} by override<extra></extra>",
    )
    figure.add_scatter(
        x=data["day"],
        y=data["cumulative"],
        name="cumulative (right axis)",
        yaxis="y2",
        mode="lines",
        line={"color": RED, "width": 2},
        hovertemplate="%{x|%a %d %b}: %{y:,} in total<extra></extra>",
    )
    _layout(figure, title="Certificates per UTC day", height=360, y_title="per day")
    time_axis(figure, window, DAY)
    figure.update_layout(
        barmode="stack",
        showlegend=True,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.15, "yanchor": "top"},
        margin={"b": 50},
        yaxis2={
            "title": "cumulative",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickmode": "auto",
            "tickformat": ",d",
            "showgrid": False,
        },
    )
    return figure


def add_annotations(figure: go.Figure, marks: pd.DataFrame) -> go.Figure:
    """Draw annotations (`queries.annotations`: at, ends_at, kind, text, author) on a time chart:
    a dotted grey line at each `at` topped by a small triangle, a shaded band for a range, the
    text on hover anywhere along the line. The lines live on a hidden 0–1 axis, so they span the
    chart whatever its values; the text is escaped (plotly would read tags in it)."""
    if marks.empty:
        return figure
    heights = [step / _MARK_STEPS for step in range(_MARK_STEPS + 1)]  # hover needs points
    x: list[object] = []
    y: list[float | None] = []
    hover: list[str] = []
    for mark in marks.itertuples(index=False):
        what = html.escape(f"{mark.kind}: {mark.text}", quote=False)
        who = html.escape(str(mark.author), quote=False)
        label = f"{what}<br>{who} · {mark.at:%Y-%m-%d %H:%M} UTC"
        x += [mark.at] * len(heights) + [None]
        y += [*heights, None]
        hover += [label] * len(heights) + [""]
        if mark.ends_at is not None and mark.ends_at is not pd.NaT:
            figure.add_vrect(
                x0=mark.at, x1=mark.ends_at, fillcolor=GREY, opacity=0.12, line_width=0
            )
    figure.add_scatter(
        x=x,
        y=y,
        yaxis="y9",
        mode="lines+markers",
        line={"color": GREY, "width": 1, "dash": "dot"},
        marker={
            "color": GREY,
            "symbol": "triangle-down",
            "size": [8 if height == 1 else 0 for height in y],
        },
        text=hover,
        hovertemplate="%{text}<extra></extra>",
        name="annotations",
    )
    figure.update_layout(
        yaxis9={"overlaying": "y", "range": [0, 1.04], "visible": False, "fixedrange": True}
    )
    return figure
