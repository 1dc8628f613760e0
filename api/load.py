"""Realistic, bounded traffic against a local API, so a newcomer sees the dashboard move.

    progress-ops load --rps 20 --seconds 60 [--incident] [--url http://127.0.0.1:8000]

Simulated learners watch chapters of the demo catalog's tutorials in order (six chapters each, as
these clients tell the server; a chapter update every few seconds of video, completed at its
end), read their progress, take quizzes (some fail and retry), ask for their certificate once
done, now and then reset; some upload a localStorage copy
(`migrate`), and clients report failed migrations and local fallbacks (`events`).

What the clients live through is a `Conditions`: by default a healthy service (no invalid
requests, 1 % of operations served from localStorage, 1 % of migrations failing: every target
met); with `--incident`, an incident on purpose (5 % invalid requests, 15 % fallbacks, 35 % failed
migrations, and 40 % of the writes uploaded slowly, as over a bad mobile network, so the
response times the API measures go above target). `--error-rate E` overrides the share of
deliberately invalid requests (a score above the maximum, a negative watch time, a missing userId).

Requests are sent open-loop at `--rps` (a slow API does not slow the schedule down); at most
`MAX_IN_FLIGHT` wait for an answer at once, and a request that would exceed that is skipped and
counted. Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from progress import routes
from progress.demo import FALLBACK_OPERATIONS, MIGRATION_FAILURES, TOPICS
from progress.errors import InvalidInput

MAX_RPS: Final = 500
MAX_SECONDS: Final = 3600
MAX_IN_FLIGHT: Final = 64
CHAPTERS_PER_TUTORIAL: Final = 6
CHAPTER_SECONDS: Final = 240.0
SLOW_UPLOAD_SECONDS: Final = 1.5  # how long a slow client takes to send a body
SLOW_UPLOAD_PIECES: Final = 4


@dataclass(frozen=True)
class Conditions:
    """What the simulated clients live through, as shares of the requests sent."""

    error_rate: float  # deliberately invalid requests (4xx)
    fallback_rate: float  # reports of an operation served from localStorage
    migration_failure_rate: float  # of migrations: failed on the client and reported
    slow_write_rate: float  # of writes: the body trickles in over SLOW_UPLOAD_SECONDS


HEALTHY: Final = Conditions(
    error_rate=0.0, fallback_rate=0.01, migration_failure_rate=0.01, slow_write_rate=0.0
)
INCIDENT: Final = Conditions(
    error_rate=0.05, fallback_rate=0.15, migration_failure_rate=0.35, slow_write_rate=0.4
)


@dataclass(frozen=True)
class LoadPlan:
    url: str = "http://127.0.0.1:8000"
    rps: float = 20
    seconds: float = 60
    error_rate: float | None = None  # None: the conditions' own
    learners: int = 200
    seed: int = 7
    token: str | None = None
    incident: bool = False

    def __post_init__(self) -> None:
        check_loopback(self.url)
        if not 0 < self.rps <= MAX_RPS:
            raise InvalidInput("rps", f"Requests per second must be above 0 and at most {MAX_RPS}.")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise InvalidInput("seconds", f"Seconds must be above 0 and at most {MAX_SECONDS}.")
        if self.error_rate is not None and not 0 <= self.error_rate <= 1:
            raise InvalidInput("error_rate", "The error rate is a share between 0 and 1.")
        if not 1 <= self.learners <= 100_000:
            raise InvalidInput("learners", "Learners must be between 1 and 100,000.")

    @property
    def total(self) -> int:
        return max(1, round(self.rps * self.seconds))

    @property
    def conditions(self) -> Conditions:
        chosen = INCIDENT if self.incident else HEALTHY
        return chosen if self.error_rate is None else replace(chosen, error_rate=self.error_rate)


def check_loopback(url: str) -> None:
    """Refuse any target that is not this machine."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise InvalidInput(
        "url", f"The load generator only targets this machine (127.0.0.1), not {host!r}."
    )


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    template: str  # from `progress.routes`, as `api_logs.endpoint` will show it
    tutorial_id: str
    options: dict[str, Any]  # httpx keyword arguments: json=…, params=…
    slow: bool = False  # the body trickles in over SLOW_UPLOAD_SECONDS

    @property
    def path(self) -> str:
        return self.template.replace("{tutorial_id}", self.tutorial_id)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass
