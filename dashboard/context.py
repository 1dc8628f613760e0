"""What every page shares: the engine and the service (one per server process), and who is
looking (identity and write access)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from dashboard.access import AccessSettings, Decision, Identity, identify, may_write
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
    """Who is looking (the rule is `access.identify`); draws the sidebar's sign-in or sign-out
    button when `[auth]` is configured, and — on the embedded demo database only — the name box."""
    settings = AccessSettings()
    login = None
    if _sign_in_configured():
        if st.user.is_logged_in:
            login = st.user.to_dict()
            st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")
        else:
            st.sidebar.button("Sign in", on_click=st.login, icon=":material/login:")
    header = None
    if settings.trusted_user_header:
        header = st.context.headers.get(settings.trusted_user_header)
    known = identify(login=login, header=header, typed=None)
    if known.name is not None or not is_embedded():
        return known
    typed = st.sidebar.text_input(
        "Your name (for the audit trail)",
        key="operator",
        persist_state="session",
        help="Only on the embedded demo database; elsewhere sign in.",
    )
    return identify(login=None, header=None, typed=typed)


def write_access(who: Identity) -> Decision:
    return may_write(who, support_users=AccessSettings().support_users, embedded=is_embedded())
