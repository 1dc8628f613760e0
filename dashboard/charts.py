"""Altair (Vega-Lite) charts for the pages: one look (colours, fonts, number formats) for every
chart. The dashboard draws with Vega-Lite rather than Plotly for the browser's sake: Streamlit's
Vega-Lite code is about 0.8 MB against Plotly's 4.7 MB (README, docs/benchmarks.md).

Numbers use thousands separators; axes say their unit; a target is a dashed red line, named in
the title. A chart over time spans its window on a UTC time axis, with every bucket of the window
in its data (`queries.api_health.bucket_starts`): a bucket without events is a gap in a line
(`invalid` breaks the path), never a line drawn across it. Tooltips are text written here, so
they read the same in every browser time zone. Legends sit under the plot and long titles wrap,
so nothing overlaps in a narrow column.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

import altair as alt
import numpy as np
import pandas as pd

from queries.api_health import bucket_starts
from queries.targets import Target
from queries.window import Window

BLUE = "#2457c5"
LIGHT_BLUE = "#8fb3f0"
RED = "#c0392b"
ORANGE = "#f0a02c"
GREY = "#6b7280"

TITLE_CHARACTERS = 80  # a title wraps after this many: it fits a chart 650 px wide (1024 px)
DAY = timedelta(days=1)
GAPS: Final = "break-paths-show-domains"  # a missing value breaks a line; it is not joined across
MINUTE = "%Y-%m-%d %H:%M UTC"
WEEKDAY = "%a %d %b"


def titled(chart: alt.TopLevelMixin, title: str) -> Any:
    """`chart` with its title wrapped into lines of at most `TITLE_CHARACTERS`."""
    return chart.properties(
        title=alt.TitleParams(
            textwrap.wrap(title, TITLE_CHARACTERS), anchor="start", fontSize=15, fontWeight=500
        )
    )


LEGEND_COLUMNS = 3  # whole at 1024 px (a chart about 560 px wide)
LEGEND_ROW = 30  # px a row of the legend takes


def legend_below() -> alt.Legend:
    """A legend under the plot, every entry shown (Vega cuts long legends short by default)."""
    return alt.Legend(
        orient="bottom", title=None, columns=LEGEND_COLUMNS, labelLimit=260, symbolLimit=0
    )


def height_with_legend(plot: int, entries: int) -> int:
    """A chart's height for a plot of `plot` px above a legend of `entries`: Streamlit fits the
    whole chart, legend included, into its height, so a long legend would squash the plot."""
    return plot + 40 + LEGEND_ROW * -(-entries // LEGEND_COLUMNS)


def has_points(data: pd.DataFrame, y: str) -> bool:
    """Whether a chart of `y` would show anything (else a page shows its empty state)."""
    return bool(pd.to_numeric(data[y], errors="coerce").notna().any())


def on_buckets(data: pd.DataFrame, x: str, window: Window, bucket: timedelta) -> pd.DataFrame:
    """`data` with one row per bucket the window touches: buckets without a row get NaN."""
    starts = pd.DatetimeIndex(bucket_starts(window, bucket))
    keys = pd.DatetimeIndex(pd.to_datetime(data[x], utc=True)).as_unit(starts.unit)
    return data.drop(columns=x).set_index(keys).reindex(starts).rename_axis(x).reset_index()


def time_axis(field: str, window: Window, bucket: timedelta, **encoding: Any) -> alt.X:
    """An x encoding on a UTC time scale spanning the window (a day's bar spans its UTC day), ticks
    formatted for the window's length: a single point never autoscales to sub-second ticks."""
    starts = bucket_starts(window, bucket)
    first, last = (starts[0], window.end) if bucket < DAY else (starts[0], starts[-1] + DAY)
    if bucket >= DAY or window.length > 2 * DAY:
        ticks = "%d %b"
    elif window.length <= timedelta(hours=3):
        ticks = "%H:%M"
    else:
        ticks = "%H:%M %d %b"
    # Ticks on whole days when the labels are days: never "26 Nov" twice (a tick every 12 h).
    days = ticks == "%d %b"
    axis = alt.Axis(
        format=ticks,
        title=None,
        grid=False,
        labelOverlap=True,
        tickCount="day" if days else alt.Undefined,
    )
    scale = alt.Scale(type="utc", domain=[first.isoformat(), last.isoformat()])
    return alt.X(field, type="temporal", scale=scale, axis=axis, **encoding)


def _text(moments: pd.Series, fmt: str) -> list[str]:
    return ["" if pd.isna(at) else f"{pd.Timestamp(at).tz_convert('UTC'):{fmt}}" for at in moments]


def line_with_target(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    target: Target,
    window: Window,
    bucket: timedelta,
) -> alt.LayerChart:
    """A metric per bucket across the window with its target as a dashed red line, named in the
    title. A bucket without events is a gap; a lone point shows as a dot. The y axis spans the
    data and the target, so a rate near 100 % is not squashed against the top."""
    data = on_buckets(data[[x, y]], x, window, bucket)
    values = pd.to_numeric(data[y], errors="coerce")
    unit = target.unit
    data = data.assign(
        **{y: values},
        when=_text(data[x], MINUTE),
        value=["" if pd.isna(v) else f"{v:,.2f} {unit}" for v in values],
    )
    low = min(float(values.min(skipna=True)), target.threshold)
    high = max(float(values.max(skipna=True)), target.threshold)
    pad = max((high - low) * 0.15, 0.5)
    y_axis = alt.Y(
        y,
        type="quantitative",
        title=unit,
        scale=alt.Scale(domain=[max(low - pad, 0), high + pad], zero=False, nice=False),
        axis=alt.Axis(format=",~r"),
    )
    line = (
        alt.Chart(data)
        .mark_line(color=BLUE, strokeWidth=2, invalid=GAPS, point={"size": 18, "color": BLUE})
        .encode(
            x=time_axis(x, window, bucket),
            y=y_axis,
            tooltip=[alt.Tooltip("when:N", title="bucket"), alt.Tooltip("value:N", title=y)],
        )
    )
    goal = pd.DataFrame({"target": [target.threshold], "label": [target.describe()]})
    rule = (
        alt.Chart(goal)
        .mark_rule(color=RED, strokeWidth=1.5, strokeDash=[6, 4])
        .encode(y="target:Q", tooltip=[alt.Tooltip("label:N", title="target")])
    )
    chart = alt.layer(line, rule).properties(height=300)
    return titled(chart, f"{title} · target {target.describe()}")  # type: ignore[no-any-return]


def bars(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    y_title: str,
    colours: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    height: int = 280,
) -> alt.LayerChart:
    """One bar per row of `data`, in its order; `colours` per bar, `labels` written above."""
    shown = data[[x, y]].assign(
        colour=list(colours) if colours else BLUE,
        label=list(labels) if labels else "",
        count=[f"{v:,.0f} {y_title}" for v in data[y].astype(float)],
    )
    base = alt.Chart(shown).encode(
        x=alt.X(f"{x}:N", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelLimit=120)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",~r")),
        tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip("count:N", title=y_title)],
    )
    drawn = base.mark_bar().encode(color=alt.Color("colour:N", scale=None))
    text = base.mark_text(dy=-6, baseline="bottom", color="#31333f").encode(text="label:N")
    return titled(alt.layer(drawn, text).properties(height=height), title)  # type: ignore[no-any-return]


