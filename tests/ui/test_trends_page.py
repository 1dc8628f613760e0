"""The Completion trends page through Streamlit's AppTest, against the real test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from progress.demo import DemoSpec, load_demo_data

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE = "views/trends.py"


def open_trends(**query: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(PAGE)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def demo(engine: Engine) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=300, days=60, seed=5, now=now, api_logs=1_000))


def test_on_an_empty_database_the_page_says_what_to_change(app_env: None) -> None:
    app = open_trends()
    assert [t.value for t in app.title] == ["Completion trends"]
    assert any("Nobody started a tutorial" in i.value for i in app.info)


def test_on_demo_data_every_section_shows(app_env: None, engine: Engine) -> None:
    demo(engine)
    app = open_trends()
    headers = [h.value for h in app.header]
    assert headers == [
        "Start cohorts",
        "Completion within 14 days, week by week",
        "Tutorials side by side",
        "What changed",
        "Learners behind a figure",
    ]
    assert len(app.dataframe) >= 5
    assert any(m.label == "Change (95 % interval)" for m in app.metric)


def test_the_choices_round_trip_through_the_url(app_env: None, engine: Engine) -> None:
    demo(engine)
    app = open_trends(
        period="month", weeks="26", within="30", tutorials="sql-basics", changed="sql-basics"
    )
    assert app.selectbox(key="trend_period").value == "month"
    assert app.selectbox(key="trend_weeks").value == 26
    assert app.selectbox(key="trend_within").value == 30
    assert app.multiselect(key="trend_tutorials").value == ["sql-basics"]
    assert app.selectbox(key="trend_changed").value == "sql-basics"
    assert app.query_params["period"] == "month"
    assert app.query_params["within"] == "30"
    assert app.query_params["tutorials"] == "sql-basics"
    assert "Completion within 30 days, week by week" in [h.value for h in app.header]
    app.selectbox(key="trend_within").set_value(7).run()
    assert app.query_params["within"] == "7"


def test_the_learners_behind_a_cell_each_link_to_the_console(app_env: None, engine: Engine) -> None:
    demo(engine)
    app = open_trends(period="month", weeks="13")
    app.selectbox(key="trend_cell_who").set_value("completed").run()
    app.selectbox(key="trend_cell_days").set_value(60).run()
    cohort = app.selectbox(key="trend_cell")
    cohort.set_value(cohort.options[-1]).run()  # the oldest month: its learners had 60 days
    assert not app.exception
    learners = app.dataframe[-1].value
    assert len(learners) > 0
    assert learners["user_id"].str.startswith("console?user=learner-").all()
    assert learners["completed_after"].between(0, 60, inclusive="left").all()
