"""The progress console through Streamlit's AppTest, against the real test database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard.text import literal
from progress.service import ProgressService
from tests.ui.test_pages import (
    APP,
    CONSOLE,
    TUTORIAL,
    button,
    captions,
    events,
    open_page,
    sign_in,
    watched,
)
from tests.unit.test_text import shown

REASON_REQUIRED = "A reason is required"


def field(app: AppTest, form: str, name: str) -> Any:
    """A console form's field: its key is `console.<form>.<name>#…` (the rest changes after every
    write and with the learner)."""
    prefix = f"console.{form}.{name}#"
    widgets = [*app.text_input, *app.number_input, *app.checkbox]
    found = [w for w in widgets if (w.key or "").startswith(prefix)]
    assert len(found) == 1, (prefix, [w.key for w in widgets])
    return found[0]


def choose_form(app: AppTest, label: str) -> None:
    app.segmented_control(key="console_form").set_value(label).run()


def fix_chapter(app: AppTest, seconds: float, reason: str, *, completed: bool = False) -> None:
    field(app, "chapter", "watch_time:ch-01").set_value(seconds)
    field(app, "chapter", "completed:ch-01").set_value(completed)
    field(app, "chapter", "reason").input(reason)
    button(app, "Save chapter").click().run()
    assert not app.exception, [e.value for e in app.exception]


def order(app: AppTest) -> list[str]:
    """The page's elements top to bottom, as `type:text`."""
    texts = [getattr(node, "value", None) for node in app.main]
    return [
        f"{node.type}:{shown(text) if isinstance(text, str) else ''}"
        for node, text in zip(app.main, texts, strict=True)
    ]


# -- who may write ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_env")
def test_a_viewer_sees_progress_but_cannot_write_and_is_told_why(engine: Engine) -> None:
    watched(engine, "learner-9")
    app = open_page(CONSOLE, user="learner-9")
    assert any("Read-only" in warning.value for warning in app.warning)
    assert [metric.label for metric in app.metric][:2] == ["Completion", "Chapters completed"]
    assert not app.segmented_control  # no write forms at all
    assert not app.get("form")
    assert not [b for b in app.button if b.label.startswith("Restore")]


# -- writes: who, why, what they did ---------------------------------------------------------------


@pytest.mark.usefixtures("app_env", "support")
def test_support_fixes_a_chapter_and_the_history_records_who_and_why(engine: Engine) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    fix_chapter(app, 600, "ticket 12: watched offline", completed=True)
    assert [shown(s.value) for s in app.success] == [
        "Chapter ch-01 saved: 600 s watched, at 30 s, completed."
    ]
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
    app = open_page(CONSOLE, user="learner-8")
    sign_in(app)
    choose_form(app, "Record a quiz score")
    field(app, "quiz", "quiz_id").input("final")
    field(app, "quiz", "score").set_value(12.0)
    field(app, "quiz", "max_score").set_value(10.0)
    field(app, "quiz", "reason").input("ticket 13")
    button(app, "Record attempt").click().run()
    assert any("Score 12 is above max score 10" in shown(e.value) for e in app.error)
    assert events(engine) == before


@pytest.mark.usefixtures("app_env", "support")
def test_a_write_without_a_reason_is_refused(engine: Engine) -> None:
    watched(engine, "learner-6")
    before = events(engine)
    app = open_page(CONSOLE, user="learner-6")
    sign_in(app)
    button(app, "Save chapter").click().run()
    assert any(REASON_REQUIRED in e.value for e in app.error)
    assert events(engine) == before


