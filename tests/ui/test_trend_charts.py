"""The Completion trends page's charts, as AppTest sees them: heat maps that a click selects, and
a product note on the week-by-week chart at its date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from progress.annotations import add_annotation
from tests.ui.test_trends_page import demo, open_trends
from tests.ui.vega import charts

pytestmark = pytest.mark.usefixtures("app_env")


def test_a_product_note_is_marked_on_the_week_by_week_chart_at_its_date(engine: Engine) -> None:
    demo(engine)
    noted = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    add_annotation(engine, text="new ch-03 video", kind="note", author="product", at=noted)
    shown = charts(open_trends())
    [weekly] = [c for c in shown if c.title().startswith("% of each week's starters")]
    notes = [rows for _, rows in weekly.layers("rule") if "what" in rows]
    assert notes
    [at] = notes[0].loc[notes[0]["what"] == "note: new ch-03 video", "at"]
    assert at.to_pydatetime() == noted


def test_both_heat_maps_can_be_clicked_for_a_cell(engine: Engine) -> None:
    demo(engine)
    app = open_trends()
    heat_maps = [c for c in charts(app) if c.title().startswith("% of each cohort")]
    assert len(heat_maps) == 2  # completed, certified
    for chart in heat_maps:
        assert [param["name"] for param in chart.spec["params"]] == ["cell"]
    selectable = [chart for chart in app.get("vega_lite_chart") if chart.proto.selection_mode]
    assert [list(chart.proto.selection_mode) for chart in selectable] == [["cell"], ["cell"]]
