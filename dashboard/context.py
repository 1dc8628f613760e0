"""What every page shares: the engine and the service (one per server process), and who is
looking (identity and write access)."""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st
from sqlalchemy import Engine

from dashboard.access import AccessSettings, Decision, Identity, identify, may_write
from progress.db import check_connection, check_schema, is_embedded, open_engine
from progress.service import ProgressService
from queries.rollups import refresh


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> Engine:
    """One engine (and connection pool) per server process; failures are not cached."""
    return open_engine()


_CHECKED = "_database_answered"


def check_database_once() -> None:
    """Raise `DatabaseUnavailable` unless the database answers — on a session's first run only;
    afterwards a lost database shows where a page reads (`widgets.database_guard`), with the same
    message and Retry button, without a round trip on every run."""
    if not st.session_state.get(_CHECKED):
        check_connection(engine())
        check_schema(engine())
        st.session_state[_CHECKED] = True


def forget_database_check() -> None:
    """Check the database again on the next run (after Retry)."""
    st.session_state.pop(_CHECKED, None)


FOLD_SECONDS = 30.0
_log = logging.getLogger(__name__)


class BackgroundFold:
    """Folds new rows into the rollups (`queries.rollups.refresh`) on a thread of its own, at most
    every `FOLD_SECONDS`, so no page run waits for a fold. Every writer folds what it wrote too
    (the API's request logger, `progress-ops demo-data`); this catches the rest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = -FOLD_SECONDS
        self._thread: threading.Thread | None = None

    def request(self, bind: Engine) -> None:
        """Start a fold unless one is running or one started less than `FOLD_SECONDS` ago."""
        with self._lock:
            now = time.monotonic()
            if (self._thread and self._thread.is_alive()) or now - self._started < FOLD_SECONDS:
                return
            self._started = now
            self._thread = threading.Thread(
                target=self._fold, args=(bind,), name="rollup-fold", daemon=True
            )
            self._thread.start()

    def expire(self) -> None:
        """Let the next `request` start a fold at once (after a write from the console)."""
        with self._lock:
            self._started = -FOLD_SECONDS

    def wait(self) -> None:
        """Until the fold under way (if any) has ended."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    @staticmethod
    def _fold(bind: Engine) -> None:
        try:
            refresh(bind)
        except Exception:  # a page's own reads report a lost database; the next fold retries
            _log.exception("folding new rows into the rollups failed")


@st.cache_resource(show_spinner=False)
def background_fold() -> BackgroundFold:
    """The server process's one `BackgroundFold`."""
    return BackgroundFold()


def fold_new_rows() -> None:
    """Fold new rows into the rollups in the background, at most every `FOLD_SECONDS`. (Reads are
    exact without it for the current hour, which they read raw; it keeps them fast, and counts
    rows that arrived late into earlier hours.)"""
    background_fold().request(engine())


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
