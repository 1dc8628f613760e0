"""What a person waits for: every dashboard page in a real browser, from navigation until the app
is idle, beside a one-line Streamlit page served the same way (the floor).

    progress-ops demo-data --learners 100000 --api-logs 10000000 --days 30   # once
    python -m bench.browser [--port 8680] [--runs 5] [--windows 24h 7d 30d] [--pages overview …]

Needs Debian's chromium (`/usr/bin/chromium`, driven by Playwright) and the database `DATABASE_URL`
names, already filled (loading 10M requests takes minutes, so it is not redone per run). For each
run, window, page and version of the code, the page's server (`streamlit run`, headless, as `make
run` does) is started twice:

- cold: a server just started, nothing cached, no fold run yet; a new browser context (empty
  HTTP cache, no session) opens the page's URL — the first visit after the server started;
- fresh: a server that has run a fold: a new browser context first opens the console without a
  learner (which reads no panel, but starts the background fold and its warm-up), and once the
  server's log says that cycle ended (code without a warm-up: after 2 s), another new context
  opens the page's URL — a shared link opened in a fresh browser on a running server where nobody
  has opened this page in the last 30 s;
- reload: the fresh context reloads the page (the server's 30 s caches are warm, the browser's
  HTTP cache too);
- switch: from another page of the app, a click on the page's link in the sidebar (no new
  document, one script run over the open websocket).

Ready: the script has finished (`data-test-script-state="notRunning"`), nothing is stale or
loading, the page's title is shown, every chart has drawn (a Vega-Lite chart its SVG or canvas
of marks; a Plotly chart, in code from before Altair, its SVG) and every table its canvas. The
time is the browser's own (`performance.now()`): from navigation start, or from the click. Each
cell is the median of `--runs` with the range. Also recorded per page (cold, the last window, the
last run): bytes received over the websocket, JavaScript fetched, the main thread's long tasks,
and milestones of the load (the document parsed, the script run started and ended as the browser
saw it, the lazily loaded chunks of the table, Plotly (code from before Altair), Vega
(vega-embed) and the code highlighter arrived, ready). `--before DIR` measures an earlier
checkout of the code in the same runs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, WebSocket, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.common import machine
from scripts.devserver import CHROMIUM, CHROMIUM_FLAGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TUTORIAL = "react-hooks"
# name: (URL path, page title, extra query, sidebar link text)
PAGES = {
    "Overview": ("", "Overview", "", "Overview"),
    "API health": ("api_health", "API health", "", "API health"),
    "Migration & fallback": ("migration", "Migration & fallback", "", "Migration & fallback"),
    "Learning, all tutorials": ("learning", "Learning activity", "", "Learning activity"),
    "Learning, one tutorial": (
        "learning",
        "Learning activity",
        f"&tutorial={TUTORIAL}",
        "Learning activity",
    ),
    "Certificates": ("certificates", "Certificates", "", "Certificates"),
    "Console, no learner": ("console", "Progress console", "", "Progress console"),
}
FLOOR_APP = 'import streamlit as st\n\nst.title("Floor")\n'
FLOOR = "floor: one-line page"

# Long tasks are only reported to observers registered before they happen.
OBSERVE = """
window.__longTasks = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({type: "longtask", buffered: true});
window.__script = {};
(function watch() {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute("data-test-script-state");
  if (state === "running" && !window.__script.started) window.__script.started = performance.now();
  if (state === "notRunning" && window.__script.started && !window.__script.ended)
    window.__script.ended = performance.now();
  if (!window.__script.ended) requestAnimationFrame(watch);
})();
"""
# Milestones of a load, ms from navigation start: the document parsed (the main bundle run), the
# first script run seen starting and ending, and when each lazily loaded chunk had arrived.
MILESTONES = """
() => {
  const chunk = name => {
    const entry = performance.getEntriesByType("resource").find(r => r.name.includes(name));
    return entry ? entry.responseEnd : null;
  };
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    document: nav.domContentLoadedEventEnd,
    script_started: window.__script.started || null,
    script_ended: window.__script.ended || null,
    dataframe_chunk: chunk("/DataFrame."),
    plotly_chunk: chunk("/PlotlyChart."),
    vega_chunk: chunk("/embed."),
    highlighter_chunk: chunk("/StreamlitSyntaxHighlighter."),
  };
}
"""
READY = """
title => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  const heading = document.querySelector("h1");
  if (!heading || !heading.textContent.includes(title)) return false;
  // Plotly charts (the code before Altair, measured with --before) and Vega-Lite charts
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!chart.querySelector(".main-svg")) return false;
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    // a hidden tab's chart is drawn when the tab opens
    if (chart.checkVisibility() && !chart.querySelector("svg.marks, canvas.marks")) return false;
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]'))
    // a closed expander's table is drawn only when it is opened
    if (grid.checkVisibility() && !grid.querySelector("canvas")) return false;
  return performance.now();
}
"""


@dataclass
class Cost:
    """Where one cold load's time went, besides the server's script."""

    websocket_bytes: int = 0
    script_bytes: int = 0
    long_tasks_ms: float = 0.0
    long_tasks: int = 0
    milestones: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Results:
    # (version, page, window, mode) → ms
    times: dict[tuple[str, str, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    costs: dict[tuple[str, str], Cost] = field(default_factory=dict)


def streamlit(root: Path, app: Path, port: int, log: Path) -> AbstractContextManager[str]:
    """`streamlit run app` with `root`'s code (before the editable install's) on `port`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return streamlit_server(app, port=port, cwd=root, env=env, log=log)


