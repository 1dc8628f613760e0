"""Latency histograms: log-spaced bins, the periods they are kept at, and percentiles read back.

Bin b holds latencies in [0.01 ms × 1.02^b, 0.01 ms × 1.02^(b+1)): each bin 2 % wider than the one
before, so about 1,000 bins span 0.01 ms to 60 s and a real service uses a hundred or two. A
percentile is read as the geometric middle of the bin holding the wanted rank, so it is within
√1.02 − 1 ≈ **0.995 %** of `percentile_disc` over the raw rows — for latencies of at least
0.01 ms; anything faster shares bin 0 and reads as 0.0101 ms. The rank is `percentile_disc`'s:
the first latency whose cumulative count reaches 95 % of the requests.

Histograms are kept per endpoint for periods of 1, 6 and 24 hours (aligned to UTC midnight), so
a 30-day window reads 30 days of bins plus a few hours at its ends (`cover`), not 720 hours.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Float, SmallInteger, func

BIN_BASE_MS = 0.01
BIN_RATIO = 1.02
RELATIVE_ERROR = math.sqrt(BIN_RATIO) - 1  # the bound stated above, tested
SPANS = (1, 6, 24)  # histogram periods, in hours
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # a UTC midnight: periods and buckets align to it


def latency_bin(milliseconds: Any) -> Any:
    """The bin of a latency (SQL expression)."""
    scaled = func.ln(func.greatest(milliseconds, BIN_BASE_MS) / BIN_BASE_MS) / math.log(BIN_RATIO)
    return func.least(func.greatest(func.floor(scaled), 0), 32767).cast(SmallInteger)


def bin_of(milliseconds: float) -> int:
    """The bin of a latency (in Python; `latency_bin` is the SQL expression)."""
    scaled = math.log(max(milliseconds, BIN_BASE_MS) / BIN_BASE_MS) / math.log(BIN_RATIO)
    return min(max(math.floor(scaled), 0), 32767)


def fast_edge_ms(threshold_ms: float) -> float:
    """Where "faster than `threshold_ms`" is drawn at histogram resolution: the lower edge of the
    bin holding the threshold (within 2 % below it; 496.1 ms for 500 ms). A latency is faster
    exactly when its bin is below the threshold's bin."""
    return float(BIN_BASE_MS * BIN_RATIO ** bin_of(threshold_ms))


def bin_value(bin_: Any) -> Any:
    """The latency a bin stands for: its geometric middle (SQL expression)."""
    return BIN_BASE_MS * func.power(BIN_RATIO, bin_.cast(Float) + 0.5)


def _align(moment: datetime, span_hours: int, *, up: bool) -> datetime:
    span = timedelta(hours=span_hours)
    floor = ORIGIN + ((moment - ORIGIN) // span) * span
    return floor + span if up and floor < moment else floor


def cover(
    start: datetime, end: datetime, largest_hours: int
) -> list[tuple[int, datetime, datetime]]:
    """Whole hours `[start, end)` as few histogram periods as possible: days in the middle, then
    6-hour periods, then hours at the ends; no period longer than `largest_hours`. Each item is
    (span in hours, first period, end of the last period)."""
    for span in SPANS[::-1]:
        if span > largest_hours:
            continue
        first, last = _align(start, span, up=True), _align(end, span, up=False)
        if first < last:
            return [*cover(start, first, span), (span, first, last), *cover(last, end, span)]
    return []
