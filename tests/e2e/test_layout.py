"""Every monitoring and analysis page in a real browser: readable at 1024 and 1280 px — no card
value or table header cut off, no table that needs sideways scrolling to show its columns —
numbers whole on a phone, and nothing fetched from outside the machine the dashboard runs on."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import text

from progress.db import embedded_url, make_engine
from scripts.devserver import Dashboard
from tests.e2e.conftest import wait_until_idle

pytestmark = pytest.mark.e2e

PAGES = (
    "/?window=24h",
    "/?window=7d",
    "/api_health?window=7d",
    "/migration?window=24h",
    "/migration?window=7d",
    "/learning?window=7d&tutorial={tutorial}",
    "/certificates?window=7d",
    "/alerts",
    "/trends",
)
# What each page draws last; a data page writes its caption's "data as of" last.
DRAWN_LAST = {
    "/console": "text=Progress console",
    "/alerts": "text=History",
    "/trends": "text=Learners behind a figure",
}

# Elements whose text is cut when their content is wider than their box (CSS ellipsis):
# card values and their labels, and the headers of HTML tables.
CUT_TEXT = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,'
    + ' [data-testid="stMetricLabel"] *, [data-testid="stTable"] th'
  ))
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.textContent.trim())"""

# st.dataframe draws its cells and headers on a canvas, so their text cannot be measured; what
# can be is whether the grid's scroller is wider than its box: then columns are cut off.
SIDEWAYS_TABLES = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] .dvn-scroller'))
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.scrollWidth} px of columns in ${el.clientWidth} px`)"""

# A card with a sparkline is drawn once its chart's code has loaded, after the script ran.
FIVE_CARDS = """() => document.querySelectorAll('[data-testid="stMetricValue"]').length === 5"""

# Tables in a closed expander are not drawn until it opens.
GRIDS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(grid => grid.checkVisibility())
  .every(grid => grid.querySelector('.dvn-scroller'))"""


@pytest.fixture(scope="module")
def tutorial(dashboard: Dashboard) -> str:
    engine = make_engine(embedded_url(dashboard.data_dir))
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT tutorial_id FROM tutorial_progress GROUP BY 1 ORDER BY count(*) DESC")
        ).first()
    engine.dispose()
    assert found is not None
    return str(found[0])


def open_at(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def show(page: Page, url: str) -> None:
    page.goto(url)
    path = "/" + url.split("/", 3)[3].split("?")[0]
    page.wait_for_selector(DRAWN_LAST.get(path, "text=/data as of/"), timeout=60_000)
    wait_until_idle(page)
    page.wait_for_function(GRIDS_DRAWN, timeout=30_000)


@pytest.mark.parametrize("width", [1024, 1280])
def test_every_page_is_readable_at_laptop_widths(
    browser: Browser, dashboard: Dashboard, tutorial: str, width: int
) -> None:
    page = open_at(browser, width)
    problems = {}
    for path in PAGES:
        show(page, dashboard.url + path.format(tutorial=tutorial))
        if path.startswith("/?"):  # the Overview: its five cards are there to be measured
            page.wait_for_function(FIVE_CARDS, timeout=30_000)
        cut, sideways = page.evaluate(CUT_TEXT), page.evaluate(SIDEWAYS_TABLES)
        tabs = page.locator('[data-baseweb="tab"]')
        for index in range(tabs.count()):  # a table in a tab is drawn when its tab opens
            if tabs.nth(index).get_attribute("aria-selected") != "true":
                tabs.nth(index).click()
                page.wait_for_function(GRIDS_DRAWN, timeout=30_000)
                sideways += page.evaluate(SIDEWAYS_TABLES)
        if cut or sideways:
            problems[path] = cut + sorted(set(sideways))
    page.context.close()
    assert not problems, problems


def test_the_overview_cards_stay_whole_on_a_phone(browser: Browser, dashboard: Dashboard) -> None:
    page = open_at(browser, 390)
    show(page, f"{dashboard.url}/?window=7d")
    page.wait_for_function(FIVE_CARDS, timeout=30_000)
    cut = page.evaluate(CUT_TEXT)
    page.context.close()
    assert not cut, cut


def test_no_page_fetches_anything_from_outside_the_dashboard(
    browser: Browser, dashboard: Dashboard, tutorial: str
) -> None:
    """Behind a firewall nothing outside is reachable: icons and fonts must come from the
    dashboard itself (an emoji or `:material/…:` page icon is fetched from fonts.gstatic.com)."""
    page = open_at(browser, 1280)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((dashboard.url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    for path in (*PAGES, "/console?user=learner-000001"):
        show(page, dashboard.url + path.format(tutorial=tutorial))
    page.context.close()
    assert not outside, sorted(set(outside))
