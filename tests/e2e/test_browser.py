"""In a real browser: ops sees the targets; support fixes a chapter, reloads, and it is kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from progress.db import embedded_url, make_engine
from scripts.devserver import Dashboard
from tests.e2e.conftest import wait_until_idle

pytestmark = pytest.mark.e2e


def test_overview_shows_the_target_cards(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/?window=7d")
    wait_until_idle(page)
    for label in ("Avg response time", "p95 response time", "Error rate", "Fallback rate"):
        expect(page.get_by_text(label, exact=True).first).to_be_visible()
    expect(page.get_by_text("Demo data").first).to_be_visible()


def test_support_fixes_a_chapter_and_it_is_kept_after_a_reload(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/console?user=learner-000002")
    wait_until_idle(page)
    page.get_by_role("textbox", name="Your name (for the audit trail)").fill("sam@support")
    page.keyboard.press("Enter")
    wait_until_idle(page)
    page.get_by_label("Watch time (s, the chapter's total)").fill("4321")
    page.get_by_label("Reason (kept in the history)").first.fill("ticket 99: e2e")
    page.get_by_role("button", name="Save chapter").click()
    wait_until_idle(page)
    expect(page.get_by_text("saved").first).to_be_visible()

    page.reload()
    wait_until_idle(page)
    assert "tutorial=" in page.url  # the learner and tutorial shown are in the URL
    expect(page.get_by_role("combobox", name="Event")).to_have_value(re.compile("sam@support"))
    # The history table draws on a canvas (not assertable); the stored row is checked instead.
    engine = make_engine(embedded_url(dashboard.data_dir))
    with engine.connect() as connection:
        watch_time, reason = connection.execute(
            text(
                "SELECT c.watch_time, e.reason FROM chapter_progress c"
                " JOIN tutorial_progress p ON p.id = c.progress_id"
                " JOIN progress_events e ON e.user_id = p.user_id AND e.tutorial_id = p.tutorial_id"
                " WHERE p.user_id = 'learner-000002' AND e.source = 'console'"
                " ORDER BY c.updated_at DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    assert (watch_time, reason) == (4321, "ticket 99: e2e")
