"""Pieces every page uses: the shared sidebar, the page frame (title, "data as of", auto-refresh),
table panels with "Show SQL" and a CSV download that records its filters, empty states, and the
database error banner with its Retry button."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from sqlalchemy.exc import DBAPIError

from dashboard import data
from dashboard.context import engine, forget_database_check
from dashboard.state import (
    CUSTOM,
    DEFAULT_WINDOW,
    WINDOW_CHOICES,
    Filters,
    custom_days,
    export_csv,
    export_name,
    window_label,
)
from dashboard.text import literal
from progress.db import explain
from progress.errors import DatabaseUnavailable, EmbeddedServerFailed, ProgressError
from queries.window import Window

REFRESH_EVERY = timedelta(seconds=60)
MAX_ROWS = 25  # a table taller than this scrolls inside
_FILTERS = "_filters"
_CUSTOM_RANGE = "_custom_range"


# -- the sidebar -------------------------------------------------------------------------------


def sidebar_filters(*, window: bool, tutorial: bool, refresh: bool) -> Filters:
    """Draw the sidebar's filters a page uses and remember them for the page (`page_filters`).

    The window and tutorial are read from the URL on a session's first run and written back on
    every run (`?window=7d&tutorial=sql-basics`), so a copied link reproduces the view. They are
    drawn by the entry script with their state kept for the session, so they survive page
    switches (which clear the URL's parameters).
    """
    _apply_next_selection()
    choice, first, last = DEFAULT_WINDOW, None, None
    if window:
        from_url("window", lambda v: v if v in WINDOW_CHOICES else DEFAULT_WINDOW)
        choice = st.sidebar.selectbox(
            "Time window",
            WINDOW_CHOICES,
            format_func=window_label,
            key="window",
            persist_state="session",
        )
        to_url("window", choice, default=DEFAULT_WINDOW)
        if choice == CUSTOM:
            first, last = _custom_range()
        else:
            for key in ("start", "end"):
                st.query_params.pop(key, None)
    tutorial_id = _tutorial_filter() if tutorial else None
    if refresh:
        st.sidebar.toggle("Auto-refresh every minute", key="auto_refresh", persist_state="session")
    filters = Filters(choice, first, last, tutorial_id, by_tutorial=tutorial)
    st.session_state[_FILTERS] = filters
    return filters


_NEXT_SELECTION = "_next_selection"


def select_next_run(user_id: str, tutorial_id: str) -> None:
    """Show this learner and tutorial on the next run (the widgets holding them are drawn by
    then, so their state can only change before the next run draws them)."""
    st.session_state[_NEXT_SELECTION] = (user_id, tutorial_id)


def _apply_next_selection() -> None:
    if selection := st.session_state.pop(_NEXT_SELECTION, None):
        st.session_state["user"], st.session_state["tutorial"] = selection


def from_url(key: str, parse: Callable[[str | None], object]) -> None:
    """Seed a widget's state from the URL's `key` on the session's first run."""
    if key not in st.session_state:
        st.session_state[key] = parse(st.query_params.get(key))


def to_url(key: str, value: str | None, *, default: str | None = None) -> None:
    """Keep the URL's `key` equal to a widget's value (absent when it is the default)."""
    if value is None or value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _custom_range() -> tuple[date, date]:
    """Whole UTC days; written to the URL as `start`/`end`, so links carry them."""
    today = datetime.now(UTC).date()
    first, last = st.session_state.get(_CUSTOM_RANGE) or custom_days(
        st.query_params.get("start"), st.query_params.get("end"), today=today
    )
    picked = st.sidebar.date_input(
        "Days (UTC, both included)",
        value=(first, last),
        max_value=today,
        key="custom_days",
        persist_state="session",
    )
    if isinstance(picked, tuple | list) and len(picked) == 2:  # one day while picking the second
        first, last = picked
    st.session_state[_CUSTOM_RANGE] = (first, last)
    to_url("start", first.isoformat())
    to_url("end", last.isoformat())
    return first, last


def _tutorial_filter() -> str | None:
    from_url("tutorial", lambda v: v or "")
    options = ["", *data.tutorial_ids()]  # "": all tutorials (None would read as no choice)
    # A tutorial newer than the cached list (or a link's, or the console's) stays selectable.
    wanted = st.session_state.get("tutorial")
    if wanted and wanted not in options:
        options.append(wanted)
    choice: str = st.sidebar.selectbox(
        "Tutorial",
        options,
        format_func=lambda t: t or "All tutorials",
        key="tutorial",
        persist_state="session",
    )
    to_url("tutorial", choice, default="")
    return choice or None


def page_filters() -> Filters:
    return st.session_state.get(_FILTERS) or Filters()


# -- the page frame ----------------------------------------------------------------------------


def data_page(
    title: str,
    render: Callable[[Filters, Window], None],
    *,
    note: str = "",
    refreshable: bool = False,
    reads: str | None = None,
) -> None:
    """Title, a caption with the window, filters and the data's age, then `render` — after
    starting the reads of `data.PAGE_READS[reads]` side by side (`data.prefetch`).

    With auto-refresh on (monitoring pages), the body is a fragment rerun every minute: the window
    moves on with the clock and the cache (30 s) has expired, so the numbers are current.
    """
    filters = page_filters()

    def body() -> None:
        window = filters.window(datetime.now(UTC))
        if reads is not None:
            data.prefetch(reads, window, filters.tutorial_id)
        data.start_reading()
        st.title(title)
        caption = st.empty()
        with database_guard():
            render(filters, window)
        read = data.oldest_read()
        parts = [literal(filters.describe(window)), note]
        if read is not None:
            parts.append(f"data as of {read:%H:%M:%S} UTC")
        if refreshable and (problems := data.request_log_problems()):
            parts.append(":red[request log: figures may undercount]")
            st.warning(
                "Not every API request reaches the request log: "
                + "; ".join(literal(problem) for problem in problems)
                + ". See `progress-ops check` and the API's `/health`.",
                icon=":material/report:",
            )
        caption.caption(" · ".join(part for part in parts if part))

    if refreshable and st.session_state.get("auto_refresh"):
        st.fragment(body, run_every=REFRESH_EVERY)()
    else:
        body()


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn a lost database into one clear message with a Retry button, and any other
    `ProgressError` into its message — never a traceback."""
    try:
        yield
    except DBAPIError as error:
        show_error(explain(error, engine()))
    except ProgressError as error:
        show_error(error)


def show_error(error: ProgressError) -> None:
    """A database that cannot serve this page gets a Retry button; any other error its message."""
    if isinstance(error, DatabaseUnavailable | EmbeddedServerFailed):
        database_error(error)
    else:
        st.error(literal(error.message), icon=":material/error:")


def database_error(error: ProgressError) -> None:
    st.error(error.message, icon=":material/cloud_off:")
    if st.button("Retry", type="primary", key="retry_database"):
        engine.clear()  # a new engine: a new pool, and the embedded server started again
        forget_database_check()
        data.clear()
        st.rerun(scope="app")


# -- panels ------------------------------------------------------------------------------------


def empty_state(message: str) -> None:
    """Instead of an empty chart or table: what is missing and what to change (as text: it may
    quote an id)."""
    st.info(literal(message), icon=":material/search_off:")


def show_sql(
    name: str,
    window: Window,
    tutorial_id: str | None = None,
    extra: str | None = None,
    *,
    label: str = "Show SQL",
) -> None:
    """The panel's SQL in an expander whose code is only built and sent once it is opened (a
    closed expander's code would cost every run the compiling, and the browser the highlighter)."""
    expander = st.expander(label, icon=":material/code:", key=f"sql-{name}", on_change="rerun")
    if expander.open:
        with expander:
            for statement in data.sql(name, window, tutorial_id, extra):
                st.code(statement, language="sql")


def column_label(name: str) -> str:
    """A column's name as people say it: `last_watched_at` → "last watched at", `user_id` →
    "user"."""
    return name.removesuffix("_id").replace("_", " ")


def table(
    frame: pd.DataFrame | Styler,
    *,
    column_config: Mapping[str, Any] | None = None,
    max_rows: int = MAX_ROWS,
    key: str | None = None,
) -> None:
    """A table showing every row up to `max_rows` without inner scrolling; columns not given a
    label in `column_config` are labelled by `column_label`."""
    shown = frame.data if isinstance(frame, Styler) else frame  # type: ignore[attr-defined]
    config: dict[str, Any] = {str(c): column_label(str(c)) for c in shown.columns}
    for name, setting in (column_config or {}).items():
        if isinstance(setting, dict) and not setting.get("label"):
            setting = {**setting, "label": column_label(name)}
        config[name] = setting
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= max_rows else 35 * (max_rows + 1) + 3,
        column_config=config,
        key=key,
    )


