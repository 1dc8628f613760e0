"""Hourly rollups of `api_logs`, kept current incrementally, and the one statement that reads them.

Why: a 30-day aggregate over 10M raw rows takes seconds (PERFORMANCE.md); the same question over
rollups reads a few thousand rows. The rollup holds, per hour and endpoint, the request count,
4xx and 5xx counts and the latency sum; and latency histograms with log-spaced bins (each bin 2 %
wider than the one before) per endpoint for periods of 1, 6 and 24 hours, so a long window reads
days of bins and only its ends read hours.

Percentiles: a percentile read from the histogram is the geometric middle of the bin holding the
wanted rank, so it is within **1 %** of the latency at that rank (`percentile_disc`; tested).
Counts, error rates and averages are exact.

Keeping current (`refresh`): rows are folded by id, from a watermark. The classic bug of id
watermarks is a row with a smaller id committing after a larger one was folded. `refresh` first
takes `LOCK TABLE api_logs IN EXCLUSIVE MODE` in a transaction of its own, which waits for every
transaction still inserting and reads the highest id then, and releases it at once: every id up
to that one is committed and visible. Folding then runs without blocking inserts, under an
advisory lock so two refreshes never fold the same rows. No triggers on `api_logs`.

Reading (`aggregate_statement`): whole hours inside the window come from the rollup, the partial
hours at its edges from `api_logs` itself, binned the same way. The current hour is always an
edge, so new requests count at once; a row that reaches an *earlier* hour after that hour was
folded (a late flush, a bulk load) counts from the next `refresh` — which the dashboard runs
before reading (at most every 30 s), `progress-ops demo-data` after loading, and the API's request
logger at most every 5 s (`PROGRESS_OPS_API_ROLLUP_REFRESH_SECONDS`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Engine,
    Float,
    Select,
    SmallInteger,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import api_log_hours, api_log_latency_bins, api_logs, rollup_watermarks

WATERMARK = "api_logs"
SPANS = (1, 6, 24)  # histogram periods, in hours, aligned to UTC midnight
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
BIN_BASE_MS = 0.01
BIN_RATIO = 1.02
_ADVISORY_LOCK = 712_304_001
Grouping = Literal["all", "day", "endpoint", "bucket"]


def latency_bin(milliseconds: Any) -> Any:
    """The histogram bin of a latency: bin b holds [0.01 ms × 1.02^b, 0.01 ms × 1.02^(b+1))."""
    scaled = func.ln(func.greatest(milliseconds, BIN_BASE_MS) / BIN_BASE_MS) / math.log(BIN_RATIO)
    return func.least(func.greatest(func.floor(scaled), 0), 32767).cast(SmallInteger)


def bin_value(bin_: Any) -> Any:
    """The latency a bin stands for: its geometric middle."""
    return BIN_BASE_MS * func.power(BIN_RATIO, bin_.cast(Float) + 0.5)


def _hour(column: Any) -> Any:
    return func.date_trunc("hour", column, "UTC")


def _period(column: Any, span_hours: int) -> Any:
    return func.date_bin(literal(timedelta(hours=span_hours)), column, literal(ORIGIN))


def _align(moment: datetime, span_hours: int, *, up: bool) -> datetime:
    span = timedelta(hours=span_hours)
    periods = (moment - ORIGIN) // span
    floor = ORIGIN + periods * span
    return floor + span if up and floor < moment else floor


def cover(
    start: datetime, end: datetime, largest_hours: int
) -> list[tuple[int, datetime, datetime]]:
    """Whole hours `[start, end)` as few histogram periods as possible: days in the middle, then
    6-hour periods, then hours at the ends; no period longer than `largest_hours`."""
    for span in SPANS[::-1]:
        if span > largest_hours:
            continue
        first, last = _align(start, span, up=True), _align(end, span, up=False)
        if first < last:
            return [
                *cover(start, first, span),
                (span, first, last),
                *cover(last, end, span),
            ]
    return []


def refresh(engine: Engine) -> int:
    """Fold `api_logs` rows not folded yet into the hourly rollups; returns how many."""
    with engine.begin() as connection:
        connection.execute(text("LOCK TABLE api_logs IN EXCLUSIVE MODE"))
        upper = connection.execute(select(func.coalesce(func.max(api_logs.c.id), 0))).scalar_one()
    with engine.begin() as connection:  # raw reads at the windows' edges need fresh BRIN ranges
        connection.execute(select(func.brin_summarize_new_values("ix_api_logs_timestamp")))
    with engine.begin() as connection:
        connection.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK)))
        connection.execute(
            pg_insert(rollup_watermarks).values(name=WATERMARK, last_id=0).on_conflict_do_nothing()
        )
        lower = connection.execute(
            select(rollup_watermarks.c.last_id).where(rollup_watermarks.c.name == WATERMARK)
        ).scalar_one()
        if upper <= lower:
            return 0
        new_rows = and_(api_logs.c.id > lower, api_logs.c.id <= upper)
        hour = _hour(api_logs.c.timestamp).label("hour")
        counts = pg_insert(api_log_hours).from_select(
            [
                "hour",
                "method",
                "endpoint",
                "requests",
                "errors_4xx",
                "errors_5xx",
                "latency_sum_ms",
            ],
            select(
                hour,
                api_logs.c.method,
                api_logs.c.endpoint,
                func.count(),
                func.count().filter(api_logs.c.status_code.between(400, 499)),
                func.count().filter(api_logs.c.status_code >= 500),
                func.sum(api_logs.c.response_time_ms),
            )
            .where(new_rows)
            .group_by(hour, api_logs.c.method, api_logs.c.endpoint),
        )
        connection.execute(
            counts.on_conflict_do_update(
                index_elements=["hour", "method", "endpoint"],
                set_={
                    name: api_log_hours.c[name] + counts.excluded[name]
                    for name in ("requests", "errors_4xx", "errors_5xx", "latency_sum_ms")
                },
            )
        )
        bin_ = latency_bin(api_logs.c.response_time_ms).label("bin")
        for span in SPANS:
            period = _period(api_logs.c.timestamp, span).label("period")
            bins = pg_insert(api_log_latency_bins).from_select(
                ["span_hours", "period", "method", "endpoint", "bin", "requests"],
                select(
                    literal(span, SmallInteger),
                    period,
                    api_logs.c.method,
                    api_logs.c.endpoint,
                    bin_,
                    func.count(),
                )
                .where(new_rows)
                .group_by(period, api_logs.c.method, api_logs.c.endpoint, bin_),
            )
            connection.execute(
                bins.on_conflict_do_update(
                    index_elements=["span_hours", "period", "method", "endpoint", "bin"],
                    set_={"requests": api_log_latency_bins.c.requests + bins.excluded.requests},
                )
            )
        connection.execute(
            rollup_watermarks.update()
            .where(rollup_watermarks.c.name == WATERMARK)
            .values(last_id=upper)
        )
        return int(upper - lower)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def aggregate_statement(
    start: datetime,
    end: datetime,
    *,
    by: Grouping,
    bucket: timedelta | None = None,
) -> Select[*tuple[Any, ...]]:
    """Requests, 4xx, 5xx, error rate %, avg and p95 ms of the progress endpoints in
    `[start, end)`, in total (`by="all"`), per UTC day, per endpoint, or per `bucket`.

    Buckets are aligned to UTC midnight and must be 1, 6 or 24 hours — or shorter than an hour,
    which hourly rollups cannot serve: such a query reads raw rows only (it is asked for windows
    of a few hours, where that is cheap).
    """
    whole_from, whole_to = _ceil_hour(start), _floor_hour(end)
    use_rollup = whole_from < whole_to and (bucket is None or bucket >= timedelta(hours=1))
    if not use_rollup:
        whole_from = whole_to = start

    # Raw rows: the window's partial hours, as two ranges the BRIN index serves.
    raw_needed = and_(
        or_(
            and_(api_logs.c.timestamp >= start, api_logs.c.timestamp < whole_from),
            and_(api_logs.c.timestamp >= whole_to, api_logs.c.timestamp < end),
        ),
        tuple_(api_logs.c.method, api_logs.c.endpoint).in_(list(PROGRESS_ENDPOINTS)),
    )

    def keys(moment: Any, method: Any, endpoint: Any) -> list[Any]:
        if by == "day":
            return [func.date_trunc("day", moment, "UTC").label("day")]
        if by == "endpoint":
            return [method.label("method"), endpoint.label("endpoint")]
        if by == "bucket":
            assert bucket is not None
            return [func.date_bin(literal(bucket), moment, literal(ORIGIN)).label("bucket")]
        return [literal(1).label("everything")]

    raw_counts = select(
        *keys(api_logs.c.timestamp, api_logs.c.method, api_logs.c.endpoint),
        literal(1).label("requests"),
        case((api_logs.c.status_code.between(400, 499), 1), else_=0).label("errors_4xx"),
        case((api_logs.c.status_code >= 500, 1), else_=0).label("errors_5xx"),
        api_logs.c.response_time_ms.label("latency_sum_ms"),
        latency_bin(api_logs.c.response_time_ms).label("bin"),
    ).where(raw_needed)
    rollup_window = and_(
        api_log_hours.c.hour >= whole_from,
        api_log_hours.c.hour < whole_to,
        tuple_(api_log_hours.c.method, api_log_hours.c.endpoint).in_(list(PROGRESS_ENDPOINTS)),
    )
    rollup_counts = select(
        *keys(api_log_hours.c.hour, api_log_hours.c.method, api_log_hours.c.endpoint),
        api_log_hours.c.requests,
        api_log_hours.c.errors_4xx,
        api_log_hours.c.errors_5xx,
        api_log_hours.c.latency_sum_ms,
        literal(None, SmallInteger).label("bin"),
    ).where(rollup_window)
    largest = 24 if bucket is None else int(bucket / timedelta(hours=1))
    periods = cover(whole_from, whole_to, largest)
    rollup_bins = select(
        *keys(
            api_log_latency_bins.c.period,
            api_log_latency_bins.c.method,
            api_log_latency_bins.c.endpoint,
        ),
        literal(0).label("requests"),
        literal(0).label("errors_4xx"),
        literal(0).label("errors_5xx"),
        literal(0.0).label("latency_sum_ms"),
        api_log_latency_bins.c.bin,
    ).where(
        or_(
            false(),
            *[
                and_(
                    api_log_latency_bins.c.span_hours == span,
                    api_log_latency_bins.c.period >= first,
                    api_log_latency_bins.c.period < last,
                )
                for span, first, last in periods
            ],
        ),
        tuple_(api_log_latency_bins.c.method, api_log_latency_bins.c.endpoint).in_(
            list(PROGRESS_ENDPOINTS)
        ),
    )
    # Each row says how many requests it counts (`requests`) and, for histogram rows, in which
    # bin; rollup histogram rows carry their count in `bin_requests`.
    parts = union_all(
        raw_counts.add_columns(literal(1).label("bin_requests")),
        rollup_counts.add_columns(literal(0).label("bin_requests")),
        rollup_bins.add_columns(api_log_latency_bins.c.requests.label("bin_requests")),
    ).cte("parts")  # read twice (totals, histogram): PostgreSQL materializes it once
    key_names = [c.name for c in keys(api_logs.c.timestamp, api_logs.c.method, api_logs.c.endpoint)]
    key_columns = [parts.c[name] for name in key_names]

    totals = (
        select(
            *key_columns,
            func.sum(parts.c.requests).label("requests"),
            func.sum(parts.c.errors_4xx).label("errors_4xx"),
            func.sum(parts.c.errors_5xx).label("errors_5xx"),
            func.sum(parts.c.latency_sum_ms).label("latency_sum_ms"),
        )
        .group_by(*key_columns)
        .subquery("totals")
    )
    per_bin = (
        select(*key_columns, parts.c.bin, func.sum(parts.c.bin_requests).label("n"))
        .where(parts.c.bin.is_not(None))
        .group_by(*key_columns, parts.c.bin)
        .subquery("per_bin")
    )
    partition = [per_bin.c[name] for name in key_names]
    cumulative = select(
        *partition,
        per_bin.c.bin,
        func.sum(per_bin.c.n).over(partition_by=partition, order_by=per_bin.c.bin).label("upto"),
        func.sum(per_bin.c.n).over(partition_by=partition).label("total"),
    ).subquery("cumulative")
    p95_bins = (
        select(
            *[cumulative.c[name] for name in key_names],
            func.min(cumulative.c.bin)
            .filter(cumulative.c.upto >= 0.95 * cumulative.c.total)
            .label("p95_bin"),
        )
        .group_by(*[cumulative.c[name] for name in key_names])
        .subquery("p95_bins")
    )
    requests = totals.c.requests
    return (
        select(
            *[totals.c[name] for name in key_names if name != "everything"],
            requests.label("requests"),
            totals.c.errors_4xx,
            totals.c.errors_5xx,
            (100.0 * (totals.c.errors_4xx + totals.c.errors_5xx) / requests).label(
                "error_rate_pct"
            ),
            (totals.c.latency_sum_ms / requests).label("avg_ms"),
            bin_value(p95_bins.c.p95_bin).label("p95_ms"),
        )
        .select_from(
            totals.join(p95_bins, and_(*[totals.c[name] == p95_bins.c[name] for name in key_names]))
        )
        .where(requests > 0)
        .order_by(*[totals.c[name] for name in key_names])
    )
