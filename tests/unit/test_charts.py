"""Charts are Vega-Lite specs (Altair) that send the browser what they draw: gaps stay gaps, the
window is the axis, annotations are drawn, a box is five numbers, a young cohort is blank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from dashboard import charts, trend_charts
from queries.targets import Target
from queries.window import Window

WINDOW = Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
TARGET = Target(key="p95_response_ms", label="p95", threshold=500.0, direction="below", unit="ms")
HOUR = timedelta(hours=1)


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict()


def layers(chart: alt.TopLevelMixin, mark: str) -> list[dict[str, Any]]:
    """The layers drawing `mark`, each with its rows under "values"."""
    drawn = spec(chart)
    found = []
    for layer in drawn.get("layer", [drawn]):
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if kind == mark:
            data = layer.get("data", drawn.get("data"))  # shared data is lifted to the top
            found.append(layer | {"values": drawn["datasets"][data["name"]]})
    return found


def hourly(*hours: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": [WINDOW.start + h * HOUR for h in hours],
            "p95_ms": [100.0 + h for h in hours],
        }
    )


def line(data: pd.DataFrame) -> alt.LayerChart:
    return charts.line_with_target(
        data, "bucket", "p95_ms", title="p95", target=TARGET, window=WINDOW, bucket=HOUR
    )


def annotation(at: datetime, ends_at: datetime | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": [at],
            "ends_at": [ends_at],
            "kind": ["deploy"],
            "text": ["deploy 2.4.1 <b>"],
            "author": ["ci"],
        }
    )


def test_a_box_is_drawn_from_its_five_numbers_with_linear_quartiles() -> None:
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(100, 20, 990), [500.0] * 10]  # ten outliers past the whisker
    data = pd.DataFrame({"chapter_id": rng.choice(["ch-01", "ch-02"], 1000), "pos": values})
    stats = charts.box_statistics(data, "chapter_id", "pos").set_index("chapter_id")
    for chapter, group in data.groupby("chapter_id"):
        v = group["pos"]
        q1, q3 = v.quantile(0.25), v.quantile(0.75)
        inside = v[(v >= q1 - 1.5 * (q3 - q1)) & (v <= q3 + 1.5 * (q3 - q1))]
        row = stats.loc[chapter]
        assert (row["q1"], row["median"], row["q3"]) == (q1, v.median(), q3)
        assert (row["lowerfence"], row["upperfence"]) == (inside.min(), inside.max())
        assert row["upperfence"] < 500


def test_the_stop_positions_chart_carries_one_box_per_chapter_not_every_learner() -> None:
    data = pd.DataFrame({"chapter_id": ["ch-01"] * 5000, "last_position": np.arange(5000.0)})
    chart = charts.stop_positions(data, title="t")
    [whisker] = layers(chart, "rule")
    [box] = layers(chart, "bar")
    [median] = layers(chart, "tick")
    assert [row["chapter_id"] for row in box["values"]] == ["ch-01"]
    assert (whisker["encoding"]["y"]["field"], whisker["encoding"]["y2"]["field"]) == (
        "lowerfence",
        "upperfence",
    )
    assert (box["encoding"]["y"]["field"], box["encoding"]["y2"]["field"]) == ("q1", "q3")
    assert median["encoding"]["y"]["field"] == "median"
    assert median["values"][0]["median"] == 2499.5


def test_hours_without_events_are_gaps_in_a_line_across_the_whole_window() -> None:
    chart = line(hourly(3, 4, 20))
    [drawn] = layers(chart, "line")
    assert drawn["mark"]["invalid"] == "break-paths-show-domains"  # a null breaks the line
    values = [row["p95_ms"] for row in drawn["values"]]
    assert len(values) == 24  # every hour of the window, events or not
    assert [i for i, v in enumerate(values) if v is not None] == [3, 4, 20]
    x = drawn["encoding"]["x"]
    assert x["scale"]["type"] == "utc"
    first, last = (datetime.fromisoformat(moment) for moment in x["scale"]["domain"])
    assert (first, last) == (WINDOW.start, WINDOW.end)
    assert drawn["values"][3]["when"] == "2026-12-01 03:00 UTC"  # tooltips say UTC
    assert drawn["values"][3]["value"] == "103.00 ms"


def test_the_target_is_a_dashed_red_rule_named_in_the_title() -> None:
    chart = line(hourly(3))
    [target] = layers(chart, "rule")
    assert target["values"] == [{"target": 500.0, "label": TARGET.describe()}]
    assert target["mark"]["strokeDash"]
    assert target["mark"]["color"] == charts.RED
    title = " ".join(spec(chart)["title"]["text"])
    assert title.endswith(f"target {TARGET.describe()}")
    low, high = layers(chart, "line")[0]["encoding"]["y"]["scale"]["domain"]
    assert low <= 103  # the data and the target both in view
    assert high > 500


def test_a_long_title_wraps_into_lines() -> None:
    chart = charts.bars(
        pd.DataFrame({"chapter": ["a"], "n": [1]}), "chapter", "n", title="word " * 30, y_title="n"
    )
    lines = spec(chart)["title"]["text"]
    assert len(lines) > 1
    assert all(len(text) <= charts.TITLE_CHARACTERS for text in lines)


def test_annotations_are_a_rule_at_their_moment_and_a_band_to_their_end() -> None:
    fired = WINDOW.start + 5 * HOUR
    chart = charts.add_annotations(line(hourly(3, 9)), annotation(fired, fired + 2 * HOUR))
    rules = [r for r in layers(chart, "rule") if r["values"][0].get("what")]
    assert rules
    [row] = rules[0]["values"]
    assert row["what"] == "deploy: deploy 2.4.1 <b>"  # Vega escapes it; no HTML escaping here
    assert row["who"] == "ci · 2026-12-01 05:00 UTC"
    assert datetime.fromisoformat(row["at"]) == fired
    [band] = layers(chart, "rect")
    assert band["encoding"]["x2"]["field"] == "ends_at"
    assert datetime.fromisoformat(band["values"][0]["ends_at"]) == fired + 2 * HOUR
    assert layers(chart, "point")  # the triangle on top
    assert layers(chart, "line")  # the data is still drawn


def test_a_moment_without_an_end_has_no_band_and_no_annotations_leave_the_chart_as_it_was() -> None:
    chart = line(hourly(3))
    assert charts.add_annotations(chart, annotation(WINDOW.start)[0:0]) is chart
    marked = charts.add_annotations(chart, annotation(WINDOW.start + HOUR))
    assert all(not band["values"] for band in layers(marked, "rect"))


def test_a_day_without_certificates_is_a_zero_bar_and_the_total_holds_level() -> None:
    window = Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC))
    awards = pd.DataFrame(
        {
            "day": [datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)],
            "certificates": [3, 2],
            "overrides": [1, 0],
            "cumulative": [3, 5],
        }
    )
    chart = charts.awards_per_day(awards, window)
    [stacked] = layers(chart, "bar")
    earned = [row["count"] for row in stacked["values"] if row["kind"] == "earned"]
    assert earned == [2.0, 0.0, 2.0]
    [total] = layers(chart, "line")
    assert [row["cumulative"] for row in total["values"]] == [3.0, 3.0, 5.0]
    assert spec(chart)["resolve"]["scale"]["y"] == "independent"


def shares() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tutorial_id": ["all", "all"],
            "cohort": [datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)],
            "starters": [1200, 80],
            "day 1": [10.0, 12.5],
            "day 7": [40.0, None],  # the second cohort is too young for day 7
        }
    )


def test_a_cohort_too_young_for_a_column_is_a_blank_cell_not_zero() -> None:
    chart = trend_charts.heatmap(shares(), title="t", cohort_format="week of %Y-%m-%d")
    [cells] = layers(chart, "rect")
    young = [row for row in cells["values"] if row["cohort"] == "2026-11-09" and row["day"] == 7]
    assert young == [young[0]]
    assert young[0]["share"] is None
    assert young[0]["text"] == ""
    assert {"filter": "isValid(datum.share)"} in cells["transform"]  # no colour, no "0 %"
    labels = {row["label"] for row in cells["values"]}
    assert labels == {"week of 2026-11-02 (1,200)", "week of 2026-11-09 (80)"}
    encoding = spec(chart)["layer"][0]["encoding"]  # every row and column, even when blank
    assert encoding["y"]["scale"]["domain"] == sorted(labels)
    assert encoding["x"]["scale"]["domain"] == ["day 1", "day 7"]
    [text] = layers(chart, "text")
    assert {row["text"] for row in text["values"]} == {"10 %", "12 %", "40 %", ""}


def test_a_heat_map_cell_is_selected_by_a_click_on_its_cohort_and_day() -> None:
    chart = trend_charts.heatmap(
        shares(),
        title="t",
        cohort_format="%Y-%m-%d",
        chosen=(pd.Timestamp("2026-11-02", tz="UTC"), 7),
    )
    [param] = (
        spec(chart)["params"] if "params" in spec(chart) else layers(chart, "rect")[0]["params"]
    )
    assert param["name"] == trend_charts.CELL
    assert param["select"]["fields"] == ["cohort", "day"]
    assert param["select"]["on"] == "click"
    [cells] = layers(chart, "rect")
    chosen = [(row["cohort"], row["day"]) for row in cells["values"] if row["chosen"]]
    assert chosen == [("2026-11-02", 7)]  # outlined


def test_a_click_reported_by_streamlit_names_its_cohort_and_day() -> None:
    event = {"selection": {"cell": [{"cohort": "2026-11-09", "day": 7}]}}
    assert trend_charts.picked_cell(event) == (pd.Timestamp("2026-11-09", tz="UTC"), 7)
    assert trend_charts.picked_cell({"selection": {"cell": []}}) is None
    assert trend_charts.picked_cell(None) is None


def test_the_trend_rates_show_a_product_note_at_its_date() -> None:
    weeks = [datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)]
    table = pd.DataFrame(
        {
            "cohort": weeks * 2,
            "tutorial_id": ["all", "all", "sql-basics", "sql-basics"],
            "completion_pct": [30.0, None, 20.0, 25.0],
        }
    )
    note = annotation(datetime(2026, 11, 10, tzinfo=UTC)).assign(kind="product", text="new ch-03")
    chart = trend_charts.rates(
        table,
        "completion_pct",
        title="t",
        highlight="all",
        span=(weeks[0], weeks[1] + timedelta(days=7)),
        marks=note,
    )
    [drawn] = layers(chart, "line")
    assert drawn["mark"]["invalid"] == "break-paths-show-domains"
    assert drawn["encoding"]["color"]["scale"]["domain"][0] == "all"  # the total in blue
    marked = [r["values"][0]["what"] for r in layers(chart, "rule")]
    assert "product: new ch-03" in marked


def test_a_long_legend_gets_its_own_room_under_the_plot() -> None:
    lines = pd.DataFrame({"name": [f"week {i}" for i in range(26)], "day": 1, "share": 10.0})
    chart = trend_charts.curves(lines, title="t")
    assert spec(chart)["height"] >= 280 + 9 * charts.LEGEND_ROW  # 26 entries: 9 rows of 3
    [drawn] = layers(chart, "line")
    assert drawn["encoding"]["color"]["legend"]["symbolLimit"] == 0  # every entry shown
