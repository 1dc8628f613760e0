"""A real dashboard server (as `make run` starts it) on a throwaway embedded database, and a real
Chromium (Debian's, driven by Playwright) to look at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from scripts.devserver import CHROMIUM, CHROMIUM_FLAGS, IDLE, Dashboard, running_dashboard


@pytest.fixture(scope="session")
def dashboard() -> Iterator[Dashboard]:
    with running_dashboard("--learners", "40", "--days", "8") as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is not installed: apt-get install -y chromium chromium-driver"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    new_page = context.new_page()
    yield new_page
    context.close()


def wait_until_idle(page: Page) -> None:
    """Wait for Streamlit to finish running the page's script."""
    page.wait_for_selector(IDLE, timeout=30_000)
