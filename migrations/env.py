"""Alembic environment: migrates `sqlalchemy.url`, else the configured database, online.

A run that changes the schema leaves an annotation on the dashboard's charts ("schema migrated to
0007") in the same transaction, once the `annotations` table exists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import create_engine, inspect, pool

from progress.annotations import record_schema_migration
from progress.db import database_url
from progress.schema import annotations_table, metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or database_url()
    connectable = create_engine(url, poolclass=pool.NullPool)
    reached: list[str] = []

    def note_step(
        ctx: MigrationContext,
        step: MigrationInfo,
        heads: Collection[Any],
        run_args: Mapping[str, Any],
    ) -> None:
        reached[:] = sorted(heads)

    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, on_version_apply=note_step
        )
        with context.begin_transaction():
            context.run_migrations()
            if reached and inspect(connection).has_table(annotations_table.name):
                record_schema_migration(connection, ", ".join(reached))


run_migrations_online()