class Learner:
    user_id: str
    tutorial_id: str
    chapter: int = 0
    watched: float = 0.0
    passed: bool = False

    @property
    def finished(self) -> bool:
        return (
            self.passed
            and self.chapter + 1 == CHAPTERS_PER_TUTORIAL
            and (self.watched >= CHAPTER_SECONDS)
        )


@dataclass
class LoadReport:
    sent: int = 0
    skipped: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_endpoint: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    def summary(self) -> str:
        ordered = sorted(self.latencies_ms)

        def pct(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        endpoints = ", ".join(f"{name} {n}" for name, n in self.by_endpoint.most_common())
        return (
            f"Sent {self.sent} requests in {self.elapsed_seconds:.1f} s "
            f"({self.sent / max(self.elapsed_seconds, 1e-9):.1f}/s), skipped {self.skipped}.\n"
            f"Statuses: {statuses or '–'}\n"
            f"Requests: {endpoints or '–'}\n"
            f"Latency ms: p50 {pct(0.50):.1f}, p95 {pct(0.95):.1f}, p99 {pct(0.99):.1f}"
        )


class Traffic:
    """Draws the next request of the simulated learners (deterministic for a seed)."""

    def __init__(self, plan: LoadPlan) -> None:
        self._rng = random.Random(plan.seed)
        self._conditions = plan.conditions
        tutorials = [tutorial_id for tutorial_id, _ in TOPICS]
        self._learners = [
            Learner(f"load-learner-{n:05d}", self._rng.choice(tutorials))
            for n in range(plan.learners)
        ]
        self._actions: list[tuple[float, Callable[[Learner], PlannedRequest]]] = [
            (0.45, self._watch),
            (0.33, self._read),
            (0.08, self._quiz),
            (0.03, self._complete),
            (0.01, self._reset),
            (0.10, self._migrate),
        ]

    def next_request(self) -> PlannedRequest:
        learner = self._rng.choice(self._learners)
        draw = self._rng.random()
        if draw < self._conditions.error_rate:
            return self._invalid(learner)
        if draw < self._conditions.error_rate + self._conditions.fallback_rate:
            return self._fallback(learner)
        weights = [weight for weight, _ in self._actions]
        action = self._rng.choices([act for _, act in self._actions], weights)[0]
        request = action(learner)
        if "json" in request.options and self._rng.random() < self._conditions.slow_write_rate:
            return replace(request, slow=True)
        return request

    def _watch(self, learner: Learner) -> PlannedRequest:
        learner.watched = min(CHAPTER_SECONDS, learner.watched + self._rng.uniform(20, 90))
        done = learner.watched >= CHAPTER_SECONDS
        body = {
            "userId": learner.user_id,
            "chapterId": f"ch-{learner.chapter + 1}",
            "watchTime": round(learner.watched, 1),
            "completed": done,
            "lastPosition": round(learner.watched, 1),
            "totalChapters": CHAPTERS_PER_TUTORIAL,  # the client knows its tutorial's length
        }
        if done and learner.chapter + 1 < CHAPTERS_PER_TUTORIAL:
            learner.chapter, learner.watched = learner.chapter + 1, 0.0
        return PlannedRequest("POST", routes.CHAPTER, learner.tutorial_id, {"json": body})

    def _read(self, learner: Learner) -> PlannedRequest:
        return PlannedRequest(
            "GET", routes.PROGRESS, learner.tutorial_id, {"params": {"userId": learner.user_id}}
        )

    def _quiz(self, learner: Learner) -> PlannedRequest:
        score = self._rng.randint(4, 10)
        learner.passed = learner.passed or score >= 7
        body = {
            "userId": learner.user_id,
            "quizId": "final-quiz",
            "score": score,
            "maxScore": 10,
            "passed": score >= 7,
        }
        return PlannedRequest("POST", routes.QUIZ, learner.tutorial_id, {"json": body})

    def _complete(self, learner: Learner) -> PlannedRequest:
        """Asked for once the learner has watched everything and passed (else: a read)."""
        if not learner.finished:
            return self._read(learner)
        body = {"json": {"userId": learner.user_id}}
        return PlannedRequest("POST", routes.COMPLETE, learner.tutorial_id, body)

    def _reset(self, learner: Learner) -> PlannedRequest:
        learner.chapter, learner.watched, learner.passed = 0, 0.0, False
        params = {"userId": learner.user_id}
        return PlannedRequest("DELETE", routes.PROGRESS, learner.tutorial_id, {"params": params})

    def _migrate(self, learner: Learner) -> PlannedRequest:
        """The localStorage copy of a learner who watched offline, up to their chapter; or, for
        a migration that fails on the client, its report (the server records every success)."""
        if self._rng.random() < self._conditions.migration_failure_rate:
            return self._report_failed_migration(learner)
        chapters = [
            {
                "chapterId": f"ch-{n + 1}",
                "watchTime": CHAPTER_SECONDS if n < learner.chapter else round(learner.watched, 1),
                "completed": n < learner.chapter,
                "lastPosition": CHAPTER_SECONDS if n < learner.chapter else 0,
            }
            for n in range(learner.chapter + 1)
        ]
        body = {
            "userId": learner.user_id,
            "tutorialId": learner.tutorial_id,
            "chapterProgress": chapters,
            "quizScores": [],
        }
        return PlannedRequest("POST", routes.MIGRATE, learner.tutorial_id, {"json": body})

    def _event(self, learner: Learner, **fields: Any) -> dict[str, Any]:
        return {
            "occurredAt": datetime.now(UTC).isoformat(),
            "userId": learner.user_id,
            "tutorialId": learner.tutorial_id,
            **fields,
        }

    def _report_failed_migration(self, learner: Learner) -> PlannedRequest:
        events = [
            self._event(learner, kind="migration", outcome="attempted"),
            self._event(
                learner,
                kind="migration",
                outcome="failed",
                reason=self._rng.choice(MIGRATION_FAILURES),
                recordCount=self._rng.randint(1, 12),
            ),
        ]
        return PlannedRequest("POST", routes.CLIENT_EVENTS, "", {"json": {"events": events}})

    def _fallback(self, learner: Learner) -> PlannedRequest:
        """A client that served an operation from localStorage reports it."""
        operation = self._rng.choice(FALLBACK_OPERATIONS)
        events = [self._event(learner, kind="fallback", operation=operation)]
        return PlannedRequest("POST", routes.CLIENT_EVENTS, "", {"json": {"events": events}})

    def _invalid(self, learner: Learner) -> PlannedRequest:
        choice = self._rng.randrange(3)
        if choice == 0:  # a score above the maximum: 422 from the service's rules
            body = {
                "userId": learner.user_id,
                "quizId": "final-quiz",
                "score": 12,
                "maxScore": 10,
                "passed": True,
            }
            return PlannedRequest("POST", routes.QUIZ, learner.tutorial_id, {"json": body})
        if choice == 1:  # a negative watch time: 422 from the request schema
            body = {
                "userId": learner.user_id,
                "chapterId": "ch-1",
                "watchTime": -5,
                "completed": False,
                "lastPosition": 0,
            }
            return PlannedRequest("POST", routes.CHAPTER, learner.tutorial_id, {"json": body})
        return PlannedRequest("GET", routes.PROGRESS, learner.tutorial_id, {})  # no userId: 400


async def trickle(body: bytes) -> AsyncIterator[bytes]:
    """A body sent in pieces over SLOW_UPLOAD_SECONDS, as a client on a bad network sends it."""
    size = -(-len(body) // SLOW_UPLOAD_PIECES)
    for start in range(0, len(body), size):
        await asyncio.sleep(SLOW_UPLOAD_SECONDS / SLOW_UPLOAD_PIECES)
        yield body[start : start + size]


async def run_load(plan: LoadPlan) -> LoadReport:
    """Send `plan.total` requests at `plan.rps`; returns what was sent and answered."""
    traffic = Traffic(plan)
    report = LoadReport()
    headers = {"Authorization": f"Bearer {plan.token}"} if plan.token else {}
    in_flight = 0

    async def send(client: httpx.AsyncClient, request: PlannedRequest) -> None:
        nonlocal in_flight
        started = time.perf_counter()
        options = request.options
        if request.slow:
            body = json.dumps(options["json"]).encode()
            options = {"content": trickle(body), "headers": {"Content-Type": "application/json"}}
        try:
            response = await client.request(request.method, request.path, **options)
            report.statuses[response.status_code] += 1
        except httpx.HTTPError:
            report.statuses[0] += 1  # no answer: what the client would fall back on
        finally:
            in_flight -= 1
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            report.by_endpoint[request.name] += 1

    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=plan.url, headers=headers, timeout=10.0, limits=limits
    ) as client:
        tasks: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        start = loop.time()
        for number in range(plan.total):
            delay = start + number / plan.rps - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            request = traffic.next_request()
            if in_flight >= MAX_IN_FLIGHT:
                report.skipped += 1
                continue
            in_flight += 1
            report.sent += 1
            task = asyncio.create_task(send(client, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        report.elapsed_seconds = loop.time() - start
    return report