def per_day(data: pd.DataFrame, y: str, window: Window, *, title: str, y_title: str) -> alt.Chart:
    """A count per UTC day (`day`), on every day the window touches: a day without any is 0."""
    data = on_buckets(data[["day", y]], "day", window, DAY).fillna({y: 0})
    shown = data.assign(
        when=_text(data["day"], WEEKDAY), count=[f"{v:,.0f}" for v in data[y].astype(float)]
    )
    chart = (
        alt.Chart(shown)
        .mark_bar(color=BLUE)
        .encode(
            x=time_axis("day", window, DAY, timeUnit="utcyearmonthdate", bandPosition=0),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",~r")),
            tooltip=[alt.Tooltip("when:N", title="UTC day"), alt.Tooltip("count:N", title=y_title)],
        )
        .properties(height=280)
    )
    return titled(chart, title)  # type: ignore[no-any-return]


def binned(data: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> alt.Chart:
    """A histogram the database already counted: bins `days_from`–`days_to` with `learners`."""
    shown = pd.DataFrame(
        {
            "days_from": data["days_from"].astype(float),
            "days_to": data["days_to"].astype(float),
            "learners": data["learners"].astype(float),
        }
    )
    shown["bin"] = [
        f"{a:g}–{b:g} {x_title}" for a, b in zip(shown["days_from"], shown["days_to"], strict=True)
    ]
    shown["count"] = [f"{v:,.0f}" for v in shown["learners"]]
    chart = (
        alt.Chart(shown)
        .mark_bar(color=BLUE, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("days_from:Q", title=x_title),
            x2="days_to:Q",
            y=alt.Y("learners:Q", title=y_title, axis=alt.Axis(format=",~r")),
            y2=alt.datum(0),  # a bar from 0 (with x and x2 alone, a ranged bar is horizontal)
            tooltip=[alt.Tooltip("bin:N", title=x_title), alt.Tooltip("count:N", title=y_title)],
        )
        .properties(height=280)
    )
    return titled(chart, title)  # type: ignore[no-any-return]


def box_statistics(data: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Per `by`: the quartiles (linear interpolation) and the whiskers' ends (the furthest values
    within 1.5 × IQR of the box) — what a box plot draws, so the browser gets five numbers per
    box instead of every value."""
    grouped = data.groupby(by, sort=True)[value]
    stats = grouped.quantile(np.array([0.25, 0.5, 0.75])).unstack()
    stats.columns = pd.Index(["q1", "median", "q3"])
    rows = data[[by, value]].join(stats, on=by)
    reach = 1.5 * (rows["q3"] - rows["q1"])
    within = (rows[value] >= rows["q1"] - reach) & (rows[value] <= rows["q3"] + reach)
    inside = rows[within].groupby(by)[value]
    stats["lowerfence"], stats["upperfence"] = inside.min(), inside.max()
    return stats.reset_index()


def stop_positions(data: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Where in each chapter's video learners stopped: a box per chapter (seconds), drawn from its
    five numbers — a whisker rule, a bar from q1 to q3, a tick at the median."""
    stats = box_statistics(data, "chapter_id", "last_position")
    tooltip = [
        alt.Tooltip("chapter_id:N", title="chapter"),
        *(
            alt.Tooltip(f"{k}:Q", title=name, format=",.0f")
            for k, name in (
                ("upperfence", "upper whisker (s)"),
                ("q3", "q3 (s)"),
                ("median", "median (s)"),
                ("q1", "q1 (s)"),
                ("lowerfence", "lower whisker (s)"),
            )
        ),
    ]
    base = alt.Chart(stats).encode(
        x=alt.X("chapter_id:N", title=None, axis=alt.Axis(labelAngle=0)), tooltip=tooltip
    )
    seconds = alt.Axis(format=",~r")
    whisker = base.mark_rule(color=BLUE).encode(
        y=alt.Y("lowerfence:Q", title="seconds into the video", axis=seconds), y2="upperfence:Q"
    )
    box = base.mark_bar(size=28, color=LIGHT_BLUE, stroke=BLUE).encode(y="q1:Q", y2="q3:Q")
    median = base.mark_tick(size=28, color=BLUE, thickness=2).encode(y="median:Q")
    chart = alt.layer(whisker, box, median).properties(height=300)
    return titled(chart, title)  # type: ignore[no-any-return]


def awards_per_day(data: pd.DataFrame, window: Window) -> alt.LayerChart:
    """Certificates per day (earned and by override, stacked) and the running total on the right
    axis, on every UTC day of the window (a day without awards is a zero bar, the total holding
    level)."""
    data = on_buckets(data, "day", window, DAY)
    data[["certificates", "overrides"]] = data[["certificates", "overrides"]].fillna(0)
    data["cumulative"] = data["cumulative"].ffill().fillna(0)
    when = _text(data["day"], WEEKDAY)
    kinds = ["earned", "support override", "cumulative (right axis)"]
    colour = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=kinds, range=[BLUE, ORANGE, RED]),
        legend=legend_below(),
        sort=kinds,
    )
    stacked = pd.concat(
        [
            pd.DataFrame(
                {"day": data["day"], "when": when, "kind": kind, "count": counts.astype(float)}
            )
            for kind, counts in (
                ("earned", data["certificates"] - data["overrides"]),
                ("support override", data["overrides"]),
            )
        ],
        ignore_index=True,
    )
    x = time_axis("day", window, DAY, timeUnit="utcyearmonthdate", bandPosition=0)
    per_day_bars = (
        alt.Chart(stacked)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(count):Q", title="per day", axis=alt.Axis(format=",~r")),
            color=colour,
            order=alt.Order("kind:N", sort="ascending"),
            tooltip=[
                alt.Tooltip("when:N", title="UTC day"),
                alt.Tooltip("kind:N", title="awarded"),
                alt.Tooltip("count:Q", title="certificates", format=",.0f"),
            ],
        )
    )
    running = pd.DataFrame(
        {
            "day": data["day"],
            "when": when,
            "kind": kinds[2],
            "cumulative": data["cumulative"].astype(float),
        }
    )
    total = (
        alt.Chart(running)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("day:T", timeUnit="utcyearmonthdate", bandPosition=0.5),
            y=alt.Y(
                "cumulative:Q",
                title="cumulative",
                axis=alt.Axis(orient="right", format=",d", grid=False),
            ),
            color=colour,
            tooltip=[
                alt.Tooltip("when:N", title="UTC day"),
                alt.Tooltip("cumulative:Q", title="in total", format=",.0f"),
            ],
        )
    )
    chart = alt.layer(per_day_bars, total).resolve_scale(y="independent")
    chart = chart.properties(height=height_with_legend(280, len(kinds)))
    return titled(chart, "Certificates per UTC day")  # type: ignore[no-any-return]


