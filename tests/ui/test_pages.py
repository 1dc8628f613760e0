"""Every page through Streamlit's AppTest, against the real test database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from progress.demo import DemoSpec, load_demo_data
from progress.schema import progress_events
from progress.service import ProgressService

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def app_env(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    yield
    from dashboard.context import engine as cached_engine

    cached_engine.clear()


def demo(engine: Engine) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=50, days=8, seed=5, now=now, api_logs=5_000))


def open_page(page: str | None = None, **query: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(progress_events)).scalar_one()
        )


@pytest.mark.usefixtures("app_env")
def test_overview_on_an_empty_database_says_what_to_do() -> None:
    app = open_page()
    assert any("No API requests" in info.value for info in app.info)


@pytest.mark.usefixtures("app_env")
def test_overview_shows_the_five_targets_on_demo_data(engine: Engine) -> None:
    demo(engine)
    app = open_page(window="7d")
    labels = [metric.label for metric in app.metric]
    assert labels == [
        "Avg response time",
        "p95 response time",
        "Error rate",
        "Migration success",
        "Fallback rate",
    ]
    assert all(metric.value.endswith(("ms", "%")) for metric in app.metric)


MONITORING_PAGES = [
    "views/api_health.py",
    "views/migration.py",
    "views/certificates.py",
    "views/learning.py",
]


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("page", MONITORING_PAGES)
def test_monitoring_pages_on_an_empty_database_say_so_instead_of_empty_charts(page: str) -> None:
    app = open_page(page)
    assert app.info
    assert not app.get("plotly_chart")
    assert not app.dataframe


@pytest.mark.usefixtures("app_env")
def test_monitoring_pages_render_demo_data(engine: Engine) -> None:
    demo(engine)
    for page in MONITORING_PAGES:
        app = open_page(page, window="7d", tutorial="sql-basics")
        assert app.dataframe, page
        assert any(expander.label == "Show SQL" for expander in app.expander), page


@pytest.mark.usefixtures("app_env")
def test_console_on_an_empty_database_asks_for_a_user_id() -> None:
    app = open_page("views/console.py")
    assert any("Type a user id" in info.value for info in app.info)


@pytest.mark.usefixtures("app_env")
def test_a_viewer_sees_progress_but_cannot_write(engine: Engine) -> None:
    demo(engine)
    app = open_page("views/console.py", user="learner-000001")
    assert any("Read-only" in warning.value for warning in app.warning)
    assert [metric.label for metric in app.metric][:2] == ["Completion", "Chapters completed"]
    assert not app.tabs  # no write forms at all


@pytest.fixture
def support(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the database is the embedded demo one, where a typed name may write."""
    monkeypatch.setattr("dashboard.context.is_embedded", lambda *_: True)


@pytest.mark.usefixtures("app_env", "support")
def test_support_fixes_a_chapter_and_the_history_records_it(engine: Engine) -> None:
    ProgressService(engine).update_chapter_progress(
        "sql-basics",
        "learner-7",
        chapter_id="ch-01",
        watch_time=30,
        completed=False,
        last_position=30,
        actor="learner-7",
        source="api",
    )
    app = open_page("views/console.py", user="learner-7")
    app.sidebar.text_input(key="operator").input("sam@support").run()
    form = app.tabs[0]
    form.number_input[0].set_value(600.0)
    form.checkbox[0].check()
    form.text_input[1].input("ticket 12: watched offline")
    form.button[0].click().run()
    assert not app.exception
    assert any("saved" in s.value for s in app.success)
    progress = ProgressService(engine).get_progress("sql-basics", "learner-7")
    assert progress.chapter_progress[0].watch_time == 600
    assert progress.chapter_progress[0].completed
    latest = ProgressService(engine).history("sql-basics", "learner-7")[0]
    assert (latest.actor, latest.source, latest.reason) == (
        "sam@support",
        "console",
        "ticket 12: watched offline",
    )


@pytest.mark.usefixtures("app_env", "support")
def test_bad_console_input_shows_a_message_and_writes_nothing(engine: Engine) -> None:
    ProgressService(engine).update_chapter_progress(
        "sql-basics",
        "learner-8",
        chapter_id="ch-01",
        watch_time=30,
        completed=False,
        last_position=30,
        actor="learner-8",
        source="api",
    )
    before = events(engine)
    app = open_page("views/console.py", user="learner-8")
    app.sidebar.text_input(key="operator").input("sam@support").run()
    quiz = app.tabs[1]
    quiz.text_input[0].input("final")
    quiz.number_input[0].set_value(12.0)
    quiz.number_input[1].set_value(10.0)
    quiz.text_input[1].input("ticket 13")
    quiz.button[0].click().run()
    assert any("Score 12 is above max score 10" in e.value for e in app.error)
    assert events(engine) == before
