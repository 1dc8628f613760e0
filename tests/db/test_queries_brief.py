"""Where our queries and the brief's monitoring SQL mean the same thing, they give the same numbers.

The brief's three queries run verbatim, in a transaction whose `now()` is the end of our window
(`now()` is the transaction's start time), on data that has nothing after it. Where they mean
different things is shown too: a certificate row touched after its award.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection, Engine, insert, text

from progress import routes
from progress.schema import api_logs
from progress.service import ProgressService
from queries import api_health, certificates, learning
from queries.rollups import refresh
from queries.sql import frame
from queries.window import Window

DAILY_ACTIVE_TUTORIALS = """
SELECT
  tutorial_id,
  COUNT(DISTINCT user_id) as active_users,
  AVG(completion_percentage) as avg_completion
FROM tutorial_progress
WHERE last_watched_at >= NOW() - INTERVAL '24 hours'
GROUP BY tutorial_id;
"""

CERTIFICATE_AWARDS = """
SELECT
  DATE(updated_at) as date,
  COUNT(*) as certificates_earned
FROM tutorial_progress
WHERE certificate_earned = TRUE
GROUP BY DATE(updated_at)
ORDER BY date DESC;
"""

ERROR_RATE_TRACKING = """
SELECT
  endpoint,
  COUNT(*) as total_requests,
  SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) as errors,
  ROUND(100.0 * SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) / COUNT(*), 2) as error_rate_percent
FROM api_logs
WHERE endpoint LIKE '%tutorial%progress%'
AND timestamp >= NOW() - INTERVAL '24 hours'
GROUP BY endpoint;
"""  # noqa: E501 - verbatim from the brief


@contextmanager
def brief_session(engine: Engine) -> Iterator[tuple[Connection, datetime]]:
    """A UTC session in a transaction (so `now()` stands still), and that `now()`."""
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SET LOCAL TimeZone = 'UTC'"))
        now = connection.execute(text("SELECT now()")).scalar_one()
        yield connection, now


def last_day(now: datetime) -> Window:
    """Our window for the brief's `>= NOW() - INTERVAL '24 hours'` (nothing lies after `now`)."""
    return Window(now - timedelta(hours=24), now + timedelta(minutes=1))


def test_error_rates_by_endpoint_equal_the_briefs(engine: Engine) -> None:
    with brief_session(engine) as (_, now):
        pass
    rng = np.random.default_rng(3)
    endpoints = list(routes.PROGRESS_ENDPOINTS)
    rows: list[dict[str, Any]] = []
    for seconds in rng.uniform(60, 30 * 3600, 3000):  # 30 hours: some before the window
        method, endpoint = endpoints[int(rng.integers(len(endpoints)))]
        rows.append(
            {
                "timestamp": now - timedelta(seconds=float(seconds)),
                "method": method,
                "endpoint": endpoint,
                "status_code": int(rng.choice([200, 200, 200, 201, 400, 404, 500, 503])),
                "response_time_ms": float(rng.lognormal(4, 0.5)),
            }
        )
    rows.append({**rows[0], "method": "GET", "endpoint": routes.HEALTH, "status_code": 503})
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)
    refresh(engine)

    with brief_session(engine) as (connection, now):
        brief = {row.endpoint: row for row in connection.execute(text(ERROR_RATE_TRACKING))}
    ours = frame(engine, api_health.endpoint_table_statement(last_day(now)))
    # We split by method too (GET and DELETE share a route): add them up to compare.
    per_endpoint: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in ours.to_dict("records"):
        per_endpoint[row["endpoint"]][0] += row["requests"]
        per_endpoint[row["endpoint"]][1] += row["errors_4xx"] + row["errors_5xx"]
    assert set(per_endpoint) == set(brief)
    for endpoint, (requests, errors) in per_endpoint.items():
        rate = (Decimal(100 * errors) / requests).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert (requests, errors, rate) == (
            brief[endpoint].total_requests,
            brief[endpoint].errors,
            brief[endpoint].error_rate_percent,
        )


def clock_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def write_progress(service: ProgressService, user: str, tutorial: str, chapters: int) -> None:
    for number in range(1, chapters + 1):
        service.update_chapter_progress(
            tutorial,
            user,
            chapter_id=f"ch-{number}",
            watch_time=60,
            completed=True,
            last_position=60,
            total_chapters=3,
            actor=user,
            source="api",
        )


def test_daily_active_tutorials_equal_the_briefs(engine: Engine) -> None:
    with brief_session(engine) as (_, now):
        pass
    for hours_ago, user, tutorial, chapters in [
        (2, "a", "sql", 1),
        (5, "b", "sql", 3),
        (23, "c", "sql", 2),
        (25, "d", "sql", 3),  # before the window
        (1, "a", "git", 2),
        (30, "e", "git", 1),  # before the window
    ]:
        at = now - timedelta(hours=hours_ago)
        write_progress(ProgressService(engine, clock=clock_at(at)), user, tutorial, chapters)

    with brief_session(engine) as (connection, now):
        brief = {row.tutorial_id: row for row in connection.execute(text(DAILY_ACTIVE_TUTORIALS))}
    ours = frame(engine, learning.daily_active_tutorials_statement(last_day(now)))
    assert ours["tutorial_id"].tolist() == ["sql", "git"]  # most active first
    for row in ours.to_dict("records"):
        expected = brief[row["tutorial_id"]]
        assert row["active_users"] == expected.active_users
        assert row["avg_completion"] == expected.avg_completion.quantize(Decimal("0.01"))
    assert set(brief) == set(ours["tutorial_id"])


@pytest.fixture
def certified(engine: Engine) -> datetime:
    """Certificates awarded on three days; returns the first day's midnight (UTC)."""
    first = datetime.fromisoformat("2026-11-02T00:00:00+00:00")
    for day, user in [(0, "a"), (0, "b"), (1, "c"), (3, "d"), (3, "e"), (3, "f")]:
        at = first + timedelta(days=day, hours=9)
        service = ProgressService(engine, clock=clock_at(at))
        write_progress(service, user, "sql", 3)
        service.complete_tutorial("sql", user, actor=user, source="api")
    return first


def brief_awards(engine: Engine) -> list[tuple[Any, int]]:
    with brief_session(engine) as (connection, _):
        return [tuple(row) for row in connection.execute(text(CERTIFICATE_AWARDS))]


def test_certificate_awards_equal_the_briefs_when_no_row_changed_later(
    engine: Engine, certified: datetime
) -> None:
    window = Window(certified - timedelta(days=1), certified + timedelta(days=10))
    ours = frame(engine, certificates.awards_per_day_statement(window))
    assert [(day.date(), n) for day, n in zip(ours["day"], ours["certificates"], strict=True)] == [
        (date, n) for date, n in reversed(brief_awards(engine))
    ]
    assert ours["cumulative"].tolist() == [2, 3, 6]


def test_a_later_touch_moves_the_briefs_award_but_not_ours(
    engine: Engine, certified: datetime
) -> None:
    later = certified + timedelta(days=5, hours=9)
    service = ProgressService(engine, clock=lambda: later)
    service.update_chapter_progress(
        "sql",
        "a",
        chapter_id="ch-1",
        watch_time=90,
        completed=True,
        last_position=60,
        actor="a",
        source="api",
    )
    window = Window(certified - timedelta(days=1), certified + timedelta(days=10))
    ours = frame(engine, certificates.awards_per_day_statement(window))
    assert ours["certificates"].tolist() == [2, 1, 3]  # a still counts on its award day
    assert dict(brief_awards(engine))[later.date()] == 1  # the brief moved a's award
