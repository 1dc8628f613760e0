"""Completion trends (product): start cohorts, completion within N days over time, tutorials side by
side, and whether a change made a difference.

Definitions (the README's "Completion trends" table says the same for product):
- **started**: a learner's first progress on a tutorial, `tutorial_progress.started_at` (a restore
  keeps it; a reset removes the pair, so a learner who resets and starts again starts anew).
- **completed**: the moment every chapter was complete, `tutorial_progress.completed_at`. Not the
  certificate: that also needs every quiz passed and support can award it by override, so it is
  counted on its own (`tutorial_certificates.awarded_at`).
- **within N days**: whole days from the start, floored (`days_to_complete < N`): "by day 7" is
  within 7 × 24 h of starting.
- **mature**: a cohort counts for "within N days" only once every member has had N days: the end
  of its period (a whole UTC day, week from Monday, or month) plus N days is past. Younger cohorts
  show blank, never 0 %.

Every figure reads three rollups per tutorial and UTC start day (`tutorial_cohort_days`,
`tutorial_chapter_days`, `tutorial_certificate_days`, kept current by the service's writes),
never progress rows. Each statement is built over a *source*: a rollup, or `progress_rows()` —
the same columns computed from the raw rows — which the tests compare it with and
`bench/trends.py` times as the naive baseline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Table,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)

from progress.schema import (
    CERTIFICATE_DAYS,
    WITHIN_DAYS,
    quiz_scores,
    tutorial_certificate_days,
    tutorial_certificates,
    tutorial_chapter_days,
    tutorial_cohort_days,
    tutorial_progress,
)

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
MILESTONES = WITHIN_DAYS  # the days the page offers: the ones the rollups count
DAY = timedelta(days=1)
ALL = "all tutorials"  # the tutorial column of a total row


# -- the source: the rollup, or the same columns from raw progress rows ------------------------


def _whole_days(end: Any, start: Any) -> ColumnElement[Any]:
    """Whole days from `start` to `end`, at least 0; NULL without an `end` (GREATEST alone would
    make that 0)."""
    days = func.floor(func.extract("epoch", end - start) / 86400).cast(Integer)
    return case((end.is_(None), None), else_=func.greatest(0, days))


def progress_rows() -> FromClause:
    """Every column of the three rollups computed from `tutorial_progress`, one learner a row:
    what the rollups must equal, and the naive query the benchmark compares them with."""
    p, c = tutorial_progress, tutorial_certificates
    completed = _whole_days(p.c.completed_at, p.c.started_at)
    certified = _whole_days(c.c.awarded_at, p.c.started_at)
    has_quiz = exists().where(quiz_scores.c.progress_id == p.c.id)
    has_failed = exists().where(
        quiz_scores.c.progress_id == p.c.id, quiz_scores.c.passed.is_(False)
    )

    def one_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case((condition, 1), else_=0)

    return (
        select(
            p.c.tutorial_id,
            func.date_trunc("day", p.c.started_at, "UTC").label("day"),
            literal(1).label("starters"),
            *(one_if(completed < n).label(f"completed_{n}d") for n in WITHIN_DAYS),
            *(one_if(certified < n).label(f"certified_{n}d") for n in WITHIN_DAYS),
            one_if(has_quiz).label("quiz_takers"),
            one_if(has_quiz & ~has_failed).label("quizzes_passed"),
            p.c.chapters_completed,
            case((certified < CERTIFICATE_DAYS, certified)).label("days_to_certificate"),
            literal(1).label("learners"),
        )
        .select_from(p.outerjoin(c, c.c.progress_id == p.c.id))
        .subquery("progress_rows")
    )


@dataclass(frozen=True)
class Span:
    """Cohorts started in `[start, end)`, both UTC midnights, in `tutorials` (empty: all)."""

    start: datetime
    end: datetime
    tutorials: tuple[str, ...] = ()

    def where(self, source: FromClause) -> list[ColumnElement[bool]]:
        weight = source.c.starters if "starters" in source.c else source.c.learners
        conditions = [
            source.c.day >= self.start,
            source.c.day < self.end,
            weight > 0,  # a rollup row everyone has moved on from
        ]
        if self.tutorials:
            conditions.append(source.c.tutorial_id.in_(self.tutorials))
        return conditions


Rollup = Literal["cohort", "chapters", "certificate"]
_ROLLUPS: dict[Rollup, Table] = {
    "cohort": tutorial_cohort_days,
    "chapters": tutorial_chapter_days,
    "certificate": tutorial_certificate_days,
}


def _source(rollup: Rollup, raw: bool) -> FromClause:
    return progress_rows() if raw else _ROLLUPS[rollup]


def _tutorial_or_all(source: FromClause) -> ColumnElement[Any]:
    """The tutorial, or `ALL` on a grouping set's total row."""
    return case(
        (func.grouping(source.c.tutorial_id) == 1, literal(ALL)), else_=source.c.tutorial_id
    ).label("tutorial_id")


