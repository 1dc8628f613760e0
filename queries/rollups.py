"""Rollups of the append-only tables, kept current incrementally, and how a window reads them.

Why: a 30-day aggregate over 10M raw rows takes seconds (PERFORMANCE.md); the same question over
rollups reads a few thousand rows. What is kept (tables in `progress.schema`):

- `api_logs` → `api_log_hours` (per hour and endpoint: requests, 4xx, 5xx, latency sum) and
  `api_log_latency_bins` (latency histograms per endpoint, and for all progress endpoints
  together under `ALL_ENDPOINTS`, for periods of 1, 6 and 24 hours; `queries.histogram`);
- `client_events` → `client_event_hours` (per hour, kind, outcome, operation and reason: events
  and records carried);
- per minute, for the short windows of burn-rate alerts (`queries.slo`): `api_logs` →
  `api_log_minutes` (as `api_log_hours`, plus the requests faster than each of
  `FAST_THRESHOLDS_MS`), `client_events` → `client_event_minutes` (events per kind and outcome);
- `progress_events` → `learner_days`, `learner_tutorial_days` (who was active on which UTC day).

Counts, sums and the sets of active learners are exact; percentiles are within the bound
`queries.histogram` states.

**Folding (`refresh`).** Each source is folded by id from a watermark (`rollup_watermarks`): the
rows with `last_id < id <= upper` are grouped and added with `INSERT … SELECT … GROUP BY … ON
CONFLICT DO UPDATE`, and the watermark moves to `upper`, in one transaction. No triggers on the
source tables (a row-level trigger made ingest 2.7× slower; PERFORMANCE.md).

**The classic watermark bug**, and how `upper` avoids it: ids are handed out when a row is
inserted, not when its transaction commits, so a transaction that took id 100 can commit after
one that took id 101. A fold that read up to 101 while 100 was still invisible would move past
100 and never count it. So `upper` is the highest visible id, read together with the
transactions then holding a write lock on the table (`pg_locks`), and the fold waits until those
transactions have ended — by looking again, never by taking a lock. Every id up to `upper` was
taken by a transaction that already held its write lock when `upper` was read (ids only grow, and
a writer locks the table before taking one), so once those have ended every such id is committed
or rolled back, and the fold's next statements see it. Writers never wait for a fold, whatever
holds the table (a vacuum, an `ANALYZE`): the fold takes no lock they could queue behind. It
waits at most `WRITER_WAIT_MS` — when a long insert (a bulk load) is in flight, the table is simply
not folded this time. A transaction-level advisory lock lets one refresh fold at a time, so no
row is folded twice; a refresh that finds another one running returns at once.

**Reading (`HourSplit`).** The whole hours of a window are read from the rollup, the partial
hours at its ends from the raw rows. The current hour is always such an end, so new rows count at
once; a row that lands in an *earlier* hour after that hour was folded (a late flush, a bulk load)
counts from the next `refresh` — which every writer of these tables runs (`progress-ops
demo-data` after loading, the API's request logger at most every 5 s), the dashboard in the
background at most every 30 s, and `progress-ops check` before reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Executable,
    SmallInteger,
    Table,
    and_,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import (
    FAST_THRESHOLDS_MS,
    api_log_hours,
    api_log_latency_bins,
    api_log_minutes,
    api_logs,
    chapter_progress,
    client_event_hours,
    client_event_minutes,
    client_events,
    learner_days,
    learner_tutorial_days,
    progress_events,
    rollup_watermarks,
    tutorial_progress,
)
from queries.histogram import ORIGIN, SPANS, fast_edge_ms, latency_bin

ALL_ENDPOINTS = ("*", "*")  # (method, endpoint) of the histograms of every progress endpoint
LOCK_TIMEOUT_MS = 200  # the longest a fold waits for a lock (summarizing BRIN ranges)
WRITER_WAIT_MS = 200  # the longest a fold waits for the inserts in flight when it starts
_WRITER_POLL_SECONDS = 0.002
_ADVISORY_LOCK = 712_304_001
_LOCK_NOT_AVAILABLE = "55P03"
# The virtual transaction ids of the other sessions holding a lock that lets them insert into the
# table (an INSERT or COPY takes ROW EXCLUSIVE before it takes an id); a vacuum's lock is not one.
_WRITERS = text("""
    SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}')
    FROM pg_locks
    WHERE locktype = 'relation'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation = to_regclass(:table)
      AND mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
                   'AccessExclusiveLock')
      AND granted
      AND pid IS DISTINCT FROM pg_backend_pid()  -- a prepared transaction has no pid
