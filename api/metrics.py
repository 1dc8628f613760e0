"""`GET /metrics`: the API's own counters in the Prometheus text format.

Each app has its own `CollectorRegistry` (not prometheus_client's global one), so two apps in one
process — the tests — never share counts. What is exported (names in `docs/prometheus.md`):
requests by route template, method and status class; a latency histogram whose buckets include
the targets' 0.2 s and 0.5 s; the request log's queue depth, rows written and rows dropped; and
the client telemetry this API received (migration outcomes, fallbacks by operation).

Counts live in the process: they start at zero when it starts, and each uvicorn worker has its
own. Scrapes of `/metrics` are neither counted here nor logged to `api_logs`.

Access: open to clients on this machine (loopback) unless `metrics_open_on_localhost` is off;
from anywhere else, `Authorization: Bearer <token>` whose SHA-256 is `metrics_token_sha256`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator, Sequence
from typing import Final, get_args

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client import Histogram as PromHistogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.auth import hash_token
from api.errors import ApiError
from api.settings import ApiSettings
from progress import routes
from progress.request_log import RequestLog
from progress.telemetry import ClientEvent, FallbackOperation, MigrationOutcome

# Seconds; 0.2 and 0.5 are the targets' bounds (avg < 200 ms, p95 < 500 ms).
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestLogCollector(Collector):
    """The request log's state, read at scrape time."""

    def __init__(self, request_log: RequestLog) -> None:
        self.request_log = request_log

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "progress_ops_request_log_pending_rows",
            "Request log rows buffered in this process, not yet written to api_logs.",
            value=self.request_log.pending,
        )
        yield CounterMetricFamily(
            "progress_ops_request_log_written_rows",
            "Request log rows written to api_logs by this process.",
            value=self.request_log.written,
        )
        yield CounterMetricFamily(
            "progress_ops_request_log_dropped_rows",
            "Request log rows dropped because the buffer was full (the database was unreachable).",
            value=self.request_log.dropped,
        )


class ApiMetrics:
    """The counters of one app, in its own registry."""

    def __init__(self, request_log: RequestLog | None) -> None:
        self.registry = CollectorRegistry()
        self._series: dict[tuple[str, str, int], tuple[Counter, PromHistogram]] = {}
        self.requests = Counter(
            "progress_ops_http_requests",
            "HTTP requests answered, by route template, method and status class (2xx, 4xx, 5xx).",
            ["route", "method", "status_class"],
            registry=self.registry,
        )
        self.latency = PromHistogram(
            "progress_ops_http_request_duration_seconds",
            "Time from a request's arrival to its last response byte, by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.migrations = Counter(
            "progress_ops_client_migrations",
            "Client localStorage migrations by outcome: reported by clients, and every "
            "successful /migrate call.",
            ["outcome"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "progress_ops_client_fallbacks",
            "Client operations served from localStorage, as clients reported them.",
            ["operation"],
            registry=self.registry,
        )
        # Every series exists from the start (at 0), so ratios are defined before the first event.
        for outcome in get_args(MigrationOutcome):
            self.migrations.labels(outcome=outcome)
        for operation in get_args(FallbackOperation):
            self.fallbacks.labels(operation=operation)
        if request_log is not None:
            self.registry.register(RequestLogCollector(request_log))

    def observe_request(self, *, route: str, method: str, status_code: int, seconds: float) -> None:
        """Count one answered request. Label values are bounded: routes are templates (or
        `<unmatched>`), an unusual method is `other`, a status is its class."""
        key = (route, method if method in _METHODS else "other", status_code // 100)
        series = self._series.get(key)
        if series is None:  # labels() costs more than the update itself: look it up once
            route, method, status_class = key
            series = self._series[key] = (
                self.requests.labels(route=route, method=method, status_class=f"{status_class}xx"),
                self.latency.labels(route=route, method=method),
            )
        count, latency = series
        count.inc()
        latency.observe(seconds)

    def count_client_events(self, events: Sequence[ClientEvent]) -> None:
        """Count telemetry that was stored."""
        for event in events:
            if event.kind == "migration" and event.outcome is not None:
                self.migrations.labels(outcome=event.outcome).inc()
            elif event.kind == "fallback" and event.operation is not None:
                self.fallbacks.labels(operation=event.operation).inc()

    def count_migration_succeeded(self) -> None:
        """A merge the service recorded as a succeeded migration (one that changed something)."""
        self.migrations.labels(outcome="succeeded").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scraper(request: Request, settings: ApiSettings) -> None:
    """Let a loopback client (when allowed) or the holder of the metrics token through."""
    host = request.client.host if request.client else ""
    if settings.metrics_open_on_localhost and _is_loopback(host):
        return
    if settings.metrics_token_sha256 is None:
        raise ApiError(
            403,
            "forbidden",
            "Metrics are open only to this machine; set PROGRESS_OPS_API_METRICS_TOKEN_SHA256 "
            "to let Prometheus scrape from elsewhere with a bearer token.",
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        hash_token(token.strip()), settings.metrics_token_sha256
    ):
        raise ApiError(401, "unauthenticated", "Send the metrics bearer token.", headers=_CHALLENGE)


router = APIRouter(tags=["operations"])


@router.get(
    routes.METRICS,
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(request: Request) -> Response:
    """The API's counters in the Prometheus text format (open on localhost; a bearer token
    from elsewhere)."""
    check_scraper(request, request.app.state.settings)
    api_metrics: ApiMetrics = request.app.state.metrics
    return Response(api_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
