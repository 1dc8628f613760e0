"""Service level objectives over a rolling period, their burn rates and multi-window alert tiers.

Four of the brief's targets are ratios of good to all events, so each becomes an SLO over a
rolling period (`SloSettings.period_days`, 30 by default); the average-latency target is not a
ratio and stays a threshold check (`queries.targets`). What counts as bad, out of what:

- `error_rate`: responses of the progress endpoints with status ≥ 500, out of all their
  responses. 4xx are the client's mistakes (unknown tutorial, bad input, no token) and do not
  spend the service's budget — unlike the Overview's error rate, which counts every status ≥ 400.
- `latency`: progress responses not faster than the p95 target (500 ms): "p95 < 500 ms" read as
  "≥ 95 % of requests faster than 500 ms", at the latency histogram's resolution (faster than the
  lower edge of the bin holding 500 ms, 496.1 ms; `queries.histogram.fast_edge_ms`). The per-minute
  rollup counts fast requests at `progress.schema.FAST_THRESHOLDS_MS` only, so the p95 target
  must be one of those.
- `migration_success`: failed migrations out of succeeded + failed.
- `fallback_rate`: operations served from localStorage out of those + progress API requests.

A **burn rate** is how fast a window spends the budget: its bad share divided by the share the
objective allows (1 − objective). At burn rate 1 the budget lasts exactly the period.

**Tiers** (the SRE workbook's table for a 30-day SLO): page when both 1 h and 5 min burn faster
than 14.4 (2 % of the budget in an hour), or both 6 h and 30 min faster than 6 (5 % in 6 hours);
ticket when both 1 d and 2 h burn faster than 3 (10 % in a day), or both 3 d and 6 h faster than 1
(10 % in 3 days). Each tier is stored as the share of the budget it allows its long window to
spend, so another period rescales the factors the same way.

**Unreachable factors.** No window can burn faster than 1 / budget (every event bad): 10 with
migration success > 90 %, 20 with 5 % budgets. A factor above that would silently disable its
tier, so every factor is capped at `MAX_BAD_SHARE` / budget: a tier never asks for more than half
of the events to be bad. With a 10 % budget the page tiers fire above burn 5 (over half of the
migrations failing), the ticket tiers are unchanged; with 5 % the fast page tier fires above 10.

**Too little traffic.** A tier is judged only when both its windows hold at least
`SloSettings.min_events` events; an SLO with no judgeable tier is "no data".

Windows end at the current minute's start and are read from the per-minute and hourly rollups:
whole hours from the hourly ones, the minutes at the ends from the per-minute ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)

from progress.errors import InvalidInput
from progress.routes import PROGRESS_ENDPOINTS
from progress.schema import (
    FAST_THRESHOLDS_MS,
    api_log_hours,
    api_log_latency_bins,
    api_log_minutes,
    client_event_hours,
    client_event_minutes,
)
from queries.histogram import bin_of, cover
from queries.logger_health import request_logger_health
from queries.rollups import ALL_ENDPOINTS
from queries.targets import TargetSettings

Severity = Literal["page", "ticket"]
State = Literal["firing page", "firing ticket", "recovering", "ok", "no data"]
MAX_BAD_SHARE = 0.5  # no tier asks for more than this share of bad events (see the docstring)
SEVERITY_RANK: dict[Severity | None, int] = {None: 0, "ticket": 1, "page": 2}


class SloSettings(BaseSettings):
    """Environment variables `PROGRESS_OPS_SLO_*` (documented in docs/alerts.md)."""

    model_config = SettingsConfigDict(env_prefix="PROGRESS_OPS_SLO_", extra="ignore")

    period_days: int = 30
    min_events: int = 20  # per window: fewer, and a tier is not judged
    no_data_minutes: int = 15  # requests or telemetry absent this long, while usually flowing
    no_data_min_expected: float = 10  # "usually flowing": this many expected in that time


@dataclass(frozen=True)
class Tier:
    severity: Severity
    long: timedelta
    short: timedelta
    budget_share: float  # share of the period's budget the long window may spend

    def factor(self, period: timedelta) -> float:
        """The workbook's burn-rate factor: 14.4 for 2 % of a 30-day budget in an hour."""
        return self.budget_share * (period / self.long)

    def name(self) -> str:
        return f"{span_name(self.long)}/{span_name(self.short)}"


TIERS = (
    Tier("page", timedelta(hours=1), timedelta(minutes=5), 0.02),
    Tier("page", timedelta(hours=6), timedelta(minutes=30), 0.05),
    Tier("ticket", timedelta(days=1), timedelta(hours=2), 0.10),
    Tier("ticket", timedelta(days=3), timedelta(hours=6), 0.10),
)
WINDOWS = tuple(sorted({w for tier in TIERS for w in (tier.short, tier.long)}))


