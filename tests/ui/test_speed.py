"""What keeps a page's first run short (`dashboard.data.prefetch`, `warm`, the background fold),
and what reruns when a choice changes — asserted by what runs where, never by time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine

from dashboard import context, data
from dashboard.state import Filters
from progress.demo import DemoSpec, load_demo_data
from queries.rollups import refresh
from queries.window import Window
from tests.ui.test_pages import TUTORIAL, demo, open_page
from tests.unit.test_text import shown

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every panel read from the database: (panel, the thread that read it)."""
    seen: list[tuple[str, str]] = []
    for name, panel in list(data.PANELS.items()):

        def load(
            e: Engine,
            w: Window,
            t: str | None,
            x: str | None,
            name: str = name,
            inner: data.Loader = panel.load,
        ) -> pd.DataFrame:
            seen.append((name, threading.current_thread().name))
            return inner(e, w, t, x)

        monkeypatch.setitem(data.PANELS, name, data.Panel(panel.statements, load))
    return seen


def this_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def test_a_pages_panels_read_side_by_side_are_the_frames_read_one_by_one(
    engine: Engine, reads: list[tuple[str, str]]
) -> None:
    demo(engine)
    window = Filters("7d").window(datetime.now(UTC))
    wanted = data.PAGE_READS["learning"](window, TUTORIAL)
    futures.wait(data.prefetch("learning", window, TUTORIAL))
    side_by_side = [data._load(*read.key)[0] for read in wanted]
    assert sorted(name for name, _ in reads) == sorted(read.name for read in wanted)
    assert all(thread.startswith("panel-read") for _, thread in reads), reads  # on the pool
    for read, frame in zip(wanted, side_by_side, strict=True):
        one_by_one = data.PANELS[read.name].load(engine, window, TUTORIAL, None)
        pd.testing.assert_frame_equal(frame, one_by_one, obj=read.name)


def test_every_data_page_reads_each_of_its_panels_once_and_draws_them(
    engine: Engine, reads: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROGRESS_OPS_WARM_WINDOWS", "[]")  # the page's own reads only
    demo(engine)
    for page in data.PAGE_READS:
        data.clear()
        reads.clear()
        app = open_page(f"views/{page}.py", window="7d", tutorial=TUTORIAL)
        assert app.dataframe, page
        names = [name for name, _ in reads]
        window = Filters("7d").window(datetime.now(UTC))
        tutorial = TUTORIAL if page in ("learning", "certificates") else None
        prefetched = {read.name for read in data.PAGE_READS[page](window, tutorial)}
        assert set(names) >= prefetched, page
        assert len(names) == len(set(names)), page  # read side by side, yet each only once


def test_the_warm_up_reads_every_pages_default_panels_so_a_new_session_reads_none(
    engine: Engine, reads: list[tuple[str, str]]
) -> None:
    demo(engine)
    pages = [f"views/{page}.py" for page in data.PAGE_READS]
    while True:  # the windows end at the minute's end: warm and open within one minute
        minute = this_minute()
        data.clear()
        reads.clear()
        asked = data.warm()
        warmed = {name for name, _ in reads}
        reads.clear()
        apps = [open_page(page, window=w) for page in pages for w in ("24h", "30d")]
        if this_minute() == minute:
            break
    expected = {
        read.key
        for w in data.WarmSettings().warm_windows
        for page in data.PAGE_READS.values()
        for read in page(Filters(w).window(minute), None)
    }
    assert asked == len(expected)
    assert warmed == set(data.PANELS) - {"funnel", "stop_positions", "stuck"}  # one tutorial's
    assert not [name for name, thread in reads if thread != "rollup-fold"]  # all from the cache
    assert all(app.title for app in apps)


def test_no_warm_up_when_no_window_is_configured(
    engine: Engine, reads: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROGRESS_OPS_WARM_WINDOWS", "[]")
    assert data.warm() == 0
    assert not reads
    monkeypatch.setenv("PROGRESS_OPS_WARM_WINDOWS", '["90d"]')
    with pytest.raises(ValueError, match="unknown windows"):
        data.WarmSettings()


def test_a_page_never_waits_for_a_warm_up_in_progress(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo(engine)
    warming, go_on = threading.Event(), threading.Event()
    at_risk = data.PANELS["at_risk"]

    def held_up(e: Engine, w: Window, t: str | None, x: str | None) -> pd.DataFrame:
        if threading.current_thread().name == "rollup-fold":
            warming.set()
            go_on.wait(timeout=60)
        return at_risk.load(e, w, t, x)

    monkeypatch.setitem(data.PANELS, "at_risk", data.Panel(at_risk.statements, held_up))
    context.background_fold().expire()
    open_page(window="24h")  # starts the fold, then the warm-up on its thread
    assert warming.wait(timeout=60)  # the warm-up is held up in its first Learning read
    for page in ("views/overview.py", "views/certificates.py", "views/api_health.py"):
        assert open_page(page, window="7d").title  # a run waiting for it would time out first
    go_on.set()
    context.background_fold().wait()


def test_the_background_fold_cycles_once_per_request_and_stops(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=5, days=2, seed=3, now=now, api_logs=50))
    monkeypatch.setattr(context, "FOLD_SECONDS", 3600.0)  # no cycle on the clock's half minutes
    fold = context.BackgroundFold()
    cycles: list[str] = []

    def after() -> None:
        cycles.append(threading.current_thread().name)

    fold.request(engine, after)
    fold.wait()
    assert cycles == ["rollup-fold"]
    assert refresh(engine) == 0  # the cycle folded every row
    fold.request(engine, after)  # within FOLD_SECONDS of the last: nothing new
    fold.wait()
    assert len(cycles) == 1
    fold.expire()
    fold.request(engine, after)
    fold.wait()
    assert len(cycles) == 2
    fold.stop()
    fold.wait()
    assert len(cycles) == 2


def test_the_stuck_list_is_a_fragment_so_picking_a_chapter_reruns_only_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AppTest reruns the whole script on every interaction, so this checks the structure — the
    picker and its list are one `st.fragment`, which a browser session reruns alone — and that
    picking a chapter shows that chapter's list."""
    demo(engine)
    fragments: list[str] = []
    fragment = st.fragment

    def recorded(body: Callable[..., None]) -> Callable[..., None]:
        fragments.append(body.__name__)
        return fragment(body)

    monkeypatch.setattr(st, "fragment", recorded)
    app = open_page("views/learning.py", window="7d", tutorial=TUTORIAL)
    assert fragments == ["stuck"]
    picker = next(s for s in app.selectbox if s.label == "Learners stuck at chapter")
    other = next(c for c in picker.options if c != picker.value)
    picker.select(other).run()
    assert not app.exception
    assert any(shown(s.value) == f"Stuck at {other}" for s in app.subheader)
