"""Every page through Streamlit's AppTest, against the real test database."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from progress.demo import DemoSpec, load_demo_data
from progress.schema import progress_events
from progress.service import ProgressService
from queries.rollups import refresh

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = [
    "views/overview.py",
    "views/api_health.py",
    "views/migration.py",
    "views/learning.py",
    "views/certificates.py",
    "views/console.py",
]
DATA_PAGES = PAGES[:-1]
TUTORIAL = "security"  # in the demo below: learners, quizzes and certificates


@pytest.fixture
def app_env(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from dashboard import data
    from dashboard.context import engine as cached_engine

    monkeypatch.setenv("DATABASE_URL", database_url)
    data.clear()  # cached answers of an earlier test's database
    yield
    cached_engine.clear()


@pytest.fixture
def support(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the database is the embedded demo one, where a typed name may write."""
    monkeypatch.setattr("dashboard.context.is_embedded", lambda *_: True)


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
    return " ".join(c.value for c in app.caption)


# -- every page, empty and full ------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_an_empty_database_says_what_to_change_instead_of_empty_charts(
    page: str,
) -> None:
    app = open_page(page, tutorial=TUTORIAL)
    assert app.info, page
    assert not app.get("plotly_chart"), page
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
    console = open_page("views/console.py", user="learner-000001")
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


# -- the console ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
def test_a_viewer_sees_progress_but_cannot_write_and_is_told_why(engine: Engine) -> None:
    watched(engine, "learner-9")
    app = open_page("views/console.py", user="learner-9")
    assert any("Read-only" in warning.value for warning in app.warning)
    assert [metric.label for metric in app.metric][:2] == ["Completion", "Chapters completed"]
    assert not app.tabs  # no write forms at all
    assert not [b for b in app.button if b.label.startswith("Restore")]


@pytest.mark.usefixtures("app_env", "support")
def test_support_fixes_a_chapter_and_the_history_records_who_and_why(engine: Engine) -> None:
    watched(engine, "learner-7")
    app = open_page("views/console.py", user="learner-7")
    sign_in(app)
    form = app.tabs[0]
    form.number_input[0].set_value(600.0)
    form.checkbox[0].check()
    form.text_input(key="chapter_reason").input("ticket 12: watched offline")
    form.button[0].click().run()
    assert not app.exception
    assert any("saved" in s.value for s in app.success)
    progress = ProgressService(engine).get_progress(TUTORIAL, "learner-7")
    assert (progress.chapter_progress[0].watch_time, progress.chapter_progress[0].completed) == (
        600,
        True,
    )
    latest = ProgressService(engine).history(TUTORIAL, "learner-7")[0]
    assert (latest.actor, latest.source, latest.reason) == (
        "sam@support",
        "console",
        "ticket 12: watched offline",
    )
    assert app.metric[0].value == "100 %"  # the page shows the new state: 1 of 1 chapters


@pytest.mark.usefixtures("app_env", "support")
def test_bad_console_input_shows_a_message_and_writes_nothing(engine: Engine) -> None:
    watched(engine, "learner-8")
    before = events(engine)
    app = open_page("views/console.py", user="learner-8")
    sign_in(app)
    quiz = app.tabs[1]
    quiz.text_input[0].input("final")
    quiz.number_input[0].set_value(12.0)
    quiz.number_input[1].set_value(10.0)
    quiz.text_input(key="quiz_reason").input("ticket 13")
    quiz.button[0].click().run()
    assert any("Score 12 is above max score 10" in e.value for e in app.error)
    assert events(engine) == before


@pytest.mark.usefixtures("app_env", "support")
def test_a_write_without_a_reason_is_refused(engine: Engine) -> None:
    watched(engine, "learner-6")
    before = events(engine)
    app = open_page("views/console.py", user="learner-6")
    sign_in(app)
    app.tabs[0].button[0].click().run()
    assert any("A reason is required" in e.value for e in app.error)
    assert events(engine) == before


@pytest.mark.usefixtures("app_env", "support")
def test_an_override_needs_a_reason_and_is_kept_with_the_certificate(engine: Engine) -> None:
    watched(engine, "learner-5")
    app = open_page("views/console.py", user="learner-5")
    sign_in(app)
    complete = app.tabs[2]
    assert any("Not eligible" in w.value for w in complete.warning)
    complete.button[0].click().run()
    assert any("give the reason for the override" in e.value for e in app.error)
    assert ProgressService(engine).get_snapshot(TUTORIAL, "learner-5").certificate is None
    app.tabs[2].text_input(key="complete_reason").input("ticket 14: watched in class")
    app.tabs[2].button[0].click().run()
    certificate = ProgressService(engine).get_snapshot(TUTORIAL, "learner-5").certificate
    assert certificate is not None
    assert (certificate.awarded_by, certificate.override_reason) == (
        "sam@support",
        "ticket 14: watched in class",
    )


