"""Logs every request to `api_logs` through a `RequestLog`, without waiting for the database, and
counts it in the app's Prometheus metrics (`api.metrics`). Prometheus' own scrapes of `/metrics`
are neither logged nor counted: they are not traffic of the service.

A plain ASGI middleware (no per-request task or body copy, unlike `BaseHTTPMiddleware`). It logs
the *route template* of the matched route (`/v1/tutorials/progress/{tutorial_id}/chapter`), so the
dashboard groups by plain equality; a path no route matches is logged as `<unmatched>`. The time
is measured from the request's arrival to its last response byte handed to the server. The user
is the learner the request acts for, as the handler noted it (`note_user`), else null.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from progress import routes
from progress.request_log import RequestLog

if TYPE_CHECKING:  # api.metrics imports api.auth, which imports this module
    from api.metrics import ApiMetrics

log = logging.getLogger(__name__)

UNMATCHED: Final = "<unmatched>"
_USER_KEY: Final = "progress_ops_log_user_id"


def note_user(request: Request, user_id: str) -> None:
    """Name the learner a request acts for, for its log row."""
    setattr(request.state, _USER_KEY, user_id)


class RequestLogMiddleware:
    def __init__(
        self, app: ASGIApp, *, request_log: RequestLog | None, metrics: ApiMetrics
    ) -> None:
        self.app = app
        self.request_log = request_log
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = datetime.now(UTC)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            endpoint = getattr(scope.get("route"), "path", None) or UNMATCHED
            try:
                if endpoint != routes.METRICS:
                    self._record(scope, at, endpoint, status, elapsed_ms)
            except Exception:  # logging must never fail a request
                log.exception("could not record a request log row")

    def _record(
        self, scope: Scope, at: datetime, endpoint: str, status: int, elapsed_ms: float
    ) -> None:
        method = scope["method"]
        self.metrics.observe_request(
            route=endpoint, method=method, status_code=status, seconds=elapsed_ms / 1000
        )
        if self.request_log is not None:
            self.request_log.record(
                at=at,
                method=method,
                endpoint=endpoint,
                status_code=status,
                response_time_ms=elapsed_ms,
                user_id=scope.get("state", {}).get(_USER_KEY),
            )
