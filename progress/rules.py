"""The progress rules, as pure functions over one learner's state in one tutorial.

The service loads a `ProgressState`, applies one of these functions and writes the result back, so
every rule lives here once and is unit-tested without a database:

- A chapter update is idempotent: `watch_time` is that chapter's total, not an increment;
  `last_position` is stored as given.
- Quiz: `attempts` counts every submission; `score` keeps the best attempt (compared as a share
  of its `max_score`, and `max_score` follows the best attempt); `passed` stays true once any
  attempt passed; `completed_at` is the latest attempt.
- `total_chapters`: the number the client last declared, else the catalog's, else the chapters
  seen. `completion_percentage` = completed ÷ total × 100, two decimals, at most 100.
- Who may declare a total (`declared_total`): support (console, system tools) any number; every
  other caller (the API, a migration) only one at least the catalog's and at least the chapters
  seen — a smaller one is ignored, so nobody makes a tutorial look finished by shrinking it.
- A change that leaves the state as it was is no change: the service writes nothing for it.
- `certificate_eligible`: total > 0, every chapter complete, every recorded quiz passed.
- Migration (`merge_states`): a client's offline copy is merged in without losing either side.
- Moments (`stamp_moments`): `started_at` is the pair's first progress and survives every change
  but a reset (a restore puts the snapshot's start back); `completed_at` is the moment every
  chapter was first complete, and is cleared while the tutorial is not complete (a new chapter
  in the total, a reset); `certified_at` is the certificate's `awarded_at` (None without one: a
  restore to a state before the award takes it away, a restore after a reset puts it back).
- Cohort counts (`cohort_counts`, `cohort_moves`): what the pair adds to the completion-trend
  rollups, and how a change moves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from progress.errors import NotEligible
from progress.models import (
    Certificate,
    ChapterProgress,
    Progress,
    ProgressSnapshot,
    QuizScore,
    Source,
)
from progress.schema import CERTIFICATE_DAYS, WITHIN_DAYS


@dataclass(frozen=True)
class ChapterState:
    chapter_id: str
    watch_time: float
    completed: bool
    last_position: float


@dataclass(frozen=True)
class QuizState:
    quiz_id: str
    score: float
    max_score: float
    passed: bool
    attempts: int
    completed_at: datetime


@dataclass(frozen=True)
class CertificateState:
    awarded_at: datetime
    awarded_by: str
    override_reason: str | None = None


@dataclass(frozen=True)
class ProgressState:
    """A learner's progress in one tutorial; `exists` is False for a pair never seen."""

    tutorial_id: str
    user_id: str
    chapters: dict[str, ChapterState] = field(default_factory=dict)
    quizzes: dict[str, QuizState] = field(default_factory=dict)
    certificate: CertificateState | None = None
    declared_total_chapters: int | None = None
    catalog_total_chapters: int | None = None
    last_watched_at: datetime | None = None
    exists: bool = False
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def certified_at(self) -> datetime | None:
        """When the certificate was issued (None without one). Stored on the progress row beside
        `started_at` and `completed_at`, so "certified within N days" reads one row."""
        return None if self.certificate is None else self.certificate.awarded_at

    @property
    def total_chapters(self) -> int:
        if self.declared_total_chapters is not None:
            return self.declared_total_chapters
        if self.catalog_total_chapters is not None:
            return self.catalog_total_chapters
        return len(self.chapters)

    @property
    def chapters_completed(self) -> int:
        return sum(1 for chapter in self.chapters.values() if chapter.completed)

    @property
    def completion_percentage(self) -> float:
        total = self.total_chapters
        if total <= 0:
            return 0.0
        return min(100.0, round(self.chapters_completed * 100 / total, 2))

    @property
    def all_chapters_completed(self) -> bool:
        total = self.total_chapters
        return total > 0 and self.chapters_completed >= total

    @property
    def total_watch_time(self) -> float:
        return sum(chapter.watch_time for chapter in self.chapters.values())

    def missing_for_certificate(self) -> NotEligible | None:
        """What stands between the learner and a certificate, or None when eligible."""
        total = self.total_chapters
        incomplete = sorted(c.chapter_id for c in self.chapters.values() if not c.completed)
        unseen = max(0, total - len(self.chapters))
        failed = sorted(q.quiz_id for q in self.quizzes.values() if not q.passed)
        if total > 0 and not incomplete and not unseen and not failed:
            return None
        return NotEligible(
            incomplete_chapters=incomplete,
            unseen_chapters=unseen,
            failed_quizzes=failed,
            total_chapters=total,
        )

    @property
    def certificate_eligible(self) -> bool:
        return self.missing_for_certificate() is None

    def to_snapshot(self) -> ProgressSnapshot:
        certificate = (
            None
            if self.certificate is None
            else Certificate(
                awarded_at=self.certificate.awarded_at,
                awarded_by=self.certificate.awarded_by,
                override_reason=self.certificate.override_reason,
            )
        )
        return ProgressSnapshot(
            tutorial_id=self.tutorial_id,
            user_id=self.user_id,
            completion_percentage=self.completion_percentage,
            chapters_completed=self.chapters_completed,
            total_chapters=self.total_chapters,
            chapter_progress=[
                ChapterProgress(
                    chapter_id=c.chapter_id,
                    watch_time=c.watch_time,
                    completed=c.completed,
                    last_position=c.last_position,
                )
                for _, c in sorted(self.chapters.items())
            ],
            quiz_scores=[
                QuizScore(
                    quiz_id=q.quiz_id,
                    score=q.score,
                    max_score=q.max_score,
                    passed=q.passed,
                    attempts=q.attempts,
                    completed_at=q.completed_at,
                )
                for _, q in sorted(self.quizzes.items())
            ],
            certificate_eligible=self.certificate_eligible,
            certificate_earned=self.certificate is not None,
            total_watch_time=self.total_watch_time,
            last_watched_at=self.last_watched_at,
            certificate=certificate,
            declared_total_chapters=self.declared_total_chapters,
            started_at=self.started_at,
            completed_at=self.completed_at,
        )

    def to_progress(self) -> Progress:
        return self.to_snapshot().to_progress()


