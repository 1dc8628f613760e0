"""Every panel's data by name: read through `queries/`, cached for 30 s, with the statements behind
it (for "Show SQL") and the time it was read (for the page's "data as of …").

A panel is read with `load(name, window, tutorial_id, extra)`; `extra` is the one panel-specific
choice some panels take (the chapter of "stuck at"). Cached frames are small aggregates, never raw
rows, so caching them (pickled by `st.cache_data`) is cheap. `clear()` empties every cache after a
console write.

Two things keep a page's first run short:

- `prefetch(page, …)`: before a page draws anything, every panel it reads regardless of the
  data (`PAGE_READS`) that is not cached yet starts on a small thread pool, so the queries run
  side by side; the page's `load` calls, one after another as before, then find each answer
  cached, or wait for the one read under way (Streamlit's per-entry compute lock: a value is
  computed once, whoever asks).
- `warm()`: the background fold (`context.BackgroundFold`) reads every page's panels for the
  sidebar's 24 h, 7 d and 30 d (`WarmSettings`) and all tutorials after each fold, so a fresh
  browser finds them cached.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine
from sqlalchemy.sql import ClauseElement

from dashboard import alerting
from dashboard.context import background_fold, engine
from dashboard.state import Filters
from queries import api_health, certificates, client, learning, overview
from queries.annotations import annotations_statement
from queries.logger_health import request_logger_health
from queries.sql import compiled_sql, frame
from queries.window import PRESETS, Window, utc_midnight

CACHE_SECONDS = 30
Statements = Callable[[Window, str | None, str | None], list[ClauseElement]]
Loader = Callable[[Engine, Window, str | None, str | None], pd.DataFrame]


@dataclass(frozen=True)
class Panel:
    statements: Statements
    load: Loader


def _statement(build: Callable[[Window, str | None, str | None], Any]) -> Panel:
    """A panel that is one statement's result."""
    return Panel(
        statements=lambda w, t, x: [build(w, t, x)],
        load=lambda e, w, t, x: frame(e, build(w, t, x)),
    )


def _tutorial(tutorial_id: str | None) -> str:
    if tutorial_id is None:
        raise ValueError("this panel needs a tutorial")  # pages check before asking
    return tutorial_id


PANELS: dict[str, Panel] = {
    "target_report": Panel(
        statements=lambda w, t, x: [
            statement(window)
            for window in (w, w.previous())
            for statement in (overview.api_metrics_statement, overview.client_metrics_statement)
        ],
        load=lambda e, w, t, x: overview.target_report(e, w),
    ),
    "target_series": Panel(
        statements=lambda w, t, x: list(overview.series_statements(w)),
        load=lambda e, w, t, x: overview.target_series(e, w),
    ),
    "daily_targets": Panel(
        statements=lambda w, t, x: [
            overview.api_metrics_statement(w, by_day=True),
            overview.client_metrics_statement(w, by_day=True),
        ],
        load=lambda e, w, t, x: overview.daily_target_values(e, w),
    ),
    "annotations": _statement(lambda w, t, x: annotations_statement(w)),
    "endpoints": _statement(lambda w, t, x: api_health.endpoint_table_statement(w)),
    "api_timeline": _statement(lambda w, t, x: api_health.timeline_statement(w)),
    "migration_failures": _statement(lambda w, t, x: client.migration_failures_statement(w)),
    "fallbacks_by_operation": _statement(
        lambda w, t, x: client.fallbacks_by_operation_statement(w)
    ),
    "awards_per_day": _statement(
        lambda w, t, x: certificates.awards_per_day_statement(w, tutorial_id=t)
    ),
    "awards_by_tutorial": _statement(
        lambda w, t, x: certificates.awards_by_tutorial_statement(w, tutorial_id=t)
    ),
    "daily_active_tutorials": _statement(
        lambda w, t, x: learning.daily_active_tutorials_statement(w, t)
    ),
    "active_learners": _statement(lambda w, t, x: learning.active_learners_per_day_statement(w, t)),
    "completion": _statement(lambda w, t, x: learning.completion_distribution_statement(w, t)),
    "time_to_certificate": _statement(lambda w, t, x: learning.time_to_certificate_statement(w, t)),
    "quizzes": _statement(lambda w, t, x: learning.quiz_results_statement(w, t)),
    "at_risk": _statement(lambda w, t, x: learning.at_risk_statement(w, t)),
    "funnel": _statement(lambda w, t, x: learning.chapter_funnel_statement(w, _tutorial(t))),
    "stop_positions": _statement(
        lambda w, t, x: learning.stop_positions_statement(w, _tutorial(t))
    ),
    "stuck": _statement(
        lambda w, t, x: learning.stuck_learners_statement(w, _tutorial(t), x or "")
    ),
}


@dataclass(frozen=True)
class Read:
    """One panel read: what `load` is called with."""

    name: str
    window: Window
    tutorial_id: str | None = None
    extra: str | None = None

    @property
    def key(self) -> tuple[str, datetime, datetime, str | None, str | None]:
        return (self.name, self.window.start, self.window.end, self.tutorial_id, self.extra)


GRID_DAYS = timedelta(days=7)


def grid_days(window: Window) -> Window:
    """The Overview's day grid: whole UTC days up to the window's end, at least the last week's."""
    return Window(utc_midnight(min(window.start, window.end - GRID_DAYS)), window.end)


