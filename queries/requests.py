"""Requests to the progress endpoints over a window — counts, errors, latency — read through the
hourly rollups (`queries.rollups`) and their latency histograms (`queries.histogram`).

Requests are those to `progress.routes.PROGRESS_ENDPOINTS` (method and route template; `/health`
is not one). An error is a response with status ≥ 400, split into 4xx and 5xx.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)

from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import api_log_hours, api_log_latency_bins, api_logs
from queries.histogram import ORIGIN, bin_value, cover, latency_bin
from queries.rollups import ALL_ENDPOINTS, HourSplit, utc_trunc

Grouping = Literal["all", "day", "endpoint", "bucket"]
COLUMNS = ("requests", "errors_4xx", "errors_5xx", "error_rate_pct", "avg_ms", "p95_ms")


def _progress_endpoint(table: Any) -> Any:
    return tuple_(table.c.method, table.c.endpoint).in_(list(PROGRESS_ENDPOINTS))


def aggregate_statement(
    start: datetime,
    end: datetime,
    *,
    by: Grouping,
    bucket: timedelta | None = None,
) -> Select[*tuple[Any, ...]]:
    """Requests, errors_4xx, errors_5xx, error_rate_pct, avg_ms and p95_ms of the progress
    endpoints in `[start, end)`: in total (`by="all"`), per UTC `day`, per `endpoint` (method,
    endpoint) or per time `bucket` (aligned to UTC midnight; 1, 6 or 24 hours — or under an hour,
    which is read from raw rows only: it is asked for windows of a few hours). Rows in key order;
    keys without requests are left out.
    """
    split = HourSplit.of(start, end, bucket=bucket)

    def keys(moment: Any, table: Any) -> list[Any]:
        if by == "day":
            return [utc_trunc("day", moment).label("day")]
        if by == "endpoint":
            return [table.c.method.label("method"), table.c.endpoint.label("endpoint")]
        if by == "bucket":
            assert bucket is not None
            return [func.date_bin(literal(bucket), moment, literal(ORIGIN)).label("bucket")]
        return [literal(1).label("everything")]

    # The raw rows at the window's ends, read once for the totals and the histogram.
    raw = (
        select(
            *keys(api_logs.c.timestamp, api_logs),
            literal(1, BigInteger).label("requests"),
            case((api_logs.c.status_code.between(400, 499), 1), else_=0).label("errors_4xx"),
            case((api_logs.c.status_code >= 500, 1), else_=0).label("errors_5xx"),
            api_logs.c.response_time_ms.label("latency_sum_ms"),
            latency_bin(api_logs.c.response_time_ms).label("bin"),
        )
        .where(split.raw(api_logs.c.timestamp), _progress_endpoint(api_logs))
        .cte("raw")
    )
    names = [column.name for column in keys(api_logs.c.timestamp, api_logs)]
    counted = union_all(
        select(
            *[raw.c[name] for name in names],
            raw.c.requests,
            raw.c.errors_4xx,
            raw.c.errors_5xx,
            raw.c.latency_sum_ms,
        ),
        select(
            *keys(api_log_hours.c.hour, api_log_hours),
            api_log_hours.c.requests,
            api_log_hours.c.errors_4xx,
            api_log_hours.c.errors_5xx,
            api_log_hours.c.latency_sum_ms,
        ).where(split.rolled_up(api_log_hours.c.hour), _progress_endpoint(api_log_hours)),
    ).subquery("counted")
    totals = (
        select(
            *[counted.c[name] for name in names],
            func.sum(counted.c.requests).label("requests"),
            func.sum(counted.c.errors_4xx).label("errors_4xx"),
            func.sum(counted.c.errors_5xx).label("errors_5xx"),
            func.sum(counted.c.latency_sum_ms).label("latency_sum_ms"),
        )
        .group_by(*[counted.c[name] for name in names])
        .subquery("totals")
    )

    # Histograms: per endpoint for `by="endpoint"`, else the one of all progress endpoints.
    largest = 24 if bucket is None else max(1, int(bucket / timedelta(hours=1)))
    bins = api_log_latency_bins
    if by == "endpoint":
        which = _progress_endpoint(bins)
    else:
        method, endpoint = ALL_ENDPOINTS
        which = and_(bins.c.method == method, bins.c.endpoint == endpoint)
    periods = or_(
        false(),
        *[
            and_(bins.c.span_hours == span, bins.c.period >= first, bins.c.period < last)
            for span, first, last in cover(split.whole_from, split.whole_to, largest)
        ],
    )
    binned = union_all(
        select(*[raw.c[name] for name in names], raw.c.bin, raw.c.requests.label("n")),
        select(*keys(bins.c.period, bins), bins.c.bin, bins.c.requests).where(periods, which),
    ).subquery("binned")
    per_bin = (
        select(
            *[binned.c[name] for name in names],
            binned.c.bin,
            func.sum(binned.c.n).label("n"),
        )
        .group_by(*[binned.c[name] for name in names], binned.c.bin)
        .subquery("per_bin")
    )
    partition = [per_bin.c[name] for name in names]
    cumulative = select(
        *partition,
        per_bin.c.bin,
        func.sum(per_bin.c.n).over(partition_by=partition, order_by=per_bin.c.bin).label("upto"),
        func.sum(per_bin.c.n).over(partition_by=partition).label("total"),
    ).subquery("cumulative")
    p95 = (
        select(
            *[cumulative.c[name] for name in names],
            func.min(cumulative.c.bin)
            .filter(cumulative.c.upto >= 0.95 * cumulative.c.total)
            .label("p95_bin"),
        )
        .group_by(*[cumulative.c[name] for name in names])
        .subquery("p95")
    )

    requests = totals.c.requests
    return (
        select(
            *[totals.c[name] for name in names if name != "everything"],
            requests.cast(BigInteger).label("requests"),
            totals.c.errors_4xx.cast(BigInteger).label("errors_4xx"),
            totals.c.errors_5xx.cast(BigInteger).label("errors_5xx"),
            (100.0 * (totals.c.errors_4xx + totals.c.errors_5xx) / requests).label(
                "error_rate_pct"
            ),
            (totals.c.latency_sum_ms / requests).label("avg_ms"),
            bin_value(p95.c.p95_bin).label("p95_ms"),
        )
        .select_from(totals.join(p95, and_(*[totals.c[name] == p95.c[name] for name in names])))
        .where(requests > 0)
        .order_by(*[totals.c[name] for name in names])
    )