def csv_download(
    frame: pd.DataFrame,
    name: str,
    *,
    title: str,
    window: Window | None,
    header: Mapping[str, str],
    details: Sequence[str] = (),
) -> None:
    """A CSV whose file name and first lines record the window and filters it was made with."""
    st.download_button(
        "Download CSV",
        export_csv(frame, {"table": title, **header}, exported_at=datetime.now(UTC)),
        file_name=export_name(name, window, details),
        mime="text/csv",
        key=f"csv-{name}",
        icon=":material/download:",
    )


def table_panel(
    title: str,
    name: str,
    filters: Filters,
    window: Window,
    *,
    empty: str,
    tutorial_id: str | None = None,
    extra: str | None = None,
    column_config: Mapping[str, Any] | None = None,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    caption: str = "",
) -> pd.DataFrame:
    """A titled table with its CSV download and its SQL; the empty state when there are no rows.

    `prepare` adds display columns (links, labels) to what is shown, not to what is exported. A
    long list says how many rows it has, and — when the query stops at a limit and counts every
    match in `total_rows` — of how many.
    """
    st.subheader(literal(title))
    frame = data.load(name, window, tutorial_id, extra)
    if caption and not frame.empty:
        st.caption(caption)
    if frame.empty:
        empty_state(empty)
    else:
        if "total_rows" in frame.columns:
            total = int(frame["total_rows"].iloc[0])
            frame = frame.drop(columns="total_rows")
        else:
            total = len(frame)
        if total > len(frame):
            st.caption(f"The first {len(frame):,} of {total:,} (the table scrolls).")
        elif total > MAX_ROWS:
            st.caption(f"All {total:,} rows (the table scrolls).")
        table(prepare(frame) if prepare else frame, column_config=column_config, key=f"t-{name}")
        csv_download(
            frame,
            name,
            title=title,
            window=window,
            header=export_header(filters, window, extra),
            details=[d for d in (tutorial_id, extra) if d],
        )
    show_sql(name, window, tutorial_id, extra)
    return frame


def export_header(filters: Filters, window: Window, extra: str | None = None) -> dict[str, str]:
    header = {"window": filters.describe(window)}
    if extra:
        header["chosen"] = extra
    return header
