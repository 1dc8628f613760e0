"""Charts of the Completion trends page: the cohort heat map (a click on a cell selects it), the
curves, the rates over time (annotations drawn on them with `charts.add_annotations`)."""

from __future__ import annotations

from datetime import datetime

import altair as alt
import pandas as pd

from dashboard.charts import (
    BLUE,
    GAPS,
    add_annotations,
    height_with_legend,
    legend_below,
    titled,
)

ROW_HEIGHT = 28  # px: a cell's text fits
CELL = "cell"  # the heat map's selection: a clicked cell's cohort and day
DARK_FROM = 55.0  # a cell at least this full is dark blue: its text is white
# The other lines beside the total's blue: Tableau 20 without its blues.
OTHER_COLOURS = [
    "#f58518",
    "#ffbf79",
    "#54a24b",
    "#88d27a",
    "#b79a20",
    "#f2cf5b",
    "#439894",
    "#83bcb6",
    "#e45756",
    "#ff9d98",
    "#79706e",
    "#bab0ac",
    "#d67195",
    "#fcbfd2",
    "#b279a2",
    "#d6a5c9",
    "#9e765f",
    "#d8b5a5",
]


def heatmap_cells(shares: pd.DataFrame, *, cohort_format: str) -> pd.DataFrame:
    """One row per cohort × day column: the cohort (ISO day, as the selection reports it), its
    label with its size, the day N, the share and its text (blank where the cohort is too young:
    no share, no colour)."""
    days = [c for c in shares.columns if c.startswith("day ")]
    rows = []
    for _, row in shares.iterrows():
        start = pd.Timestamp(row["cohort"])
        label = f"{start:{cohort_format}} ({int(row['starters']):,})"
        for column in days:
            value = row[column]
            share = None if pd.isna(value) else float(value)
            rows.append(
                {
                    "cohort": f"{start:%Y-%m-%d}",
                    "label": label,
                    "day": int(column.removeprefix("day ")),
                    "column": column,
                    "share": share,
                    "text": "" if share is None else f"{share:.0f} %",
                }
            )
    return pd.DataFrame(rows, columns=["cohort", "label", "day", "column", "share", "text"]).astype(
        {"share": "float64"}
    )


def heatmap(
    shares: pd.DataFrame,
    *,
    title: str,
    cohort_format: str,
    chosen: tuple[pd.Timestamp, int] | None = None,
) -> alt.LayerChart:
    """Cohorts (rows, newest at the bottom) × days since start (columns), the share written in
    each cell; blank cells are cohorts too young for that column. A click selects a cell
    (selection `CELL`: its cohort and day); the `chosen` cell (cohort start, day) is outlined."""
    cells = heatmap_cells(shares, cohort_format=cohort_format)
    cells["chosen"] = (
        False
        if chosen is None
        else (cells["cohort"] == f"{chosen[0]:%Y-%m-%d}") & (cells["day"] == chosen[1])
    )
    labels = list(dict.fromkeys(cells["label"]))
    columns = list(dict.fromkeys(cells["column"]))
    picked = alt.selection_point(name=CELL, fields=["cohort", "day"], on="click", empty=False)
    base = alt.Chart(cells).encode(
        x=alt.X(
            "column:O",
            scale=alt.Scale(domain=columns),  # every column and row, also those still blank
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        y=alt.Y(
            "label:O", scale=alt.Scale(domain=labels), title=None, axis=alt.Axis(labelLimit=240)
        ),
        tooltip=[
            alt.Tooltip("label:N", title="cohort (size)"),
            alt.Tooltip("column:N", title="by"),
            alt.Tooltip("share:Q", title="%", format=".1f"),
        ],
    )
    filled = base.transform_filter("isValid(datum.share)")
    rect = filled.mark_rect(cursor="pointer").encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(scheme="blues", domain=[0, 100]),
            legend=alt.Legend(title="%", orient="right", gradientLength=120),
        ),
        stroke=alt.condition("datum.chosen", alt.value("#ff4b4b"), alt.value(None)),
        strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0)),
    )
    text = filled.mark_text(fontSize=12).encode(
        text="text:N",
        color=alt.condition(
            f"datum.share >= {DARK_FROM}", alt.value("white"), alt.value("#1f2937")
        ),
    )
    chart = (
        alt.layer(rect.add_params(picked), text)
        .properties(height=alt.Step(ROW_HEIGHT))  # a row a cohort, however many there are
        .configure_view(stroke=None)
    )
    return titled(chart, title)  # type: ignore[no-any-return]