@pytest.mark.usefixtures("app_env", "support")
def test_an_ordinary_award_needs_a_reason_too_and_keeps_it_in_the_history(engine: Engine) -> None:
    service = ProgressService(engine)
    watched(engine, "learner-2", 300, completed=True)  # 1 of 1 chapters: eligible
    app = open_page("views/console.py", user="learner-2")
    sign_in(app)
    assert any(i.value.startswith("Eligible") for i in app.tabs[2].info)
    before = events(engine)
    app.tabs[2].button[0].click().run()
    assert any("A reason is required" in e.value for e in app.error)
    assert events(engine) == before
    app.tabs[2].text_input(key="complete_reason").input("ticket 17: app did not call complete")
    app.tabs[2].button[0].click().run()
    certificate = service.get_snapshot(TUTORIAL, "learner-2").certificate
    assert certificate is not None
    assert certificate.override_reason is None
    latest = service.history(TUTORIAL, "learner-2")[0]
    assert (latest.kind, latest.actor, latest.reason) == (
        "complete",
        "sam@support",
        "ticket 17: app did not call complete",
    )


@pytest.mark.usefixtures("app_env", "support")
def test_a_reset_needs_the_user_id_typed_and_can_be_undone_from_the_history(
    engine: Engine,
) -> None:
    watched(engine, "learner-4", seconds=120)
    app = open_page("views/console.py", user="learner-4")
    sign_in(app)
    button(app, "Reset…").click().run()  # opens the dialog

    def type_user_id(typed: str) -> None:
        button(app, "Reset…").click()  # the dialog stays open
        app.text_input(key="reset_confirm").input(typed)
        app.text_input(key="reset_reason").input("ticket 15: asked to start over")
        app.run()

    type_user_id("learner-")  # not the user id
    assert button(app, "Reset progress").disabled
    type_user_id("learner-4")
    button(app, "Reset…").click()
    button(app, "Reset progress").click().run()
    assert not ProgressService(engine).get_progress(TUTORIAL, "learner-4").chapter_progress
    assert any("Progress reset" in s.value for s in app.success)

    # The reset learner has no progress row, but stays on the page with the reset to undo.
    reset = ProgressService(engine).history(TUTORIAL, "learner-4")[0]
    assert reset.kind == "reset"
    assert app.selectbox(key="event").value == reset.id
    restore = f"Restore to before event {reset.id}…"
    button(app, restore).click().run()
    button(app, restore).click()
    app.text_input(key="restore_reason").input("ticket 15: reset by mistake")
    button(app, "Restore").click().run()
    assert ProgressService(engine).get_progress(TUTORIAL, "learner-4").chapter_progress


@pytest.mark.usefixtures("app_env", "support")
def test_support_restores_the_state_before_a_wrong_edit(engine: Engine) -> None:
    watched(engine, "learner-3", seconds=300)
    service = ProgressService(engine)
    service.update_chapter_progress(
        TUTORIAL,
        "learner-3",
        chapter_id="ch-01",
        watch_time=5,
        completed=False,
        last_position=5,
        actor="eve@support",
        source="console",
        reason="oops",
    )
    wrong = service.history(TUTORIAL, "learner-3")[0]
    app = open_page("views/console.py", user="learner-3")
    sign_in(app)
    app.selectbox(key="event").set_value(wrong.id).run()
    button(app, f"Restore to before event {wrong.id}…").click().run()
    button(app, f"Restore to before event {wrong.id}…").click()
    app.text_input(key="restore_reason").input("ticket 16: undo a wrong edit")
    button(app, "Restore").click().run()
    assert not app.exception
    assert service.get_progress(TUTORIAL, "learner-3").chapter_progress[0].watch_time == 300
    latest = service.history(TUTORIAL, "learner-3")[0]
    assert (latest.kind, latest.restored_event_id, latest.reason) == (
        "restore",
        wrong.id,
        "ticket 16: undo a wrong edit",
    )


# -- who is looking: sign-in, trusted header, typed name ------------------------------------------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only",
    "client_id": "progress-ops",
    "client_secret": "test-only",
    "server_metadata_url": "https://sso.example.com/.well-known/openid-configuration",
}