@dataclass(frozen=True)
class Counts:
    """What the rollups hold for one window, enough for every SLO."""

    requests: int = 0
    errors_5xx: int = 0
    fast: int = 0
    migrations_succeeded: int = 0
    migrations_failed: int = 0
    fallbacks: int = 0


@dataclass(frozen=True)
class Slo:
    key: str
    label: str
    objective: float  # share of good events required, e.g. 0.99
    bad_total: Callable[[Counts], tuple[int, int]]
    dashboard_page: str  # the dashboard page showing it
    target_key: str  # the `queries.targets` target it stands for

    @property
    def budget(self) -> float:
        return 1 - self.objective

    def threshold(self, tier: Tier, period: timedelta) -> float:
        """The tier's factor, capped so it stays reachable (see the module's docstring)."""
        return min(tier.factor(period), MAX_BAD_SHARE / self.budget)

    def burn_rate(self, counts: Counts) -> float | None:
        bad, total = self.bad_total(counts)
        return None if total == 0 else bad / total / self.budget


def slos(targets: TargetSettings | None = None) -> list[Slo]:
    """The four SLOs, objectives from the targets (`PROGRESS_OPS_TARGET_*`)."""
    t = targets or TargetSettings()
    latency_ms = t.p95_response_ms
    if latency_ms not in FAST_THRESHOLDS_MS:
        allowed = ", ".join(f"{ms} ms" for ms in FAST_THRESHOLDS_MS)
        raise InvalidInput(
            "PROGRESS_OPS_TARGET_P95_RESPONSE_MS",
            f"the latency SLO can count fast requests per minute at {allowed} only; "
            f"{latency_ms:g} ms is not one of them.",
        )
    return [
        Slo(
            "error_rate",
            f"Errors (5xx) < {t.error_rate_pct:g} %",
            1 - t.error_rate_pct / 100,
            lambda c: (c.errors_5xx, c.requests),
            "api_health",
            "error_rate_pct",
        ),
        Slo(
            "latency",
            f"≥ 95 % of requests faster than {latency_ms:g} ms",
            0.95,
            lambda c: (c.requests - c.fast, c.requests),
            "api_health",
            "p95_response_ms",
        ),
        Slo(
            "migration_success",
            f"Migration success > {t.migration_success_pct:g} %",
            t.migration_success_pct / 100,
            lambda c: (c.migrations_failed, c.migrations_succeeded + c.migrations_failed),
            "migration",
            "migration_success_pct",
        ),
        Slo(
            "fallback_rate",
            f"Fallbacks < {t.fallback_rate_pct:g} %",
            1 - t.fallback_rate_pct / 100,
            lambda c: (c.fallbacks, c.fallbacks + c.requests),
            "migration",
            "fallback_rate_pct",
        ),
    ]


def span_name(length: timedelta) -> str:
    """'5m', '6h', '30d'."""
    minutes = int(length / timedelta(minutes=1))
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _progress(table: Any) -> Any:
    return tuple_(table.c.method, table.c.endpoint).in_(list(PROGRESS_ENDPOINTS))


def _sum(column: Any, *conditions: Any) -> Any:
    total = func.sum(column)
    return func.coalesce(total.filter(*conditions) if conditions else total, 0).cast(BigInteger)