def picked_cell(selection: object) -> tuple[pd.Timestamp, int] | None:
    """The cohort start (UTC) and day N of the heat map's clicked cell, from Streamlit's
    selection state (`{"selection": {"cell": [{"cohort": …, "day": …}]}}`); None if none."""
    chosen = (getattr(selection, "get", lambda _: None)("selection") or {}).get(CELL) or []
    if not chosen:
        return None
    point = chosen[0]
    return pd.Timestamp(point["cohort"], tz="UTC"), int(point["day"])


def curves(lines: pd.DataFrame, *, title: str) -> alt.Chart:
    """One line per `name`: the share (%) at each `day` (days since start); a missing share (a
    cohort too young) is a gap."""
    shown = lines.assign(
        share=lines["share"].astype("float64"),
        text=["" if pd.isna(v) else f"{v:.1f} %" for v in lines["share"].astype("float64")],
    )
    chart = (
        alt.Chart(shown)
        .mark_line(point={"size": 30}, invalid=GAPS)
        .encode(
            x=alt.X("day:O", title="days since start", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", title="% of starters"),
            color=alt.Color("name:N", sort=None, legend=legend_below()),
            tooltip=[
                alt.Tooltip("name:N", title="line"),
                alt.Tooltip("day:O", title="day"),
                alt.Tooltip("text:N", title="completed"),
            ],
        )
        .properties(height=height_with_legend(280, shown["name"].nunique()))
    )
    return titled(chart, title)  # type: ignore[no-any-return]


def rates(
    table: pd.DataFrame,
    y: str,
    *,
    title: str,
    highlight: str,
    span: tuple[datetime, datetime],
    marks: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """`y` per cohort week, one line per tutorial, over the span's UTC weeks; `highlight` (the
    total) drawn thicker in blue; annotations (`marks`) as on the other pages' time charts."""
    shown = pd.DataFrame(
        {
            "cohort": pd.to_datetime(table["cohort"], utc=True),
            "tutorial": table["tutorial_id"].astype(str),
            "value": table[y].astype("float64"),
        }
    )
    shown["week"] = [f"week of {c:%Y-%m-%d}" for c in shown["cohort"]]
    shown["text"] = ["" if pd.isna(v) else f"{v:.1f} %" for v in shown["value"]]
    shown["main"] = shown["tutorial"] == highlight
    others = sorted(set(shown["tutorial"]) - {highlight})
    start, end = (pd.Timestamp(moment).tz_convert("UTC").isoformat() for moment in span)
    line = (
        alt.Chart(shown)
        .mark_line(point={"size": 24}, invalid=GAPS)
        .encode(
            x=alt.X(
                "cohort:T",
                scale=alt.Scale(type="utc", domain=[start, end]),
                axis=alt.Axis(format="%d %b", title=None, grid=False),
            ),
            y=alt.Y("value:Q", title="%"),
            color=alt.Color(
                "tutorial:N",
                scale=alt.Scale(domain=[highlight, *others], range=[BLUE, *OTHER_COLOURS]),
                legend=legend_below(),
            ),
            strokeWidth=alt.condition("datum.main", alt.value(4), alt.value(1.5)),
            tooltip=[
                alt.Tooltip("tutorial:N", title="tutorial"),
                alt.Tooltip("week:N", title="started"),
                alt.Tooltip("text:N", title="completed"),
            ],
        )
    )
    height = height_with_legend(300, len(others) + 1)
    chart = titled(alt.layer(line).properties(height=height), title)
    return add_annotations(chart, pd.DataFrame() if marks is None else marks)
