"""The console in a real browser: what AppTest cannot show — what the browser draws after a write,
a negative number typed into a box, a reload, and Markdown as Chromium renders it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select

from progress.db import embedded_url, make_engine
from progress.schema import progress_events
from progress.service import ProgressService
from scripts.devserver import Dashboard
from tests.e2e.conftest import wait_until_idle

pytestmark = pytest.mark.e2e
BUSY = 30_000  # ms to wait for a write and its rerun on a machine shared with other work
MARKUP = ["**x**", "[t](https://e.x)", "<b>h</b>", "$x$", ":red[x]"]


@pytest.fixture
def database(dashboard: Dashboard) -> Iterator[Engine]:
    engine = make_engine(embedded_url(dashboard.data_dir))
    yield engine
    engine.dispose()


def newest_event(engine: Engine, user_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.max(progress_events.c.id)).where(progress_events.c.user_id == user_id)
            ).scalar_one()
        )


def learner(engine: Engine, user_id: str, chapter_id: str = "ch-01") -> str:
    """A learner who watched one chapter of `security` (through the API); their user id."""
    ProgressService(engine).update_chapter_progress(
        "security",
        user_id,
        chapter_id=chapter_id,
        watch_time=30,
        completed=False,
        last_position=30,
        actor=user_id,
        source="api",
    )
    return user_id


def open_console(page: Page, dashboard: Dashboard, **query: str) -> None:
    page.goto(f"{dashboard.url}/console?{urlencode(query)}")
    wait_until_idle(page)


def sign_in(page: Page, name: str = "sam@support") -> None:
    page.get_by_role("textbox", name="Your name (for the audit trail)").fill(name)
    page.keyboard.press("Enter")
    wait_until_idle(page)


def save_chapter(page: Page, watch_time: str, reason: str) -> None:
    page.get_by_label("Watch time (s, the chapter's total)").fill(watch_time)
    page.get_by_label("Reason (kept in the history)").fill(reason)
    page.get_by_role("button", name="Save chapter").click()
    wait_until_idle(page)


def test_after_a_save_the_browser_shows_the_new_event_an_empty_reason_and_keeps_the_name(
    page: Page, dashboard: Dashboard, database: Engine
) -> None:
    user_id = learner(database, "e2e-saves")
    open_console(page, dashboard, user=user_id)
    sign_in(page)
    event = page.get_by_role("combobox", name="Event")
    expect(event).to_have_value(re.compile(rf"^{newest_event(database, user_id)} · "), timeout=BUSY)
    save_chapter(page, "4321", "ticket 98: e2e")
    expect(page.get_by_text("saved").first).to_be_visible(timeout=BUSY)
    newest = newest_event(database, user_id)
    expect(event).to_have_value(re.compile(rf"^{newest} · chapter by sam@support"))
    expect(page.get_by_role("button", name=f"Restore to before event {newest}…")).to_be_visible()
    expect(page.get_by_label("Reason (kept in the history)")).to_have_value("")

    page.reload()
    wait_until_idle(page)
    assert "operator=sam%40support" in page.url
    name = page.get_by_role("textbox", name="Your name (for the audit trail)")
    expect(name).to_have_value("sam@support", timeout=BUSY)
    expect(page.get_by_role("button", name="Save chapter")).to_be_visible()


def test_a_negative_watch_time_is_refused_with_its_message_not_saved(
    page: Page, dashboard: Dashboard, database: Engine
) -> None:
    user_id = learner(database, "e2e-negative")
    open_console(page, dashboard, user=user_id)
    sign_in(page)
    before = newest_event(database, user_id)
    save_chapter(page, "-5", "ticket 97: e2e")
    expect(page.get_by_text("Watch time must be at least 0").first).to_be_visible(timeout=BUSY)
    expect(page.get_by_text("saved")).to_have_count(0)
    assert newest_event(database, user_id) == before


def test_an_error_keeps_the_chosen_form_open(page: Page, dashboard: Dashboard) -> None:
    open_console(page, dashboard, user="learner-000005")
    sign_in(page)
    page.get_by_role("radio", name="Record a quiz score").click()
    wait_until_idle(page)
    page.get_by_label("Quiz id").fill("final")
    page.get_by_label("Score", exact=True).fill("12")
    page.get_by_label("Reason (kept in the history)").fill("ticket 96: e2e")
    page.get_by_role("button", name="Record attempt").click()
    wait_until_idle(page)
    form = page.get_by_test_id("stForm")
    expect(form.get_by_text("Score 12 is above max score 10")).to_be_visible(timeout=BUSY)
    expect(page.get_by_label("Quiz id")).to_have_value("final")


@pytest.mark.parametrize("text", MARKUP)
def test_a_learner_id_with_markup_shows_as_text(
    page: Page, dashboard: Dashboard, database: Engine, text: str
) -> None:
    learner(database, text, chapter_id=text)
    open_console(page, dashboard, user=text, tutorial="security")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name=f"{text} in security")).to_be_visible(timeout=BUSY)
    expect(main.get_by_text(f"chapter {text}", exact=False).first).to_be_visible()
    expect(main.locator("a[href^='https://e.x']")).to_have_count(0)
    expect(main.locator("strong, b, .katex").filter(has_text=re.compile("^[xh]$"))).to_have_count(0)