def console_as(user: dict[str, object], user_id: str) -> AppTest:
    """The console with `[auth]` configured and Streamlit's user info set to `user`."""
    app = AppTest.from_file(APP, default_timeout=30)
    app.secrets["auth"] = AUTH
    app.user = user
    app.query_params["user"] = user_id
    app.run()
    app.switch_page("views/console.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture
def sam_is_support(app_env: None, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sam is on the support list; learner-1 has watched a chapter."""
    monkeypatch.setenv("PROGRESS_OPS_SUPPORT_USERS", '["sam@example.com"]')
    watched(engine, "learner-1")


@pytest.mark.usefixtures("sam_is_support")
def test_a_signed_in_support_user_writes_under_their_email(engine: Engine) -> None:
    app = console_as({"is_logged_in": True, "email": "sam@example.com", "name": "Sam"}, "learner-1")
    assert [b.label for b in app.sidebar.button] == ["Sign out"]
    assert not app.sidebar.text_input  # no name box when someone is signed in
    assert "Changes are recorded as sam@example.com" in captions(app)
    app.tabs[0].text_input(key="chapter_reason").input("ticket 20")
    app.tabs[0].button[0].click().run()
    assert ProgressService(engine).history(TUTORIAL, "learner-1")[0].actor == "sam@example.com"


@pytest.mark.usefixtures("sam_is_support")
def test_signed_in_without_the_role_or_signed_out_the_console_is_read_only() -> None:
    eve = console_as({"is_logged_in": True, "email": "eve@example.com"}, "learner-1")
    assert any("eve@example.com does not have the support role" in w.value for w in eve.warning)
    assert not eve.tabs
    nobody = console_as({"is_logged_in": False}, "learner-1")
    assert [b.label for b in nobody.sidebar.button] == ["Sign in"]
    assert any("Sign in to make changes" in w.value for w in nobody.warning)
    assert not nobody.tabs


@pytest.mark.usefixtures("app_env")
def test_the_reverse_proxys_trusted_header_names_the_operator(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AppTest cannot send request headers, so the session's headers are replaced with what a
    proxy would send (Streamlit's own case-insensitive header type)."""
    from streamlit.runtime.context import ContextProxy, StreamlitHeaders

    sent = StreamlitHeaders([("x-forwarded-email", "kim@example.com")])
    monkeypatch.setattr(ContextProxy, "headers", property(lambda _: sent))
    monkeypatch.setenv("PROGRESS_OPS_TRUSTED_USER_HEADER", "X-Forwarded-Email")
    monkeypatch.setenv("PROGRESS_OPS_SUPPORT_USERS", '["kim@example.com"]')
    watched(engine, "learner-1")
    app = open_page("views/console.py", user="learner-1")
    assert "Changes are recorded as kim@example.com" in captions(app)
    monkeypatch.setenv("PROGRESS_OPS_TRUSTED_USER_HEADER", "X-Other-Header")
    unnamed = open_page("views/console.py", user="learner-1")
    assert any("Sign in to make changes" in w.value for w in unnamed.warning)


# -- the console's learner picker and the sidebar's tutorial -------------------------------------


@pytest.mark.usefixtures("app_env")
def test_the_console_opens_the_sidebars_tutorial_when_the_learner_has_it(engine: Engine) -> None:
    watched(engine, "learner-1")
    watched(engine, "learner-1", tutorial_id="react-hooks")
    for tutorial in ("react-hooks", TUTORIAL):
        app = open_page("views/console.py", user="learner-1", tutorial=tutorial)
        assert str(app.selectbox(key="pair").value).startswith(f"learner-1 · {tutorial} ")
        assert "the tutorial chosen in the sidebar" not in captions(app)
    picked = next(o for o in app.selectbox(key="pair").options if "react-hooks" in o)
    app.selectbox(key="pair").set_value(picked).run()
    assert app.query_params["tutorial"] == "react-hooks"  # the sidebar follows the pick
    assert app.sidebar.selectbox(key="tutorial").value == "react-hooks"

    watched(engine, "learner-2")  # only in TUTORIAL
    other = open_page("views/console.py", user="learner-2", tutorial="react-hooks")
    assert str(other.selectbox(key="pair").value).startswith(f"learner-2 · {TUTORIAL} ")
    assert "learner-2 has no progress in react-hooks, the tutorial chosen in the sidebar" in (
        captions(other)
    )


# -- the database goes away ----------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


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