def state_from_snapshot(
    snapshot: ProgressSnapshot, *, catalog_total_chapters: int | None
) -> ProgressState:
    """The state a snapshot describes (the inverse of `ProgressState.to_snapshot`)."""
    certificate = snapshot.certificate
    return ProgressState(
        tutorial_id=snapshot.tutorial_id,
        user_id=snapshot.user_id or "",
        chapters={
            c.chapter_id: ChapterState(c.chapter_id, c.watch_time, c.completed, c.last_position)
            for c in snapshot.chapter_progress
        },
        quizzes={
            q.quiz_id: QuizState(
                q.quiz_id, q.score, q.max_score, q.passed, q.attempts, q.completed_at
            )
            for q in snapshot.quiz_scores
        },
        certificate=None
        if certificate is None
        else CertificateState(
            certificate.awarded_at, certificate.awarded_by, certificate.override_reason
        ),
        declared_total_chapters=snapshot.declared_total_chapters,
        catalog_total_chapters=catalog_total_chapters,
        last_watched_at=snapshot.last_watched_at,
        exists=True,
        started_at=snapshot.started_at,
        completed_at=snapshot.completed_at,
    )


SUPPORT_SOURCES: Final[frozenset[Source]] = frozenset({"console", "system"})


def declared_total(
    state: ProgressState, total_chapters: int | None, *, support: bool
) -> int | None:
    """The declared total after a caller declares `total_chapters` (None: declares nothing).

    Support may declare any total (the catalog may be wrong). Any other caller — a learner or a
    service through the API, a client's migration — may not make the total smaller than the
    catalog's or than the chapters already seen: such a number is ignored, not refused, so the
    chapter or copy it came with is still saved. Otherwise one chapter and `"totalChapters": 1`
    would make a learner 100 % complete and eligible for the certificate.
    """
    if total_chapters is None:
        return state.declared_total_chapters
    floor = max(state.catalog_total_chapters or 0, len(state.chapters))
    if support or total_chapters >= floor:
        return total_chapters
    return state.declared_total_chapters


