"""What every page shares: the engine and the service (one per server process), and who is
looking (identity and write access)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine
from streamlit.logger import get_logger

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
KEEP_WARM_SECONDS = 600.0
_log = get_logger(__name__)  # Streamlit's handler and level: into the server's log


class BackgroundFold:
    """Folds new rows into the rollups (`queries.rollups.refresh`) on a thread of its own, then
    runs `after` (the data layer's warm-up of the default panels), so no page run waits for
    either. A page run asks for a cycle (`request`); one starts at once unless one started less
    than `FOLD_SECONDS` ago. While pages have been run in the last `KEEP_WARM_SECONDS`, the
    thread also cycles by itself just after every half minute of the clock, when the panels'
    windows (which end at the current minute's end) and their 30 s cache entries turn over — so a
    fresh browser on a server in use finds the default panels read. Every writer folds what it
    wrote too (the API's request logger, `progress-ops demo-data`); this catches the rest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due = threading.Event()  # a requested cycle should start now
        self._idle = threading.Event()  # no cycle under way or due
        self._idle.set()
        self._started = -FOLD_SECONDS
        self._requested = -KEEP_WARM_SECONDS
        self._thread: threading.Thread | None = None
        self._bind: Engine | None = None
        self._after: Callable[[], object] | None = None

    def request(self, bind: Engine, after: Callable[[], object] | None = None) -> None:
        """Ask for a cycle (the fold, then `after`) unless one started less than
        `FOLD_SECONDS` ago, and keep cycling for `KEEP_WARM_SECONDS` from now."""
        with self._lock:
            now = time.monotonic()
            self._requested, self._bind, self._after = now, bind, after
            if now - self._started >= FOLD_SECONDS and not self._due.is_set():
                self._idle.clear()
                self._due.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rollup-fold", daemon=True)
                self._thread.start()

    def expire(self) -> None:
        """Let the next `request` start a cycle at once (after a write from the console)."""
        with self._lock:
            self._started = -FOLD_SECONDS

    def wait(self) -> None:
        """Until the cycle under way or due (if any) has ended."""
        self._idle.wait()

    def stop(self) -> None:
        """End the thread after its cycle in progress (tests; a server just exits)."""
        with self._lock:
            self._requested = -KEEP_WARM_SECONDS
            thread = self._thread
        self._due.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            self._due.wait(timeout=FOLD_SECONDS - time.time() % FOLD_SECONDS + 0.5)
            with self._lock:
                if time.monotonic() - self._requested > KEEP_WARM_SECONDS:
                    self._thread = None
                    self._due.clear()
                    self._idle.set()
                    return
                self._due.clear()
                self._idle.clear()
                self._started = time.monotonic()
                bind, after = self._bind, self._after
            assert bind is not None  # set by the `request` that started the thread
            self._cycle(bind, after)
            self._idle.set()

    @staticmethod
    def _cycle(bind: Engine, after: Callable[[], object] | None) -> None:
        started = time.perf_counter()
        try:
            folded = refresh(bind)
            result = after() if after is not None else None
        except Exception:  # a page's own reads report a lost database; the next cycle retries
            _log.exception("folding new rows into the rollups or warming the panels failed")
            return
        _log.info(
            "fold cycle: %d rows folded, then %s, in %.0f ms",
            folded,
            "nothing else" if after is None else f"{after.__name__}: {result}",
            1e3 * (time.perf_counter() - started),
        )


@st.cache_resource(show_spinner=False)
def background_fold() -> BackgroundFold:
    """The server process's one `BackgroundFold`."""
    return BackgroundFold()


def fold_new_rows(after: Callable[[], object] | None = None) -> None:
    """Fold new rows into the rollups in the background, at most every `FOLD_SECONDS`, then run
    `after` there. (Reads are exact without it for the current hour, which they read raw; it
    keeps them fast, and counts rows that arrived late into earlier hours.)"""
    background_fold().request(engine(), after)


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