def window_counts_statement(
    start: datetime, end: datetime, *, fast_ms: float, label: str = "window"
) -> Select[Any]:
    """One row (`label`, then the `Counts` fields) for the minute-aligned window `[start, end)`:
    its whole hours from the hourly rollups, its other minutes from the per-minute ones."""
    whole_from, whole_to = _ceil_hour(start), end.replace(minute=0)
    if whole_from >= whole_to:
        whole_from = whole_to = end

    def minutes_of(column: Any) -> Any:
        return or_(
            and_(column >= start, column < whole_from), and_(column >= whole_to, column < end)
        )

    def hours_of(column: Any) -> Any:
        return and_(column >= whole_from, column < whole_to)

    m, h, bins = api_log_minutes.c, api_log_hours.c, api_log_latency_bins.c
    fast_column = m[f"faster_than_{fast_ms:g}ms"]
    api_minutes = select(
        _sum(m.requests).label("requests"),
        _sum(m.errors_5xx).label("errors_5xx"),
        _sum(fast_column).label("fast"),
    ).where(minutes_of(m.minute), _progress(api_log_minutes))
    api_hours = select(
        _sum(h.requests).label("requests"),
        _sum(h.errors_5xx).label("errors_5xx"),
        literal(0, BigInteger).label("fast"),
    ).where(hours_of(h.hour), _progress(api_log_hours))
    method, endpoint = ALL_ENDPOINTS
    periods = or_(
        false(),
        *[
            and_(bins.span_hours == span, bins.period >= first, bins.period < last)
            for span, first, last in cover(whole_from, whole_to, 24)
        ],
    )
    fast_hours = select(
        literal(0, BigInteger), literal(0, BigInteger), _sum(bins.requests).label("fast")
    ).where(periods, bins.method == method, bins.endpoint == endpoint, bins.bin < bin_of(fast_ms))
    api = union_all(api_minutes, api_hours, fast_hours).subquery("api")

    cm, ch = client_event_minutes.c, client_event_hours.c
    client_rows = union_all(
        select(cm.kind, cm.outcome, cm.events).where(minutes_of(cm.minute)),
        select(ch.kind, ch.outcome, ch.events).where(hours_of(ch.hour)),
    ).subquery("client")
    migration = client_rows.c.kind == "migration"
    client = select(
        _sum(client_rows.c.events, migration, client_rows.c.outcome == "succeeded").label(
            "migrations_succeeded"
        ),
        _sum(client_rows.c.events, migration, client_rows.c.outcome == "failed").label(
            "migrations_failed"
        ),
        _sum(client_rows.c.events, client_rows.c.kind == "fallback").label("fallbacks"),
    ).subquery("client_counts")
    api_totals = select(
        _sum(api.c.requests).label("requests"),
        _sum(api.c.errors_5xx).label("errors_5xx"),
        _sum(api.c.fast).label("fast"),
    ).subquery("api_totals")
    return select(
        literal(label).label("label"),
        api_totals.c.requests,
        api_totals.c.errors_5xx,
        api_totals.c.fast,
        client.c.migrations_succeeded,
        client.c.migrations_failed,
        client.c.fallbacks,
    ).select_from(api_totals.join(client, literal(True)))


def window_counts(
    connection: Connection,
    end: datetime,
    lengths: Sequence[timedelta],
    *,
    fast_ms: float,
) -> dict[timedelta, Counts]:
    """`Counts` of each window `[end − length, end)` (`end` a whole minute), in one query."""
    statements = [
        window_counts_statement(end - length, end, fast_ms=fast_ms, label=str(i))
        for i, length in enumerate(lengths)
    ]
    # A few thousand rollup rows: parallel workers cost more to start than they save (measured,
    # docs/benchmarks.md). For this transaction only.
    connection.execute(select(func.set_config("max_parallel_workers_per_gather", "0", True)))
    rows = connection.execute(union_all(*statements)).all()
    by_label = {row.label: row for row in rows}
    return {
        length: Counts(*(int(value) for value in by_label[str(i)][1:]))
        for i, length in enumerate(lengths)
    }


@dataclass(frozen=True)
class SloStatus:
    """An SLO judged at one moment: the page's and the evaluator's row."""

    slo: Slo
    state: State
    burn_rates: dict[timedelta, float | None]
    events: dict[timedelta, int]
    firing_tier: Tier | None  # the most severe firing tier
    budget_left: float | None  # share of the period's budget left (negative: overspent)
    exhausted_in: timedelta | None  # at the 1-hour burn rate; None when not burning

    @property
    def severity(self) -> Severity | None:
        return None if self.firing_tier is None else self.firing_tier.severity

    @property
    def burn_rate(self) -> float | None:
        """The burn rate that decides: the firing tier's long window (else the 1-hour one)."""
        tier = self.firing_tier or TIERS[0]
        return self.burn_rates[tier.long]


def judge(
    slo: Slo,
    counts: dict[timedelta, Counts],
    *,
    period: timedelta,
    min_events: int,
) -> SloStatus:
    """State, burn rates, budget and time to exhaustion of `slo` from its windows' counts
    (`counts` holds every window of `WINDOWS` and the period)."""
    rates = {length: slo.burn_rate(counts[length]) for length in WINDOWS}
    events = {length: slo.bad_total(counts[length])[1] for length in WINDOWS}

    def enough(tier: Tier) -> bool:
        return events[tier.long] >= min_events and events[tier.short] >= min_events

    def over(length: timedelta, tier: Tier) -> bool:
        rate = rates[length]
        return rate is not None and rate > slo.threshold(tier, period)

    judged = [tier for tier in TIERS if enough(tier)]
    firing = [tier for tier in judged if over(tier.long, tier) and over(tier.short, tier)]
    tier = max(firing, key=lambda t: SEVERITY_RANK[t.severity], default=None)
    state: State
    if tier is not None:
        state = "firing page" if tier.severity == "page" else "firing ticket"
    elif not judged:
        state = "no data"
    elif any(over(t.long, t) for t in judged):
        state = "recovering"
    else:
        state = "ok"
    bad, total = slo.bad_total(counts[period])
    budget_left = None if total == 0 else 1 - bad / (slo.budget * total)
    return SloStatus(
        slo,
        state,
        rates,
        events,
        tier,
        budget_left,
        exhaustion(budget_left, rates[TIERS[0].long], period),
    )