""")
Fold = Callable[[Connection, Any], None]  # (connection, condition selecting the new rows)


def utc_trunc(unit: str, column: Any) -> Any:
    """`date_trunc` in UTC, whatever the session's time zone (never `DATE(ts)`)."""
    return func.date_trunc(unit, column, "UTC")


def refresh(bind: Engine | Connection) -> int:
    """Fold every source's rows not folded yet into the rollups; returns how many ids were folded
    (the rows, unless some inserts were rolled back). Idempotent and cheap when nothing is new;
    safe to call from several processes at once: while one refresh folds, another returns 0 at
    once instead of waiting (a page render never waits for a big fold).

    With an `Engine`, folds in a transaction of its own. With a `Connection` (READ COMMITTED, the
    default), folds in its transaction — committed when the caller commits.
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            return _refresh(connection)
    if bind.in_transaction():
        return _refresh(bind)
    with bind.begin():
        return _refresh(bind)


def _refresh(connection: Connection) -> int:
    if not connection.execute(select(func.pg_try_advisory_xact_lock(_ADVISORY_LOCK))).scalar():
        return 0  # another refresh is folding; what it does not reach, the next call folds
    folded = sum(
        _fold_new_rows(connection, table, fold)
        for table, fold in (
            (api_logs, _fold_api_logs),
            (client_events, _fold_client_events),
            (progress_events, _fold_learner_days),
        )
    )
    # Raw reads at the windows' ends find new pages by their BRIN ranges: summarize them now
    # (autosummarize would, later). Skipped when a vacuum holds the index. The summaries stay
    # when the savepoint is rolled back: index pages are not undone.
    _briefly_locked(connection, select(func.brin_summarize_new_values("ix_api_logs_timestamp")))
    return folded


def _fold_new_rows(connection: Connection, table: Table, fold: Fold) -> int:
    watermark = pg_insert(rollup_watermarks).values(name=table.name, last_id=0)
    connection.execute(watermark.on_conflict_do_nothing())
    lower = connection.execute(
        select(rollup_watermarks.c.last_id).where(rollup_watermarks.c.name == table.name)
    ).scalar_one()
    upper = _committed_upper(connection, table)
    if upper is None or upper <= lower:
        return 0
    fold(connection, and_(table.c.id > lower, table.c.id <= upper))
    connection.execute(
        rollup_watermarks.update()
        .where(rollup_watermarks.c.name == table.name)
        .values(last_id=upper)
    )
    return int(upper - lower)


def _committed_upper(connection: Connection, table: Table) -> int | None:
    """The highest id of `table` with every id up to it committed or rolled back (None: its
    writers did not finish within `WRITER_WAIT_MS`). See the module's docstring."""
    upper = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    writers = set(connection.execute(_WRITERS, {"table": table.name}).scalar_one())
    deadline = time.monotonic() + WRITER_WAIT_MS / 1e3
    while writers:
        if time.monotonic() > deadline:
            return None
        time.sleep(_WRITER_POLL_SECONDS)
        still = connection.execute(_WRITERS, {"table": table.name}).scalar_one()
        writers &= set(still)
    return int(upper)


def _briefly_locked(connection: Connection, *statements: Executable) -> list[Any] | None:
    """Run `statements` in a savepoint, waiting at most `LOCK_TIMEOUT_MS` for any lock, then roll
    the savepoint back, which releases the locks they took. Returns each statement's first value
    (None for those returning no rows), or None when a lock was not granted in time."""
    values: list[Any] = []
    try:
        with connection.begin_nested() as savepoint:
            connection.execute(
                select(func.set_config("lock_timeout", f"{LOCK_TIMEOUT_MS}ms", True))
            )
            for statement in statements:
                result = connection.execute(statement)
                values.append(result.scalar() if result.returns_rows else None)
            savepoint.rollback()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return None
        raise
    return values


