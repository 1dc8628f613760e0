"""`create_app`: the FastAPI application over a `ProgressService`.

The application owns its `RequestLog`: started when the app starts, flushed and stopped on a
clean shutdown (uvicorn's SIGTERM/SIGINT run the lifespan's exit), so no log row is lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.annotations import router as annotations_router
from api.auth import Authenticator
from api.errors import install_error_handlers
from api.handlers import router
from api.logging_middleware import RequestLogMiddleware
from api.metrics import ApiMetrics
from api.metrics import router as metrics_router
from api.settings import ApiSettings
from progress.db import Settings, is_embedded, open_engine
from progress.request_log import RequestLog
from progress.service import ProgressService
from queries.rollups import refresh

DESCRIPTION = """Tutorial progress, as the brief's browser-side service expects it.

Every response is JSON. Errors are `{"error": {"code", "message", "field"}}`: 4xx means the
request is wrong (do not retry), 503 with `Retry-After` means the database is unreachable (retry).
"""


def at_most_every(seconds: float, action: Callable[[], object]) -> Callable[[], None]:
    """`action`, skipped when it last ran less than `seconds` ago (0: every time).

    Folding the request log into the rollups after every batch (4 a second under load) cost
    10–15 % of the API's throughput on 2 cores; every few seconds costs nothing measurable, and the
    dashboard folds what is left in the background anyway.
    """
    last = -math.inf

    def maybe() -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= seconds:
            last = now
            action()

    return maybe


def create_app(
    service: ProgressService,
    settings: ApiSettings | None = None,
    *,
    request_log: RequestLog | None = None,
    embedded: bool = False,
) -> FastAPI:
    """The API over `service`.

    `request_log`: where request rows go; by default one writing to the service's database and
    folding new rows into the dashboard's rollups every `settings.rollup_refresh_seconds` (none
    when `settings.request_log` is off).
    `embedded`: the database is the embedded demo server, which (with no tokens or header
    configured) lets requests without credentials through.
    """
    settings = settings or ApiSettings()
    if request_log is None and settings.request_log:
        request_log = RequestLog(
            service.engine,
            batch_rows=settings.log_batch_rows,
            interval_ms=settings.log_interval_ms,
            after_write=at_most_every(
                settings.rollup_refresh_seconds, partial(refresh, service.engine)
            ),
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if request_log is not None:
            request_log.start()
        try:
            yield
        finally:
            if request_log is not None:
                request_log.close()

    app = FastAPI(
        title="progress-ops API",
        version="1.0.0",
        description=DESCRIPTION
        + f"\nA request body is at most {settings.max_body_bytes:,} bytes (413 beyond): list "
        "sizes (`maxItems`) are upper bounds a body within that limit may not reach.\n",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    app.state.request_log = request_log
    app.state.metrics = ApiMetrics(request_log)
    app.state.authenticator = Authenticator(
        settings, anonymous=settings.anonymous_allowed(embedded=embedded)
    )
    install_error_handlers(app, retry_after_seconds=settings.retry_after_seconds)
    app.include_router(router)
    app.include_router(annotations_router)
    app.include_router(metrics_router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    # Added last: outermost, so CORS answers are logged and counted too.
    app.add_middleware(RequestLogMiddleware, request_log=request_log, metrics=app.state.metrics)
    return app


def app_from_environment() -> FastAPI:
    """The app `progress-ops api` serves (one per uvicorn worker): database and settings from
    the environment; the embedded database is migrated first."""
    database = Settings()
    return create_app(
        ProgressService(open_engine(database)), ApiSettings(), embedded=is_embedded(database)
    )
