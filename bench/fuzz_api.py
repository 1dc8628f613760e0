"""A long fuzz run of the HTTP API: schemathesis with every check, then a hostile-input corpus.

    .venv/bin/python -m bench.fuzz_api [--examples 800] [--runs 3] [--database-url URL]

Against a throwaway embedded database (or `--database-url`, whose tables it fills), through the
real application with its request log, `--runs` times (Hypothesis draws anew each run). Reports,
per run, for the schemathesis run and the corpus: any 5xx, the failures schemathesis found by
kind, whether every answered request has its `api_logs` row, and whether any refused request wrote
anything (progress rows, history events, client events are counted before and after each refused
request); the answers by status of the last run; a run's seconds, median with the range.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from api.auth import hash_token
from api.settings import ApiSettings, ApiToken
from bench.common import add_runs_argument, markdown_table, measuring, repeat, throwaway_database
from progress import routes
from progress.db import make_engine, upgrade
from progress.request_log import RequestLog
from progress.schema import api_logs, client_events, progress_events, tutorial_progress
from progress.service import ProgressService
from tests.api.test_schemathesis import within_the_described_rules

TOKEN = "fuzz-service-token"
LEARNER_TOKEN = "fuzz-learner-token"
BASE = f"{routes.PREFIX}/sql-basics"
HUGE = "x" * 60_000
OPERATIONS = [*routes.PROGRESS_ENDPOINTS, ("GET", routes.HEALTH)]


@dataclass(frozen=True)
class HostileRequest:
    """A request a careless or hostile caller could send; `body` is sent as raw bytes."""

    method: str
    url: str
    body: bytes | None = None
    content_type: str = "application/json"


def _chapter(user_id: str) -> bytes:
    return (
        b'{"userId": "%s", "chapterId": "ch-1", "watchTime": 10, "completed": false, '
        b'"lastPosition": 5}' % user_id.encode("utf-8", "surrogatepass")
    )


HOSTILE: tuple[HostileRequest, ...] = (
    HostileRequest("GET", f"{BASE}?userId=learner%00-1"),
    HostileRequest("GET", f"{BASE}?userId={HUGE}"),
    HostileRequest("GET", f"{BASE}?userId=%FF%FE"),
    HostileRequest("GET", f"{BASE}?userId=%ED%A0%80"),  # a surrogate, UTF-8-encoded
    HostileRequest("GET", f"{routes.PREFIX}/%FF?userId=learner-1"),
    HostileRequest("GET", f"{routes.PREFIX}/events?userId=learner-1"),
    HostileRequest("DELETE", f"{BASE}?userId=learner%00x"),
    HostileRequest("POST", f"{BASE}/chapter", _chapter("learner\\u0000-1")),
    HostileRequest("POST", f"{BASE}/chapter", _chapter("learner-\\ud800")),
    HostileRequest("POST", f"{BASE}/chapter", _chapter(HUGE)),
    HostileRequest("POST", f"{BASE}/chapter", b'{"userId": "\xff\xfe"}'),
    HostileRequest("POST", f"{BASE}/chapter", b'{"userId": "learner-1", "watchTime": NaN}'),
    HostileRequest("POST", f"{BASE}/chapter", b'{"userId": "learner-1"}', "text/plain"),
    HostileRequest("POST", f"{BASE}/migrate", b'{"userId": "learner-1", "lastWatchedAt": 17e8}'),
    HostileRequest("POST", f"{BASE}/migrate", b'{"userId": "learner-1", "totalChapters": 9}'),
    HostileRequest("POST", f"{BASE}/quiz", b'{"userId": "learner-1", "score": 1e400}'),
    HostileRequest("POST", f"{BASE}/complete", b"[" * 10_000),
    HostileRequest("POST", f"{BASE}/complete", b'{"userId": "learner-1"' + b" " * 200_000),
    HostileRequest(
        "POST",
        f"{routes.PREFIX}/events",
        b'{"events": [{"kind": "fallback", "operation": "getProgress", "occurredAt": "%s", '
        b'"userId": "learner\\u0000-1"}]}' % datetime.now(UTC).isoformat().encode(),
    ),
    HostileRequest("PUT", BASE),
)


def send(client: TestClient, request: HostileRequest, headers: dict[str, str]) -> int:
    """Send one corpus request as-is; its status."""
    extra = {"Content-Type": request.content_type} if request.body is not None else {}
    response = client.request(
        request.method, request.url, content=request.body, headers={**headers, **extra}
    )
    return response.status_code


def api_settings() -> ApiSettings:
    return ApiSettings.model_validate(
        {
            "tokens": [
                ApiToken(sha256=hash_token(TOKEN), role="service", name="fuzzer"),
                ApiToken(sha256=hash_token(LEARNER_TOKEN), role="learner", user_id="learner-1"),
            ],
            "trusted_user_header": None,
            "allow_anonymous": False,
            "cors_origins": [],
            "request_log": True,
            "log_interval_ms": 60_000,
        }
    )


def writes(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tutorial_progress, progress_events, client_events)
        )


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    written_when_refused: list[str] = field(default_factory=list)

    def answered(
        self, status: int, before: tuple[int, ...], after: tuple[int, ...], what: str
    ) -> None:
        self.statuses[status] += 1
        if status >= 400 and before != after:
            self.written_when_refused.append(f"{status} {what}: {before} -> {after}")


class Answered:
    """The app, counting the HTTP requests it answers (schemathesis' checks send some of their
    own), so the count of `api_logs` rows can be compared with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