def _fold_api_logs(connection: Connection, new_rows: Any) -> None:
    _fold_request_counts(connection, new_rows)
    bin_ = latency_bin(api_logs.c.response_time_ms).label("bin")
    progress_only = tuple_(api_logs.c.method, api_logs.c.endpoint).in_(list(PROGRESS_ENDPOINTS))
    for span in SPANS:
        period = func.date_bin(
            literal(timedelta(hours=span)), api_logs.c.timestamp, literal(ORIGIN)
        ).label("period")
        per_endpoint = (
            select(period, api_logs.c.method, api_logs.c.endpoint, bin_, func.count())
            .where(new_rows)
            .group_by(period, api_logs.c.method, api_logs.c.endpoint, bin_)
        )
        method, endpoint = ALL_ENDPOINTS
        every_progress_endpoint = (
            select(period, literal(method), literal(endpoint), bin_, func.count())
            .where(new_rows, progress_only)
            .group_by(period, bin_)
        )
        for rows in (per_endpoint, every_progress_endpoint):
            bins = pg_insert(api_log_latency_bins).from_select(
                ["period", "method", "endpoint", "bin", "requests", "span_hours"],
                rows.add_columns(literal(span, SmallInteger)),
            )
            connection.execute(
                bins.on_conflict_do_update(
                    index_elements=["span_hours", "period", "method", "endpoint", "bin"],
                    set_={"requests": api_log_latency_bins.c.requests + bins.excluded.requests},
                )
            )


def _fold_request_counts(connection: Connection, new_rows: Any) -> None:
    """`api_log_minutes` and `api_log_hours` in one statement: the new rows are grouped per minute
    once, those minutes are added to `api_log_minutes`, and their sums per hour to
    `api_log_hours` — so the minute level replaces the hours' own pass over the raw rows instead
    of adding one (docs/benchmarks.md measures what it costs)."""
    latency = api_logs.c.response_time_ms
    minute = func.date_bin(literal(timedelta(minutes=1)), api_logs.c.timestamp, literal(ORIGIN))
    counts = ["requests", "errors_4xx", "errors_5xx", "latency_sum_ms"]
    fast = [f"faster_than_{ms}ms" for ms in FAST_THRESHOLDS_MS]
    per_minute = (
        select(
            minute.label("minute"),
            api_logs.c.method,
            api_logs.c.endpoint,
            func.count().label("requests"),
            func.count().filter(api_logs.c.status_code.between(400, 499)).label("errors_4xx"),
            func.count().filter(api_logs.c.status_code >= 500).label("errors_5xx"),
            func.sum(latency).label("latency_sum_ms"),
            *[
                func.count().filter(latency < fast_edge_ms(ms)).label(name)
                for ms, name in zip(FAST_THRESHOLDS_MS, fast, strict=True)
            ],
        )
        .where(new_rows)
        .group_by(minute, api_logs.c.method, api_logs.c.endpoint)
        .cte("per_minute")
    )
    minutes = pg_insert(api_log_minutes).from_select(
        ["minute", "method", "endpoint", *counts, *fast], select(per_minute)
    )
    added_minutes = minutes.on_conflict_do_update(
        index_elements=["minute", "method", "endpoint"],
        set_={name: api_log_minutes.c[name] + minutes.excluded[name] for name in counts + fast},
    ).cte("added_minutes")
    hour = utc_trunc("hour", per_minute.c.minute).label("hour")
    hours = pg_insert(api_log_hours).from_select(
        ["hour", "method", "endpoint", *counts],
        select(
            hour,
            per_minute.c.method,
            per_minute.c.endpoint,
            *[func.sum(per_minute.c[name]) for name in counts],
        ).group_by(hour, per_minute.c.method, per_minute.c.endpoint),
    )
    connection.execute(
        hours.on_conflict_do_update(
            index_elements=["hour", "method", "endpoint"],
            set_={name: api_log_hours.c[name] + hours.excluded[name] for name in counts},
        ).add_cte(added_minutes)
    )