def annotation_rows(marks: pd.DataFrame) -> pd.DataFrame:
    """The annotations (`queries.annotations`: at, ends_at, kind, text, author) as the chart's
    rows: the moments, and the text a tooltip shows."""
    ends = pd.to_datetime(marks["ends_at"], utc=True)
    return pd.DataFrame(
        {
            "at": pd.to_datetime(marks["at"], utc=True),
            "ends_at": ends,
            "what": [
                f"{kind}: {text}" for kind, text in zip(marks["kind"], marks["text"], strict=True)
            ],
            "who": [
                f"{author} · {when}"
                for author, when in zip(marks["author"], _text(marks["at"], MINUTE), strict=True)
            ],
        }
    )


def add_annotations(chart: alt.LayerChart, marks: pd.DataFrame) -> alt.LayerChart:
    """`chart` (layers on a time x axis) with annotations drawn over it: a dotted grey rule at each
    `at` topped by a small triangle, a shaded band from `at` to `ends_at` for a range (an alert
    from firing to resolving), the text in a tooltip on the rule, the triangle and the band.
    Vega escapes the text, so a tag in it is shown, never read."""
    if marks.empty:
        return chart
    rows = annotation_rows(marks)
    tooltip = [alt.Tooltip("what:N", title="annotation"), alt.Tooltip("who:N", title="by")]
    x = alt.X("at:T", title=None)  # on the chart's own time axis
    base = alt.Chart(rows).encode(x=x, tooltip=tooltip)
    bands = (
        alt.Chart(rows[rows["ends_at"].notna()])
        .mark_rect(color=GREY, opacity=0.12, clip=True)
        .encode(x=x, x2="ends_at:T", tooltip=tooltip)
    )
    rule = base.mark_rule(color=GREY, strokeDash=[2, 3], strokeWidth=1, clip=True)
    reach = base.mark_rule(strokeWidth=9, opacity=0.01, clip=True)  # hover near the thin rule
    top = base.mark_point(shape="triangle-down", filled=True, size=70, color=GREY, clip=True)
    annotated = chart.copy(deep=False)
    annotated.layer = [bands, *chart.layer, rule, reach, top.encode(y=alt.value(5))]
    return annotated
