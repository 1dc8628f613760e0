"""Completion trends against hand-computed values on a small fixed data set.

Tutorial `t` (2 chapters in the catalog) and `u` (2 chapters, then 3):
- B starts Sun 2026-11-01 23:59:59 UTC — the last second of the week of 26 Oct — and completes
  1 day and 1 second later (whole days: 1).
- A starts Mon 2026-11-02 00:00:00 — the first second of the week of 2 Nov — completes after
  3 days and has the certificate an hour later (3 days).
- C starts 3 Nov and completes chapter 1 only.
- D starts 4 Nov, completes after 10 days, is reset on 15 Nov and starts again on 16 Nov (week of
  16 Nov) without completing a chapter: only the new start counts.
- E starts 5 Nov with chapter 1, is reset on 6 Nov and restored on 7 Nov: back in 5 Nov's cohort.
- F (`u`) completes both chapters on 9 Nov (0 days); the catalog then grows to 3 chapters and F's
  next update makes F incomplete again. G (`u`) starts on 10 Nov and completes all 3 the same day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, text, update

from progress.db import alembic_config
from progress.schema import (
    progress_events,
    tutorial_certificates,
    tutorial_progress,
    tutorials,
)
from progress.service import ProgressService
from queries import trends
from queries.sql import frame
from queries.trends import ALL, Span


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = at("2026-01-01T00:00:00")

    def __call__(self) -> datetime:
        return self.now


NOW = at("2026-12-20T00:00:00")
SPAN = Span(at("2026-10-26T00:00:00"), at("2026-11-30T00:00:00"))


@pytest.fixture
def data(engine: Engine) -> Engine:
    with engine.begin() as connection:
        connection.execute(
            tutorials.insert(),
            [
                {"tutorial_id": "t", "title": "T", "total_chapters": 2},
                {"tutorial_id": "u", "title": "U", "total_chapters": 2},
            ],
        )
    clock = Clock()
    service = ProgressService(engine, clock=clock)

    def chapter(when: str, user: str, chapter_id: str, completed: bool = True, t: str = "t") -> Any:
        clock.now = at(when)
        return service.update_chapter_progress(
            t,
            user,
            chapter_id=chapter_id,
            watch_time=60,
            completed=completed,
            last_position=60,
            actor=user,
            source="api",
        )

    chapter("2026-11-01T23:59:59", "B", "ch-01")
    chapter("2026-11-03T00:00:00", "B", "ch-02")
    chapter("2026-11-02T00:00:00", "A", "ch-01")
    chapter("2026-11-05T00:00:00", "A", "ch-02")
    clock.now = at("2026-11-05T01:00:00")
    service.complete_tutorial("t", "A", actor="A", source="api")
    chapter("2026-11-03T10:00:00", "C", "ch-01")
    chapter("2026-11-04T10:00:00", "D", "ch-01")
    chapter("2026-11-14T10:00:00", "D", "ch-02")
    clock.now = at("2026-11-15T10:00:00")
    service.reset_progress("t", "D", actor="sam@support", source="console")
    chapter("2026-11-16T10:00:00", "D", "ch-01", completed=False)
    chapter("2026-11-05T10:00:00", "E", "ch-01")
    clock.now = at("2026-11-06T10:00:00")
    service.reset_progress("t", "E", actor="sam@support", source="console")
    with engine.connect() as connection:
        reset = connection.execute(
            select(progress_events.c.id).where(
                progress_events.c.user_id == "E", progress_events.c.kind == "reset"
            )
        ).scalar_one()
    clock.now = at("2026-11-07T10:00:00")
    service.restore_progress(reset, actor="sam@support", reason="reset by mistake")
    chapter("2026-11-09T10:00:00", "F", "ch-01", t="u")
    chapter("2026-11-09T12:00:00", "F", "ch-02", t="u")
    with engine.begin() as connection:
        connection.execute(
            update(tutorials).where(tutorials.c.tutorial_id == "u").values(total_chapters=3)
        )
    chapter("2026-11-10T10:00:00", "F", "ch-03", completed=False, t="u")
    for number in (1, 2, 3):
        chapter(f"2026-11-10T1{number}:00:00", "G", f"ch-0{number}", t="u")
    return engine


def rows(engine: Engine, statement: Any) -> pd.DataFrame:
    return frame(engine, statement)


def by_key(table: pd.DataFrame, *keys: str) -> dict[Any, dict[Any, Any]]:
    return {
        tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row
        for row in table.to_dict("records")
    }


def week(day: str) -> pd.Timestamp:
    return pd.Timestamp(at(f"{day}T00:00:00"))


def test_progress_rows_keep_their_start_and_completion_moments(data: Engine) -> None:
    with data.connect() as connection:
        moments = {
            (r.tutorial_id, r.user_id): (r.started_at, r.completed_at)
            for r in connection.execute(
                select(
                    tutorial_progress.c.tutorial_id,
                    tutorial_progress.c.user_id,
                    tutorial_progress.c.started_at,
                    tutorial_progress.c.completed_at,
                )
            )
        }
    assert moments == {
        ("t", "A"): (at("2026-11-02T00:00:00"), at("2026-11-05T00:00:00")),
        ("t", "B"): (at("2026-11-01T23:59:59"), at("2026-11-03T00:00:00")),
        ("t", "C"): (at("2026-11-03T10:00:00"), None),
        ("t", "D"): (at("2026-11-16T10:00:00"), None),  # reset, then started again
        ("t", "E"): (at("2026-11-05T10:00:00"), None),  # restored: the original start
        ("u", "F"): (at("2026-11-09T10:00:00"), None),  # a third chapter: no longer complete
        ("u", "G"): (at("2026-11-10T11:00:00"), at("2026-11-10T13:00:00")),
    }


@pytest.mark.parametrize(
    "build",
    [
        lambda raw: trends.cohorts_statement(SPAN, "week", raw=raw),
        lambda raw: trends.cohorts_statement(SPAN, "day", raw=raw),
        lambda raw: trends.median_days_statement(SPAN, "week", 14, NOW, raw=raw),
        lambda raw: trends.summary_statement(SPAN, 7, NOW, raw=raw),
        lambda raw: trends.chapter_reach_statement(SPAN, raw=raw),
    ],
)
def test_the_rollup_answers_what_the_progress_rows_answer(data: Engine, build: Any) -> None:
    rollup = rows(data, build(False))
    assert not rollup.empty
    pd.testing.assert_frame_equal(rollup, rows(data, build(True)), check_dtype=False)


def test_week_cohorts_by_day_n_with_blanks_for_cohorts_too_young(data: Engine) -> None:
    cohorts = trends.mature(rows(data, trends.cohorts_statement(SPAN, "week")), "week", SPAN, NOW)
    total = by_key(cohorts[cohorts["tutorial_id"] == ALL], "cohort")
    assert set(total) == {
        week("2026-10-26"),
        week("2026-11-02"),
        week("2026-11-09"),
        week("2026-11-16"),
    }
    b = total[week("2026-10-26")]  # B, the last second of its week
    assert (b["starters"], b["complete_1d"], b["complete_7d"], b["complete_30d"]) == (1, 0, 1, 1)
    assert pd.isna(b["complete_60d"])  # 2 Nov + 60 days is after 20 Dec
    a = total[week("2026-11-02")]  # A, C, E (D started again later)
    assert (a["starters"], a["complete_1d"], a["complete_7d"], a["certificate_7d"]) == (3, 0, 1, 1)
    assert a["certificate_1d"] == 0
    u = total[week("2026-11-09")]  # F (incomplete again), G (0 days)
    assert (u["starters"], u["complete_1d"], u["complete_30d"]) == (2, 1, 1)
    d = total[week("2026-11-16")]  # D's new start
    assert (d["starters"], d["complete_14d"]) == (1, 0)
    assert pd.isna(d["complete_30d"])  # 23 Nov + 30 days is after 20 Dec
    assert pd.isna(d["certificate_30d"])
    per_tutorial = by_key(cohorts[cohorts["tutorial_id"] != ALL], "cohort", "tutorial_id")
    assert set(per_tutorial) == {
        (week("2026-10-26"), "t"),
        (week("2026-11-02"), "t"),
        (week("2026-11-09"), "u"),
        (week("2026-11-16"), "t"),
    }
    shares = trends.shares(cohorts[cohorts["tutorial_id"] == ALL], "complete", (7, 60))
    assert shares["day 7"].tolist() == [100.0, 33.3, 50.0, 0.0]
    assert shares["day 60"].isna().all()


def test_completion_within_n_days_week_by_week(data: Engine) -> None:
    cohorts = trends.mature(
        rows(data, trends.cohorts_statement(SPAN, "week", (7,))), "week", SPAN, NOW
    )
    medians = rows(data, trends.median_days_statement(SPAN, "week", 7, NOW))
    table = trends.completion_over_time(cohorts, medians, 7)
    t = table[table["tutorial_id"] == "t"].set_index("cohort")
    assert t["completion_pct"].tolist() == [100.0, 33.3, 0.0]
    assert pd.isna(t["previous_pct"].iloc[0])
    assert t["previous_pct"].tolist()[1:] == [100.0, 33.3]
    assert t["change_pts"].tolist()[1:] == [-66.7, -33.3]
    assert t.loc[week("2026-11-02"), "median_days_to_certificate"] == 3
    assert t.loc[week("2026-11-02"), "certificate_pct"] == 33.3


def test_tutorials_side_by_side(data: Engine) -> None:
    summary = rows(data, trends.summary_statement(SPAN, 7, NOW))
    medians = rows(data, trends.median_days_statement(SPAN, None, 7, NOW))
    drops = trends.largest_drops(rows(data, trends.chapter_reach_statement(SPAN)))
    total = by_key(summary, "tutorial_id")[ALL]
    assert (total["starters"], total["counted"], total["completed"], total["certified"]) == (
        7,
        7,
        3,
        1,
    )
    table = by_key(trends.side_by_side(summary, medians, drops), "tutorial_id")
    assert table["t"]["starters"] == 5
    assert table["t"]["completion_pct"] == 40.0  # A and B of 5
    assert table["t"]["certificate_pct"] == 20.0
    assert table["t"]["median_days_to_certificate"] == 3
    # t: 5 got to chapter 1, 1 stopped there (20 %); 4 got to chapter 2, 2 stopped (50 %).
    assert (table["t"]["largest_drop_chapter"], table["t"]["largest_drop_pct"]) == (2, 50.0)
    assert (table["u"]["largest_drop_chapter"], table["u"]["largest_drop_pct"]) == (3, 50.0)
    assert table["u"]["completion_pct"] == 50.0
    assert pd.isna(table["u"]["quiz_pass_pct"])  # nobody took a quiz


def test_only_learners_who_have_had_n_days_are_counted(data: Engine) -> None:
    # On 20 Nov, 7 days have passed only for starts up to 12 Nov: not D's restart on 16 Nov.
    summary = by_key(
        rows(data, trends.summary_statement(SPAN, 7, at("2026-11-20T00:00:00"))), "tutorial_id"
    )
    assert (summary["t"]["starters"], summary["t"]["counted"]) == (5, 4)


def test_what_changed_compares_two_periods(data: Engine) -> None:
    before = rows(
        data, trends.summary_statement(Span(SPAN.start, at("2026-11-02T00:00:00")), 7, NOW)
    )
    after = rows(data, trends.summary_statement(Span(at("2026-11-02T00:00:00"), SPAN.end), 7, NOW))
    result = trends.compare(before, after, "t")
    assert result is not None
    assert (result.before_completed, result.before_learners) == (1, 1)
    assert (result.after_completed, result.after_learners) == (1, 4)
    assert result.difference == pytest.approx(-0.75)
    assert trends.compare(before, after, "u") is None  # nobody started u before 2 Nov


def test_newcombe_interval_matches_the_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10.
    first = trends.difference_interval(48, 80, 56, 70)
    assert first is not None
    assert (round(first.low, 4), round(first.high, 4)) == (0.0524, 0.3339)
    second = trends.difference_interval(3, 10, 9, 10)
    assert second is not None
    assert (round(second.low, 4), round(second.high, 4)) == (0.1705, 0.8090)
    assert second.significant
    assert not trends.difference_interval(5, 10, 6, 10).significant  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("started", ["A", "C", "E"]),
        ("completed", ["A"]),
        ("certified", ["A"]),
        ("not completed", ["C", "E"]),
    ],
)
def test_the_learners_behind_a_cohort_cell(
    data: Engine, who: trends.Who, expected: list[str]
) -> None:
    start = at("2026-11-02T00:00:00")
    people = rows(data, trends.learners_statement(start, start + timedelta(days=7), ("t",), who, 7))
    assert people["user_id"].tolist() == expected


def certified_moments(engine: Engine) -> dict[tuple[str, str], datetime | None]:
    """Each pair's `certified_at`, beside the certificate row's `awarded_at` it must equal."""
    with engine.connect() as connection:
        pairs = connection.execute(
            select(
                tutorial_progress.c.tutorial_id,
                tutorial_progress.c.user_id,
                tutorial_progress.c.certified_at,
                tutorial_certificates.c.awarded_at,
            ).select_from(
                tutorial_progress.outerjoin(
                    tutorial_certificates,
                    tutorial_certificates.c.progress_id == tutorial_progress.c.id,
                )
            )
        ).all()
    assert all(row.certified_at == row.awarded_at for row in pairs)
    return {(row.tutorial_id, row.user_id): row.certified_at for row in pairs}


def test_certified_at_follows_the_certificate_through_revoke_reset_and_restore(
    data: Engine,
) -> None:
    """H completes `t` on 20 Nov; the certificate is issued at 12:00, revoked by support at 13:00
    (a restore of the state before the award), issued again at 14:00; the pair is reset on 21 Nov
    and the reset undone on 22 Nov: the certificate of 14:00 is back, and so is its moment."""
    clock = Clock()
    service = ProgressService(data, clock=clock)
    for when, chapter_id in (("2026-11-20T10:00:00", "ch-01"), ("2026-11-20T11:00:00", "ch-02")):
        clock.now = at(when)
        service.update_chapter_progress(
            "t",
            "H",
            chapter_id=chapter_id,
            watch_time=60,
            completed=True,
            last_position=60,
            actor="H",
            source="api",
        )

    def event(kind: str) -> int:
        with data.connect() as connection:
            return int(
                connection.execute(
                    select(func.max(progress_events.c.id)).where(
                        progress_events.c.user_id == "H", progress_events.c.kind == kind
                    )
                ).scalar_one()
            )

    assert certified_moments(data)[("t", "H")] is None
    clock.now = at("2026-11-20T12:00:00")
    service.complete_tutorial("t", "H", actor="H", source="api")
    assert certified_moments(data)[("t", "H")] == at("2026-11-20T12:00:00")
    clock.now = at("2026-11-20T13:00:00")
    service.restore_progress(event("complete"), actor="sam@support", reason="issued by mistake")
    assert certified_moments(data)[("t", "H")] is None
    clock.now = at("2026-11-20T14:00:00")
    service.complete_tutorial("t", "H", actor="H", source="api")
    assert certified_moments(data)[("t", "H")] == at("2026-11-20T14:00:00")
    clock.now = at("2026-11-21T10:00:00")
    service.reset_progress("t", "H", actor="sam@support", source="console")
    assert ("t", "H") not in certified_moments(data)
    clock.now = at("2026-11-22T10:00:00")
    service.restore_progress(event("reset"), actor="sam@support", reason="reset by mistake")
    moments = certified_moments(data)
    assert moments[("t", "H")] == at("2026-11-20T14:00:00")
    # Of the fixture's learners only A has the certificate, issued 5 Nov 01:00.
    assert {pair: moment for pair, moment in moments.items() if moment is not None} == {
        ("t", "A"): at("2026-11-05T01:00:00"),
        ("t", "H"): at("2026-11-20T14:00:00"),
    }
    week_of_16_nov = at("2026-11-16T00:00:00")
    certified = rows(
        data,
        trends.learners_statement(
            week_of_16_nov, week_of_16_nov + timedelta(days=7), ("t",), "certified", 1
        ),
    )
    assert certified[["user_id", "certified_at"]].to_dict("records") == [
        {"user_id": "H", "certified_at": pd.Timestamp(at("2026-11-20T14:00:00"))}
    ]


@pytest.mark.parametrize(
    ("who", "within", "expected"),
    [
        # Whole days from the start: B 1 d 1 s to complete (1 whole day), A 3 d, G 2 h.
        ("completed", 1, ["G"]),
        ("completed", 2, ["B", "G"]),
        ("completed", 7, ["B", "A", "G"]),
        ("certified", 3, []),  # A: 3 d 1 h, 3 whole days — not within 3
        ("certified", 7, ["A"]),
        ("not completed", 1, ["B", "A", "C", "E", "F", "D"]),
    ],
)
def test_the_learners_who_did_within_n_days_in_a_month_of_all_tutorials(
    data: Engine, who: trends.Who, within: int, expected: list[str]
) -> None:
    november = at("2026-11-01T00:00:00")
    people = rows(
        data, trends.learners_statement(november, at("2026-12-01T00:00:00"), (), who, within)
    )
    assert people["user_id"].tolist() == expected


def test_a_period_ends_where_the_next_one_starts() -> None:
    assert trends.period_end(week("2026-11-02"), "week") == week("2026-11-09")
    assert trends.period_end(week("2026-11-02"), "day") == week("2026-11-03")
    assert trends.period_end(week("2026-12-01"), "month") == week("2027-01-01")


def test_migration_0005_backfills_the_moments_and_the_rollup_from_existing_rows(
    data: Engine, database_url: str
) -> None:
    from alembic import command

    config = alembic_config(database_url)
    command.downgrade(config, "0003")
    command.upgrade(config, "head")
    with data.connect() as connection:
        moments = {
            r.user_id: (r.started_at, r.completed_at)
            for r in connection.execute(
                select(
                    tutorial_progress.c.user_id,
                    tutorial_progress.c.started_at,
                    tutorial_progress.c.completed_at,
                )
            )
        }
    # Rows as they were: started when created, completed at the last completed chapter's update.
    assert moments["A"] == (at("2026-11-02T00:00:00"), at("2026-11-05T00:00:00"))
    assert moments["G"] == (at("2026-11-10T11:00:00"), at("2026-11-10T13:00:00"))
    assert moments["F"][1] is None
    for rollup, raw in (
        (trends.cohorts_statement(SPAN, "week"), trends.cohorts_statement(SPAN, "week", raw=True)),
        (trends.summary_statement(SPAN, 7, NOW), trends.summary_statement(SPAN, 7, NOW, raw=True)),
        (trends.chapter_reach_statement(SPAN), trends.chapter_reach_statement(SPAN, raw=True)),
    ):
        pd.testing.assert_frame_equal(rows(data, rollup), rows(data, raw), check_dtype=False)


def test_migration_0008_backfills_certified_at_from_the_certificates(
    data: Engine, database_url: str
) -> None:
    from alembic import command

    config = alembic_config(database_url)
    command.downgrade(config, "0007")  # the rows as 0007 kept them: no certified_at
    with data.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'tutorial_progress'"
            )
        ).scalars()
        assert "certified_at" not in set(columns)
    command.upgrade(config, "head")
    moments = certified_moments(data)
    assert {pair: moment for pair, moment in moments.items() if moment is not None} == {
        ("t", "A"): at("2026-11-05T01:00:00")
    }
    assert len(moments) == 7
    start = at("2026-11-02T00:00:00")
    people = rows(
        data, trends.learners_statement(start, start + timedelta(days=7), (), "certified", 7)
    )
    assert people["user_id"].tolist() == ["A"]