@pytest.mark.usefixtures("app_env", "support")
def test_an_override_needs_a_reason_and_is_kept_with_the_certificate(engine: Engine) -> None:
    watched(engine, "learner-5")
    app = open_page(CONSOLE, user="learner-5")
    sign_in(app)
    choose_form(app, "Complete")
    assert any("Not eligible" in w.value for w in app.warning)
    button(app, "Award certificate").click().run()
    assert any("give the reason for the override" in e.value for e in app.error)
    assert ProgressService(engine).get_snapshot(TUTORIAL, "learner-5").certificate is None
    field(app, "complete", "reason").input("ticket 14: watched in class")
    button(app, "Award certificate").click().run()
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
    app = open_page(CONSOLE, user="learner-2")
    sign_in(app)
    choose_form(app, "Complete")
    assert any(i.value.startswith("Eligible") for i in app.info)
    before = events(engine)
    button(app, "Award certificate").click().run()
    assert any(REASON_REQUIRED in e.value for e in app.error)
    assert events(engine) == before
    field(app, "complete", "reason").input("ticket 17: app did not call complete")
    button(app, "Award certificate").click().run()
    certificate = service.get_snapshot(TUTORIAL, "learner-2").certificate
    assert certificate is not None
    assert certificate.override_reason is None
    latest = service.history(TUTORIAL, "learner-2")[0]
    assert (latest.kind, latest.actor, latest.reason) == (
        "complete",
        "sam@support",
        "ticket 17: app did not call complete",
    )
    assert any("Certificate awarded" in s.value for s in app.success)


def open_reset(app: AppTest) -> None:
    """Open the reset dialog (AppTest keeps a dialog open while its button is clicked)."""
    button(app, "Reset…").click().run()
    button(app, "Reset…").click()


@pytest.mark.usefixtures("app_env", "support")
def test_a_reset_needs_the_user_id_typed_and_can_be_undone_from_the_history(
    engine: Engine,
) -> None:
    watched(engine, "learner-4", seconds=120)
    app = open_page(CONSOLE, user="learner-4")
    sign_in(app)
    choose_form(app, "Reset")
    open_reset(app)
    field(app, "reset", "confirm").input("learner-")  # not the user id
    field(app, "reset", "reason").input("ticket 15: asked to start over")
    app.run()
    assert button(app, "Reset progress").disabled
    button(app, "Reset…").click()
    field(app, "reset", "confirm").input("learner-4")
    app.run()
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
    field(app, "restore", f"reason:{reset.id}").input("ticket 15: reset by mistake")
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
    app = open_page(CONSOLE, user="learner-3")
    sign_in(app)
    app.selectbox(key="event").set_value(wrong.id).run()
    button(app, f"Restore to before event {wrong.id}…").click().run()
    button(app, f"Restore to before event {wrong.id}…").click()
    field(app, "restore", f"reason:{wrong.id}").input("ticket 16: undo a wrong edit")
    button(app, "Restore").click().run()
    assert not app.exception
    assert service.get_progress(TUTORIAL, "learner-3").chapter_progress[0].watch_time == 300
    latest = service.history(TUTORIAL, "learner-3")[0]
    assert (latest.kind, latest.restored_event_id, latest.reason) == (
        "restore",
        wrong.id,
        "ticket 16: undo a wrong edit",
    )
    assert any(f"before event {wrong.id}" in shown(s.value) for s in app.success)


# -- issue 9: what the page shows after a write ----------------------------------------------------


@pytest.mark.usefixtures("app_env", "support")
def test_after_a_write_the_event_selector_its_details_and_the_restore_button_name_the_newest_event(
    engine: Engine,
) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    first = ProgressService(engine).history(TUTORIAL, "learner-7")[0]
    assert app.selectbox(key="event").value == first.id
    fix_chapter(app, 600, "ticket 30")
    newest = ProgressService(engine).history(TUTORIAL, "learner-7")[0]
    selector = app.selectbox(key="event")
    assert selector.value == newest.id != first.id
    # The browser is told the new selection (not left showing the previous newest event).
    assert selector.proto.set_value
    assert selector.proto.raw_value.startswith(f"{newest.id} · chapter by sam@support")
    assert any("watch time 30 s → 600 s" in shown(m.value) for m in app.markdown)
    assert button(app, f"Restore to before event {newest.id}…")


