"""What every page shares: the engine and service (cached), the sidebar's filters, the identity."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st
from sqlalchemy import Engine

from dashboard.access import AccessSettings, Decision, Identity, may_write
from progress.db import is_embedded, open_engine
from progress.service import ProgressService
from queries.learning import tutorials_statement
from queries.rollups import refresh
from queries.sql import frame
from queries.window import PRESET_LABELS, PRESETS, Window


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> Engine:
    """One engine (and connection pool) per server process; failures are not cached."""
    return open_engine()


@st.cache_data(ttl=30, show_spinner=False)
def fold_new_requests() -> int:
    """Fold new `api_logs` rows into the rollups; at most every 30 s per server process. (Reads
    are exact without it — they read unfolded rows raw — it keeps them fast.)"""
    return refresh(engine())


def service() -> ProgressService:
    return ProgressService(engine())


def clear_query_caches() -> None:
    st.cache_data.clear()


CUSTOM = "custom"


def selected_window() -> Window:
    """The sidebar's window, kept in the URL (`?window=7d`, or `?window=custom&start=2026-11-01
    &end=2026-11-07` for whole UTC days) so a copied link shows the same view."""
    options = [*PRESETS, CUSTOM]
    preset = st.query_params.get("window", "24h")
    choice = st.sidebar.selectbox(
        "Time window",
        options,
        index=options.index(preset) if preset in options else options.index("24h"),
        format_func=lambda key: PRESET_LABELS.get(key, "Custom range"),
    )
    st.query_params["window"] = choice
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if choice != CUSTOM:
        for key in ("start", "end"):
            st.query_params.pop(key, None)
        return Window.last(choice, now=now)
    today = now.date()
    try:
        first = date.fromisoformat(st.query_params.get("start", ""))
        last = date.fromisoformat(st.query_params.get("end", ""))
    except ValueError:
        first, last = today - timedelta(days=6), today
    picked = st.sidebar.date_input("Days (UTC)", value=(first, last), max_value=today)
    if isinstance(picked, tuple) and len(picked) == 2:
        first, last = picked
    st.query_params["start"], st.query_params["end"] = first.isoformat(), last.isoformat()
    start = datetime.combine(first, time.min, tzinfo=UTC)
    return Window(start, datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=1))


@st.cache_data(ttl=300, show_spinner=False)
def _tutorial_ids() -> list[str]:
    return [str(t) for t in frame(engine(), tutorials_statement())["tutorial_id"]]


def selected_tutorial() -> str | None:
    """The sidebar's tutorial filter (`?tutorial=sql-basics`), None for all tutorials."""
    options = ["", *_tutorial_ids()]
    wanted = st.query_params.get("tutorial", "")
    choice = st.sidebar.selectbox(
        "Tutorial",
        options,
        index=options.index(wanted) if wanted in options else 0,
        format_func=lambda t: t or "All tutorials",
    )
    if choice:
        st.query_params["tutorial"] = choice
    else:
        st.query_params.pop("tutorial", None)
    return choice or None


def freshness_and_refresh() -> None:
    """The data's age, and an auto-refresh toggle for monitoring pages."""
    now = datetime.now(UTC)
    st.sidebar.caption(f"Data as of {now:%H:%M:%S} UTC (queries are cached up to 30 s).")
    if not st.sidebar.toggle("Auto-refresh every minute", key="auto_refresh"):
        return
    st.session_state.setdefault("last_refresh", now)

    @st.fragment(run_every=timedelta(seconds=60))
    def tick() -> None:
        # A full rerun also runs this fragment: only a run a minute after the last one reruns.
        if datetime.now(UTC) - st.session_state["last_refresh"] >= timedelta(seconds=55):
            st.session_state["last_refresh"] = datetime.now(UTC)
            st.rerun()

    tick()


def identity() -> Identity:
    settings = AccessSettings()
    try:
        if st.user.is_logged_in:
            name = st.user.get("email") or st.user.get("name")
            if isinstance(name, str):
                return Identity(name, "login")
    except (AttributeError, KeyError):  # no [auth] section configured
        pass
    if settings.trusted_user_header:
        header = st.context.headers.get(settings.trusted_user_header)
        if header:
            return Identity(header, "header")
    if is_embedded():
        typed = st.sidebar.text_input("Your name (for the audit trail)", key="operator").strip()
        if typed:
            return Identity(typed, "typed")
    return Identity(None, "none")


def write_access(who: Identity) -> Decision:
    return may_write(who, support_users=AccessSettings().support_users, embedded=is_embedded())