def stamp_moments(old: ProgressState, new: ProgressState, *, at: datetime) -> ProgressState:
    """`new` with its start and completion moments kept true after a change at `at`.

    - `started_at`: the new state's own (a restored snapshot's), else the old one's, else `at`
      (this change is the pair's first progress). Snapshots written before the moments were kept
      carry none, so a restore of one starts the pair at the restore.
    - `completed_at`: None unless every chapter is complete; then the new state's own (kept from
      before, or a restored snapshot's), else `at` (this change completed the last chapter).
    """
    if not new.exists:
        return new
    started_at = new.started_at or old.started_at or at
    completed_at = (new.completed_at or at) if new.all_chapters_completed else None
    if started_at == new.started_at and completed_at == new.completed_at:
        return new
    return replace(new, started_at=started_at, completed_at=completed_at)


DAY = timedelta(days=1)
# A rollup row: (kind, key) → counts. Kinds: "cohort" (tutorial, day), "chapters" (tutorial, day,
# chapters completed), "certificate" (tutorial, day, whole days to the certificate).
RollupKey = tuple[str, tuple[object, ...]]
RollupCounts = dict[RollupKey, dict[str, int]]


def _whole_days(start: datetime, end: datetime | None) -> int | None:
    """Whole days from `start` to `end` (floored, at least 0); None without an `end`."""
    return None if end is None else max(0, (end - start) // DAY)


def cohort_counts(state: ProgressState) -> RollupCounts:
    """What the pair adds to the completion-trend rollups (`tutorial_cohort_days`,
    `tutorial_chapter_days`, `tutorial_certificate_days`): counted under the UTC day it started;
    completed and certified within each of `WITHIN_DAYS` (whole days, floored); whether it has a
    quiz score and whether every quiz is passed; its chapters completed; its whole days to the
    certificate when under `CERTIFICATE_DAYS`. Nothing for a pair with no progress."""
    if not state.exists or state.started_at is None:
        return {}
    start = state.started_at.astimezone(UTC)
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    completed = _whole_days(start, state.completed_at)
    certified = _whole_days(
        start, None if state.certificate is None else state.certificate.awarded_at
    )
    cohort = {"starters": 1}
    for n in WITHIN_DAYS:
        if completed is not None and completed < n:
            cohort[f"completed_{n}d"] = 1
        if certified is not None and certified < n:
            cohort[f"certified_{n}d"] = 1
    if state.quizzes:
        cohort["quiz_takers"] = 1
        if all(q.passed for q in state.quizzes.values()):
            cohort["quizzes_passed"] = 1
    counts: RollupCounts = {
        ("cohort", (state.tutorial_id, day)): cohort,
        ("chapters", (state.tutorial_id, day, state.chapters_completed)): {"learners": 1},
    }
    if certified is not None and certified < CERTIFICATE_DAYS:
        counts[("certificate", (state.tutorial_id, day, certified))] = {"learners": 1}
    return counts


def add_counts(total: RollupCounts, counts: RollupCounts, sign: int = 1) -> RollupCounts:
    """`total` plus (or, with `sign` −1, minus) `counts`, in place; returns `total`."""
    for key, values in counts.items():
        row = total.setdefault(key, {})
        for column, value in values.items():
            row[column] = row.get(column, 0) + sign * value
    return total


def cohort_moves(old: ProgressState, new: ProgressState) -> RollupCounts:
    """The change in the rollups when the pair goes from `old` to `new`: counts that cancel out are
    left out, so most chapter updates change nothing."""
    deltas = add_counts(add_counts({}, cohort_counts(new)), cohort_counts(old), -1)
    moved = {key: {c: v for c, v in row.items() if v} for key, row in deltas.items()}
    return {key: row for key, row in moved.items() if row}


def apply_chapter(
    state: ProgressState,
    *,
    chapter_id: str,
    watch_time: float,
    completed: bool,
    last_position: float,
    total_chapters: int | None,
    at: datetime,
    support: bool = False,
) -> ProgressState:
    """The state with one chapter's figures; `lastWatchedAt` moves only when something did."""
    chapters = {
        **state.chapters,
        chapter_id: ChapterState(chapter_id, watch_time, completed, last_position),
    }
    changed = replace(state, chapters=chapters, exists=True)
    total = declared_total(changed, total_chapters, support=support)
    if chapters == state.chapters and total == state.declared_total_chapters and state.exists:
        return state
    return replace(changed, declared_total_chapters=total, last_watched_at=at)


def apply_quiz(
    state: ProgressState,
    *,
    quiz_id: str,
    score: float,
    max_score: float,
    passed: bool,
    at: datetime,
) -> ProgressState:
    previous = state.quizzes.get(quiz_id)
    if previous is None:
        quiz = QuizState(quiz_id, score, max_score, passed, 1, at)
    else:
        better = score * previous.max_score > previous.score * max_score
        quiz = QuizState(
            quiz_id,
            score if better else previous.score,
            max_score if better else previous.max_score,
            previous.passed or passed,
            previous.attempts + 1,
            max(at, previous.completed_at),
        )
    return replace(state, quizzes={**state.quizzes, quiz_id: quiz}, exists=True)


def award_certificate(
    state: ProgressState, *, awarded_by: str, override_reason: str | None, at: datetime
) -> ProgressState:
    """The state with a certificate; raises `NotEligible` unless eligible or overridden."""
    missing = state.missing_for_certificate()
    if missing is not None and override_reason is None:
        raise missing
    certificate = CertificateState(at, awarded_by, override_reason if missing is not None else None)
    return replace(state, certificate=certificate, exists=True)


def merge_states(
    server: ProgressState, client: Progress, *, awarded_by: str, at: datetime
) -> ProgressState:
    """The server's state with a client's offline copy (localStorage) merged in, losing neither.

    - Chapters: the union; per chapter the larger watch time and position, completed if either
      side says so.
    - Quizzes: the union; per quiz the best score (as in `apply_quiz`), passed if either passed,
      the latest `completed_at`, and the *larger* attempt count: the client's copy caches what the
      server answered, so adding the two would count the same attempts twice on every upload.
    - Certificate: the server's is kept. A client that says it earned one gets it only if the
      merged progress is eligible (the API cannot override the rules).
    - `totalChapters`: the client's number is declared only when it is larger than the total the
      server would use otherwise, and never below the floor of `declared_total` (a client that
      counted only the chapters it saw cannot make an unfinished tutorial look complete).
    - A copy that leaves no chapter and no quiz stored (only `totalChapters` or `lastWatchedAt`
      for a learner without progress) changes nothing: there is no progress to hold them.
    - Client timestamps later than `at` (a fast clock) are taken as `at`.

    Idempotent: merging the same copy into the result changes nothing.
    """
    chapters = dict(server.chapters)
    for upload in client.chapter_progress:
        mine = chapters.get(upload.chapter_id)
        chapters[upload.chapter_id] = ChapterState(
            upload.chapter_id,
            upload.watch_time if mine is None else max(mine.watch_time, upload.watch_time),
            upload.completed or (mine is not None and mine.completed),
            upload.last_position if mine is None else max(mine.last_position, upload.last_position),
        )
    quizzes = dict(server.quizzes)
    for quiz in client.quiz_scores:
        completed_at = min(quiz.completed_at, at)
        theirs = QuizState(
            quiz.quiz_id, quiz.score, quiz.max_score, quiz.passed, quiz.attempts, completed_at
        )
        previous = quizzes.get(quiz.quiz_id)
        if previous is not None:
            better = quiz.score * previous.max_score > previous.score * quiz.max_score
            best = theirs if better else previous
            theirs = QuizState(
                quiz.quiz_id,
                best.score,
                best.max_score,
                previous.passed or quiz.passed,
                max(previous.attempts, quiz.attempts),
                max(previous.completed_at, completed_at),
            )
        quizzes[quiz.quiz_id] = theirs
    watched = [t for t in (server.last_watched_at, client.last_watched_at) if t is not None]
    merged = replace(
        server,
        chapters=chapters,
        quizzes=quizzes,
        last_watched_at=min(max(watched), at) if watched else None,
        exists=server.exists or bool(chapters or quizzes),
    )
    if not merged.exists:
        return server
    if client.total_chapters > merged.total_chapters:
        total = declared_total(merged, client.total_chapters, support=False)
        merged = replace(merged, declared_total_chapters=total)
    if merged.certificate is None and client.certificate_earned and merged.certificate_eligible:
        merged = replace(merged, certificate=CertificateState(at, awarded_by))
    return merged