def fuzzer(operation: Any, engine: Engine, examples: int, tally: Tally) -> Any:
    """A Hypothesis test sending `examples` generated requests to one operation."""
    label = f"{operation.method.upper()} {operation.path}"
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE).map(within_the_described_rules),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        before = writes(engine)
        response = case.call()
        tally.answered(response.status_code, before, writes(engine), label)
        try:
            case.validate_response(response)
        except Exception as error:  # a schemathesis failure group: count each kind
            for line in str(error).splitlines():
                if line.strip().startswith("- "):
                    tally.failures[f"{label}: {line.strip()[2:]}"] += 1

    return fuzz


def run_schemathesis(app: ASGIApp, engine: Engine, examples: int, tally: Tally) -> None:
    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"HTTPBearer": {"bearer": TOKEN}}},
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "422"]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    per_operation = math.ceil(examples / len(OPERATIONS))
    for method, path in OPERATIONS:
        fuzzer(schema[path][method], engine, per_operation, tally)()


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        upgrade(url)
        yield url
        return
    with throwaway_database() as throwaway:
        yield throwaway


def logged_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(api_logs)).scalar_one()


def run_corpus(client: TestClient, engine: Engine, tally: Tally) -> None:
    """Every corpus request with a service token, then with a learner token."""
    for token in (TOKEN, LEARNER_TOKEN):
        for request in HOSTILE:
            before = writes(engine)
            status = send(client, request, {"Authorization": f"Bearer {token}"})
            tally.answered(status, before, writes(engine), f"{request.method} {request.url[:60]}")


@dataclass(frozen=True)
class FuzzRun:
    """What one fuzz run found, and how long it took."""

    fuzzed: Tally
    corpus: Tally
    answered: int  # HTTP requests the app answered (the checks' own and /openapi.json too)
    logged: int  # new api_logs rows
    dropped: int
    seconds: float


def fuzz_once(url: str, examples: int) -> FuzzRun:
    engine = make_engine(url)
    logged_before = logged_rows(engine)
    request_log = RequestLog(engine, interval_ms=60_000)
    app = Answered(create_app(ProgressService(engine), api_settings(), request_log=request_log))
    started = time.perf_counter()
    fuzzed, corpus = Tally(), Tally()
    with TestClient(app, raise_server_exceptions=False) as client:
        run_schemathesis(app, engine, examples, fuzzed)
        run_corpus(client, engine, corpus)
        request_log.flush()
        health = request_log.health()
    seconds = time.perf_counter() - started
    logged = logged_rows(engine) - logged_before
    engine.dispose()
    return FuzzRun(fuzzed, corpus, app.count, logged, health.dropped, seconds)


def five_xx(tally: Tally) -> int:
    return sum(n for status, n in tally.statuses.items() if status >= 500)


def row(number: int, run: FuzzRun) -> list[str]:
    generated = sum(run.fuzzed.statuses.values())
    corpus = sum(run.corpus.statuses.values())
    wrote = run.fuzzed.written_when_refused + run.corpus.written_when_refused
    return [
        str(number),
        f"{generated:,} + {corpus} corpus",
        f"{run.answered:,}",
        str(five_xx(run.fuzzed) + five_xx(run.corpus)),
        ", ".join(f"{kind} × {n}" for kind, n in run.fuzzed.failures.items()) or "none",
        "; ".join(wrote) or "none",
        f"{run.logged:,} / {run.answered:,}",
        str(run.dropped),
        f"{run.seconds:,.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", type=int, default=800, help="per run, at most")
    parser.add_argument("--database-url", default=None)
    add_runs_argument(parser)
    args = parser.parse_args()
    with database(args.database_url) as url, measuring(url, args.runs):
        runs = []

        def measure(_run: int) -> dict[str, float]:
            run = fuzz_once(url, args.examples)
            runs.append(run)
            return {"seconds": run.seconds, "requests/s": run.answered / run.seconds}

        figures = repeat(measure, args.runs)
        print()
        print(
            markdown_table(
                [
                    "run",
                    "generated requests",
                    "with the checks' own requests",
                    "5xx",
                    "schemathesis failures",
                    "refused requests that wrote",
                    "`api_logs` rows / answered requests",
                    "logger dropped",
                    "seconds",
                ],
                [row(number, run) for number, run in enumerate(runs, 1)],
                text_columns=9,
            )
        )
        for name, tally in (("schemathesis", runs[-1].fuzzed), ("corpus", runs[-1].corpus)):
            print(f"\nStatuses of the last run, {name}: {dict(sorted(tally.statuses.items()))}")
        print(
            f"\nA run took {figures['seconds'].cell(0)} s, "
            f"{figures['requests/s'].cell()} answered requests a second."
        )


if __name__ == "__main__":
    main()