def exhaustion(
    budget_left: float | None, burn_rate: float | None, period: timedelta
) -> timedelta | None:
    """How long the budget left lasts at `burn_rate` (zero when already spent; None when the
    budget is not burning or unknown)."""
    if budget_left is None or burn_rate is None or burn_rate <= 0:
        return None
    return max(timedelta(0), period * budget_left / burn_rate)


def slo_statuses(
    connection: Connection,
    now: datetime,
    *,
    settings: SloSettings | None = None,
    targets: TargetSettings | None = None,
) -> list[SloStatus]:
    """Every SLO judged at `now` (windows end at the start of its minute)."""
    s = settings or SloSettings()
    period = timedelta(days=s.period_days)
    judged = slos(targets)
    fast_ms = (targets or TargetSettings()).p95_response_ms
    counts = window_counts(connection, floor_minute(now), [*WINDOWS, period], fast_ms=fast_ms)
    return [judge(slo, counts, period=period, min_events=s.min_events) for slo in judged]


def describe_duration(length: timedelta | None) -> str:
    """'3 h 20 min', '2 d 4 h', 'now' — for "the budget is gone in …"."""
    if length is None:
        return "–"
    minutes = math.floor(length / timedelta(minutes=1))
    if minutes <= 0:
        return "now"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class DataFinding:
    """A no-data condition: something that usually arrives has stopped (or, for the request
    logger, is being dropped). `firing` when it should alert."""

    key: str  # the alert's key, "no_data:<what>"
    label: str
    severity: Severity
    firing: bool
    detail: str


def _flow(
    connection: Connection,
    end: datetime,
    settings: SloSettings,
    *,
    what: str,
    column: Any,
    severity: Severity,
) -> DataFinding:
    """`column` (a per-minute count) over the last `no_data_minutes`, against the day before."""
    quiet = timedelta(minutes=settings.no_data_minutes)
    minute = column.table.c.minute
    day_before = and_(minute >= end - timedelta(days=1), minute < end - quiet)
    recent, before = connection.execute(
        select(
            _sum(column, minute >= end - quiet, minute < end),
            _sum(column, day_before),
        ).where(minute >= end - timedelta(days=1), minute < end)
    ).one()
    usual = before * (quiet / (timedelta(days=1) - quiet))
    firing = recent == 0 and usual >= settings.no_data_min_expected
    return DataFinding(
        f"no_data:{what}",
        f"No {what} for {settings.no_data_minutes} min",
        severity,
        firing,
        f"{recent:,} {what} in the last {settings.no_data_minutes} min; usually {usual:,.0f}",
    )


def request_flow(connection: Connection, end: datetime, settings: SloSettings) -> DataFinding:
    """Requests (every endpoint) stopped arriving: the API, or its request logger, is down.
    A page: nothing else can be judged meanwhile."""
    return _flow(
        connection,
        end,
        settings,
        what="requests",
        column=api_log_minutes.c.requests,
        severity="page",
    )


def telemetry_flow(connection: Connection, end: datetime, settings: SloSettings) -> DataFinding:
    """Client telemetry (migration and fallback events) stopped arriving. A ticket: the clients
    keep working, the migration and fallback SLOs go blind."""
    return _flow(
        connection,
        end,
        settings,
        what="client events",
        column=client_event_minutes.c.events,
        severity="ticket",
    )


def request_logging(connection: Connection, end: datetime, settings: SloSettings) -> DataFinding:
    """An API request logger dropped rows, stopped reporting or cannot write
    (`queries.logger_health`): requests are answered but not all reach `api_logs`, so every
    request SLO undercounts. A ticket; it resolves when no logger of the last day reports a
    problem (a dropped count is kept for the life of its API process)."""
    del end  # the loggers report in real time: judged against the clock, not the evaluated minute
    problems = request_logger_health(connection).problems()
    return DataFinding(
        "no_data:request_log",
        "Requests not logged",
        "ticket",
        bool(problems),
        "; ".join(problems) or "every request logger writes every row",
    )


DataCheck = Callable[[Connection, datetime, SloSettings], DataFinding]
# The no-data checks every evaluation runs.
DATA_CHECKS: tuple[DataCheck, ...] = (request_flow, telemetry_flow, request_logging)


def data_findings(
    connection: Connection, now: datetime, *, settings: SloSettings | None = None
) -> list[DataFinding]:
    s = settings or SloSettings()
    return [check(connection, floor_minute(now), s) for check in DATA_CHECKS]
