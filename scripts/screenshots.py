"""`make screenshots`: a PNG of every dashboard page, on demo data, into docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.devserver import CHROMIUM, CHROMIUM_FLAGS, IDLE, ROOT, running_dashboard

PAGES = {
    "overview": "/?window=7d",
    "api-health": "/api_health?window=7d",
    "migration-fallback": "/migration?window=30d",
    "learning-activity": "/learning?window=30d&tutorial=react-hooks",
    "certificates": "/certificates?window=30d",
    "progress-console": "/console?user=learner-000042",
}


def main() -> None:
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    with (
        running_dashboard("--learners", "2000", "--days", "30", "--seed", "7") as dashboard,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        for name, path in PAGES.items():
            page.goto(dashboard.url + path)
            page.wait_for_selector(IDLE, timeout=60_000)
            page.wait_for_timeout(1500)  # let charts finish drawing
            file = target / f"{name}.png"
            page.screenshot(path=str(file))
            print(f"saved {Path(file).relative_to(ROOT)}")
        browser.close()


if __name__ == "__main__":
    main()
