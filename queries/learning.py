"""Learning activity (product): who is active, how far they get, where they stop.

Chapters are ordered by their id (the demo's `ch-01`, `ch-02`, … and most catalogs sort that way).
"Active in the window" means a watch in it (`tutorial_progress.last_watched_at`, the brief's
definition); "active on a day" a chapter update that UTC day (the `learner_days` rollups, which
keep the days a chapter row's later updates overwrite). Funnels and stop positions follow the
cohort of learners who *started* the tutorial in the window (`tutorial_progress.created_at`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Numeric, Select, and_, case, func, select

from progress.schema import (
    chapter_progress,
    learner_days,
    learner_tutorial_days,
    quiz_scores,
    tutorial_certificates,
    tutorial_progress,
)
from queries.window import Window, utc_midnight

AT_RISK_AFTER = timedelta(days=7)


def _tutorial(tutorial_id: str | None) -> Any:
    return tutorial_progress.c.tutorial_id == tutorial_id if tutorial_id else and_(True)


def daily_active_tutorials_statement(
    window: Window, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    """The brief's "daily active tutorials", for any window: learners who watched in the window and
    their average completion, per tutorial, most active first.

    A learner has one row per tutorial (`(tutorial_id, user_id)` is unique), so counting rows is
    the brief's `COUNT(DISTINCT user_id)` (tested equal) without its sort: 3× faster at 30 days.
    There is no index on `last_watched_at` on purpose: every watch updates it, and an index would
    cost each of those updates its HOT update; the scan of one row per learner and tutorial is
    within budget (`docs/benchmarks.md`).
    """
    active_users = func.count()
    return (
        select(
            tutorial_progress.c.tutorial_id,
            active_users.label("active_users"),
            func.round(func.avg(tutorial_progress.c.completion_percentage), 2).label(
                "avg_completion"
            ),
        )
        .where(
            tutorial_progress.c.last_watched_at >= window.start,
            tutorial_progress.c.last_watched_at < window.end,
            _tutorial(tutorial_id),
        )
        .group_by(tutorial_progress.c.tutorial_id)
        .order_by(active_users.desc(), tutorial_progress.c.tutorial_id)
    )


def active_learners_per_day_statement(
    window: Window, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    """Per UTC day the window touches (whole days: activity is kept per day): learners with a
    chapter update that day, read from the `learner_days` rollups (`queries.rollups`)."""
    days = learner_tutorial_days if tutorial_id else learner_days
    conditions = [days.c.day >= utc_midnight(window.start), days.c.day < window.end]
    if tutorial_id:
        conditions.append(learner_tutorial_days.c.tutorial_id == tutorial_id)
    return (
        select(days.c.day, func.count().label("active_learners"))
        .where(*conditions)
        .group_by(days.c.day)
        .order_by(days.c.day)
    )


def completion_distribution_statement(
    window: Window, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    """Learners active in the window by completion, in 10-point bands (100 % on its own)."""
    band = case(
        (tutorial_progress.c.completion_percentage >= 100, 100),
        else_=func.floor(tutorial_progress.c.completion_percentage / 10) * 10,
    ).label("band")
    return (
        select(band, func.count().label("learners"))
        .where(
            tutorial_progress.c.last_watched_at >= window.start,
            tutorial_progress.c.last_watched_at < window.end,
            _tutorial(tutorial_id),
        )
        .group_by(band)
        .order_by(band)
    )


def _days_to_certificate() -> Any:
    return (
        func.extract("epoch", tutorial_certificates.c.awarded_at - tutorial_progress.c.created_at)
        / 86400.0
    )


def _certificates_awarded_in(window: Window, tutorial_id: str | None) -> Any:
    return and_(
        tutorial_certificates.c.awarded_at >= window.start,
        tutorial_certificates.c.awarded_at < window.end,
        _tutorial(tutorial_id),
    )


_CERTIFIED = tutorial_certificates.join(
    tutorial_progress, tutorial_progress.c.id == tutorial_certificates.c.progress_id
)


def time_to_certificate_statement(
    window: Window, tutorial_id: str | None = None, *, bin_days: float = 0.5
) -> Select[*tuple[Any, ...]]:
    """How long learners took from starting a tutorial to its certificate, for certificates
    awarded in the window: days_from, days_to, learners — one row per non-empty bin of
    `bin_days` days, in order. Binned in the database: a row per certificate is tens of
    thousands of rows over 30 days, about 3× slower than binned (`docs/benchmarks.md`)."""
    bin_ = func.floor(_days_to_certificate() / bin_days)
    return (
        select(
            (bin_ * bin_days).label("days_from"),
            ((bin_ + 1) * bin_days).label("days_to"),
            func.count().label("learners"),
        )
        .select_from(_CERTIFIED)
        .where(_certificates_awarded_in(window, tutorial_id))
        .group_by(bin_)
        .order_by(bin_)
    )


def quiz_results_statement(
    window: Window, tutorial_id: str | None = None
) -> Select[*tuple[Any, ...]]:
    """Per quiz: learners, pass rate and attempts, for quizzes last taken in the window."""
    learners = func.count()
    return (
        select(
            tutorial_progress.c.tutorial_id,
            quiz_scores.c.quiz_id,
            learners.label("learners"),
            func.round(
                (100.0 * func.count().filter(quiz_scores.c.passed) / learners).cast(Numeric), 1
            ).label("pass_rate_pct"),
            func.round(func.avg(quiz_scores.c.attempts), 2).label("avg_attempts"),
        )
        .select_from(
            quiz_scores.join(tutorial_progress, tutorial_progress.c.id == quiz_scores.c.progress_id)
        )
        .where(
            quiz_scores.c.completed_at >= window.start,
            quiz_scores.c.completed_at < window.end,
            _tutorial(tutorial_id),
        )
        .group_by(tutorial_progress.c.tutorial_id, quiz_scores.c.quiz_id)
        .order_by(tutorial_progress.c.tutorial_id, quiz_scores.c.quiz_id)
    )


def _cohort(window: Window, tutorial_id: str) -> Any:
    return and_(
        tutorial_progress.c.tutorial_id == tutorial_id,
        tutorial_progress.c.created_at >= window.start,
        tutorial_progress.c.created_at < window.end,
    )


def chapter_funnel_statement(window: Window, tutorial_id: str) -> Select[*tuple[Any, ...]]:
    """Per chapter of one tutorial: learners of the cohort who reached it and who completed it."""
    return (
        select(
            chapter_progress.c.chapter_id,
            func.count().label("reached"),
            func.count().filter(chapter_progress.c.completed).label("completed"),
        )
        .select_from(
            chapter_progress.join(
                tutorial_progress, tutorial_progress.c.id == chapter_progress.c.progress_id
            )
        )
        .where(_cohort(window, tutorial_id))
        .group_by(chapter_progress.c.chapter_id)
        .order_by(chapter_progress.c.chapter_id)
    )


def stop_positions_statement(window: Window, tutorial_id: str) -> Select[*tuple[Any, ...]]:
    """Where in the video learners stopped: `last_position` of unfinished chapters (seconds)."""
    return (
        select(chapter_progress.c.chapter_id, chapter_progress.c.last_position)
        .select_from(
            chapter_progress.join(
                tutorial_progress, tutorial_progress.c.id == chapter_progress.c.progress_id
            )
        )
        .where(_cohort(window, tutorial_id), chapter_progress.c.completed.is_(False))
        .order_by(chapter_progress.c.chapter_id)
    )


def stuck_learners_statement(
    window: Window, tutorial_id: str, chapter_id: str, *, limit: int = 200
) -> Select[*tuple[Any, ...]]:
    """Learners of the cohort whose furthest chapter is `chapter_id`, not completed; most recently
    active first, at most `limit`, each row with `total_rows`: how many there are in all."""
    later = chapter_progress.alias("later")
    furthest = (
        select(func.max(later.c.chapter_id))
        .where(later.c.progress_id == tutorial_progress.c.id)
        .scalar_subquery()
    )
    return (
        select(
            tutorial_progress.c.user_id,
            chapter_progress.c.last_position,
            chapter_progress.c.watch_time,
            tutorial_progress.c.last_watched_at,
            func.count().over().label("total_rows"),
        )
        .select_from(
            chapter_progress.join(
                tutorial_progress, tutorial_progress.c.id == chapter_progress.c.progress_id
            )
        )
        .where(
            _cohort(window, tutorial_id),
            chapter_progress.c.chapter_id == chapter_id,
            chapter_progress.c.completed.is_(False),
            furthest == chapter_id,
        )
        .order_by(tutorial_progress.c.last_watched_at.desc())
        .limit(limit)
    )


def at_risk_statement(
    window: Window, tutorial_id: str | None = None, *, limit: int = 200
) -> Select[*tuple[Any, ...]]:
    """Started, not finished, and inactive for 7+ days at the window's end; most recent first, at
    most `limit`, each row with `total_rows`: how many there are in all."""
    return (
        select(
            tutorial_progress.c.user_id,
            tutorial_progress.c.tutorial_id,
            tutorial_progress.c.completion_percentage,
            tutorial_progress.c.last_watched_at,
            func.count().over().label("total_rows"),
        )
        .where(
            tutorial_progress.c.certificate_earned.is_(False),
            tutorial_progress.c.completion_percentage < 100,
            tutorial_progress.c.last_watched_at < window.end - AT_RISK_AFTER,
            tutorial_progress.c.last_watched_at >= window.start - AT_RISK_AFTER,
            _tutorial(tutorial_id),
        )
        .order_by(tutorial_progress.c.last_watched_at.desc())
        .limit(limit)
    )


def tutorials_statement() -> Select[*tuple[Any, ...]]:
    """Every tutorial with progress, for the sidebar's filter."""
    return (
        select(tutorial_progress.c.tutorial_id)
        .group_by(tutorial_progress.c.tutorial_id)
        .order_by(tutorial_progress.c.tutorial_id)
    )
