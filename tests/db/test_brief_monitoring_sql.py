"""The brief's three monitoring queries, copied verbatim, run on our schema and demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from progress.demo import DemoSpec, load_demo_data

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


def load_recent_demo_data(engine: Engine) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    load_demo_data(engine, DemoSpec(learners=200, days=3, seed=11, now=now, api_logs=30_000))


def test_daily_active_tutorials_runs_verbatim(engine: Engine) -> None:
    load_recent_demo_data(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(DAILY_ACTIVE_TUTORIALS)).all()
    assert rows
    assert all(row.active_users > 0 and 0 <= row.avg_completion <= 100 for row in rows)


def test_certificate_awards_runs_verbatim(engine: Engine) -> None:
    load_recent_demo_data(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(CERTIFICATE_AWARDS)).all()
        certificates = connection.execute(text("SELECT count(*) FROM tutorial_certificates"))
        total = certificates.scalar_one()
    assert rows
    assert sum(row.certificates_earned for row in rows) == total
    assert [row.date for row in rows] == sorted((row.date for row in rows), reverse=True)


def test_error_rate_tracking_runs_verbatim(engine: Engine) -> None:
    load_recent_demo_data(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(ERROR_RATE_TRACKING)).all()
    endpoints = {row.endpoint for row in rows}
    assert "/v1/tutorials/progress/{tutorial_id}/chapter" in endpoints
    assert "/health" not in endpoints
    assert all(0 <= row.error_rate_percent <= 100 for row in rows)
    assert sum(row.total_requests for row in rows) > 0