@pytest.mark.usefixtures("app_env", "support")
def test_after_a_write_every_forms_reason_and_fields_are_empty_and_a_reason_is_never_reused(
    engine: Engine,
) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    fix_chapter(app, 600, "ticket 31")
    assert field(app, "chapter", "reason").value == ""
    assert field(app, "chapter", "watch_time:ch-01").value == 600  # the stored value, now
    before = events(engine)
    button(app, "Save chapter").click().run()  # the next change, without typing a reason
    assert any(REASON_REQUIRED in e.value for e in app.error)
    assert events(engine) == before

    choose_form(app, "Record a quiz score")
    field(app, "quiz", "quiz_id").input("final")
    field(app, "quiz", "score").set_value(7.0)
    field(app, "quiz", "passed").check()
    field(app, "quiz", "reason").input("ticket 32")
    button(app, "Record attempt").click().run()
    assert ProgressService(engine).get_progress(TUTORIAL, "learner-7").quiz_scores
    assert [
        field(app, "quiz", name).value for name in ("quiz_id", "score", "passed", "reason")
    ] == [
        "",
        0.0,
        False,
        "",
    ]

    newest = ProgressService(engine).history(TUTORIAL, "learner-7")[0]
    restore = f"Restore to before event {newest.id}…"
    button(app, restore).click().run()
    button(app, restore).click()
    field(app, "restore", f"reason:{newest.id}").input("ticket 33")
    button(app, "Restore").click().run()
    assert not ProgressService(engine).get_progress(TUTORIAL, "learner-7").quiz_scores
    restored = ProgressService(engine).history(TUTORIAL, "learner-7")[0]
    assert restored.kind == "restore"
    button(app, f"Restore to before event {restored.id}…").click().run()
    assert field(app, "restore", f"reason:{restored.id}").value == ""

    choose_form(app, "Reset")
    open_reset(app)
    field(app, "reset", "confirm").input("learner-7")
    field(app, "reset", "reason").input("ticket 34")
    app.run()
    button(app, "Reset…").click()
    button(app, "Reset progress").click().run()
    assert any("Progress reset" in s.value for s in app.success)
    open_reset(app)
    app.run()
    assert (field(app, "reset", "confirm").value, field(app, "reset", "reason").value) == ("", "")


@pytest.mark.usefixtures("app_env", "support")
def test_a_negative_watch_time_blocks_the_save_with_its_message(engine: Engine) -> None:
    watched(engine, "learner-7", seconds=400)
    before = events(engine)
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    fix_chapter(app, -5, "ticket 34")
    assert any("Watch time must be at least 0" in shown(e.value) for e in app.error)
    assert not app.success
    assert events(engine) == before
    assert field(app, "chapter", "reason").value == "ticket 34"  # kept, to correct and retry


@pytest.mark.usefixtures("app_env", "support")
def test_a_write_that_changes_nothing_says_so_instead_of_saved(engine: Engine) -> None:
    watched(engine, "learner-7", seconds=400, completed=True)
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    fix_chapter(app, 400, "ticket 35", completed=True)
    assert not app.success
    assert any(
        shown(i.value) == "Nothing changed: ch-01 already has 400 s, at 400 s, completed."
        for i in app.info
    )
    progress = ProgressService(engine).get_progress(TUTORIAL, "learner-7")
    assert progress.chapter_progress[0].watch_time == 400


@pytest.mark.usefixtures("app_env", "support")
def test_an_error_keeps_the_chosen_form_and_shows_next_to_it(engine: Engine) -> None:
    watched(engine, "learner-8")
    app = open_page(CONSOLE, user="learner-8")
    sign_in(app)
    choose_form(app, "Record a quiz score")
    field(app, "quiz", "quiz_id").input("final")
    field(app, "quiz", "score").set_value(12.0)
    field(app, "quiz", "reason").input("ticket 36")
    button(app, "Record attempt").click().run()
    assert app.segmented_control(key="console_form").value == "Record a quiz score"
    [quiz] = [form for form in app.get("form") if form.proto.form.form_id == "quiz"]
    assert any("Score 12 is above max score 10" in shown(e.value) for e in quiz.error)
    elements = order(app)
    error = next(i for i, e in enumerate(elements) if "above max score" in e)
    assert elements.index("subheader:Fix progress") < error < elements.index("subheader:History")


