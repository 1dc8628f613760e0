"""Alert state in PostgreSQL and delivery to a real local webhook: an alert notifies once, again
only on escalation or resolution, never twice from two evaluators, and a failing or hanging
webhook neither stops the evaluation nor the other notifications."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

import commands
from alerting.evaluator import Evaluation, Settings, evaluate_once
from alerting.notify import AlertSettings
from progress import routes
from progress.schema import alerts, annotations_table, api_logs, client_events
from queries.alerts import budget_burn
from queries.rollups import refresh
from queries.slo import SloSettings
from queries.targets import TargetSettings
from tests.logger_reports import report_dropped_rows

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class Webhook:
    """A real HTTP server on 127.0.0.1 that records every POST; `mode` is "ok", "fail" (500) or
    "hang" (answers after `release` is set)."""

    url: str
    mode: str = "ok"
    received: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.received.append(json.loads(body))
            hook.arrived.release()
            if hook.mode == "hang":
                hook.release.wait(10)
            self.send_response(500 if hook.mode == "fail" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    hook.release.set()
    server.shutdown()
    server.server_close()


def settings(webhook: Webhook | None = None, **alert: Any) -> Settings:
    return Settings(
        slo=SloSettings(),
        alert=AlertSettings(
            webhook_url=None if webhook is None else webhook.url,
            webhook_timeout_seconds=alert.pop("timeout", 2.0),
            webhook_attempts=alert.pop("attempts", 3),
            dashboard_url="http://ops.example/dash",
            **alert,
        ),
        targets=TargetSettings(),
    )


def traffic(
    engine: Engine,
    start: datetime,
    minutes: int,
    *,
    per_minute: int = 20,
    errors: int = 0,
    slow: int = 0,
) -> None:
    """`per_minute` progress requests a minute from `start`: `errors` of them 503, `slow` of them
    900 ms, the rest 200 in 40 ms."""
    rows = []
    for minute in range(minutes):
        for i in range(per_minute):
            rows.append(
                {
                    "timestamp": start + timedelta(minutes=minute, seconds=i * 60 / per_minute),
                    "method": "POST",
                    "endpoint": routes.CHAPTER,
                    "status_code": 503 if i < errors else 200,
                    "response_time_ms": 900.0 if i >= per_minute - slow else 40.0,
                }
            )
    with engine.begin() as connection:
        connection.execute(insert(api_logs), rows)


def alert_rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(alerts).order_by(alerts.c.id)).all())


def evaluate(engine: Engine, at: datetime, webhook: Webhook | None = None) -> Evaluation:
    return evaluate_once(engine, now=at, settings=settings(webhook))


def test_an_error_burst_pages_once_then_resolves_once(engine: Engine, webhook: Webhook) -> None:
    traffic(engine, NOW - timedelta(days=1), 24 * 60 - 50)
    traffic(engine, NOW - timedelta(minutes=50), 50, errors=4)  # 20 % 5xx for 50 minutes
    first = evaluate(engine, NOW, webhook)
    assert first.paging
    assert [(c.kind, c.severity, c.tier) for c in first.changes] == [
        ("fired", "page", "1h/5m > 14.4×")
    ]
    errors = next(s for s in first.statuses if s.slo.key == "error_rate")
    assert errors.burn_rates[timedelta(minutes=5)] == pytest.approx(20.0)
    assert errors.burn_rates[timedelta(hours=1)] == pytest.approx(50 / 60 * 20.0)
    assert evaluate(engine, NOW + timedelta(seconds=30), webhook).changes == []  # no storm
    [sent] = webhook.received
    assert (sent["alert"], sent["change"], sent["severity"]) == ("error_rate", "fired", "page")
    assert sent["burn_rate"] == pytest.approx(50 / 60 * 20.0)
    assert "budget left" in sent["text"]
    assert sent["dashboard_url"] == "http://ops.example/dash/api_health?window=1h"

    traffic(engine, NOW, 30)
    later = evaluate(engine, NOW + timedelta(minutes=30), webhook)
    assert [(c.kind, c.severity) for c in later.changes] == [("resolved", "page")]
    assert not later.paging
    [row] = alert_rows(engine)
    assert row.resolved_at == NOW + timedelta(minutes=30)
    assert (row.peak_severity, row.peak_burn_rate) == ("page", pytest.approx(50 / 60 * 20.0))
    assert [m["change"] for m in webhook.received] == ["fired", "resolved"]


def test_an_alert_marks_the_charts_when_it_fires_and_as_a_band_when_it_resolves(
    engine: Engine,
) -> None:
    traffic(engine, NOW - timedelta(days=1), 24 * 60 - 50)
    traffic(engine, NOW - timedelta(minutes=50), 50, errors=4)
    evaluate(engine, NOW)
    traffic(engine, NOW, 30)
    evaluate(engine, NOW + timedelta(minutes=30))
    with engine.connect() as connection:
        marks = connection.execute(
            select(annotations_table).where(annotations_table.c.kind == "alert")
        ).all()
    assert [(m.at, m.ends_at, m.author) for m in marks] == [
        (NOW, None, "alerts"),
        (NOW, NOW + timedelta(minutes=30), "alerts"),
    ]
    assert "page alert fired (1h/5m > 14.4×)" in marks[0].text
    assert "page alert resolved" in marks[1].text


def test_two_evaluators_at_once_record_and_send_one_alert(engine: Engine, webhook: Webhook) -> None:
    traffic(engine, NOW - timedelta(hours=2), 120, errors=10)
    barrier = threading.Barrier(2)

    def run(_: int) -> Evaluation:
        barrier.wait()
        return evaluate(engine, NOW, webhook)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(2)))
    assert sorted(len(r.changes) for r in results) == [0, 1]
    assert len(alert_rows(engine)) == 1
    assert len(webhook.received) == 1


def test_a_ticket_that_escalates_to_a_page_notifies_again_and_calming_down_does_not(
    engine: Engine, webhook: Webhook
) -> None:
    traffic(engine, NOW - timedelta(days=1), 24 * 60 - 60, errors=1)  # 5 % for a day: a ticket
    traffic(engine, NOW - timedelta(minutes=60), 60, errors=1)
    assert [c.severity for c in evaluate(engine, NOW, webhook).changes] == ["ticket"]
    traffic(engine, NOW, 60, errors=8)  # 40 % for an hour: a page
    escalated = evaluate(engine, NOW + timedelta(minutes=60), webhook).changes
    assert [(c.kind, c.severity) for c in escalated] == [("escalated", "page")]
    # Back to 5 %: once the short windows (5 and 30 minutes) are calm, a ticket again.
    traffic(engine, NOW + timedelta(minutes=60), 30, errors=1)
    assert evaluate(engine, NOW + timedelta(minutes=90), webhook).changes == []
    [row] = alert_rows(engine)
    assert (row.severity, row.peak_severity, row.resolved_at) == ("ticket", "page", None)
    assert [m["change"] for m in webhook.received] == ["fired", "escalated"]


def test_latency_and_errors_burning_together_fire_two_alerts(engine: Engine) -> None:
    traffic(engine, NOW - timedelta(hours=1), 60, errors=10, slow=10)
    fired = {c.finding.key for c in evaluate(engine, NOW).changes}
    assert fired == {"error_rate", "latency"}


def test_a_failing_webhook_is_retried_then_reported_and_the_alert_stays_recorded(
    engine: Engine, webhook: Webhook
) -> None:
    webhook.mode = "fail"
    traffic(engine, NOW - timedelta(hours=1), 60, errors=10)
    result = evaluate_once(engine, now=NOW, settings=settings(webhook, attempts=3))
    [delivery] = result.deliveries
    assert delivery.error is not None
    assert "500" in delivery.error
    assert len(webhook.received) == 3
    assert len(alert_rows(engine)) == 1


def test_a_hanging_webhook_times_out_without_holding_up_the_other_notifications(
    engine: Engine, webhook: Webhook
) -> None:
    webhook.mode = "hang"
    traffic(engine, NOW - timedelta(hours=1), 60, errors=10, slow=10)
    result = evaluate_once(engine, now=NOW, settings=settings(webhook, timeout=0.5, attempts=1))
    assert len(result.statuses) == 4  # every SLO judged
    assert {d.change.finding.key for d in result.deliveries} == {"error_rate", "latency"}
    assert all("Timeout" in (d.error or "") for d in result.deliveries)
    # Both notifications were in flight at once: the second arrived while the first hung.
    assert len(webhook.received) == 2
    assert len(alert_rows(engine)) == 2


def test_the_slack_format_sends_one_line_of_text(engine: Engine, webhook: Webhook) -> None:
    traffic(engine, NOW - timedelta(hours=1), 60, errors=10)
    evaluate_once(engine, now=NOW, settings=settings(webhook, webhook_format="slack"))
    [sent] = webhook.received
    assert list(sent) == ["text"]
    assert sent["text"].startswith("[PAGE FIRING] Errors (5xx) < 1 %: burning 50.0×")


def test_requests_that_stop_arriving_fire_the_no_data_alert(engine: Engine) -> None:
    traffic(engine, NOW - timedelta(days=1), 24 * 60 - 20)
    result = evaluate(engine, NOW)
    assert [(c.finding.key, c.severity) for c in result.changes] == [("no_data:requests", "page")]
    traffic(engine, NOW, 5)
    assert [c.kind for c in evaluate(engine, NOW + timedelta(minutes=5)).changes] == ["resolved"]


def test_telemetry_that_stops_fires_a_no_data_ticket_and_a_quiet_service_fires_nothing(
    engine: Engine,
) -> None:
    assert evaluate(engine, NOW).changes == []  # nothing ever arrived: nothing usual stopped
    events = [
        {
            "occurred_at": NOW - timedelta(minutes=20 + i),
            "kind": "migration",
            "outcome": "succeeded",
        }
        for i in range(1200)  # one a minute for 20 hours, until 20 minutes ago
    ]
    with engine.begin() as connection:
        connection.execute(insert(client_events), events)
    result = evaluate(engine, NOW)
    assert [(c.finding.key, c.severity) for c in result.changes] == [
        ("no_data:client events", "ticket")
    ]
    assert not result.paging


def test_a_request_logger_that_dropped_rows_fires_a_ticket(engine: Engine) -> None:
    report_dropped_rows(engine, 3, at=datetime.now(UTC))  # in real time, whatever is evaluated
    [finding] = [d for d in evaluate(engine, NOW).data if d.key == "no_data:request_log"]
    assert (finding.firing, finding.severity) == (True, "ticket")
    assert "3 API requests were answered but not logged" in finding.detail


def test_evaluate_exits_1_while_a_page_fires_and_prints_the_table(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    now = datetime.now(UTC)
    traffic(engine, now - timedelta(minutes=70), 70, errors=10)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("PROGRESS_OPS_ALERT_WEBHOOK_URL", raising=False)
    assert commands.main(["alerts", "evaluate"]) == 1
    out = capsys.readouterr().out
    assert "firing page" in out
    assert "fired: Errors (5xx) < 1 %" in out


def test_evaluate_exits_2_with_one_line_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert commands.main(["alerts", "evaluate"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("progress-ops: Cannot reach the database at ")


def test_the_budget_burn_chart_ends_at_the_share_of_the_budget_spent(engine: Engine) -> None:
    traffic(engine, NOW - timedelta(hours=10), 600, errors=1)  # 5 % errors: 5× the 1 % budget
    refresh(engine)
    spent = budget_burn(engine, NOW)
    errors = spent[spent["slo"] == "Errors (5xx) < 1 %"]
    assert len(errors) == 10
    assert errors["budget_spent_pct"].iloc[-1] == pytest.approx(500.0)
    assert errors["budget_spent_pct"].is_monotonic_increasing


def test_serve_evaluates_every_interval_and_stops_after_sigterm(
    engine: Engine, database_url: str
) -> None:
    environment = {**os.environ, "DATABASE_URL": database_url}
    environment.pop("PROGRESS_OPS_ALERT_WEBHOOK_URL", None)
    server = subprocess.Popen(
        [Path(sys.executable).parent / "progress-ops", "alerts", "serve", "--interval", "0.2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        tables = 0
        for line in server.stdout:
            tables += line.startswith("SLOs at ")
            if tables == 2:
                break
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode == 0
    assert "stopping after this evaluation" in err
    assert "Traceback" not in err
