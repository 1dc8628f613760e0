"""In a real browser: a click on a cell of the cohort heat map lists the learners behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from queries.trends import MILESTONES
from scripts.devserver import Dashboard
from tests.e2e.conftest import wait_until_idle

pytestmark = pytest.mark.e2e

SHARE = re.compile(r"^[1-9]\d* %$")  # a cell with someone in it


def test_a_click_on_a_heat_map_cell_lists_its_learners(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/trends")
    wait_until_idle(page)
    heat_map = page.get_by_test_id("stVegaLiteChart").first
    expect(heat_map.locator("svg.marks")).to_be_visible()
    # Cells' texts come row by row (oldest cohort first), a column per day N; blank ones too.
    texts = heat_map.locator("g.mark-text text").all_text_contents()
    index = next(i for i, shown in enumerate(texts) if SHARE.match(shown))
    rows = [
        label
        for label in heat_map.locator("g.role-axis-label text").all_text_contents()
        if not label.startswith("day ")
    ]
    cohort, day = rows[index // len(MILESTONES)], MILESTONES[index % len(MILESTONES)]

    heat_map.locator("g.mark-text text").nth(index).click()
    wait_until_idle(page)

    expect(page.get_by_role("combobox", name="Cohort", exact=True)).to_have_value(
        cohort.split(" (")[0]
    )
    expect(page.get_by_role("combobox", name="Who", exact=True)).to_have_value("completed")
    expect(page.get_by_role("combobox", name="Within (days)", exact=True)).to_have_value(str(day))
    learners = page.get_by_test_id("stDataFrame").last  # the list under "Learners behind a figure"
    expect(learners).to_be_visible()
    expect(page.get_by_text("Nobody in this cell.")).to_have_count(0)
    # The selectboxes still choose after a click (keyboard users).
    who = page.get_by_role("combobox", name="Who", exact=True)
    who.focus()
    page.keyboard.type("started")
    page.keyboard.press("Enter")
    wait_until_idle(page)
    expect(page.get_by_role("combobox", name="Who", exact=True)).to_have_value("started")
