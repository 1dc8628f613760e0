"""A request logger's report as the API's `RequestLog` writes it to `request_log_health`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from progress.schema import request_log_health


def report_dropped_rows(engine: Engine, dropped: int, *, at: datetime, written: int = 100) -> None:
    """Logger "api-1", started an hour before `at`, reports at `at` that it dropped `dropped`."""
    with engine.begin() as connection:
        connection.execute(
            insert(request_log_health).values(
                instance_id="api-1",
                host="web-1",
                pid=4242,
                started_at=at - timedelta(hours=1),
                reported_at=at,
                last_flush_at=at,
                rows_pending=0,
                rows_written=written,
                rows_dropped=dropped,
            )
        )