def _cohort(source: FromClause, period: Period) -> ColumnElement[Any]:
    return func.date_trunc(period, source.c.day, "UTC")


def _sum(learners: Any, condition: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    """The learners (where `condition` holds), 0 for none, as a whole number."""
    total = func.sum(learners) if condition is None else func.sum(learners).filter(condition)
    return func.coalesce(total, 0).cast(BigInteger)


def _counted_within(days: int) -> int:
    if days not in WITHIN_DAYS:
        raise ValueError(f"Within {days} days is not counted; choose one of {WITHIN_DAYS}.")
    return days


def _within(source: FromClause, kind: str, days: int) -> ColumnElement[Any]:
    """Learners completed (`kind` "completed") or certified within `days`, named `complete_7d` /
    `certificate_7d`."""
    days = _counted_within(days)
    name = {"completed": "complete", "certified": "certificate"}[kind]
    return _sum(source.c[f"{kind}_{days}d"]).label(f"{name}_{days}d")


# -- start cohorts -----------------------------------------------------------------------------


def cohorts_statement(
    span: Span, period: Period, days: Sequence[int] = MILESTONES, *, raw: bool = False
) -> Select[Any]:
    """Per cohort (the period its members started in) and tutorial, and per cohort for all the
    span's tutorials (`tutorial_id` = `ALL`): starters, and for each of `days` the learners who
    completed every chapter (`complete_7d`) and who had the certificate (`certificate_7d`) within
    that many days."""
    source = _source("cohort", raw)
    cohort = _cohort(source, period)
    return (
        select(
            cohort.label("cohort"),
            _tutorial_or_all(source),
            _sum(source.c.starters).label("starters"),
            *(_within(source, "completed", n) for n in days),
            *(_within(source, "certified", n) for n in days),
        )
        .where(*span.where(source))
        .group_by(func.grouping_sets(tuple_(cohort, source.c.tutorial_id), tuple_(cohort)))
        .order_by(literal_column("cohort"), literal_column("tutorial_id"))
    )


def period_end(start: pd.Timestamp, period: Period) -> pd.Timestamp:
    """The end of the period starting at `start` (exclusive)."""
    if period == "month":
        return start + pd.DateOffset(months=1)
    return start + pd.Timedelta(days=7 if period == "week" else 1)


def mature(cohorts: pd.DataFrame, period: Period, span: Span, now: datetime) -> pd.DataFrame:
    """`cohorts` (from `cohorts_statement`) with its counts blank (NA) where the cohort is too
    young for that many days, and `cohort_end`: the end of its period or of the span."""
    if cohorts.empty:
        return cohorts.assign(cohort_end=pd.Series(dtype="datetime64[us, UTC]"))
    starts = pd.to_datetime(cohorts["cohort"], utc=True)
    span_end = pd.Timestamp(span.end)
    ends = pd.Series([min(period_end(s, period), span_end) for s in starts], index=cohorts.index)
    result = cohorts.assign(cohort_end=ends)
    for column in cohorts.columns:
        if match := _WITHIN_COLUMN.fullmatch(column):
            young = ends + pd.Timedelta(days=int(match[1])) > pd.Timestamp(now)
            result[column] = result[column].astype("Int64").mask(young)
    return result


_WITHIN_COLUMN = re.compile(r"(?:complete|certificate)_(\d+)d")


def shares(cohorts: pd.DataFrame, kind: str, days: Sequence[int]) -> pd.DataFrame:
    """Per cohort and tutorial: the share (%) of starters with `kind` (`complete`, `certificate`)
    within each of `days`, as columns named by the day; blank where the cohort is too young."""
    columns = {
        n: (100 * cohorts[f"{kind}_{n}d"].astype("Float64") / cohorts["starters"]).round(1)
        for n in days
    }
    return pd.DataFrame(
        {
            "cohort": cohorts["cohort"],
            "tutorial_id": cohorts["tutorial_id"],
            "starters": cohorts["starters"].astype("Int64"),
            **{f"day {n}": values for n, values in columns.items()},
        }
    )


# -- completion within N days over time ----------------------------------------------------------


def _counted(source: FromClause, within: int, now: datetime) -> ColumnElement[bool]:
    """Whether the learners of a start day have all had `within` whole days by `now`."""
    return source.c.day + DAY * (within + 1) <= now


def median_days_statement(
    span: Span, period: Period | None, within: int, now: datetime, *, raw: bool = False
) -> Select[Any]:
    """Per cohort (`period`; None: the whole span, no cohort column) and tutorial (and `ALL`): the
    median whole days from start to certificate of the learners who had it within `within` days,
    among those who have had `within` days — the lower median, the smallest d with at least half
    of them certified by day d."""
    source = _source("certificate", raw)
    cohort = [_cohort(source, period)] if period else []
    days = source.c.days_to_certificate
    counts = (
        select(
            *(c.label("cohort") for c in cohort),
            _tutorial_or_all(source),
            days.label("days"),
            _sum(source.c.learners).label("learners"),
        )
        .where(*span.where(source), days < within, _counted(source, within, now))
        .group_by(
            func.grouping_sets(tuple_(*cohort, source.c.tutorial_id, days), tuple_(*cohort, days))
        )
        .cte("certified")
    )
    by = [counts.c.tutorial_id, *([counts.c.cohort] if period else [])]
    ranked = select(
        *by,
        counts.c.days,
        func.sum(counts.c.learners).over(partition_by=by, order_by=counts.c.days).label("running"),
        func.sum(counts.c.learners).over(partition_by=by).label("total"),
    ).subquery("ranked")
    keys = [ranked.c[column.name] for column in by]
    return (
        select(*keys, func.min(ranked.c.days).label("median_days_to_certificate"))
        .where(2 * ranked.c.running >= ranked.c.total)
        .group_by(*keys)
        .order_by(*reversed(keys))
    )


OVER_TIME_COLUMNS = [
    "cohort",
    "tutorial_id",
    "starters",
    "completed",
    "completion_pct",
    "previous_pct",
    "change_pts",
    "certificates",
    "certificate_pct",
    "median_days_to_certificate",
]


def completion_over_time(cohorts: pd.DataFrame, medians: pd.DataFrame, within: int) -> pd.DataFrame:
    """Per cohort period and tutorial (and `ALL`): starters, completion and certificate rates within
    `within` days (blank while too young), the previous period's completion rate and the change in
    percentage points, and the median days to the certificate. `cohorts` is `mature`'s result."""
    if cohorts.empty:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    completed = cohorts[f"complete_{within}d"]
    certified = cohorts[f"certificate_{within}d"]
    starters = cohorts["starters"].astype("Int64")
    table = pd.DataFrame(
        {
            "cohort": cohorts["cohort"],
            "tutorial_id": cohorts["tutorial_id"],
            "starters": starters,
            "completed": completed,
            "completion_pct": (100 * completed.astype("Float64") / starters).round(1),
            "certificates": certified,
            "certificate_pct": (100 * certified.astype("Float64") / starters).round(1),
        }
    ).sort_values(["tutorial_id", "cohort"], kind="stable")
    table["previous_pct"] = table.groupby("tutorial_id")["completion_pct"].shift(1)
    table["change_pts"] = (table["completion_pct"] - table["previous_pct"]).round(1)
    keyed = medians.assign(cohort=pd.to_datetime(medians["cohort"], utc=True))
    table = table.assign(cohort=pd.to_datetime(table["cohort"], utc=True)).merge(
        keyed, on=["cohort", "tutorial_id"], how="left"
    )
    young = table["completion_pct"].isna()
    table["median_days_to_certificate"] = (
        table["median_days_to_certificate"].astype("Int64").mask(young)
    )
    return table[OVER_TIME_COLUMNS].sort_values(
        ["cohort", "tutorial_id"], kind="stable", ignore_index=True
    )


# -- tutorials side by side, and what changed ----------------------------------------------------


def summary_statement(span: Span, within: int, now: datetime, *, raw: bool = False) -> Select[Any]:
    """Per tutorial and for all of them (`ALL`): starters in the span; `counted` — those who
    started early enough to have had `within` whole days by `now`; of those, who completed
    and who had the certificate within `within` days; learners with a quiz score and those whose
    every quiz is passed."""
    source = _source("cohort", raw)
    within = _counted_within(within)
    counted = _counted(source, within, now)
    return (
        select(
            _tutorial_or_all(source),
            _sum(source.c.starters).label("starters"),
            _sum(source.c.starters, counted).label("counted"),
            _sum(source.c[f"completed_{within}d"], counted).label("completed"),
            _sum(source.c[f"certified_{within}d"], counted).label("certified"),
            _sum(source.c.quiz_takers).label("quiz_takers"),
            _sum(source.c.quizzes_passed).label("quizzes_passed"),
        )
        .where(*span.where(source))
        .group_by(func.grouping_sets(tuple_(source.c.tutorial_id), tuple_()))
        .order_by(literal_column("tutorial_id"))
    )


def chapter_reach_statement(span: Span, *, raw: bool = False) -> Select[Any]:
    """Per tutorial: learners by how many chapters they have completed."""
    source = _source("chapters", raw)
    return (
        select(
            source.c.tutorial_id,
            source.c.chapters_completed,
            _sum(source.c.learners).label("learners"),
        )
        .where(*span.where(source))
        .group_by(source.c.tutorial_id, source.c.chapters_completed)
        .order_by(source.c.tutorial_id, source.c.chapters_completed)
    )


def largest_drops(reach: pd.DataFrame) -> pd.DataFrame:
    """Per tutorial, from `chapter_reach_statement`: the chapter that loses the largest share of
    the learners who got to it — chapter k loses those who completed k − 1 chapters but not k, out
    of all who completed k − 1 (chapters are counted in the order learners complete them)."""
    rows = []
    for tutorial_id, group in reach.groupby("tutorial_id", sort=True):
        counts = dict(zip(group["chapters_completed"], group["learners"], strict=True))
        top = max(counts)
        best: tuple[float, int] | None = None
        for k in range(1, top + 1):
            reached = sum(n for c, n in counts.items() if c >= k - 1)
            stopped = counts.get(k - 1, 0)
            if reached and (best is None or stopped / reached > best[0]):
                best = (stopped / reached, k)
        if best is not None:
            rows.append(
                {
                    "tutorial_id": tutorial_id,
                    "largest_drop_chapter": best[1],
                    "largest_drop_pct": round(100 * best[0], 1),
                }
            )
    return pd.DataFrame(rows, columns=["tutorial_id", "largest_drop_chapter", "largest_drop_pct"])


def side_by_side(summary: pd.DataFrame, medians: pd.DataFrame, drops: pd.DataFrame) -> pd.DataFrame:
    """One row per tutorial: starters, completion and certificate rates within N days (of the
    learners counted), median days to the certificate, the largest drop, quiz pass rate."""
    rows = summary[summary["tutorial_id"] != ALL]
    counted = rows["counted"].astype("Float64").mask(rows["counted"] == 0)
    takers = rows["quiz_takers"].astype("Float64").mask(rows["quiz_takers"] == 0)
    table = pd.DataFrame(
        {
            "tutorial_id": rows["tutorial_id"],
            "starters": rows["starters"].astype("Int64"),
            "counted": rows["counted"].astype("Int64"),
            "completion_pct": (100 * rows["completed"] / counted).round(1),
            "certificate_pct": (100 * rows["certified"] / counted).round(1),
            "quiz_pass_pct": (100 * rows["quizzes_passed"] / takers).round(1),
        }
    )
    table = table.merge(
        medians[["tutorial_id", "median_days_to_certificate"]], on="tutorial_id", how="left"
    ).merge(drops, on="tutorial_id", how="left")
    return table[
        [
            "tutorial_id",
            "starters",
            "counted",
            "completion_pct",
            "certificate_pct",
            "median_days_to_certificate",
            "largest_drop_chapter",
            "largest_drop_pct",
            "quiz_pass_pct",
        ]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class Difference:
    """The change in a proportion from `before` to `after`, with its 95 % interval."""

    before_learners: int
    before_completed: int
    after_learners: int
    after_completed: int
    difference: float  # after − before, as a share (0.05 = 5 points)
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0 (the change is unlikely to be noise alone)."""
        return self.low > 0 or self.high < 0


Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for one proportion (Wilson 1927)."""
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


def difference_interval(
    before_completed: int, before_learners: int, after_completed: int, after_learners: int
) -> Difference | None:
    """`after − before` with Newcombe's hybrid score interval (Newcombe 1998, method 10): from the
    two Wilson intervals, low = d − √((p₂ − l₂)² + (u₁ − p₁)²), high = d + √((u₂ − p₂)² +
    (p₁ − l₁)²). Unlike the Wald interval it stays inside [−1, 1] and keeps its coverage for
    small groups and rates near 0 or 100 %. None when either side has no learners."""
    if before_learners <= 0 or after_learners <= 0:
        return None
    p1 = before_completed / before_learners
    p2 = after_completed / after_learners
    l1, u1 = wilson_interval(before_completed, before_learners)
    l2, u2 = wilson_interval(after_completed, after_learners)
    d = p2 - p1
    return Difference(
        before_learners,
        before_completed,
        after_learners,
        after_completed,
        d,
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def compare(before: pd.DataFrame, after: pd.DataFrame, tutorial_id: str = ALL) -> Difference | None:
    """The change in completion within N days between two `summary_statement` results, for one
    tutorial (or `ALL`), on the learners counted on each side."""

    def side(summary: pd.DataFrame) -> tuple[int, int]:
        row = summary[summary["tutorial_id"] == tutorial_id]
        if row.empty:
            return 0, 0
        return int(row["completed"].iloc[0]), int(row["counted"].iloc[0])

    (c1, n1), (c2, n2) = side(before), side(after)
    return difference_interval(c1, n1, c2, n2)


# -- the learners behind a figure ----------------------------------------------------------------

Who = Literal["started", "completed", "certified", "not completed"]
WHO: tuple[Who, ...] = ("started", "completed", "certified", "not completed")


def learners_statement(
    start: datetime,
    end: datetime,
    tutorials: Sequence[str],
    who: Who,
    within: int,
    *,
    limit: int = 500,
) -> Select[Any]:
    """The learners who started in `[start, end)` in `tutorials` (empty: all) and, for
    `completed`/`certified`/`not completed`, who did (not) within `within` days; earliest start
    first. One progress row each, no join: the moments are on the row. "Started" and "not
    completed" read the `started_at` index (most of a cohort matches, so the first 500 come
    early); "completed" and "certified" read the index pairing `started_at` with the time taken
    (`completed_at − started_at`, `certified_at − started_at`), which holds only the learners who
    did: a cohort where few did within N days is not read row by row."""
    p = tutorial_progress
    taken = {
        "completed": p.c.completed_at - p.c.started_at,
        "certified": p.c.certified_at - p.c.started_at,
    }
    deadline = DAY * within
    condition: ColumnElement[bool] = {
        "started": true(),
        "completed": taken["completed"] < deadline,
        "certified": taken["certified"] < deadline,
        "not completed": ~func.coalesce(taken["completed"] < deadline, false()),
    }[who]
    conditions = [p.c.started_at >= start, p.c.started_at < end, condition]
    if tutorials:
        conditions.append(p.c.tutorial_id.in_(tuple(tutorials)))
    return (
        select(
            p.c.user_id,
            p.c.tutorial_id,
            p.c.started_at,
            p.c.completed_at,
            p.c.certified_at,
            p.c.completion_percentage,
        )
        .where(*conditions)
        .order_by(p.c.started_at, p.c.tutorial_id, p.c.user_id)  # the index order: no sort
        .limit(limit)
    )


def tutorials_statement() -> Select[Any]:
    """Every tutorial anyone started, from the rollup."""
    return (
        select(tutorial_cohort_days.c.tutorial_id)
        .group_by(tutorial_cohort_days.c.tutorial_id)
        .order_by(tutorial_cohort_days.c.tutorial_id)
    )
