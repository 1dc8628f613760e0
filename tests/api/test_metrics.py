"""`GET /metrics`: the Prometheus exposition parses, counts exactly the requests sent, and is open
on this machine only (a bearer token from elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from api.app import create_app
from api.auth import hash_token
from api.metrics import ApiMetrics
from progress import routes
from progress.request_log import RequestLog
from progress.schema import api_logs
from progress.service import ProgressService
from tests.api.conftest import AS_LEARNER, LEARNER, TUTORIAL, ClientFactory, bearer, settings

BASE = f"/v1/tutorials/progress/{TUTORIAL}"
METRICS_TOKEN = "metrics-token-for-tests"
LOCAL = ("127.0.0.1", 50_000)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def local_client(
    service: ProgressService, request_log: RequestLog, **overrides: object
) -> TestClient:
    app = create_app(service, settings(**overrides), request_log=request_log)
    return TestClient(app, client=LOCAL, raise_server_exceptions=False)


def scrape(client: TestClient) -> Samples:
    answer = client.get(routes.METRICS)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_the_exposition_parses_and_counts_exactly_the_requests_sent(
    service: ProgressService, request_log: RequestLog, engine: Engine
) -> None:
    with local_client(service, request_log) as client:
        for _ in range(3):
            assert client.get(BASE, params={"userId": LEARNER}, headers=AS_LEARNER).is_success
        bad_quiz = {"userId": LEARNER, "quizId": "q", "score": 3, "maxScore": 2, "passed": True}
        assert client.post(f"{BASE}/quiz", json=bad_quiz, headers=AS_LEARNER).status_code == 422
        assert client.get("/no/such/path").status_code == 404
        scrape(client)  # scrapes are not counted…
        samples = scrape(client)

    requests = "progress_ops_http_requests_total"
    assert value(samples, requests, route=routes.PROGRESS, method="GET", status_class="2xx") == 3
    assert value(samples, requests, route=routes.QUIZ, method="POST", status_class="4xx") == 1
    assert value(samples, requests, route="<unmatched>", method="GET", status_class="4xx") == 1
    counted = sum(v for (name, _), v in samples.items() if name == requests)
    assert counted == 5
    assert not any(dict(labels).get("route") == routes.METRICS for _, labels in samples)

    histogram = "progress_ops_http_request_duration_seconds"
    get = {"route": routes.PROGRESS, "method": "GET"}
    assert value(samples, f"{histogram}_count", **get) == 3
    assert value(samples, f"{histogram}_bucket", le="+Inf", **get) == 3
    fast = value(samples, f"{histogram}_bucket", le="0.2", **get)
    assert fast <= value(samples, f"{histogram}_bucket", le="0.5", **get) <= 3

    # …nor logged: the buffer holds the five requests, and so does api_logs once written.
    assert value(samples, "progress_ops_request_log_pending_rows") == 5
    assert value(samples, "progress_ops_request_log_dropped_rows_total") == 0
    request_log.flush()
    with engine.connect() as connection:
        endpoints = connection.execute(select(api_logs.c.endpoint)).scalars().all()
    assert len(endpoints) == 5
    assert routes.METRICS not in endpoints


def test_client_telemetry_is_counted_by_outcome_and_operation(
    service: ProgressService, request_log: RequestLog
) -> None:
    now = datetime.now(UTC).isoformat()
    events = [
        {"kind": "migration", "outcome": "attempted", "occurredAt": now},
        {"kind": "migration", "outcome": "failed", "reason": "network_error", "occurredAt": now},
        {"kind": "fallback", "operation": "getProgress", "occurredAt": now},
        {"kind": "fallback", "operation": "getProgress", "occurredAt": now},
    ]
    with local_client(service, request_log) as client:
        sent = client.post(routes.CLIENT_EVENTS, json={"events": events}, headers=AS_LEARNER)
        assert sent.status_code == 200, sent.text
        copy = {
            "userId": LEARNER,
            "chapterProgress": [
                {"chapterId": "ch-1", "watchTime": 30, "completed": False, "lastPosition": 30}
            ],
        }
        for _ in range(2):  # the second upload changes nothing: not a migration the server made
            migrated = client.post(f"{BASE}/migrate", json=copy, headers=AS_LEARNER)
            assert migrated.status_code == 200, migrated.text
        samples = scrape(client)

    migrations = "progress_ops_client_migrations_total"
    assert value(samples, migrations, outcome="attempted") == 1
    assert value(samples, migrations, outcome="failed") == 1
    assert value(samples, migrations, outcome="succeeded") == 1  # the /migrate that merged
    fallbacks = "progress_ops_client_fallbacks_total"
    assert value(samples, fallbacks, operation="getProgress") == 2
    assert value(samples, fallbacks, operation="updateQuizScore") == 0


def test_metrics_from_elsewhere_need_the_metrics_token(make_client: ClientFactory) -> None:
    closed = make_client()  # the test client's address is not loopback
    assert closed.get(routes.METRICS).status_code == 403
    guarded = make_client(metrics_token_sha256=hash_token(METRICS_TOKEN))
    assert guarded.get(routes.METRICS).status_code == 401
    assert guarded.get(routes.METRICS, headers=bearer("wrong")).status_code == 401
    answer = guarded.get(routes.METRICS, headers=bearer(METRICS_TOKEN))
    assert answer.status_code == 200
    assert "progress_ops_http_requests_total" in answer.text


def test_metrics_are_open_on_this_machine_unless_turned_off(
    service: ProgressService, request_log: RequestLog
) -> None:
    with local_client(service, request_log) as client:
        assert client.get(routes.METRICS).status_code == 200
    with local_client(service, request_log, metrics_open_on_localhost=False) as client:
        assert client.get(routes.METRICS).status_code == 403


def test_an_unusual_method_is_counted_as_other_so_label_values_stay_bounded() -> None:
    metrics = ApiMetrics(None)
    for method in ("BREW", "PROPFIND", "GET"):
        metrics.observe_request(route="<unmatched>", method=method, status_code=405, seconds=0.001)
    families = text_string_to_metric_families(metrics.exposition().decode())
    methods = {
        sample.labels["method"]
        for family in families
        if family.name == "progress_ops_http_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
    }
    assert methods == {"other", "GET"}