def ready(page: Page, title: str) -> float:
    """performance.now() when the page is ready (see the module's docstring)."""
    handle = page.wait_for_function(READY, arg=title, polling="raf", timeout=60_000)
    return float(handle.json_value())


def cold(browser: Browser, url: str, title: str, cost: Cost | None) -> tuple[float, Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(OBSERVE)
    page = context.new_page()
    if cost is not None:

        def on_websocket(socket: WebSocket) -> None:
            def count(payload: str | bytes) -> None:
                cost.websocket_bytes += len(payload)

            socket.on("framereceived", count)

        page.on("websocket", on_websocket)
    page.goto(url)
    at = ready(page, title)
    if cost is not None:
        page.wait_for_timeout(300)  # late long tasks (a chart's layout) and frames
        cost.script_bytes = int(
            page.evaluate(
                "performance.getEntriesByType('resource')"
                ".filter(r => r.initiatorType === 'script' || r.name.endsWith('.js'))"
                ".reduce((sum, r) => sum + (r.encodedBodySize || 0), 0)"
            )
        )
        tasks = page.evaluate("window.__longTasks")
        cost.long_tasks, cost.long_tasks_ms = len(tasks), float(sum(tasks))
        cost.milestones = page.evaluate(MILESTONES) | {"ready": at}
    return at, page


def reload(page: Page, title: str) -> float:
    page.reload()
    return ready(page, title)


def switch(page: Page, link: str, title: str) -> float:
    """From the page open, click the sidebar's link to another page: ms until that one is ready."""
    started = float(page.evaluate("performance.now()"))
    page.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
    return ready(page, title) - started


FOLD_CYCLE = re.compile(r"fold cycle: .* then warm")


def fold_cycles(log: Path) -> int:
    """How many fold cycles with a warm-up the server's log reports."""
    return len(FOLD_CYCLE.findall(log.read_text())) if log.exists() else 0


@dataclass(frozen=True)
class Version:
    """One checkout of the code, and how to start its server afresh."""

    name: str
    root: Path
    port: int
    logs: Path

    @property
    def warms(self) -> bool:
        """Whether its background fold warms the panels (and logs each cycle)."""
        return "def warm(" in (self.root / "dashboard" / "data.py").read_text()

    @contextmanager
    def server(self) -> Iterator[tuple[str, Path]]:
        self.logs.mkdir(exist_ok=True)
        log = self.logs / f"{self.name}-{time.monotonic_ns()}.log"
        with streamlit(self.root, self.root / "dashboard" / "app.py", self.port, log) as url:
            yield url, log


def after_a_fold(browser: Browser, version: Version, app: str, window: str, log: Path) -> None:
    """Let the server run a fold (and its warm-up, if the code has one) as a running server has:
    open the console without a learner, which reads no panel, and wait for the cycle to end."""
    before = fold_cycles(log)
    _, page = cold(browser, f"{app}/console?window={window}", "Progress console", None)
    if version.warms:
        deadline = time.monotonic() + 120
        while fold_cycles(log) == before and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    else:
        page.wait_for_timeout(2000)
    page.context.close()


def measure_page(
    browser: Browser, version: Version, name: str, window: str, r: Results, *, costs: bool
) -> None:
    path, title, extra, link = PAGES[name]
    url = f"{path}?window={window}{extra}"
    cost = Cost() if costs else None
    with version.server() as (app, _):
        at, page = cold(browser, f"{app}/{url}", title, cost)
        page.context.close()
    r.times[(version.name, name, window, "cold")].append(at)
    if cost is not None:
        r.costs[(version.name, name)] = cost
    with version.server() as (app, log):
        after_a_fold(browser, version, app, window, log)
        at, page = cold(browser, f"{app}/{url}", title, None)
        r.times[(version.name, name, window, "fresh")].append(at)
        measure_warm(page, version.name, name, window, title, link, r)


def measure_warm(
    page: Page, version: str, name: str, window: str, title: str, link: str, r: Results
) -> None:
    """Reload, then away to another page and back (a switch within the app, filters kept)."""
    r.times[(version, name, window, "reload")].append(reload(page, title))
    # Away to another page and back: a page switch within the app, filters kept.
    other = "Migration & fallback" if name != "Migration & fallback" else "Certificates"
    _, other_title, _, other_link = PAGES[other]
    switch(page, other_link, other_title)
    r.times[(version, name, window, "switch")].append(switch(page, link, title))
    page.context.close()


def measure_run(
    browser: Browser, versions: list[Version], floor: str, args: argparse.Namespace, r: Results
) -> None:
    """Every page and window, each version in turn (so they share the machine's mood). A page
    not ready within 60 s is reported and left out of that run (its other modes too)."""
    for window in args.windows:
        for name in args.pages:
            for version in versions:
                costs = window == args.windows[-1]
                try:
                    measure_page(browser, version, name, window, r, costs=costs)
                except PlaywrightTimeout as error:
                    print(f"{version.name} {name} {window}: {error}", file=sys.stderr)
    at, page = cold(browser, floor, "Floor", None)
    r.times[(FLOOR, FLOOR, "-", "cold")].append(at)
    r.times[(FLOOR, FLOOR, "-", "reload")].append(reload(page, "Floor"))
    page.context.close()


def cell(samples: list[float]) -> str:
    if not samples:
        return "–"
    return f"{statistics.median(samples):,.0f} ({min(samples):,.0f}–{max(samples):,.0f})"


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def report(results: Results, versions: list[str], args: argparse.Namespace) -> None:
    modes = ("cold", "fresh", "reload", "switch")
    header = " | ".join(f"{w} {m} ms" for w in args.windows for m in modes)
    print(f"| page | code | {header} |")
    print("|---|---|" + "---:|" * (len(args.windows) * len(modes)))
    for name in args.pages:
        for version in versions:
            cells = [
                cell(results.times[(version, name, w, m)]) for w in args.windows for m in modes
            ]
            print(f"| {name} | {version} | " + " | ".join(cells) + " |")
    floor = [cell(results.times[(FLOOR, FLOOR, "-", m)]) for m in ("cold", "reload")]
    print(f"\n{FLOOR}: cold {floor[0]} ms, reload {floor[1]} ms")
    print(f"\nCold, {args.windows[-1]} (last run): what the browser received and ran")
    print("| page | code | websocket KB | JavaScript KB | long tasks | long tasks ms |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.pages:
        for version in versions:
            if (version, name) not in results.costs:
                continue  # its cold load timed out
            cost = results.costs[(version, name)]
            print(
                f"| {name} | {version} | {cost.websocket_bytes / 1024:,.0f} | "
                f"{cost.script_bytes / 1024:,.0f} | {cost.long_tasks} | "
                f"{cost.long_tasks_ms:,.0f} |"
            )
    steps = list(next(iter(results.costs.values())).milestones)
    print(f"\nCold, {args.windows[-1]} (last run): ms from navigation start until …")
    print("| page | code | " + " | ".join(s.replace("_", " ") for s in steps) + " |")
    print("|---|---|" + "---:|" * len(steps))
    for name in args.pages:
        for version in versions:
            if (version, name) not in results.costs:
                continue
            marks = results.costs[(version, name)].milestones
            shown = ["–" if marks[s] is None else f"{marks[s]:,.0f}" for s in steps]
            print(f"| {name} | {version} | " + " | ".join(shown) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=8680, help="the app's; the floor's is +1")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--windows", nargs="+", default=["24h", "7d", "30d"])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of earlier code (e.g. `git archive`), measured in the same runs (+2)",
    )
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        parser.error("set DATABASE_URL to a database filled with the benchmark data")
    roots = {"this": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    results = Results()
    loads = [load_average()]
    with tempfile.TemporaryDirectory(prefix="progress-ops-browser-") as directory:
        floor_app = Path(directory) / "floor.py"
        floor_app.write_text(FLOOR_APP)
        with sync_playwright() as playwright, ExitStack() as servers:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for run in range(args.runs):
                logs = Path(directory) / f"run{run}"
                versions = [
                    Version(version, root, args.port + 2 * i, logs)
                    for i, (version, root) in enumerate(roots.items())
                ]
                floor = servers.enter_context(
                    streamlit(ROOT, floor_app, args.port + 1, logs.with_suffix(".floor"))
                )
                started = time.perf_counter()
                measure_run(browser, versions, floor, args, results)
                servers.close()
                print(
                    f"run {run + 1}/{args.runs}: {time.perf_counter() - started:.0f} s, "
                    f"load average {load_average()}",
                    file=sys.stderr,
                    flush=True,
                )
                loads.append(load_average())
            browser.close()
    print(f"Machine: {machine()}; Chromium {CHROMIUM}")
    print(f"Load average (1, 5, 15 min) before and after each run: {' | '.join(loads)}\n")
    report(results, list(roots), args)


if __name__ == "__main__":
    main()