def _reads(*names: str) -> Callable[[Window, str | None], list[Read]]:
    """The panels `names` for the window and the sidebar's tutorial (None on pages without the
    tutorial filter, as their `load` calls pass)."""
    return lambda w, t: [Read(name, w, t) for name in names]


def _learning(window: Window, tutorial_id: str | None) -> list[Read]:
    names = ["daily_active_tutorials", "active_learners", "completion", "time_to_certificate"]
    names += ["quizzes", "at_risk"]
    if tutorial_id is not None:  # the chapter funnel; "stuck at" waits for the funnel's drop
        names += ["funnel", "stop_positions"]
    return [Read(name, window, tutorial_id) for name in names]


# Per page (`data_page(reads=…)`): the panels it reads whatever the data, for a window and the
# sidebar's tutorial (None: all; pages without the filter ignore it).
PAGE_READS: dict[str, Callable[[Window, str | None], list[Read]]] = {
    "overview": lambda w, t: [
        Read("target_report", w),
        Read("target_series", w),
        Read("daily_targets", grid_days(w)),
        Read("annotations", w),
    ],
    "api_health": _reads("endpoints", "api_timeline", "annotations"),
    "migration": _reads(
        "target_series", "annotations", "migration_failures", "fallbacks_by_operation"
    ),
    "learning": _learning,
    "certificates": _reads("awards_per_day", "awards_by_tutorial"),
}


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=500)
def _load(
    name: str, start: datetime, end: datetime, tutorial_id: str | None, extra: str | None
) -> tuple[pd.DataFrame, datetime]:
    data = PANELS[name].load(engine(), Window(start, end), tutorial_id, extra)
    return data, datetime.now(UTC)


def _read(read: Read) -> None:
    with contextlib.suppress(Exception):  # the page's own `load` reads it again, shows the error
        _load(*read.key)


# Side by side, at most this many reads: each holds one of the engine's pooled connections (pool
# size 5, overflow 10) while its query runs.
PREFETCH_THREADS = 4
_POOL = ThreadPoolExecutor(max_workers=PREFETCH_THREADS, thread_name_prefix="panel-read")


def prefetch(page: str, window: Window, tutorial_id: str | None) -> list[Future[None]]:
    """Start reading the page's panels (`PAGE_READS`) side by side; returns at once (pages need
    not wait: their `load` does). A read already cached costs its worker a cache lookup."""
    return [_POOL.submit(_read, read) for read in PAGE_READS[page](window, tutorial_id)]


class WarmSettings(BaseSettings):
    """`PROGRESS_OPS_WARM_WINDOWS`: the sidebar's presets whose panels `warm` reads, a JSON list
    (`'[]'`: none)."""

    model_config = SettingsConfigDict(env_prefix="PROGRESS_OPS_", extra="ignore")

    warm_windows: list[str] = ["24h", "7d", "30d"]

    @field_validator("warm_windows")
    @classmethod
    def _presets(cls, windows: list[str]) -> list[str]:
        if unknown := [w for w in windows if w not in PRESETS]:
            raise ValueError(f"unknown windows {unknown}; use some of {list(PRESETS)}")
        return windows


def warm(now: datetime | None = None) -> int:
    """Read every page's panels for the warm windows (`WarmSettings`), all tutorials, as the
    sidebar's presets make them at `now` — plus the sidebar's tutorial list, the request log's
    health and the firing alerts — into the caches (on the background fold's thread, one read
    after another: nobody waits for it). How many panel reads it asked for (read from the
    database unless cached)."""
    windows = WarmSettings().warm_windows
    if not windows:
        return 0
    now = now or datetime.now(UTC)
    reads = {
        read.key: read
        for choice in windows
        for page in PAGE_READS.values()
        for read in page(Filters(choice).window(now), None)
    }
    for read in reads.values():
        _load(*read.key)
    tutorial_ids()
    request_log_problems()
    alerting.open_alerts(alerting.now())
    return len(reads)


_READ_TIMES = "_data_read_times"


def start_reading() -> None:
    """Forget the read times of the previous run; a page calls this before its first `load`."""
    st.session_state[_READ_TIMES] = []


def load(
    name: str, window: Window, tutorial_id: str | None = None, extra: str | None = None
) -> pd.DataFrame:
    """The panel's data (a copy the caller may change), read at most `CACHE_SECONDS` ago."""
    data, read_at = _load(name, window.start, window.end, tutorial_id, extra)
    st.session_state.setdefault(_READ_TIMES, []).append(read_at)
    return data


def oldest_read() -> datetime | None:
    """When the oldest data shown in this run was read from the database."""
    times: list[datetime] = st.session_state.get(_READ_TIMES, [])
    return min(times) if times else None


def sql(
    name: str, window: Window, tutorial_id: str | None = None, extra: str | None = None
) -> list[str]:
    """The panel's statements as PostgreSQL runs them, values written in."""
    return [compiled_sql(s) for s in PANELS[name].statements(window, tutorial_id, extra)]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def request_log_problems() -> list[str]:
    """What the API's request loggers report wrong (`queries.logger_health`): dropped rows, a
    logger gone quiet or failing to write — each means the request figures may undercount."""
    return request_logger_health(engine()).problems()


@st.cache_data(ttl=60, show_spinner=False)
def tutorial_ids() -> list[str]:
    """Every tutorial with progress, for the sidebar's filter."""
    return [str(t) for t in frame(engine(), learning.tutorials_statement())["tutorial_id"]]


def clear() -> None:
    """Empty every query cache and fold on the next run (after a console write, so every page
    shows the new state)."""
    st.cache_data.clear()
    background_fold().expire()
