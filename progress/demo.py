"""Deterministic, realistic demo and benchmark data.

The same arguments always give the same data: every random draw comes from a generator seeded
with the spec's seed (and, for learners, the chunk's number) and every timestamp is relative to an
explicit `now`. Everything is generated column-wise with numpy — a million learners are arrays,
not a million Python objects — and loaded with binary COPY (`progress.bulk`). Learner progress
follows the rules of `progress.rules` (a test replays every generated pair through them, so the
aggregates are the service's own); each pair gets one audit event holding its state, so every
learner has a history in the console.

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

import json
import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from multiprocessing import get_context
from typing import Any, get_args

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Table, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from progress import routes
from progress.bulk import (
    ApiLogColumns,
    Columns,
    LearnerNames,
    LearnerRows,
    copy_api_logs,
    copy_client_events,
    copy_learners,
    indexes_dropped,
    reserve_progress_ids,
)
from progress.db import make_engine, mask_url
from progress.errors import InvalidInput
from progress.rules import RollupCounts
from progress.schema import (
    CERTIFICATE_DAYS,
    CLIENT_EVENT_KINDS,
    MIGRATION_OUTCOMES,
    WITHIN_DAYS,
    learner_days,
    learner_tutorial_days,
    progress_events,
    rollup_watermarks,
    tutorial_progress,
    tutorials,
)
from progress.store import count_cohorts
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


def continue_chances(
    spec: DemoSpec, tutorials_: list[Tutorial], tutorial: npt.NDArray[np.int16], started: Micros
) -> npt.NDArray[np.float64]:
    """The chance that a learner in `tutorial` (index into `tutorials_`) who started at `started`
    completes each chapter (columns: chapter 1 to `MAX_CHAPTERS`): 0.9, 0.55 at a tutorial's
    drop chapter; `sql-basics` 0.84, 0.95 from its change; `python-intro` from 0.82 at the start
    of the data to 0.96 at its end; `docker-101`'s chapter 2 0.6 from its change."""
    ids = np.array([t.tutorial_id for t in tutorials_])[tutorial]
    changes = {key: _micros(moment) for key, moment in change_dates(spec).items()}
    start, now = _micros(spec.start), _micros(spec.now)
    chance = np.full((len(tutorial), MAX_CHAPTERS), 0.9)
    improved = ids == IMPROVED
    chance[improved] = np.where(started[improved] >= changes[IMPROVED], 0.95, 0.84)[:, None]
    improving = ids == IMPROVING
    chance[improving] = (0.82 + 0.14 * (started[improving] - start) / (now - start))[:, None]
    chance[(ids == WORSENED) & (started >= changes[WORSENED]), 1] = 0.6
    for index, t in enumerate(tutorials_):
        if t.drop_chapter is not None:
            chance[tutorial == index, t.drop_chapter - 1] = 0.55
    return chance


def learner_id(number: int) -> str:
    return f"learner-{number:06d}"