@pytest.mark.usefixtures("app_env", "support")
def test_the_typed_operator_name_is_kept_in_the_url_and_survives_a_reload(engine: Engine) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app, "sam@support")
    assert app.query_params["operator"] == "sam@support"
    reloaded = open_page(CONSOLE, **{k: v for k, v in app.query_params.items()})
    assert reloaded.sidebar.text_input(key="operator").value == "sam@support"
    assert "Changes are recorded as sam@support" in captions(reloaded)
    reloaded.sidebar.text_input(key="operator").input("").run()
    assert "operator" not in reloaded.query_params


@pytest.mark.usefixtures("app_env")
def test_an_operator_in_the_url_means_nothing_outside_the_demo_database(engine: Engine) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7", operator="sam@support")
    assert any("Sign in to make changes" in w.value for w in app.warning)
    assert not app.segmented_control


@pytest.mark.usefixtures("app_env")
def test_a_search_with_more_matches_than_listed_says_how_many_there_are(engine: Engine) -> None:
    for n in range(55):
        watched(engine, f"learner-{n:02}")
    app = open_page(CONSOLE, user="learner-")
    picker = app.selectbox(key="pair")
    assert len(picker.options) == 50
    assert shown(picker.label) == ("Learner–tutorial matches: first 50 of 55 — type more of the id")
    few = open_page(CONSOLE, user="learner-5")
    assert shown(few.selectbox(key="pair").label) == "5 learner–tutorial matches"


@pytest.mark.usefixtures("app_env", "support")
def test_the_new_chapter_choice_is_plain_text(engine: Engine) -> None:
    watched(engine, "learner-7")
    app = open_page(CONSOLE, user="learner-7")
    sign_in(app)
    options = app.selectbox(key="chapter_choice").options
    assert options == ["ch-01", "Another chapter (type its id)"]
    app.selectbox(key="chapter_choice").set_value("Another chapter (type its id)").run()
    field(app, "chapter", "chapter_id").input("ch-02")
    field(app, "chapter", "watch_time:Another chapter (type its id)").set_value(60.0)
    field(app, "chapter", "reason").input("ticket 37")
    button(app, "Save chapter").click().run()
    chapters = ProgressService(engine).get_progress(TUTORIAL, "learner-7").chapter_progress
    assert [c.chapter_id for c in chapters] == ["ch-01", "ch-02"]
    assert field(app, "chapter", "chapter_id").value == ""


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
    app.switch_page(CONSOLE).run()
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
    field(app, "chapter", "completed:ch-01").set_value(True)  # the same values would write nothing
    field(app, "chapter", "reason").input("ticket 20")
    button(app, "Save chapter").click().run()
    assert ProgressService(engine).history(TUTORIAL, "learner-1")[0].actor == "sam@example.com"


@pytest.mark.usefixtures("sam_is_support")
def test_signed_in_without_the_role_or_signed_out_the_console_is_read_only() -> None:
    eve = console_as({"is_logged_in": True, "email": "eve@example.com"}, "learner-1")
    assert any(
        "eve@example.com does not have the support role" in shown(w.value) for w in eve.warning
    )
    assert not eve.segmented_control
    nobody = console_as({"is_logged_in": False}, "learner-1")
    assert [b.label for b in nobody.sidebar.button] == ["Sign in"]
    assert any("Sign in to make changes" in w.value for w in nobody.warning)
    assert not nobody.segmented_control


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
    app = open_page(CONSOLE, user="learner-1")
    assert "Changes are recorded as kim@example.com" in captions(app)
    monkeypatch.setenv("PROGRESS_OPS_TRUSTED_USER_HEADER", "X-Other-Header")
    unnamed = open_page(CONSOLE, user="learner-1")
    assert any("Sign in to make changes" in w.value for w in unnamed.warning)


