"""Deterministic, realistic demo and benchmark data.

The same arguments always give the same data: every random draw comes from one seeded generator
and every timestamp is relative to an explicit `now`. Learner progress is built with the rules of
`progress.rules` (so aggregates are the service's own) and loaded through
`ProgressService.import_progress`; request logs and client telemetry are generated column-wise with
numpy and loaded with COPY (see `progress.bulk`).

What it contains:
- a catalog of tutorials (4–12 chapters, 1–3 quizzes each);
- learners who start 1–4 tutorials and drop off along the chapters (one tutorial has an obvious
  drop at one chapter), with completion trends to find: `sql-basics` got better half-way through
  the data (`CHANGES`), `python-intro` gets better steadily, and `docker-101` got worse two thirds
  of the way through (its chapter 2 started losing learners); unfinished chapters stop
  somewhere in the video; quiz retries; certificates
  for learners who finished everything, and a few support overrides; some learners inactive for a
  week or more mid-tutorial;
- `api_logs` with a daily cycle and a few incidents (5xx and latency spikes), so some days miss
  the targets; `client_events` for migrations (mostly successful) and local-fallback operations,
  more of them during incidents.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import get_args

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from progress import routes
from progress.bulk import ApiLogColumns, ImportedProgress, copy_api_logs, copy_client_events
from progress.errors import InvalidInput
from progress.rules import (
    ProgressState,
    apply_chapter,
    apply_quiz,
    award_certificate,
    stamp_moments,
)
from progress.schema import tutorial_progress, tutorials
from progress.service import ProgressService
from progress.telemetry import FallbackOperation

ACTOR = "demo-data"
SUPPORT_AGENTS = ("sam@support", "priya@support", "lee@support")
MIGRATION_FAILURES = ("quota_exceeded", "network_error", "invalid_payload", "conflict")
FALLBACK_OPERATIONS: tuple[str, ...] = get_args(FallbackOperation)  # in the client's order
TOPICS = (
    ("sql-basics", "SQL basics"),
    ("python-intro", "Introduction to Python"),
    ("git-essentials", "Git essentials"),
    ("react-hooks", "React hooks in practice"),
    ("docker-101", "Docker 101"),
    ("statistics", "Statistics for developers"),
    ("typescript", "TypeScript from JavaScript"),
    ("kubernetes", "Kubernetes fundamentals"),
    ("security", "Web security basics"),
    ("postgres-perf", "PostgreSQL performance"),
    ("data-viz", "Data visualisation"),
    ("testing", "Testing that pays off"),
)
# Share of each route in the traffic, in the order of `_ROUTES`.
_ROUTES: tuple[tuple[str, str], ...] = (*routes.PROGRESS_ENDPOINTS, ("GET", routes.HEALTH))
_ROUTE_WEIGHTS = np.array([0.38, 0.01, 0.42, 0.07, 0.02, 0.03, 0.04, 0.03])
MAX_LEARNERS = 10_000_000
LEARNERS_PER_LOAD = 50_000  # loaded (and held in memory) at a time


@dataclass(frozen=True)
class DemoSpec:
    learners: int
    days: int
    seed: int
    now: datetime
    api_logs: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.learners <= MAX_LEARNERS:
            raise InvalidInput("learners", f"Learners must be between 1 and {MAX_LEARNERS:,}.")
        if not 1 <= self.days <= 365:
            raise InvalidInput("days", "Days must be between 1 and 365.")
        if self.api_logs is not None and not 0 <= self.api_logs <= 200_000_000:
            raise InvalidInput("api_logs", "API log rows must be between 0 and 200,000,000.")
        if self.now.tzinfo is None:
            raise InvalidInput("now", "The reference time needs a time zone (e.g. ...Z).")

    @property
    def api_log_rows(self) -> int:
        """The requested volume, else about 25 requests per learner per tutorial-day of data."""
        if self.api_logs is not None:
            return self.api_logs
        return min(5_000_000, self.learners * 60)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=self.days)


@dataclass(frozen=True)
class Tutorial:
    tutorial_id: str
    title: str
    chapters: int
    quizzes: int
    drop_chapter: int | None  # the chapter where many learners give up, if any
    chapter_seconds: tuple[float, ...] = ()  # each chapter's video length


@dataclass(frozen=True)
class DemoSummary:
    tutorials: int
    progress_rows: int
    api_logs: int
    client_events: int


def catalog(rng: np.random.Generator) -> list[Tutorial]:
    tutorials_: list[Tutorial] = []
    for index, (tutorial_id, title) in enumerate(TOPICS):
        chapters = int(rng.integers(4, 13))
        tutorials_.append(
            Tutorial(
                tutorial_id,
                title,
                chapters,
                int(rng.integers(1, 4)),
                drop_chapter=chapters // 2 if index == 3 else None,
                chapter_seconds=tuple(
                    round(float(seconds)) for seconds in rng.uniform(240, 900, size=chapters)
                ),
            )
        )
    return tutorials_


IMPROVED, IMPROVING, WORSENED = "sql-basics", "python-intro", "docker-101"


def change_dates(spec: DemoSpec) -> dict[str, datetime]:
    """The UTC midnights when the demo's two tutorials changed: `sql-basics` for the better
    half-way through the data, `docker-101` for the worse two thirds of the way."""
    midnight = spec.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        IMPROVED: midnight + timedelta(days=spec.days // 2),
        WORSENED: midnight + timedelta(days=spec.days * 2 // 3),
    }


def continue_chance(
    spec: DemoSpec, tutorial: Tutorial, chapter: int, started_at: datetime
) -> float:
    """The chance that a learner who started at `started_at` completes `chapter`."""
    if chapter == tutorial.drop_chapter:
        return 0.55
    changes = change_dates(spec)
    if tutorial.tutorial_id == IMPROVED:
        return 0.95 if started_at >= changes[IMPROVED] else 0.84
    if tutorial.tutorial_id == IMPROVING:
        return 0.82 + 0.14 * (started_at - spec.start) / (spec.now - spec.start)
    if tutorial.tutorial_id == WORSENED and chapter == 2 and started_at >= changes[WORSENED]:
        return 0.6
    return 0.9


def learner_id(number: int) -> str:
    return f"learner-{number:06d}"


def _learner_progress(
    rng: np.random.Generator, spec: DemoSpec, tutorial: Tutorial, user: str
) -> ImportedProgress:
    span = spec.days * 86400.0
    started_at = spec.start + timedelta(seconds=float(rng.uniform(0, span * 0.97)))
    at = started_at
    declared = tutorial.chapters if rng.random() < 0.5 else None
    state = ProgressState(
        tutorial.tutorial_id,
        user,
        catalog_total_chapters=tutorial.chapters,
        started_at=started_at,
    )
    chapter_times: dict[str, datetime] = {}
    inactive = rng.random() < 0.12  # stops for a week or more at some point
    for number in range(1, tutorial.chapters + 1):
        chapter_id = f"ch-{number:02d}"
        finished = rng.random() < continue_chance(spec, tutorial, number, started_at)
        length = tutorial.chapter_seconds[number - 1]
        position = length if finished else float(rng.uniform(0.05, 0.95)) * length
        watch = position * float(rng.uniform(1.0, 1.4))
        at += timedelta(minutes=float(rng.exponential(600)))
        if at > spec.now:  # the learner has not got this far yet
            break
        watched = apply_chapter(
            state,
            chapter_id=chapter_id,
            watch_time=round(watch, 1),
            completed=finished,
            last_position=round(position, 1),
            total_chapters=declared,
            at=at,
        )
        state = stamp_moments(state, watched, at=at)
        chapter_times[chapter_id] = at
        if not finished or (inactive and number >= 2 and rng.random() < 0.3):
            break
    if state.chapters_completed == tutorial.chapters:
        for quiz in range(1, tutorial.quizzes + 1):
            for _ in range(int(rng.integers(1, 5))):
                score = float(rng.integers(3, 11))
                at += timedelta(minutes=float(rng.exponential(20)))
                if at > spec.now:
                    break
                state = apply_quiz(
                    state,
                    quiz_id=f"quiz-{quiz}",
                    score=score,
                    max_score=10,
                    passed=score >= 7,
                    at=at,
                )
                if score >= 7:
                    break
        if state.certificate_eligible:
            state = award_certificate(
                state, awarded_by=user, override_reason=None, at=_last_activity(state, started_at)
            )
    elif rng.random() < 0.004:
        state = award_certificate(
            state,
            awarded_by=SUPPORT_AGENTS[int(rng.integers(len(SUPPORT_AGENTS)))],
            override_reason="Completed the course offline; confirmed by the instructor",
            at=min(at + timedelta(days=2), spec.now),
        )
    updated_at = _last_activity(state, started_at)
    if state.certificate is not None:
        updated_at = max(updated_at, state.certificate.awarded_at)
    return ImportedProgress(state, started_at, chapter_times, updated_at)


def _last_activity(state: ProgressState, started_at: datetime) -> datetime:
    return max(
        [
            started_at,
            *([state.last_watched_at] if state.last_watched_at else []),
            *(quiz.completed_at for quiz in state.quizzes.values()),
        ]
    )


def learner_progress(
    spec: DemoSpec, tutorials_: list[Tutorial], *, chunk: int | None = None
) -> Iterator[list[ImportedProgress]]:
    """Every learner's progress, in lists of the pairs of at most `chunk` learners (all at once by
    default), so a million learners never sit in memory together. The same data for any chunk."""
    rng = np.random.default_rng([spec.seed, 1])
    size = chunk or spec.learners
    for first in range(1, spec.learners + 1, size):
        items: list[ImportedProgress] = []
        for number in range(first, min(first + size, spec.learners + 1)):
            count = int(rng.integers(1, 5))
            chosen = rng.choice(len(tutorials_), size=min(count, len(tutorials_)), replace=False)
            for index in sorted(int(i) for i in chosen):
                item = _learner_progress(rng, spec, tutorials_[index], learner_id(number))
                if item.state.chapters:  # a learner who has not started yet has no progress row
                    items.append(item)
        yield items


def _incidents(rng: np.random.Generator, spec: DemoSpec) -> list[tuple[float, float]]:
    """(start, end) of a few incident windows, in seconds since the start of the data."""
    span = spec.days * 86400.0
    count = max(1, min(3, spec.days // 7 + 1))
    windows = []
    for _ in range(count):
        start = float(rng.uniform(0.1, 0.9)) * span
        windows.append((start, start + float(rng.uniform(3600, 3 * 3600))))
    return windows


def _daily_cycle(rng: np.random.Generator, days: int, size: int) -> np.ndarray:
    """`size` moments (seconds since the start of the data, sorted) that follow a daily cycle, nine
    times busier at its peak than at its trough. Requests and fallbacks both follow it — a
    fallback happens when someone is using the app — so the fallback rate does not swing with the
    hour."""
    span_minutes = days * 1440
    minute_of_day = np.arange(span_minutes) % 1440
    weights = 1.0 + 0.8 * np.sin((minute_of_day / 1440.0 - 0.3) * 2 * math.pi)
    minutes = rng.choice(span_minutes, size=size, p=weights / weights.sum())
    seconds = minutes * 60.0 + rng.uniform(0, 60, size=size)
    seconds.sort()
    return seconds


def api_log_columns(spec: DemoSpec) -> tuple[ApiLogColumns, list[tuple[float, float]]]:
    """`spec.api_log_rows` requests in time order, with a daily cycle and incidents."""
    rng = np.random.default_rng([spec.seed, 2])
    rows = spec.api_log_rows
    seconds = _daily_cycle(rng, spec.days, rows)
    start = np.datetime64(spec.start.astimezone(UTC).replace(tzinfo=None), "us")
    timestamps = start + (seconds * 1e6).astype("timedelta64[us]")

    route_index = rng.choice(len(_ROUTES), size=rows, p=_ROUTE_WEIGHTS / _ROUTE_WEIGHTS.sum())
    latency = rng.lognormal(mean=math.log(55), sigma=0.55, size=rows)
    error_draw = rng.random(rows)
    status = np.full(rows, 200, dtype=np.int16)
    incidents = _incidents(rng, spec)
    in_incident = np.zeros(rows, dtype=bool)
    for begin, end in incidents:
        in_incident |= (seconds >= begin) & (seconds < end)
    latency = np.where(in_incident, latency * 12, latency)
    five_xx = np.where(in_incident, 0.08, 0.001)
    status[error_draw < 0.003 + five_xx] = 400
    status[(error_draw >= 0.003) & (error_draw < 0.0035)] = 404
    status[error_draw < five_xx] = 503
    user_number = rng.integers(1, spec.learners + 1, size=rows, dtype=np.int32)
    user_number[route_index == len(_ROUTES) - 1] = -1  # /health has no learner
    columns = ApiLogColumns(
        timestamps=timestamps,
        route_index=route_index.astype(np.int16),
        status_code=status,
        response_time_ms=np.round(latency, 2),
        user_number=user_number,
        routes=_ROUTES,
    )
    return columns, incidents


Start = tuple[datetime, str, str]  # when a learner started a tutorial: (at, user, tutorial)


def client_event_rows(
    spec: DemoSpec, starts: list[Start], incidents: list[tuple[float, float]]
) -> list[tuple[object, ...]]:
    """Migration outcomes (mostly successful) and local-fallback operations."""
    rng = np.random.default_rng([spec.seed, 3])
    rows: list[tuple[object, ...]] = []
    for at, user_id, tutorial_id in starts:
        if rng.random() < 0.3:  # this learner had progress in localStorage to migrate
            records = int(rng.integers(1, 31))
            rows.append(
                (
                    at,
                    "migration",
                    "attempted",
                    None,
                    None,
                    records,
                    user_id,
                    tutorial_id,
                )
            )
            failed = rng.random() < 0.05
            reason = (
                MIGRATION_FAILURES[int(rng.integers(len(MIGRATION_FAILURES)))] if failed else None
            )
            rows.append(
                (
                    at + timedelta(seconds=1),
                    "migration",
                    "failed" if failed else "succeeded",
                    None,
                    reason,
                    records,
                    user_id,
                    tutorial_id,
                )
            )
    seconds = _daily_cycle(rng, spec.days, int(spec.api_log_rows * 0.015))
    extra = [
        rng.uniform(begin, end, size=int(spec.api_log_rows * 0.004)) for begin, end in incidents
    ]
    for second in np.sort(np.concatenate([seconds, *extra])):
        user = learner_id(int(rng.integers(1, spec.learners + 1)))
        operation = FALLBACK_OPERATIONS[int(rng.choice(5, p=[0.5, 0.3, 0.1, 0.05, 0.05]))]
        rows.append(
            (
                spec.start + timedelta(seconds=float(second)),
                "fallback",
                None,
                operation,
                "network_error",
                None,
                user,
                None,
            )
        )
    rows.sort(key=lambda row: row[0])  # type: ignore[arg-type,return-value]
    return rows


def load_demo_data(engine: Engine, spec: DemoSpec) -> DemoSummary:
    """Generate and load everything `spec` describes, in one transaction per table family."""
    rng = np.random.default_rng([spec.seed, 0])
    tutorials_ = catalog(rng)
    with engine.begin() as connection:
        connection.execute(
            pg_insert(tutorials).on_conflict_do_nothing(),
            [
                {"tutorial_id": t.tutorial_id, "title": t.title, "total_chapters": t.chapters}
                for t in tutorials_
            ],
        )
    starts: list[Start] = []
    for items in learner_progress(spec, tutorials_, chunk=LEARNERS_PER_LOAD):
        ProgressService(engine).import_progress(items, actor=ACTOR, reason="demo data")
        starts.extend((i.started_at, i.state.user_id, i.state.tutorial_id) for i in items)
    columns, incidents = api_log_columns(spec)
    events = client_event_rows(spec, starts, incidents)
    with engine.begin() as connection:
        copy_api_logs(connection, columns)
        copy_client_events(connection, events)
    return DemoSummary(len(tutorials_), len(starts), len(columns.timestamps), len(events))


def has_progress(engine: Engine) -> bool:
    with engine.connect() as connection:
        first = connection.execute(select(tutorial_progress.c.id).limit(1)).first()
    return first is not None