def _fold_client_events(connection: Connection, new_rows: Any) -> None:
    keys = [
        utc_trunc("hour", client_events.c.occurred_at).label("hour"),
        client_events.c.kind,
        client_events.c.outcome,
        client_events.c.operation,
        client_events.c.reason,
    ]
    hours = pg_insert(client_event_hours).from_select(
        ["hour", "kind", "outcome", "operation", "reason", "events", "records"],
        select(
            *keys,
            func.count(),
            func.coalesce(func.sum(client_events.c.record_count), 0).cast(BigInteger),
        )
        .where(new_rows)
        .group_by(*keys),
    )
    connection.execute(
        hours.on_conflict_do_update(
            index_elements=["hour", "kind", "outcome", "operation", "reason"],
            set_={
                "events": client_event_hours.c.events + hours.excluded.events,
                "records": client_event_hours.c.records + hours.excluded.records,
            },
        ).add_cte(_client_event_minutes(new_rows))
    )


def _client_event_minutes(new_rows: Any) -> Any:
    """The new rows' events per minute, kind and outcome added to `client_event_minutes`: a CTE
    run with the hours' statement (one round trip per fold, not two)."""
    minute_keys = [
        func.date_bin(
            literal(timedelta(minutes=1)), client_events.c.occurred_at, literal(ORIGIN)
        ).label("minute"),
        client_events.c.kind,
        client_events.c.outcome,
    ]
    minutes = pg_insert(client_event_minutes).from_select(
        ["minute", "kind", "outcome", "events"],
        select(*minute_keys, func.count()).where(new_rows).group_by(*minute_keys),
    )
    return minutes.on_conflict_do_update(
        index_elements=["minute", "kind", "outcome"],
        set_={"events": client_event_minutes.c.events + minutes.excluded.events},
    ).cte("added_client_minutes")


def _fold_learner_days(connection: Connection, new_rows: Any) -> None:
    """Active days of the learners whose progress changed: the day of every chapter update in the
    history (`progress_events` of kind `chapter`), and the days their chapter rows were last
    updated (which also covers progress imported with its history, e.g. demo data)."""
    changed = (
        select(progress_events.c.tutorial_id, progress_events.c.user_id)
        .where(new_rows)
        .distinct()
        .subquery("changed")
    )
    from_rows = select(
        tutorial_progress.c.tutorial_id,
        utc_trunc("day", chapter_progress.c.updated_at),
        tutorial_progress.c.user_id,
    ).select_from(
        changed.join(
            tutorial_progress,
            and_(
                tutorial_progress.c.tutorial_id == changed.c.tutorial_id,
                tutorial_progress.c.user_id == changed.c.user_id,
            ),
        ).join(chapter_progress, chapter_progress.c.progress_id == tutorial_progress.c.id)
    )
    from_history = select(
        progress_events.c.tutorial_id,
        utc_trunc("day", progress_events.c.occurred_at),
        progress_events.c.user_id,
    ).where(new_rows, progress_events.c.kind == "chapter")
    added = (
        pg_insert(learner_tutorial_days)
        .from_select(["tutorial_id", "day", "user_id"], union(from_rows, from_history))
        .on_conflict_do_nothing()
        .returning(learner_tutorial_days.c.day, learner_tutorial_days.c.user_id)
        .cte("added")
    )
    connection.execute(
        pg_insert(learner_days)
        .from_select(["day", "user_id"], select(added.c.day, added.c.user_id).distinct())
        .on_conflict_do_nothing()
    )


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


@dataclass(frozen=True)
class HourSplit:
    """A window `[start, end)` as its whole hours (`[whole_from, whole_to)`, read from a rollup)
    and the partial hours at its ends (read raw). Without whole hours — or when the answer needs
    buckets shorter than an hour — everything is read raw."""

    start: datetime
    end: datetime
    whole_from: datetime
    whole_to: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime, *, bucket: timedelta | None = None) -> HourSplit:
        whole_from = _ceil_hour(start)
        whole_to = end.replace(minute=0, second=0, microsecond=0)
        if whole_from >= whole_to or (bucket is not None and bucket < timedelta(hours=1)):
            return cls(start, end, end, end)
        return cls(start, end, whole_from, whole_to)

    @property
    def has_whole_hours(self) -> bool:
        return self.whole_from < self.whole_to

    def raw(self, column: Any) -> Any:
        """Raw rows to read: the two partial ends, as two ranges an index on `column` serves."""
        return or_(
            and_(column >= self.start, column < self.whole_from),
            and_(column >= self.whole_to, column < self.end),
        )

    def rolled_up(self, hour: Any) -> Any:
        return and_(hour >= self.whole_from, hour < self.whole_to)
