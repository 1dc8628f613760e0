"""What every page shares: the engine and the service (one per server process), and who is
looking (identity and write access)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from dashboard.access import AccessSettings, Decision, Identity, may_write
from progress.db import is_embedded, open_engine
from progress.service import ProgressService
from queries.rollups import refresh


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


def _sign_in_configured() -> bool:
    """Whether `[auth]` is in `.streamlit/secrets.toml` (Streamlit's OIDC sign-in)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def identity() -> Identity:
    """Who is looking: the `st.login` user, else the reverse proxy's trusted header, else (on the
    embedded demo database only) a name typed in the sidebar. Draws the sidebar's sign-in."""
    settings = AccessSettings()
    if _sign_in_configured():
        if st.user.is_logged_in:
            name = st.user.get("email") or st.user.get("name")
            st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")
            if isinstance(name, str):
                return Identity(name, "login")
        else:
            st.sidebar.button("Sign in", on_click=st.login, icon=":material/login:")
    if settings.trusted_user_header:
        header = st.context.headers.get(settings.trusted_user_header)
        if header:
            return Identity(header, "header")
    if is_embedded():
        typed = st.sidebar.text_input(
            "Your name (for the audit trail)",
            key="operator",
            persist_state="session",
            help="Only on the embedded demo database; elsewhere sign in.",
        ).strip()
        if typed:
            return Identity(typed, "typed")
    return Identity(None, "none")


def write_access(who: Identity) -> Decision:
    return may_write(who, support_users=AccessSettings().support_users, embedded=is_embedded())
