"""Every page through Streamlit's AppTest, against the real test database."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from progress.annotations import add_annotation
from progress.demo import DemoSpec, load_demo_data
from progress.schema import progress_events
from progress.service import ProgressService
from queries.rollups import refresh
from tests.conftest import upgrade_to_head
from tests.logger_reports import report_dropped_rows
from tests.ui.vega import charts
from tests.unit.test_text import shown

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = [
    "views/overview.py",
    "views/api_health.py",
    "views/migration.py",
    "views/learning.py",
    "views/certificates.py",
    "views/console/page.py",
]
DATA_PAGES = PAGES[:-1]
CONSOLE = PAGES[-1]
TUTORIAL = "typescript"  # in the demo below: learners, quizzes and certificates


def demo(engine: Engine) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=50, days=8, seed=5, now=now, api_logs=5_000))
    refresh(engine)  # folded into the rollups, as `progress-ops demo-data` does


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


def watched(
    engine: Engine,
    user_id: str,
    seconds: float = 30,
    *,
    tutorial_id: str = TUTORIAL,
    completed: bool = False,
) -> None:
    """The learner watched chapter ch-01 for `seconds`, through the API."""
    ProgressService(engine).update_chapter_progress(
        tutorial_id,
        user_id,
        chapter_id="ch-01",
        watch_time=seconds,
        completed=completed,
        last_position=seconds,
        actor=user_id,
        source="api",
    )


def sign_in(app: AppTest, name: str = "sam@support") -> None:
    app.sidebar.text_input(key="operator").input(name).run()


def button(app: AppTest, label: str):  # type: ignore[no-untyped-def]
    matches = [b for b in app.button if b.label == label]
    assert matches, (label, [b.label for b in app.button])
    return matches[0]


def captions(app: AppTest) -> str:
    """The captions' text as shown (ids in them are escaped Markdown: `dashboard.text.literal`)."""
    return " ".join(shown(c.value) for c in app.caption)


# -- every page, empty and full ------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_database_says_what_to_change_instead_of_empty_charts(
    page: str,
) -> None:
    app = open_page(page, tutorial=TUTORIAL)
    assert app.info, page
    assert not app.get("vega_lite_chart"), page
    assert not app.dataframe, page


@pytest.mark.usefixtures("app_env")
def test_every_page_renders_demo_data_with_its_sql_and_csv_downloads(engine: Engine) -> None:
    demo(engine)
    for page in DATA_PAGES:
        app = open_page(page, window="7d", tutorial=TUTORIAL)
        assert app.dataframe, page
        assert any(expander.label.startswith("Show SQL") for expander in app.expander), page
        assert app.get("download_button"), page
        assert "data as of" in captions(app), page
    console = open_page(CONSOLE, user="learner-000001")
    assert [metric.label for metric in console.metric][:2] == ["Completion", "Chapters completed"]


@pytest.mark.usefixtures("app_env")
def test_overview_shows_the_five_targets_with_their_error_budgets(engine: Engine) -> None:
    demo(engine)
    app = open_page(window="7d")
    assert [metric.label for metric in app.metric] == [
        "Avg response time",
        "p95 response time",
        "Error rate",
        "Migration success",
        "Fallback rate",
    ]
    assert all(metric.value.endswith((" ms", " %")) for metric in app.metric)
    budgets = [c.value for c in app.caption if c.value.startswith("Error budget")]
    assert len(budgets) == 3  # the three ratio targets; latency has no budget
    nouns = ("failed requests", "failed migrations", "fallbacks")
    assert all(noun in line for noun, line in zip(nouns, budgets, strict=True)), budgets
    assert all(re.search(r"\d.* of [\d,]+ |allowed", line) for line in budgets), budgets
    assert any(m.value.startswith(":green-badge[met]") for m in app.markdown)


@pytest.mark.usefixtures("app_env")
def test_auto_refresh_reruns_the_overview_without_error(engine: Engine) -> None:
    demo(engine)
    app = open_page(window="24h")
    app.sidebar.toggle(key="auto_refresh").set_value(True).run()
    assert not app.exception
    assert len(app.metric) == 5


@pytest.mark.usefixtures("app_env")
def test_learning_activity_highlights_the_biggest_drop_and_links_learners_to_the_console(
    engine: Engine,
) -> None:
    demo(engine)
    app = open_page("views/learning.py", window="7d", tutorial=TUTORIAL)
    assert any("Biggest drop" in warning.value for warning in app.warning)
    assert [s.label for s in app.selectbox if s.label == "Learners stuck at chapter"]
    assert any(subheader.value.startswith("Stuck at ") for subheader in app.subheader)


# -- filters in the URL --------------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
def test_a_copied_link_reproduces_the_window_and_the_tutorial(engine: Engine) -> None:
    demo(engine)
    today = datetime.now(UTC).date()
    start, end = (today - timedelta(days=3)).isoformat(), today.isoformat()
    app = open_page(
        "views/certificates.py", window="custom", start=start, end=end, tutorial=TUTORIAL
    )
    assert f"{start} – {end} (UTC days) · tutorial {TUTORIAL}" in captions(app)
    assert app.query_params["window"] == "custom"
    assert (app.query_params["start"], app.query_params["end"]) == (start, end)
    assert app.query_params["tutorial"] == TUTORIAL


