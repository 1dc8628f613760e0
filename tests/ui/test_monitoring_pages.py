"""The monitoring and analysis pages say what their numbers are: charts follow their window, a
bucket without events is a gap, a change needs enough events to compare, budgets and headings
are true to the numbers they print."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from streamlit.proto.Metric_pb2 import Metric as MetricProto

from progress import routes
from progress.demo import DemoSpec, load_demo_data
from progress.schema import api_logs, client_events
from queries.rollups import refresh
from tests.ui.test_pages import TUTORIAL, captions, demo, open_page
from tests.ui.vega import charts

pytestmark = pytest.mark.usefixtures("app_env")

# The end of a preset window, as the sidebar computes it: the current minute's end.
END = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)


def requests(engine: Engine, *hours_ago: float, count: int = 1, ms: float = 50) -> None:
    rows = [
        {
            "timestamp": END - timedelta(hours=ago),
            "method": "POST",
            "endpoint": routes.CHAPTER,
            "status_code": 200,
            "response_time_ms": ms,
        }
        for ago in hours_ago
        for _ in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
    refresh(engine)  # as every writer of requests does


def migrations(engine: Engine, *hours_ago: float) -> None:
    rows = [
        {"occurred_at": END - timedelta(hours=ago), "kind": "migration", "outcome": "succeeded"}
        for ago in hours_ago
    ]
    with engine.begin() as connection:
        connection.execute(insert(client_events), rows)
    refresh(engine)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_migration_charts_at_24_hours_have_hourly_buckets_across_the_window(
    engine: Engine,
) -> None:
    requests(engine, 20, 2)
    migrations(engine, 20, 2)
    app = open_page("views/migration.py", window="24h")
    success, fallback = charts(app)
    assert success.title().startswith("Migration success per 1 h")
    [(line, rows)] = success.layers("line")
    x = line["encoding"]["x"]
    assert x["scale"]["type"] == "utc"
    first, last = (moment(at) for at in x["scale"]["domain"])
    assert last.second == 0  # the window's end: this minute's end
    assert first <= last - timedelta(hours=24) < first + timedelta(hours=1)
    assert x["axis"]["format"] == "%H:%M %d %b"  # not sub-second ticks
    assert len(rows) in (24, 25)  # every hour the window touches
    assert rows["migration_success_pct"].notna().sum() == 2
    [(target, goal)] = success.layers("rule")  # across the plot: the whole window
    assert goal["target"].tolist() == [90.0]
    assert "x" not in target["encoding"]
    assert fallback.layers("line")[0][0]["mark"]["invalid"] == "break-paths-show-domains"


def test_a_chart_without_points_gives_way_to_its_empty_state(engine: Engine) -> None:
    requests(engine, 5)  # requests, so a fallback rate; no migration outcome at all
    app = open_page("views/migration.py", window="24h")
    assert len(charts(app)) == 1
    assert any("No migration outcomes in this window to chart" in i.value for i in app.info)


def test_hours_without_requests_are_gaps_in_the_api_health_lines(engine: Engine) -> None:
    requests(engine, 20, 19, 3)
    app = open_page("views/api_health.py", window="24h")
    error_rate, p95 = charts(app)
    for chart, column in ((error_rate, "error_rate_pct"), (p95, "p95_ms")):
        [(line, rows)] = chart.layers("line")
        assert line["mark"]["invalid"] == "break-paths-show-domains"  # a null breaks the line
        values = [None if math.isnan(y) else y for y in rows[column].astype(float)]
        first, second, third = [i for i, y in enumerate(values) if y is not None]
        assert second == first + 1  # 20 h and 19 h ago: neighbours, joined
        assert third - second > 10  # then 15 hours without requests: empty buckets
        assert all(values[i] is None for i in range(second + 1, third))


def test_a_change_against_a_nearly_empty_previous_window_is_not_shown(engine: Engine) -> None:
    requests(engine, 30, count=3, ms=400)  # the previous 24 h: 3 requests
    requests(engine, 5, count=150)
    app = open_page(window="24h")
    latency = app.metric[0]
    assert latency.label == "Avg response time"
    assert not latency.proto.delta
    assert "No change shown: not enough data in the previous 24 h (3 requests; 100 needed)." in (
        captions(app)
    )


def test_an_unchanged_value_is_neutral(engine: Engine) -> None:
    requests(engine, 30, 5, count=150)
    app = open_page(window="24h")
    latency = app.metric[0]
    assert latency.proto.delta == "no change"
    assert latency.proto.direction == MetricProto.MetricDirection.NONE
    assert latency.proto.color == MetricProto.MetricColor.GRAY


def test_error_budgets_say_what_their_numbers_say(engine: Engine) -> None:
    requests(engine, 5, count=150)  # 1 % of 150 is 1.5: one failure still meets "< 1 %"
    app = open_page(window="24h")
    assert "Error budget: 1 of 1 failed request left (100\u00a0%)" in captions(app)
    quiet = open_page(window="1h")  # no request in the last hour: no budget at all
    assert "budget" not in captions(quiet)


def test_a_tiny_window_has_no_error_budget_to_speak_of(engine: Engine) -> None:
    requests(engine, 0.5, count=3)
    app = open_page(window="1h")
    assert (
        "No error budget: over 3 requests, a single failed request misses the target."
        in captions(app)
    )


def test_the_days_grid_names_the_custom_ranges_last_day() -> None:
    today = END.date() - timedelta(days=1)
    start = today - timedelta(days=6)
    app = open_page(window="custom", start=start.isoformat(), end=today.isoformat())
    assert f"Targets by day, {start:%d %b} – {today:%d %b}" in [s.value for s in app.subheader]


def test_learning_headings_and_the_biggest_drop_say_what_they_count(engine: Engine) -> None:
    demo(engine)
    app = open_page("views/learning.py", window="24h", tutorial=TUTORIAL)
    assert "Active tutorials in the window" in [s.value for s in app.subheader]
    assert "Daily active tutorials" not in [s.value for s in app.subheader]
    assert "counts the whole day, also the hours before the window starts" in captions(app)
    week = open_page("views/learning.py", window="7d", tutorial=TUTORIAL)
    [drop] = [w.value for w in week.warning if w.value.startswith("Biggest drop")]
    assert "did not complete it" in drop
    assert "% did)" in drop


def test_api_health_states_the_p95_precision(engine: Engine) -> None:
    requests(engine, 2, count=20)
    app = open_page("views/api_health.py", window="24h")
    assert "within ±1 % of the exact value" in captions(app)


def test_a_list_cut_at_its_limit_says_of_how_many(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data
    from queries.learning import stuck_learners_statement
    from queries.sql import frame

    # More learners than the shared demo's 50: a chapter where two or more are stuck.
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=400, days=30, seed=5, now=now, api_logs=1_000))
    cut = data.Panel(
        statements=lambda w, t, x: [stuck_learners_statement(w, t or "", x or "", limit=1)],
        load=lambda e, w, t, x: frame(e, stuck_learners_statement(w, t or "", x or "", limit=1)),
    )
    monkeypatch.setitem(data.PANELS, "stuck", cut)
    app = open_page("views/learning.py", window="30d", tutorial=TUTORIAL)
    [chapter] = [s for s in app.selectbox if s.label == "Learners stuck at chapter"]
    counts = []
    for option in chapter.options:  # whichever chapters the random demo left learners stuck at
        chapter.set_value(option).run()
        counts += [c.value for c in app.caption if c.value.startswith("The first 1 of ")]
    assert counts, "the demo left nobody stuck at any chapter"
    assert all(int(c.removeprefix("The first 1 of ").split(" ")[0]) > 1 for c in counts)
