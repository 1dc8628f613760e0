"""Incidents driven through the real API and its request logger, judged by the real evaluator.

The clock is ours where it must be: the history before the incident (a healthy day, then 20 %
5xx) is written through the API's own `RequestLog` with chosen timestamps; the incident's last
minute is real traffic through the real API — a healthy instance and one whose database is
unreachable (so it answers 503) sharing the one request log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from alerting.evaluator import evaluate_once
from api.app import create_app
from progress import routes
from progress.db import make_engine
from progress.request_log import RequestLog
from progress.service import ProgressService
from queries.slo import floor_minute
from tests.api.conftest import AS_LEARNER, LEARNER, TUTORIAL, ClientFactory, settings
from tests.api.test_outage import CHAPTER
from tests.db.test_alerts import Webhook, alert_rows
from tests.db.test_alerts import settings as alert_settings
from tests.db.test_alerts import webhook as webhook  # the fixture

PER_MINUTE = 20
HOUR = timedelta(hours=1)


def log_minutes(
    log: RequestLog, start: datetime, minutes: int, *, errors: int = 0, per_minute: int = PER_MINUTE
) -> None:
    """Requests through the API's request logger, `errors` of each minute's answered 503."""
    for minute in range(minutes):
        for i in range(per_minute):
            at = start + timedelta(minutes=minute, seconds=i * 60 / per_minute)
            status = 503 if i < errors else 200
            log.record(
                at=at,
                method="POST",
                endpoint=routes.CHAPTER,
                status_code=status,
                response_time_ms=35.0,
                user_id=LEARNER,
            )
    log.flush()


def raw_burn(engine: Engine, start: datetime, end: datetime) -> float:
    """The error SLO's burn rate straight from api_logs: 5xx share ÷ the 1 % budget."""
    with engine.connect() as connection:
        share = connection.execute(
            text(
                "SELECT avg((status_code >= 500)::int) FROM api_logs"
                " WHERE timestamp >= :start AND timestamp < :end AND endpoint <> '/health'"
            ),
            {"start": start, "end": end},
        ).scalar_one()
    return float(share) / 0.01


@pytest.fixture
def broken_client(request_log: RequestLog) -> Iterator[TestClient]:
    """The API over a database that is not there: every progress request answers 503."""
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(ProgressService(engine), settings(), request_log=request_log)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    engine.dispose()


def test_a_real_5xx_incident_pages_once_with_its_burn_rates_and_resolves_once(
    engine: Engine,
    request_log: RequestLog,
    make_client: ClientFactory,
    broken_client: TestClient,
    webhook: Webhook,
) -> None:
    healthy = make_client()
    minute = floor_minute(datetime.now(UTC))
    log_minutes(request_log, minute - timedelta(days=1), 24 * 60 - 50)
    log_minutes(request_log, minute - timedelta(minutes=50), 50, errors=PER_MINUTE // 5)
    path = f"/v1/tutorials/progress/{TUTORIAL}/chapter"
    answers = [healthy.post(path, json=CHAPTER, headers=AS_LEARNER) for _ in range(8)]
    answers += [broken_client.post(path, json=CHAPTER, headers=AS_LEARNER) for _ in range(2)]
    assert [a.status_code for a in answers] == [200] * 8 + [503] * 2
    request_log.flush()

    at = datetime.now(UTC) + timedelta(minutes=1)  # the incident's real minute is whole
    end = floor_minute(at)
    fired = evaluate_once(engine, now=at, settings=alert_settings(webhook))
    assert fired.paging
    assert [(c.kind, c.finding.key, c.severity) for c in fired.changes] == [
        ("fired", "error_rate", "page")
    ]
    errors = next(s for s in fired.statuses if s.slo.key == "error_rate")
    for length in (timedelta(minutes=5), HOUR, timedelta(hours=6)):
        expected = raw_burn(engine, end - length, end)
        assert errors.burn_rates[length] == pytest.approx(expected), length
    assert min(errors.burn_rates[timedelta(minutes=5)] or 0, errors.burn_rates[HOUR] or 0) > 14.4
    assert evaluate_once(engine, now=at, settings=alert_settings(webhook)).changes == []
    [sent] = webhook.received
    assert (sent["alert"], sent["change"], sent["tier"]) == ("error_rate", "fired", "1h/5m > 14.4×")

    log_minutes(request_log, end, 40)  # traffic recovers
    resolved = evaluate_once(
        engine, now=end + timedelta(minutes=40), settings=alert_settings(webhook)
    )
    assert [(c.kind, c.finding.key) for c in resolved.changes] == [("resolved", "error_rate")]
    assert [m["change"] for m in webhook.received] == ["fired", "resolved"]
    [row] = alert_rows(engine)
    assert row.resolved_at == end + timedelta(minutes=40)


def test_a_slow_burn_of_2_percent_errors_for_a_day_fires_only_a_ticket(
    engine: Engine, request_log: RequestLog, webhook: Webhook
) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    log_minutes(request_log, now - timedelta(days=1), 24 * 60, errors=1, per_minute=50)
    result = evaluate_once(engine, now=now, settings=alert_settings(webhook))
    errors = next(s for s in result.statuses if s.slo.key == "error_rate")
    assert errors.burn_rates[timedelta(days=3)] == pytest.approx(2.0)
    assert [(c.finding.key, c.severity, c.tier) for c in result.changes] == [
        ("error_rate", "ticket", "3d/6h > 1.0×")
    ]
    assert not result.paging
    assert [m["severity"] for m in webhook.received] == ["ticket"]


def test_a_gap_in_traffic_fires_the_no_data_alert(
    engine: Engine, request_log: RequestLog, webhook: Webhook
) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    log_minutes(request_log, now - timedelta(hours=6), 6 * 60 - 30)  # then 30 quiet minutes
    result = evaluate_once(engine, now=now, settings=alert_settings(webhook))
    assert [(c.finding.key, c.severity) for c in result.changes] == [("no_data:requests", "page")]
    assert webhook.received[0]["text"].startswith("[PAGE FIRING] No requests for 15 min")