@pytest.mark.usefixtures("app_env")
def test_the_window_is_kept_when_switching_pages() -> None:
    app = open_page(window="7d")
    app.switch_page("views/api_health.py").run()
    assert app.sidebar.selectbox(key="window").value == "7d"
    assert app.query_params["window"] == "7d"
    assert "last 7 days" in captions(app)


@pytest.mark.usefixtures("app_env")
def test_a_malformed_link_falls_back_to_the_defaults() -> None:
    app = open_page("views/overview.py", window="forever")
    assert app.sidebar.selectbox(key="window").value == "24h"
    custom = open_page("views/overview.py", window="custom", start="yesterday", end="")
    assert not custom.exception
    assert "(UTC days)" in captions(custom)


# -- the database goes away ----------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.usefixtures("app_env")
def test_a_database_nobody_upgraded_says_so_and_recovers_on_retry_after_the_upgrade(
    engine: Engine, stale_schema: str
) -> None:
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    [error] = app.error
    assert f"has schema revision {stale_schema}" in error.value
    assert "progress-ops db upgrade" in error.value
    assert "Cannot reach" not in error.value
    assert not app.metric

    upgrade_to_head(engine)
    button(app, "Retry").click().run()
    assert not app.exception
    assert not app.error
    assert app.title[0].value == "Overview"


@pytest.mark.usefixtures("app_env")
def test_an_unreachable_database_shows_its_masked_url_and_recovers_on_retry(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.context import engine as cached_engine

    cached_engine.clear()
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+psycopg://ops:s3cret@127.0.0.1:{closed_port()}/progress"
    )
    app = AppTest.from_file(APP, default_timeout=30).run()
    assert not app.exception
    [error] = app.error
    assert "Cannot reach the database at postgresql+psycopg://ops:***@127.0.0.1" in error.value
    assert "s3cret" not in error.value
    assert not app.metric

    monkeypatch.setenv("DATABASE_URL", database_url)
    button(app, "Retry").click().run()
    assert not app.exception
    assert not app.error
    assert app.title[0].value == "Overview"


# -- annotations ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
def test_an_annotation_is_listed_on_the_overview_and_marked_on_the_api_health_charts(
    engine: Engine,
) -> None:
    demo(engine)
    add_annotation(
        engine,
        text="deploy 2.4.1",
        kind="deploy",
        author="ci",
        at=datetime.now(UTC) - timedelta(hours=3),
    )
    overview = open_page(window="24h")
    [expander] = [e for e in overview.expander if e.label.startswith("Annotations in this window")]
    assert any("deploy 2.4.1" in set(table.value["text"]) for table in expander.dataframe)
    assert any(e.label == "Show SQL: annotations" for e in overview.expander)
    health = open_page("views/api_health.py", window="24h")
    hourly = charts(health)
    daily = charts(open_page("views/migration.py", window="7d"))
    assert (len(hourly), len(daily)) == (2, 2)
    for chart in (*hourly, *daily):
        marked = {what for _, rows in chart.layers("rule") for what in rows.get("what", [])}
        assert "deploy: deploy 2.4.1" in marked


@pytest.mark.usefixtures("app_env")
def test_show_sql_sends_its_statements_only_once_opened(engine: Engine) -> None:
    demo(engine)
    app = open_page("views/api_health.py", window="24h")
    assert not app.code
    app.session_state["sql-api_timeline"] = True  # the expander, opened
    app.run()
    assert any("api_log" in code.value for code in app.code)


@pytest.mark.usefixtures("app_env")
def test_a_page_never_waits_for_new_rows_to_be_folded_into_the_rollups(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import context

    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=20, days=3, seed=5, now=now, api_logs=500))
    folding, go_on = threading.Event(), threading.Event()

    def slow_refresh(bind: Engine) -> int:
        folding.set()
        go_on.wait(timeout=60)
        return refresh(bind)

    monkeypatch.setattr(context, "refresh", slow_refresh)
    context.background_fold().expire()
    app = open_page(window="24h")
    assert len(app.metric) == 5  # drawn while the fold is held up (a run waiting for it
    assert folding.wait(timeout=30)  # would have hit AppTest's 30 s timeout first)
    go_on.set()
    context.background_fold().wait()
    assert refresh(engine) == 0  # the background fold folded every row


@pytest.mark.usefixtures("app_env")
def test_a_request_logger_that_dropped_rows_is_named_on_every_monitoring_page(
    engine: Engine,
) -> None:
    report_dropped_rows(engine, 4, at=datetime.now(UTC))
    for page in (None, "views/api_health.py", "views/migration.py"):
        app = open_page(page, window="24h")
        assert "request log: figures may undercount" in captions(app)
        assert any(
            "4 API requests were answered but not logged" in shown(w.value) for w in app.warning
        )
    assert not open_page("views/learning.py", window="24h").warning  # not a request figure