Micros = npt.NDArray[np.int64]  # moments as µs since the Unix epoch; NONE for "never"
NONE = np.iinfo(np.int64).min  # as datetime64, NaT
MAX_TUTORIALS, MAX_CHAPTERS, MAX_QUIZZES, MAX_ATTEMPTS = 4, 12, 3, 4
MAX_SCORE, PASS_SCORE = 10.0, 7.0
DAY_US = 86_400_000_000
CHAPTER_IDS = tuple(f"ch-{number:02d}" for number in range(1, MAX_CHAPTERS + 1))
QUIZ_IDS = tuple(f"quiz-{number}" for number in range(1, MAX_QUIZZES + 1))
OVERRIDE_REASON = "Completed the course offline; confirmed by the instructor"


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _moments(micros: Micros) -> npt.NDArray[np.datetime64]:
    return micros.view("datetime64[us]")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LearnerChunk:
    """The learner-tutorial pairs with progress of one chunk of learners, column-wise (a row per
    pair): what each did, in order, and what `progress.rules` make of it.

    Chapter k (column k) was updated once, at `chapter_at[:, k]`, where `chapter_seen`; the
    learners start with chapter 1 and stop at their first unfinished chapter, when idle, or at
    `now`. Quiz q's attempts (`[:, q, a]`, where `attempt_seen`) follow the last chapter, once
    every chapter is complete, until one passes. The aggregates are the rules' (a test replays
    every pair through `progress.rules`): chapters completed, total watch time in chapter order,
    a quiz's best score, passed once any attempt passed, its latest attempt's time.
    """

    tutorial: npt.NDArray[np.int16]
    learner: npt.NDArray[np.int32]
    slot: npt.NDArray[np.int64]  # (learner − 1) × MAX_TUTORIALS + the pair's place among theirs
    total: npt.NDArray[np.int16]  # the catalog's chapters (declared as that, or not)
    declared: npt.NDArray[np.bool_]
    started: Micros
    chapter_seen: npt.NDArray[np.bool_]
    chapter_done: npt.NDArray[np.bool_]
    watch: npt.NDArray[np.float64]
    position: npt.NDArray[np.float64]
    chapter_at: Micros
    attempt_seen: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]
    attempt_at: Micros
    certified: Micros  # NONE: no certificate
    awarded_by: npt.NDArray[np.int16]  # 0: the learner (eligible); k: SUPPORT_AGENTS[k - 1]

    @property
    def done(self) -> npt.NDArray[np.int16]:
        return np.asarray((self.chapter_seen & self.chapter_done).sum(axis=1), dtype=np.int16)

    @property
    def last_watched(self) -> Micros:
        return _last(self.chapter_at, self.chapter_seen)

    @property
    def completed(self) -> Micros:
        return np.where(self.done >= self.total, self.last_watched, NONE)

    @property
    def total_watch_time(self) -> npt.NDArray[np.float64]:
        total = np.zeros(len(self.tutorial))
        for column in range(MAX_CHAPTERS):  # in chapter order, as `sum` adds them up
            total += np.where(self.chapter_seen[:, column], self.watch[:, column], 0.0)
        return total

    @property
    def attempts(self) -> npt.NDArray[np.int16]:
        return np.asarray(self.attempt_seen.sum(axis=2), dtype=np.int16)

    @property
    def best_score(self) -> npt.NDArray[np.float64]:
        return np.asarray(
            np.where(self.attempt_seen, self.score, -1.0).max(axis=2), dtype=np.float64
        )

    @property
    def quiz_passed(self) -> npt.NDArray[np.bool_]:
        return np.asarray((self.attempt_seen & (self.score >= PASS_SCORE)).any(axis=2), dtype=bool)

    @property
    def quiz_at(self) -> Micros:
        return np.asarray(
            np.where(self.attempt_seen, self.attempt_at, NONE).max(axis=2), dtype=np.int64
        )

    @property
    def eligible(self) -> npt.NDArray[np.bool_]:
        """Every chapter complete and every quiz attempted passed (`certificate_eligible`)."""
        quizzes = np.asarray(((self.attempts == 0) | self.quiz_passed).all(axis=1), dtype=bool)
        return np.asarray((self.done >= self.total) & quizzes, dtype=bool)

    @property
    def updated(self) -> Micros:
        """The pair's last activity: its last chapter, quiz attempt or certificate."""
        return np.asarray(
            np.maximum.reduce(
                [self.started, self.last_watched, self.quiz_at.max(axis=1), self.certified]
            ),
            dtype=np.int64,
        )

    def rows(self, first_id: int, tutorial_ids: Sequence[str]) -> LearnerRows:
        """The chunk as `progress.bulk.copy_learners` loads it: a pair's progress id is
        `first_id` + its slot, so the same pairs get the same ids, whichever process loads them."""
        ids = first_id + self.slot
        done, total = self.done, self.total
        chapter_pair, chapter = np.nonzero(self.chapter_seen)
        quiz_pair, quiz = np.nonzero(self.attempts > 0)
        return LearnerRows(
            pairs={
                "id": ids,
                "tutorial": self.tutorial,
                "learner": self.learner,
                "total": total,
                "declared": self.declared,
                "done": done,
                "percent": _PERCENT[done, total],
                "watch": self.total_watch_time,
                "eligible": self.eligible,
                "last_watched": _moments(self.last_watched),
                "started": _moments(self.started),
                "completed": _moments(self.completed),
                "updated": _moments(self.updated),
                "certified": _moments(self.certified),
                "awarded_by": self.awarded_by,
                "override": self.awarded_by > 0,
            },
            chapters={
                "progress_id": ids[chapter_pair],
                "chapter": (chapter + 1).astype(np.int16),
                "watch": self.watch[chapter_pair, chapter],
                "completed": self.chapter_done[chapter_pair, chapter],
                "position": self.position[chapter_pair, chapter],
                "at": _moments(self.chapter_at[chapter_pair, chapter]),
            },
            quizzes={
                "progress_id": ids[quiz_pair],
                "quiz": (quiz + 1).astype(np.int16),
                "score": self.best_score[quiz_pair, quiz],
                "max_score": np.full(len(quiz), MAX_SCORE),
                "passed": self.quiz_passed[quiz_pair, quiz],
                "attempts": self.attempts[quiz_pair, quiz],
                "at": _moments(self.quiz_at[quiz_pair, quiz]),
            },
            events=self.events(tutorial_ids),
            **self.active_days(),
        )

    def active_days(self) -> dict[str, Columns]:
        """The UTC days each learner was active, in each tutorial and at all: the days of their
        chapter updates (what `queries.rollups` folds into `learner_tutorial_days` and
        `learner_days` from a pair's chapter rows)."""
        pair, column = np.nonzero(self.chapter_seen)
        day = self.chapter_at[pair, column] // DAY_US
        days = int(day.max(initial=0)) + 1
        in_tutorial = np.unique((self.slot[pair] * days) + day)
        slot, tutorial_day = np.divmod(in_tutorial, days)
        index = np.searchsorted(self.slot, slot)  # slots are ascending: the pair of each
        learner_day = np.unique(self.learner[pair].astype(np.int64) * days + day)
        learner, day_ = np.divmod(learner_day, days)
        return {
            "tutorial_days": {
                "tutorial": self.tutorial[index],
                "day": _moments(tutorial_day * DAY_US),
                "learner": self.learner[index],
            },
            "days": {"day": _moments(day_ * DAY_US), "learner": learner.astype(np.int32)},
        }

    def events(self, tutorial_ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
        """Each pair's audit event: its last activity, tutorial, learner, and its state as
        `ProgressState.to_snapshot` gives it (`ProgressSnapshot` JSON by alias; chapters and
        quizzes in id order) — built here as plain JSON, a million of them in seconds."""
        pair, column = np.nonzero(self.chapter_seen)
        chapters = _split(
            [
                {"chapterId": CHAPTER_IDS[c], "watchTime": w, "completed": d, "lastPosition": p}
                for c, w, d, p in zip(
                    column.tolist(),
                    self.watch[pair, column].tolist(),
                    self.chapter_done[pair, column].tolist(),
                    self.position[pair, column].tolist(),
                    strict=True,
                )
            ],
            self.chapter_seen.sum(axis=1),
        )
        seen = self.attempts > 0
        pair, quiz = np.nonzero(seen)
        quizzes = _split(
            [
                {
                    "quizId": QUIZ_IDS[q],
                    "score": score,
                    "maxScore": MAX_SCORE,
                    "passed": passed,
                    "attempts": attempts,
                    "completedAt": at,
                }
                for q, score, passed, attempts, at in zip(
                    quiz.tolist(),
                    self.best_score[pair, quiz].tolist(),
                    self.quiz_passed[pair, quiz].tolist(),
                    self.attempts[pair, quiz].tolist(),
                    _iso(self.quiz_at[pair, quiz]),
                    strict=True,
                )
            ],
            seen.sum(axis=1),
        )
        users = [learner_id(number) for number in self.learner.tolist()]
        tutorials_ = [tutorial_ids[index] for index in self.tutorial.tolist()]
        updated = _iso(self.updated)
        documents = zip(
            tutorials_,
            users,
            (_PERCENT[self.done, self.total] / 100).tolist(),
            self.done.tolist(),
            self.total.tolist(),
            chapters,
            quizzes,
            self.eligible.tolist(),
            self.total_watch_time.tolist(),
            _iso(self.last_watched),
            _iso(self.certified),
            self.awarded_by.tolist(),
            np.where(self.declared, self.total, 0).tolist(),
            _iso(self.started),
            _iso(self.completed),
            strict=True,
        )
        events = []
        for (
            tutorial,
            user,
            percent,
            done,
            total,
            chapters_,
            quizzes_,
            eligible,
            watch,
            last,
            certified,
            awarded_by,
            declared,
            started,
            completed,
        ), at in zip(documents, updated, strict=True):
            certificate = (
                None
                if certified is None
                else {
                    "awardedAt": certified,
                    "awardedBy": SUPPORT_AGENTS[awarded_by - 1] if awarded_by else user,
                    "overrideReason": OVERRIDE_REASON if awarded_by else None,
                }
            )
            after = {
                "tutorialId": tutorial,
                "userId": user,
                "completionPercentage": percent,
                "chaptersCompleted": done,
                "totalChapters": total,
                "chapterProgress": chapters_,
                "quizScores": quizzes_,
                "certificateEligible": eligible,
                "certificateEarned": certified is not None,
                "totalWatchTime": watch,
                "lastWatchedAt": last,
                "certificate": certificate,
                "declaredTotalChapters": declared or None,
                "startedAt": started,
                "completedAt": completed,
            }
            assert at is not None
            events.append((at, tutorial, user, json.dumps(after, separators=(",", ":"))))
        return events


def _split(
    items: list[dict[str, Any]], counts: npt.NDArray[np.int64]
) -> list[list[dict[str, Any]]]:
    """`items` (in row order) as one list per row, `counts[row]` each."""
    ends = np.cumsum(counts).tolist()
    return [items[start:end] for start, end in zip([0, *ends], ends, strict=False)]


def _iso(micros: Micros) -> list[str | None]:
    """ISO 8601 in UTC, as pydantic writes them (None for NONE)."""
    text_ = np.datetime_as_string(_moments(micros), unit="us").tolist()
    return [None if moment == "NaT" else f"{moment}Z" for moment in text_]


def _last(moments: Micros, seen: npt.NDArray[np.bool_]) -> Micros:
    """Per row, the moment of the last column seen (the columns are in time order)."""
    return np.asarray(np.where(seen, moments, NONE).max(axis=1), dtype=np.int64)


# completion_percentage × 100 for (chapters completed, total), rounded as `progress.rules` does
_PERCENT = np.array(
    [
        [
            0 if total == 0 else round(min(100.0, round(done * 100 / total, 2)) * 100)
            for total in range(MAX_CHAPTERS + 1)
        ]
        for done in range(MAX_CHAPTERS + 1)
    ],
    dtype=np.int32,
)


def learner_chunk(spec: DemoSpec, tutorials_: list[Tutorial], chunk: int) -> LearnerChunk:
    """The pairs of the learners numbered `chunk * LEARNERS_PER_CHUNK + 1` onwards (at most
    `LEARNERS_PER_CHUNK`), from a generator seeded with the chunk's number: the same data
    whichever process makes it, in whatever order."""
    rng = np.random.default_rng([spec.seed, 1, chunk])
    first = chunk * LEARNERS_PER_CHUNK + 1
    learners = np.arange(first, min(first + LEARNERS_PER_CHUNK, spec.learners + 1))
    # 1–4 tutorials each, a random subset: the first `count` of a random order of the catalog
    count = rng.integers(1, MAX_TUTORIALS + 1, size=len(learners))
    order = rng.random((len(learners), len(tutorials_))).argsort(axis=1).argsort(axis=1)
    row, tutorial = np.nonzero(order < count[:, None])
    pairs = len(row)
    first_of_row = np.searchsorted(row, row)  # the learner's first pair (rows are sorted)
    slot = (learners[row] - 1) * MAX_TUTORIALS + np.arange(pairs) - first_of_row
    chapters = np.array([t.chapters for t in tutorials_], dtype=np.int16)[tutorial]
    quizzes = np.array([t.quizzes for t in tutorials_])[tutorial]
    lengths = np.zeros((len(tutorials_), MAX_CHAPTERS))
    for index, t in enumerate(tutorials_):
        lengths[index, : t.chapters] = t.chapter_seconds
    now = _micros(spec.now)
    span = spec.days * DAY_US
    started = _micros(spec.start) + np.round(rng.uniform(0, span * 0.97, pairs)).astype(np.int64)
    declared = rng.random(pairs) < 0.5
    idle = rng.random(pairs) < 0.12  # stops for a week or more at some point
    override = rng.random(pairs) < 0.004
    agent = rng.integers(1, len(SUPPORT_AGENTS) + 1, size=pairs).astype(np.int16)

    shape = (pairs, MAX_CHAPTERS)
    finished = rng.random(shape) < continue_chances(
        spec, tutorials_, tutorial.astype(np.int16), started
    )
    length = lengths[tutorial]
    reached_position = np.where(finished, length, rng.uniform(0.05, 0.95, shape) * length)
    watch = np.round(reached_position * rng.uniform(1.0, 1.4, shape), 1)
    position = np.asarray(np.round(reached_position, 1), dtype=np.float64)
    chapter_at = started[:, None] + np.cumsum(
        np.round(rng.exponential(600 * 60e6, shape)).astype(np.int64), axis=1
    )
    gives_up = idle[:, None] & (rng.random(shape) < 0.3)
    gives_up[:, 0] = False  # an idle learner stops after chapter 2 at the earliest
    in_tutorial = np.arange(MAX_CHAPTERS) < chapters[:, None]
    reached = np.zeros(shape, dtype=bool)
    seen = np.zeros(shape, dtype=bool)
    for column in range(MAX_CHAPTERS):
        reached[:, column] = in_tutorial[:, column]
        if column > 0:  # the previous chapter was updated, finished, and the learner went on
            reached[:, column] &= seen[:, column - 1] & finished[:, column - 1]
            reached[:, column] &= ~gives_up[:, column - 1]
        seen[:, column] = reached[:, column] & (chapter_at[:, column] <= now)
    last_reached = _last(chapter_at, reached)  # the learner's clock when the chapters stopped
    all_done = (seen & finished).sum(axis=1) >= chapters

    # quizzes, once every chapter is complete: up to 4 attempts each until one passes
    tries = rng.integers(1, MAX_ATTEMPTS + 1, size=(pairs, MAX_QUIZZES))
    score = rng.integers(3, 11, size=(pairs, MAX_QUIZZES, MAX_ATTEMPTS)).astype(np.float64)
    gaps = np.round(rng.exponential(20 * 60e6, (pairs, MAX_QUIZZES, MAX_ATTEMPTS)))
    attempt_at = np.zeros((pairs, MAX_QUIZZES, MAX_ATTEMPTS), dtype=np.int64)
    attempt_seen = np.zeros((pairs, MAX_QUIZZES, MAX_ATTEMPTS), dtype=bool)
    clock = last_reached.copy()
    stopped = ~all_done  # and, once an attempt falls after `now`, for good
    for quiz in range(MAX_QUIZZES):
        passed = np.zeros(pairs, dtype=bool)
        for attempt in range(MAX_ATTEMPTS):
            trying = ~stopped & ~passed & (quiz < quizzes) & (attempt < tries[:, quiz])
            clock = np.where(trying, clock + gaps[:, quiz, attempt].astype(np.int64), clock)
            stopped |= trying & (clock > now)
            recorded = trying & (clock <= now)
            attempt_seen[:, quiz, attempt] = recorded
            attempt_at[:, quiz, attempt] = clock
            passed |= recorded & (score[:, quiz, attempt] >= PASS_SCORE)

    chunk_ = LearnerChunk(
        tutorial=tutorial.astype(np.int16),
        learner=learners[row].astype(np.int32),
        slot=slot.astype(np.int64),
        total=chapters,
        declared=declared,
        started=started,
        chapter_seen=seen,
        chapter_done=finished,
        watch=watch,
        position=position,
        chapter_at=chapter_at,
        attempt_seen=attempt_seen,
        score=score,
        attempt_at=attempt_at,
        certified=np.full(pairs, NONE),
        awarded_by=np.zeros(pairs, dtype=np.int16),
    )
    # the certificate: the learner's own at their last activity when eligible; else, rarely, a
    # support override two days after the learner stopped (at most `now`)
    own = chunk_.eligible
    overridden = ~all_done & override
    certified = np.where(own, chunk_.updated, NONE)
    certified = np.where(overridden, np.minimum(last_reached + 2 * DAY_US, now), certified)
    kept = seen[:, 0]  # a learner who has not started yet has no progress row
    return LearnerChunk(
        **{
            name: value[kept]
            for name, value in {
                **vars(chunk_),
                "certified": certified,
                "awarded_by": np.where(overridden, agent, 0).astype(np.int16),
            }.items()
        }
    )


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


def migration_events(
    spec: DemoSpec, chunk: int, learners: LearnerChunk
) -> dict[str, npt.NDArray[Any]]:
    """Client telemetry of the chunk's pairs: for about 30 % of them a migration of progress the
    client had in localStorage when the learner started — attempted, then 1 s later succeeded
    or (about 5 %) failed with a reason (`progress.bulk.copy_client_events`' columns)."""
    rng = np.random.default_rng([spec.seed, 3, chunk])
    pairs = len(learners.tutorial)
    migrated = rng.random(pairs) < 0.3
    records = rng.integers(1, 31, size=pairs).astype(np.int32)
    failed = rng.random(pairs) < 0.05
    reason = np.where(failed, rng.integers(0, len(MIGRATION_FAILURES), size=pairs), -1)
    started = learners.started[migrated]
    outcome = np.where(failed[migrated], _OUTCOMES["failed"], _OUTCOMES["succeeded"])
    count = int(migrated.sum())
    return {
        "occurred_at": np.concatenate([started, started + 1_000_000]),
        "kind": np.full(2 * count, _KINDS["migration"], dtype=np.int16),
        "outcome": np.concatenate([np.full(count, _OUTCOMES["attempted"]), outcome]),
        "operation": np.full(2 * count, -1, dtype=np.int16),
        "reason": np.concatenate([np.full(count, -1), reason[migrated]]),
        "record_count": np.tile(records[migrated], 2),
        "user_number": np.tile(learners.learner[migrated], 2),
        "tutorial": np.tile(learners.tutorial[migrated], 2),
    }


_KINDS = {kind: index for index, kind in enumerate(CLIENT_EVENT_KINDS)}
_OUTCOMES = {outcome: index for index, outcome in enumerate(MIGRATION_OUTCOMES)}


def fallback_events(
    spec: DemoSpec, incidents: list[tuple[float, float]]
) -> dict[str, npt.NDArray[Any]]:
    """Local-fallback operations (the API could not be reached), following the daily cycle, more
    of them during incidents."""
    rng = np.random.default_rng([spec.seed, 3])
    seconds = _daily_cycle(rng, spec.days, int(spec.api_log_rows * 0.015))
    extra = [
        rng.uniform(begin, end, size=int(spec.api_log_rows * 0.004)) for begin, end in incidents
    ]
    seconds = np.sort(np.concatenate([seconds, *extra]))
    count = len(seconds)
    operation = rng.choice(len(FALLBACK_OPERATIONS), size=count, p=[0.5, 0.3, 0.1, 0.05, 0.05])
    return {
        "occurred_at": _micros(spec.start) + np.round(seconds * 1e6).astype(np.int64),
        "kind": np.full(count, _KINDS["fallback"], dtype=np.int16),
        "outcome": np.full(count, -1, dtype=np.int16),
        "operation": operation.astype(np.int16),
        "reason": np.full(count, MIGRATION_FAILURES.index("network_error"), dtype=np.int16),
        "record_count": np.full(count, -1, dtype=np.int32),
        "user_number": rng.integers(1, spec.learners + 1, size=count).astype(np.int32),
        "tutorial": np.full(count, -1, dtype=np.int16),
    }


def client_event_columns(parts: list[dict[str, npt.NDArray[Any]]]) -> dict[str, npt.NDArray[Any]]:
    """The parts' rows in time order (a stable sort: the same order for the same data), as
    `progress.bulk.copy_client_events` takes them."""
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    order = np.argsort(columns["occurred_at"], kind="stable")
    typed = {name: values[order] for name, values in columns.items()}
    typed["occurred_at"] = _moments(typed["occurred_at"].astype(np.int64))
    for name in ("kind", "outcome", "operation", "reason", "tutorial"):
        typed[name] = typed[name].astype(np.int16)
    for name in ("record_count", "user_number"):
        typed[name] = typed[name].astype(np.int32)
    return typed


# -- loading -----------------------------------------------------------------------------------

LEARNERS_PER_CHUNK = 25_000  # generated (seeded), loaded and committed together
PROGRESS_TABLES = (
    "tutorial_progress",
    "chapter_progress",
    "quiz_scores",
    "tutorial_certificates",
    "progress_events",
)
_COHORT_COLUMNS = (
    "starters",
    *(f"{kind}_{n}d" for kind in ("completed", "certified") for n in WITHIN_DAYS),
    "quiz_takers",
    "quizzes_passed",
)


@dataclass
class CohortCounts:
    """What the pairs add to the completion-trend rollups (`progress.rules.cohort_counts`), as
    arrays indexed by tutorial and start day (UTC days from the data's first midnight)."""

    cohort: npt.NDArray[np.int64]  # [tutorial, day, column of _COHORT_COLUMNS]
    chapters: npt.NDArray[np.int64]  # [tutorial, day, chapters completed]
    certificate: npt.NDArray[np.int64]  # [tutorial, day, whole days to the certificate]

    @classmethod
    def of(cls, spec: DemoSpec, tutorials: int, learners: LearnerChunk) -> CohortCounts:
        first = _micros(_first_midnight(spec))
        days = (_micros(spec.now) - first) // DAY_US + 1
        day = (learners.started - first) // DAY_US
        key = learners.tutorial.astype(np.int64) * days + day

        def whole_days(end: Micros) -> Micros:
            return np.where(end == NONE, NONE, np.maximum(0, (end - learners.started) // DAY_US))

        completed = whole_days(learners.completed)
        certified = whole_days(learners.certified)
        quiz_takers = (learners.attempts > 0).any(axis=1)
        flags = [
            np.ones(len(key), dtype=bool),
            *[(completed != NONE) & (completed < n) for n in WITHIN_DAYS],
            *[(certified != NONE) & (certified < n) for n in WITHIN_DAYS],
            quiz_takers,
            quiz_takers & ((learners.attempts == 0) | learners.quiz_passed).all(axis=1),
        ]
        size = tutorials * days
        has_certificate = (certified != NONE) & (certified < CERTIFICATE_DAYS)

        def count(keys: Micros, width: int) -> npt.NDArray[np.int64]:
            return np.bincount(keys, minlength=size * width).reshape(tutorials, days, width)

        return cls(
            cohort=np.stack(
                [np.bincount(key[flag], minlength=size) for flag in flags], axis=-1
            ).reshape(tutorials, days, len(flags)),
            chapters=count(key * (MAX_CHAPTERS + 1) + learners.done, MAX_CHAPTERS + 1),
            certificate=count(
                key[has_certificate] * CERTIFICATE_DAYS + certified[has_certificate],
                CERTIFICATE_DAYS,
            ),
        )

    def add(self, other: CohortCounts) -> None:
        self.cohort += other.cohort
        self.chapters += other.chapters
        self.certificate += other.certificate

    def rollup_counts(self, spec: DemoSpec, tutorials_: list[Tutorial]) -> RollupCounts:
        """The counts as `progress.store.count_cohorts` writes them: a row per key with any."""
        first = _first_midnight(spec)
        counts: RollupCounts = {}
        for t, d in zip(*np.nonzero(self.cohort[:, :, 0]), strict=True):
            key = (tutorials_[t].tutorial_id, first + timedelta(days=int(d)))
            counts[("cohort", key)] = {
                column: int(value)
                for column, value in zip(_COHORT_COLUMNS, self.cohort[t, d], strict=True)
                if value
            }
        for kind, array in (("chapters", self.chapters), ("certificate", self.certificate)):
            for t, d, value in zip(*np.nonzero(array), strict=True):
                row = (tutorials_[t].tutorial_id, first + timedelta(days=int(d)), int(value))
                counts[(kind, row)] = {"learners": int(array[t, d, value])}
        return counts


def _first_midnight(spec: DemoSpec) -> datetime:
    return spec.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class ChunkLoaded:
    pairs: int
    counts: CohortCounts
    client_events: dict[str, npt.NDArray[Any]]


def load_chunk(
    engine: Engine, spec: DemoSpec, tutorials_: list[Tutorial], first_id: int, chunk: int
) -> ChunkLoaded:
    """Generate one chunk of learners and load it in one transaction (progress ids from
    `first_id` on, `LearnerChunk.rows`)."""
    learners = learner_chunk(spec, tutorials_, chunk)
    tutorial_ids = [t.tutorial_id for t in tutorials_]
    names = LearnerNames(
        tutorial_ids=tutorial_ids,
        chapter_ids=CHAPTER_IDS,
        quiz_ids=QUIZ_IDS,
        support_agents=SUPPORT_AGENTS,
        override_reason=OVERRIDE_REASON,
        actor=ACTOR,
        source="system",
        reason="demo data",
    )
    with engine.begin() as connection:
        copy_learners(connection, learners.rows(first_id, tutorial_ids), names)
    return ChunkLoaded(
        len(learners.tutorial),
        CohortCounts.of(spec, len(tutorials_), learners),
        migration_events(spec, chunk, learners),
    )


_worker_engine: Engine | None = None


def _start_worker(url: str) -> None:
    global _worker_engine  # one engine per worker process, for all its chunks
    _worker_engine = make_engine(url, pool_size=1, max_overflow=0)


def _load_chunk_in_worker(
    spec: DemoSpec, tutorials_: list[Tutorial], first_id: int, chunk: int
) -> ChunkLoaded:
    assert _worker_engine is not None
    return load_chunk(_worker_engine, spec, tutorials_, first_id, chunk)


def _load_learners(
    engine: Engine, spec: DemoSpec, tutorials_: list[Tutorial], workers: int
) -> Iterator[ChunkLoaded]:
    """Every chunk, loaded by this process or by `workers` processes side by side (forked:
    nothing of this process's engine is used in them), in chunk order."""
    with engine.begin() as connection:  # a slot for every pair a learner could have
        first_id = reserve_progress_ids(connection, spec.learners * MAX_TUTORIALS)
    chunks = range(math.ceil(spec.learners / LEARNERS_PER_CHUNK))
    if workers == 1 or len(chunks) == 1:
        yield from (load_chunk(engine, spec, tutorials_, first_id, chunk) for chunk in chunks)
        return
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        min(workers, len(chunks)),
        mp_context=get_context("fork"),
        initializer=_start_worker,
        initargs=(url,),
    ) as pool:
        yield from pool.map(partial(_load_chunk_in_worker, spec, tutorials_, first_id), chunks)


def load_demo_data(engine: Engine, spec: DemoSpec, *, workers: int = 1) -> DemoSummary:
    """Generate and load everything `spec` describes into a database without progress: learners
    `LEARNERS_PER_CHUNK` at a time (each chunk one transaction; `workers` processes generate and
    load chunks side by side), with the progress tables' secondary indexes and foreign keys built
    once at the end; then the completion-trend rollups, client telemetry and request logs.
    The same `spec` gives the same data, whatever `workers`."""
    if not 1 <= workers <= 16:
        raise InvalidInput("workers", "Workers must be between 1 and 16.")
    if has_progress(engine):
        raise InvalidInput(
            "database",
            f"The database at {mask_url(str(engine.url))} already has progress. Load demo data"
            " into an empty database.",
        )
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
    pairs = 0
    counts: CohortCounts | None = None
    events = []
    # The active-day tables' keys too when they are empty (else new rows may meet old ones).
    empty = [t.name for t in (learner_tutorial_days, learner_days) if not _has_rows(engine, t)]
    with indexes_dropped(engine, PROGRESS_TABLES, primary_keys=empty):
        for loaded in _load_learners(engine, spec, tutorials_, workers):
            pairs += loaded.pairs
            if counts is None:
                counts = loaded.counts
            else:
                counts.add(loaded.counts)
            events.append(loaded.client_events)
    columns, incidents = api_log_columns(spec)
    client_events_ = client_event_columns([*events, fallback_events(spec, incidents)])
    with engine.begin() as connection:
        if counts is not None:
            count_cohorts(connection, counts.rollup_counts(spec, tutorials_))
        # The learners' active days were counted with each chunk: mark their events folded.
        folded = pg_insert(rollup_watermarks).values(
            name=progress_events.name,
            last_id=select(func.coalesce(func.max(progress_events.c.id), 0)).scalar_subquery(),
        )
        connection.execute(
            folded.on_conflict_do_update(
                index_elements=["name"], set_={"last_id": folded.excluded.last_id}
            )
        )
        copy_client_events(connection, client_events_, _client_event_names(tutorials_))
        copy_api_logs(connection, columns)
    return DemoSummary(
        len(tutorials_), pairs, len(columns.timestamps), len(client_events_["occurred_at"])
    )


def _client_event_names(tutorials_: list[Tutorial]) -> dict[str, Sequence[str]]:
    return {
        "kind": CLIENT_EVENT_KINDS,
        "outcome": MIGRATION_OUTCOMES,
        "operation": FALLBACK_OPERATIONS,
        "reason": MIGRATION_FAILURES,
        "tutorial": [t.tutorial_id for t in tutorials_],
    }


def has_progress(engine: Engine) -> bool:
    return _has_rows(engine, tutorial_progress)


def _has_rows(engine: Engine, table: Table) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
        )
