"""`make screenshots`: a PNG of every dashboard page at 1440 px, and of the Overview at 1024 px (a
laptop), on demo data, into docs/screenshots/."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from sqlalchemy import insert

from alerting.evaluator import evaluate_once
from progress import routes
from progress.annotations import add_annotation
from progress.db import Settings, open_engine
from progress.demo import IMPROVED, DemoSpec, change_dates
from progress.schema import api_logs
from scripts.devserver import CHROMIUM, CHROMIUM_FLAGS, IDLE, ROOT, Dashboard, running_dashboard

WIDTH = 1440
NARROW = 1024
Shot = tuple[str, str, int]  # file name, address, window width
SHOTS: tuple[Shot, ...] = (
    ("overview", "/?window=7d", WIDTH),
    ("api-health", "/api_health?window=7d", WIDTH),
    ("migration-fallback", "/migration?window=30d", WIDTH),
    ("learning-activity", "/learning?window=30d&tutorial=react-hooks", WIDTH),
    ("certificates", "/certificates?window=30d", WIDTH),
    ("progress-console", "/console?user=learner-000042&tutorial=docker-101", WIDTH),
    ("overview-1024", "/?window=7d", NARROW),
)

# Charts, tables and cards with sparklines are drawn by code loaded after the script has run.
DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter(chart => chart.checkVisibility())  // a hidden tab's chart is drawn when it opens
    .every(chart => chart.querySelector('svg.marks, canvas.marks'))
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


def stage_incident(dashboard: Dashboard) -> None:
    """The last 40 minutes of the demo service in an incident — a deploy, then a fifth of the
    chapter updates answered 503 — judged once by the alert evaluator, as cron would."""
    engine = open_engine(Settings(progress_ops_data_dir=dashboard.data_dir))
    now = datetime.now(UTC)
    add_annotation(
        engine, text="deploy 2.5.0", kind="deploy", author="ci", at=now - timedelta(minutes=41)
    )
    rows = [
        {
            "timestamp": now - timedelta(minutes=40) + timedelta(seconds=2 * i),
            "method": "POST",
            "endpoint": routes.CHAPTER,
            "status_code": 503 if i % 5 == 0 else 200,
            "response_time_ms": 35.0 + i % 40,
        }
        for i in range(1200)
    ]
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
    evaluate_once(engine)
    engine.dispose()


def shoot(
    demo_arguments: tuple[str, ...],
    shots: Sequence[Shot],
    stage: Callable[[Dashboard], None] | None = None,
) -> None:
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    with running_dashboard(*demo_arguments) as dashboard, sync_playwright() as playwright:
        if stage is not None:
            stage(dashboard)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
        for name, path, width in shots:
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


def main() -> None:
    """Every page, or only those named: `python -m scripts.screenshots completion-trends`."""
    only = set(sys.argv[1:])
    shots = [shot for shot in SHOTS if not only or shot[0] in only]
    if shots:
        shoot(("--learners", "2000", "--days", "30", "--seed", "7"), shots)
    if not only or "alerts-incident" in only:  # a page alert firing, on its own demo database
        demo = ("--learners", "2000", "--days", "30", "--seed", "7")
        shoot(demo, [("alerts-incident", "/alerts", WIDTH)], stage=stage_incident)
    if only and "completion-trends" not in only:
        return
    # Completion trends needs months of starts: 180 days, compared around sql-basics' change.
    spec = DemoSpec(20_000, 180, 11, datetime.now(UTC).replace(second=0, microsecond=0))
    split = change_dates(spec)[IMPROVED].date().isoformat()
    shoot(
        ("--learners", "20000", "--days", "180", "--seed", "11", "--now", spec.now.isoformat()),
        [("completion-trends", f"/trends?weeks=26&changed={IMPROVED}&split={split}", WIDTH)],
    )


if __name__ == "__main__":
    main()
