"""What every page shares: the engine and service (cached), the sidebar's filters, the identity."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from sqlalchemy import Engine

from dashboard.access import AccessSettings, Decision, Identity, may_write
from progress.db import is_embedded, open_engine
from progress.service import ProgressService
from queries.window import PRESET_LABELS, PRESETS, Window


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> Engine:
    """One engine (and connection pool) per server process; failures are not cached."""
    return open_engine()


def service() -> ProgressService:
    return ProgressService(engine())


def clear_query_caches() -> None:
    st.cache_data.clear()


def selected_window() -> Window:
    """The sidebar's window, kept in the URL (`?window=7d`) so a copied link shows the same."""
    preset = st.query_params.get("window", "24h")
    if preset not in PRESETS:
        preset = "24h"
    choice = st.sidebar.selectbox(
        "Time window",
        list(PRESETS),
        index=list(PRESETS).index(preset),
        format_func=PRESET_LABELS.__getitem__,
    )
    st.query_params["window"] = choice
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return Window.last(choice, now=now)


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
