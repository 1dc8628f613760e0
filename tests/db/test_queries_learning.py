"""Learning-activity queries against a small cohort written through the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from progress.service import ProgressService
from queries import learning
from queries.rollups import refresh
from queries.sql import frame
from queries.window import Window

START = datetime(2026, 11, 10, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(days=10))


@pytest.fixture
def cohort(engine: Engine) -> Engine:
    """Four learners in t: a finishes all 3 chapters, b stops in ch-2, c in ch-1, d only ch-1
    done. Learner c goes quiet on day 1 (at risk by day 10)."""
    now = [START + timedelta(hours=1)]
    service = ProgressService(engine, clock=lambda: now[0])
    plan = {
        "a": [("ch-1", True), ("ch-2", True), ("ch-3", True)],
        "b": [("ch-1", True), ("ch-2", False)],
        "c": [("ch-1", False)],
        "d": [("ch-1", True)],
    }
    for day, (user, chapters) in enumerate(plan.items()):
        for chapter_id, done in chapters:
            now[0] = START + timedelta(days=day, hours=1)
            service.update_chapter_progress(
                "t",
                user,
                chapter_id=chapter_id,
                watch_time=100,
                completed=done,
                last_position=100 if done else 40,
                total_chapters=3,
                actor=user,
                source="api",
            )
    refresh(engine)  # as every writer does (the API's request logger, the dashboard)
    return engine


def test_the_funnel_counts_reached_and_completed_per_chapter(cohort: Engine) -> None:
    funnel = frame(cohort, learning.chapter_funnel_statement(WINDOW, "t"))
    assert funnel.to_dict("records") == [
        {"chapter_id": "ch-1", "reached": 4, "completed": 3},
        {"chapter_id": "ch-2", "reached": 2, "completed": 1},
        {"chapter_id": "ch-3", "reached": 1, "completed": 1},
    ]


def test_stop_positions_are_those_of_unfinished_chapters(cohort: Engine) -> None:
    stops = frame(cohort, learning.stop_positions_statement(WINDOW, "t"))
    assert stops.to_dict("records") == [
        {"chapter_id": "ch-1", "last_position": 40.0},
        {"chapter_id": "ch-2", "last_position": 40.0},
    ]


def test_stuck_learners_are_those_whose_furthest_chapter_is_unfinished(cohort: Engine) -> None:
    assert frame(cohort, learning.stuck_learners_statement(WINDOW, "t", "ch-2"))[
        "user_id"
    ].tolist() == ["b"]
    assert frame(cohort, learning.stuck_learners_statement(WINDOW, "t", "ch-1"))[
        "user_id"
    ].tolist() == ["c"]


def test_at_risk_means_unfinished_and_quiet_for_a_week(cohort: Engine) -> None:
    at_risk = frame(cohort, learning.at_risk_statement(WINDOW))
    assert sorted(at_risk["user_id"]) == ["b", "c"]  # a finished; d was active on day 3


def test_daily_active_tutorials_equals_the_briefs_query_over_the_same_window(
    cohort: Engine,
) -> None:
    ours = frame(cohort, learning.daily_active_tutorials_statement(WINDOW)).to_dict("records")
    with cohort.connect() as connection:
        brief = connection.execute(
            text(
                "SELECT tutorial_id, COUNT(DISTINCT user_id) as active_users,"
                " AVG(completion_percentage) as avg_completion FROM tutorial_progress"
                " WHERE last_watched_at >= :start AND last_watched_at < :end GROUP BY tutorial_id"
            ),
            {"start": WINDOW.start, "end": WINDOW.end},
        ).all()
    assert [(r["tutorial_id"], r["active_users"]) for r in ours] == [
        (row.tutorial_id, row.active_users) for row in brief
    ]
    assert float(ours[0]["avg_completion"]) == pytest.approx(
        float(brief[0].avg_completion), abs=0.01
    )


def test_completion_bands_and_active_learners_per_day(cohort: Engine) -> None:
    bands = frame(cohort, learning.completion_distribution_statement(WINDOW))
    assert dict(zip(bands["band"].astype(float), bands["learners"], strict=True)) == {
        0.0: 1,  # c
        30.0: 2,  # b and d: 1 of 3 chapters
        100.0: 1,  # a
    }
    per_day = frame(cohort, learning.active_learners_per_day_statement(WINDOW))
    assert per_day["active_learners"].tolist() == [1, 1, 1, 1]
    assert per_day["day"].tolist() == [START + timedelta(days=day) for day in range(4)]


def test_active_learners_per_day_keep_days_a_later_update_overwrote(cohort: Engine) -> None:
    """chapter_progress keeps only a chapter's last update; the activity rollup keeps every day."""
    service = ProgressService(cohort, clock=lambda: START + timedelta(days=6, hours=2))
    service.update_chapter_progress(
        "t",
        "a",
        chapter_id="ch-1",
        watch_time=120,
        completed=True,
        last_position=100,
        actor="a",
        source="api",
    )
    refresh(cohort)
    per_day = frame(cohort, learning.active_learners_per_day_statement(WINDOW))
    assert dict(zip(per_day["day"], per_day["active_learners"], strict=True)) == {
        START + timedelta(days=day): 1 for day in (0, 1, 2, 3, 6)
    }
    only_t = frame(cohort, learning.active_learners_per_day_statement(WINDOW, "t"))
    assert only_t["active_learners"].sum() == 5
    assert frame(cohort, learning.active_learners_per_day_statement(WINDOW, "other")).empty


def test_active_learners_per_day_count_whole_days_the_window_touches(cohort: Engine) -> None:
    evening = Window(START + timedelta(days=1, hours=20), START + timedelta(days=2, hours=2))
    per_day = frame(cohort, learning.active_learners_per_day_statement(evening))
    assert per_day["day"].tolist() == [START + timedelta(days=1), START + timedelta(days=2)]


def test_time_to_certificate_is_binned(cohort: Engine) -> None:
    service = ProgressService(cohort, clock=lambda: START + timedelta(days=1, hours=13))
    service.update_quiz_score(
        "t", "a", quiz_id="q", score=9, max_score=10, passed=True, actor="a", source="api"
    )
    service.complete_tutorial("t", "a", actor="a", source="api")
    bins = frame(cohort, learning.time_to_certificate_statement(WINDOW, "t"))
    # a started on day 0 at 01:00 and earned the certificate on day 1 at 13:00: 1.5 days
    assert bins.astype(float).to_dict("records") == [
        {"days_from": 1.5, "days_to": 2.0, "learners": 1.0}
    ]


def test_lists_cut_at_their_limit_still_count_every_match(cohort: Engine) -> None:
    at_risk = frame(cohort, learning.at_risk_statement(WINDOW, limit=1))
    assert at_risk[["user_id", "total_rows"]].to_dict("records") == [
        {"user_id": "c", "total_rows": 2}  # the most recent of the two
    ]
    stuck = frame(cohort, learning.stuck_learners_statement(WINDOW, "t", "ch-2", limit=1))
    assert stuck["total_rows"].tolist() == [1]
