"""`make screenshots`: a PNG of every dashboard page at 1440 px, and of the Overview at 1024 px (a
laptop), on demo data, into docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from scripts.devserver import CHROMIUM, CHROMIUM_FLAGS, IDLE, ROOT, running_dashboard

WIDTH = 1440
NARROW = 1024
SHOTS = (  # file name, address, window width
    ("overview", "/?window=7d", WIDTH),
    ("api-health", "/api_health?window=7d", WIDTH),
    ("migration-fallback", "/migration?window=30d", WIDTH),
    ("learning-activity", "/learning?window=30d&tutorial=react-hooks", WIDTH),
    ("certificates", "/certificates?window=30d", WIDTH),
    ("progress-console", "/console?user=learner-000042&tutorial=data-viz", WIDTH),
    ("overview-1024", "/?window=7d", NARROW),
)


# Charts, tables and cards with sparklines are drawn by code loaded after the script has run.
DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(chart => chart.querySelector('.main-svg'))
  && [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(grid => grid.checkVisibility())  // a closed expander's are drawn when it opens
    .every(grid => grid.querySelector('.dvn-scroller'))
  && !document.querySelector('[data-testid="stSkeleton"]')"""


def settle(page: Page) -> None:
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    page.wait_for_timeout(1000)  # let charts finish their transitions


def whole_page(page: Page, width: int) -> None:
    """Grow the window to the page's height: Streamlit scrolls inside its main area, so a
    full-page screenshot alone would cut it at the window's height."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(int(height), 900)})
    page.wait_for_timeout(800)


def main() -> None:
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    with (
        running_dashboard("--learners", "2000", "--days", "30", "--seed", "7") as dashboard,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        for name, path, width in SHOTS:
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(dashboard.url + path)
            settle(page)
            if name == "progress-console":  # as support sees it, with the forms
                name_box = page.get_by_role("textbox", name="Your name (for the audit trail)")
                name_box.fill("sam@support")
                name_box.press("Enter")
                settle(page)
            whole_page(page, width)
            file = target / f"{name}.png"
            page.screenshot(path=str(file))
            print(f"saved {Path(file).relative_to(ROOT)}")
        browser.close()


if __name__ == "__main__":
    main()
