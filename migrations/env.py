"""Alembic environment: migrates `sqlalchemy.url`, else the configured database, online."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from progress.db import database_url
from progress.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or database_url()
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
