"""Is every API request being logged? What the API's request loggers report about themselves.

Each request logger (one per API worker process, `progress.request_log.RequestLog`) upserts its
row of `request_log_health` after every write and at least every 30 s while it runs, and once more
when it stops. From those rows:

- **dropped rows** — rows a logger could not store (the database refused them, or its buffer
  overflowed during an outage): the API answered those requests but `api_logs` lacks them, so
  the latency and error figures undercount;
- **stale** — a logger that has not stopped but has not reported for `stale_after` (default
  2 minutes, four report intervals): it is stuck, its process was killed, or it cannot reach the
  database; its requests may not be reaching `api_logs`;
- **failing** — a logger whose last error is newer than its last successful write (it is
  retrying).

Only loggers that reported within `window` (default one day) count, so a process killed long ago
stops being reported (its row is removed by the next logger to start, after 7 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Select, select

from progress.schema import request_log_health

STALE_AFTER = timedelta(minutes=2)
WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class LoggerReport:
    instance_id: str
    host: str
    pid: int
    started_at: datetime
    reported_at: datetime
    last_flush_at: datetime | None
    stopped_at: datetime | None
    rows_pending: int
    rows_written: int
    rows_dropped: int
    last_error: str | None
    last_error_at: datetime | None
    stale: bool

    @property
    def failing(self) -> bool:
        return self.last_error_at is not None and (
            self.last_flush_at is None or self.last_error_at > self.last_flush_at
        )


@dataclass(frozen=True)
class LoggerHealth:
    loggers: list[LoggerReport]

    @property
    def rows_dropped(self) -> int:
        return sum(logger.rows_dropped for logger in self.loggers)

    @property
    def stale(self) -> list[LoggerReport]:
        return [logger for logger in self.loggers if logger.stale]

    @property
    def ok(self) -> bool:
        """No logger dropped a row, none is stale, none is failing."""
        return not self.problems()

    def problems(self) -> list[str]:
        """One sentence per problem, for a person (empty when all is well)."""
        problems: list[str] = []
        if self.rows_dropped:
            problems.append(
                f"{self.rows_dropped:,} API requests were answered but not logged "
                "(request figures undercount)"
            )
        for logger in self.loggers:
            if logger.stale:
                problems.append(
                    f"request logger {logger.instance_id} has not reported since "
                    f"{logger.reported_at:%Y-%m-%d %H:%M} UTC"
                )
            elif logger.failing:
                problems.append(
                    f"request logger {logger.instance_id} cannot write: {logger.last_error}"
                )
        return problems


def logger_health_statement(*, now: datetime, window: timedelta = WINDOW) -> Select[tuple[object]]:
    """The loggers that reported within `window` before `now`, most recent first."""
    health = request_log_health.c
    return (
        select(request_log_health)
        .where(health.reported_at >= now - window)
        .order_by(health.reported_at.desc(), health.instance_id)
    )


def request_logger_health(
    engine_or_connection: Engine | Connection,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    window: timedelta = WINDOW,
) -> LoggerHealth:
    """Whether any request logger reports dropped rows, a stale report or a failing write."""
    now = now or datetime.now(UTC)
    statement = logger_health_statement(now=now, window=window)
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            rows = connection.execute(statement).mappings().all()
    else:
        rows = engine_or_connection.execute(statement).mappings().all()
    return LoggerHealth(
        [
            LoggerReport(
                **dict(row),
                stale=row["stopped_at"] is None and now - row["reported_at"] > stale_after,
            )
            for row in rows
        ]
    )