# -- the console's learner picker and the sidebar's tutorial -------------------------------------


@pytest.mark.usefixtures("app_env")
def test_the_console_opens_the_sidebars_tutorial_when_the_learner_has_it(engine: Engine) -> None:
    watched(engine, "learner-1")
    watched(engine, "learner-1", tutorial_id="react-hooks")
    for tutorial in ("react-hooks", TUTORIAL):
        app = open_page(CONSOLE, user="learner-1", tutorial=tutorial)
        assert str(app.selectbox(key="pair").value).startswith(f"learner-1 · {tutorial} ")
        assert "the tutorial chosen in the sidebar" not in captions(app)
    picked = next(o for o in app.selectbox(key="pair").options if "react-hooks" in o)
    app.selectbox(key="pair").set_value(picked).run()
    assert app.query_params["tutorial"] == "react-hooks"  # the sidebar follows the pick
    assert app.sidebar.selectbox(key="tutorial").value == "react-hooks"

    watched(engine, "learner-2")  # only in TUTORIAL
    other = open_page(CONSOLE, user="learner-2", tutorial="react-hooks")
    assert str(other.selectbox(key="pair").value).startswith(f"learner-2 · {TUTORIAL} ")
    assert "learner-2 has no progress in react-hooks, the tutorial chosen in the sidebar" in (
        captions(other)
    )


# -- issue 8: learner-controlled text is shown as text --------------------------------------------

MARKUP = ["**x**", "[t](https://e.x)", "<b>h</b>", "$x$", ":red[x]"]


def markdown_sources(app: AppTest) -> list[str]:
    """Every string the page hands Streamlit as Markdown: texts, alerts, and widget labels."""
    kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
    texts = [str(getattr(node, "value", "")) for kind in kinds for node in app.get(kind)]
    return texts + [widget.label for widget in (*app.selectbox, *app.text_input, *app.button)]


def shows_literally(app: AppTest, text: str) -> bool:
    """`text` is on the page, and everywhere as text: never as raw Markdown."""
    sources = markdown_sources(app)
    return any(text in shown(s) for s in sources) and not any(text in s for s in sources)


@pytest.mark.usefixtures("app_env", "support")
@pytest.mark.parametrize("text", MARKUP)
def test_ids_names_and_reasons_with_markup_show_as_text_in_the_console(
    engine: Engine, text: str
) -> None:
    service = ProgressService(engine)
    service.update_chapter_progress(
        text,
        text,
        chapter_id=text,
        watch_time=30,
        completed=False,
        last_position=30,
        actor=text,
        source="api",
    )
    app = open_page(CONSOLE, user=text, tutorial=text)
    sign_in(app, text)
    assert app.subheader[0].value == f"{literal(text)} in {literal(text)}"
    assert shows_literally(app, f"Changes are recorded as {text}")
    choose_form(app, "Complete")
    assert shows_literally(app, f"chapter {text}")  # why they are not eligible
    field(app, "complete", "reason").input(text)
    button(app, "Award certificate").click().run()
    assert shows_literally(app, f"by {text} by override: {text}")  # the certificate caption
    assert shows_literally(app, f"certificate awarded by override: {text}")  # the history

    nobody = open_page(CONSOLE, user=f"{text}-nobody")
    assert shows_literally(nobody, f"No learner's user id starts with “{text}-nobody”")


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("page", ["views/learning.py", "views/certificates.py"])
def test_a_tutorial_id_with_markup_in_a_link_shows_as_text_on_the_analysis_pages(
    page: str,
) -> None:
    for text in MARKUP:
        app = open_page(page, tutorial=text)
        assert shows_literally(app, f"tutorial {text}"), page  # the page's caption
