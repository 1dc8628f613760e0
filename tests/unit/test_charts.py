"""Charts send the browser what they draw, not every value behind it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.charts import box_statistics, stop_positions


def test_a_box_is_drawn_from_its_five_numbers_as_plotly_would_compute_them() -> None:
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(100, 20, 990), [500.0] * 10]  # ten outliers past the whisker
    data = pd.DataFrame({"chapter_id": rng.choice(["ch-01", "ch-02"], 1000), "pos": values})
    stats = box_statistics(data, "chapter_id", "pos").set_index("chapter_id")
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
    box = stop_positions(data, title="t").data[0]
    assert list(box.x) == ["ch-01"]
    assert box.y is None
