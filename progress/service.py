"""ProgressService: the one way to read or write a learner's tutorial progress.

The dashboard's console, the HTTP API and the demo-data tools all call this module; nothing else
writes the progress tables. Each write

1. validates every argument first (bad input raises an `InvalidInput` and writes nothing);
2. opens one transaction, locks the learner's progress row and loads its state;
3. applies one rule from `progress.rules` to get the new state;
4. writes only what changed, and a `progress_events` row holding the whole state before and after,
   with the source, the actor and the reason — so every change is audited and can be undone;
5. commits. Transient database errors (lost connection, serialization failure, deadlock) retry the
   whole unit of work, three attempts with exponential backoff and jitter; validation never retries.

Rules (see `progress.rules` for the arithmetic):
- A chapter update is idempotent: `watch_time` is the chapter's total, `last_position` as given.
- Quiz: `attempts` counts every submission; `score` keeps the best; `passed` stays true once any
  attempt passed; `completedAt` is the latest attempt.
- `totalChapters`: from the call, else the catalog (`tutorials`), else the chapters seen.
- `complete_tutorial` on an ineligible pair raises `NotEligible` naming what is missing; with
  `override_reason` (support only, never from the API) it awards anyway and records the override;
  an ordinary award takes an optional `reason` for the history. Completing twice is a no-op.
- Reset removes chapters, quizzes, certificate and the progress row; its event keeps the snapshot.
- `restore_progress(event_id)` puts the progress back exactly as it was just before that event; the
  restore is itself an event, so it can be undone too.
- Reading a pair that has no progress returns empty progress (0 %), not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
from sqlalchemy import ColumnElement, Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from progress import store
from progress.bulk import ImportedProgress, copy_progress
from progress.db import run_with_retry
from progress.errors import EventNotFound, InvalidInput
from progress.models import (
    EventKind,
    LearnerTutorial,
    Progress,
    ProgressEvent,
    ProgressSnapshot,
    Source,
)
from progress.rules import (
    SUPPORT_SOURCES,
    ProgressState,
    apply_chapter,
    apply_quiz,
    award_certificate,
    cohort_moves,
    merge_states,
    stamp_moments,
    state_from_snapshot,
)
from progress.schema import progress_events, tutorial_progress
from progress.validation import (
    MAX_TOTAL_CHAPTERS,
    check_flag,
    check_id,
    check_limit,
    check_score,
    check_seconds,
    check_source,
    check_text,
    check_time,
    check_total_chapters,
    shown,
)

Change = Callable[[ProgressState], ProgressState | None]

MAX_READ_LIMIT = 10_000
MAX_COUNT_LIMIT = 100_000  # a count reads no rows out: it may look further than a list
MAX_EVENT_ID = 2**63 - 1  # `progress_events.id` is a bigint


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProgressService:
    """Reads and writes progress; safe to share between threads (one engine, one pool)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self._clock = clock

    # -- reads ---------------------------------------------------------------------------------

    def get_progress(self, tutorial_id: str, user_id: str) -> Progress:
        return self.get_snapshot(tutorial_id, user_id).to_progress()

    def get_snapshot(self, tutorial_id: str, user_id: str) -> ProgressSnapshot:
        """The progress plus certificate details (who awarded it, any override)."""
        tutorial_id = check_id("tutorial_id", tutorial_id)
        user_id = check_id("user_id", user_id)

        def read() -> ProgressSnapshot:
            with self.engine.connect() as connection:
                return store.read_state(connection, tutorial_id, user_id).to_snapshot()

        return run_with_retry(read, engine=self.engine)

    def certificate_blockers(self, tutorial_id: str, user_id: str) -> list[str]:
        """Why the learner is not eligible for a certificate; empty when eligible."""
        tutorial_id = check_id("tutorial_id", tutorial_id)
        user_id = check_id("user_id", user_id)

        def read() -> list[str]:
            with self.engine.connect() as connection:
                missing = store.read_state(
                    connection, tutorial_id, user_id
                ).missing_for_certificate()
            return [] if missing is None else missing.reasons()

        return run_with_retry(read, engine=self.engine)

    def find_learners(self, user_id_prefix: str, *, limit: int = 50) -> list[LearnerTutorial]:
        """Learners whose user id starts with `user_id_prefix`, each with their tutorials."""
        prefix = check_id("user_id", user_id_prefix)
        limit = check_limit(limit, maximum=MAX_READ_LIMIT)

        def read() -> list[LearnerTutorial]:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(
                        tutorial_progress.c.user_id,
                        tutorial_progress.c.tutorial_id,
                        tutorial_progress.c.completion_percentage,
                        tutorial_progress.c.certificate_earned,
                        tutorial_progress.c.last_watched_at,
                        tutorial_progress.c.updated_at,
                    )
                    .where(_user_id_starts_with(prefix))
                    .order_by(tutorial_progress.c.user_id, tutorial_progress.c.tutorial_id)
                    .limit(limit)
                ).mappings()
                return [LearnerTutorial.model_validate(dict(row)) for row in rows]

        return run_with_retry(read, engine=self.engine)

    def count_learners(self, user_id_prefix: str, *, up_to: int = 10_000) -> int:
        """How many learner–tutorial pairs `find_learners(user_id_prefix)` would list without its
        limit, counted up to `up_to` (a one-letter prefix can match millions)."""
        prefix = check_id("user_id", user_id_prefix)
        up_to = check_limit(up_to, maximum=MAX_COUNT_LIMIT)

        def read() -> int:
            with self.engine.connect() as connection:
                matches = (
                    select(tutorial_progress.c.id)
                    .where(_user_id_starts_with(prefix))
                    .limit(up_to)
                    .subquery()
                )
                return int(
                    connection.execute(select(func.count()).select_from(matches)).scalar_one()
                )

        return run_with_retry(read, engine=self.engine)

    def history(self, tutorial_id: str, user_id: str, *, limit: int = 500) -> list[ProgressEvent]:
        """The pair's events, newest first, each with the id `restore_progress` takes."""
        tutorial_id = check_id("tutorial_id", tutorial_id)
        user_id = check_id("user_id", user_id)
        limit = check_limit(limit, maximum=MAX_READ_LIMIT)

        def read() -> list[ProgressEvent]:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(progress_events)
                    .where(
                        progress_events.c.tutorial_id == tutorial_id,
                        progress_events.c.user_id == user_id,
                    )
                    .order_by(progress_events.c.id.desc())
                    .limit(limit)
                ).mappings()
                return [ProgressEvent.model_validate(dict(row)) for row in rows]

        return run_with_retry(read, engine=self.engine)

    # -- writes --------------------------------------------------------------------------------

    def update_chapter_progress(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        chapter_id: str,
        watch_time: float,
        completed: bool,
        last_position: float,
        total_chapters: int | None = None,
        actor: str,
        source: Source,
        reason: str | None = None,
    ) -> Progress:
        chapter_id = check_id("chapter_id", chapter_id)
        watch_time = check_seconds("watch_time", watch_time)
        completed = check_flag("completed", completed)
        last_position = check_seconds("last_position", last_position)
        total = check_total_chapters(total_chapters)
        support = check_source(source) in SUPPORT_SOURCES
        return self._change(
            tutorial_id,
            user_id,
            kind="chapter",
            actor=actor,
            source=source,
            reason=reason,
            change=lambda state: apply_chapter(
                state,
                chapter_id=chapter_id,
                watch_time=watch_time,
                completed=completed,
                last_position=last_position,
                total_chapters=total,
                at=self._clock(),
                support=support,
            ),
        )

    def update_quiz_score(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        quiz_id: str,
        score: float,
        max_score: float,
        passed: bool,
        actor: str,
        source: Source,
        reason: str | None = None,
    ) -> Progress:
        quiz_id = check_id("quiz_id", quiz_id)
        score, max_score = check_score(score, max_score)
        passed = check_flag("passed", passed)
        return self._change(
            tutorial_id,
            user_id,
            kind="quiz",
            actor=actor,
            source=source,
            reason=reason,
            change=lambda state: apply_quiz(
                state,
                quiz_id=quiz_id,
                score=score,
                max_score=max_score,
                passed=passed,
                at=self._clock(),
            ),
        )

    def complete_tutorial(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        actor: str,
        source: Source,
        override_reason: str | None = None,
        reason: str | None = None,
    ) -> Progress:
        """Award the certificate. `reason` is kept in the history of an ordinary award (support
        gives one for every change); an override's reason is `override_reason`, kept with the
        certificate and in the history — both at once is refused, so the two cannot disagree."""
        override = check_text("override_reason", override_reason, required=False)
        reason = check_text("reason", reason, required=False)
        if override is not None and reason is not None:
            raise InvalidInput(
                "reason",
                "Give either a reason or an override reason, not both: an override's reason is "
                "the one kept in the history.",
            )
        if override is not None and check_source(source) == "api":
            raise InvalidInput(
                "override_reason",
                "Only support staff can override the certificate rules; the API cannot.",
            )

        def complete(state: ProgressState) -> ProgressState | None:
            if state.certificate is not None:
                return None  # completing twice is a no-op
            return award_certificate(
                state,
                awarded_by=actor,
                override_reason=override,
                at=self._clock(),
            )

        return self._change(
            tutorial_id,
            user_id,
            kind="complete",
            actor=actor,
            source=source,
            reason=override if override is not None else reason,
            change=complete,
        )

    def reset_progress(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        actor: str,
        source: Source,
        reason: str | None = None,
    ) -> Progress:
        """Remove the pair's progress; the event keeps a full snapshot, so it can be restored."""
        return self._change(
            tutorial_id,
            user_id,
            kind="reset",
            actor=actor,
            source=source,
            reason=reason,
            change=lambda state: (
                ProgressState(
                    state.tutorial_id,
                    state.user_id,
                    catalog_total_chapters=state.catalog_total_chapters,
                )
                if state.exists
                else None
            ),
        )

    def restore_progress(
        self,
        event_id: int,
        *,
        actor: str,
        reason: str | None = None,
        source: Source = "console",
    ) -> Progress:
        """Put the pair's progress back exactly as it was just before event `event_id`."""
        if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id <= 0:
            raise InvalidInput(
                "event_id", f"Event id must be a positive whole number, not {shown(event_id)}."
            )
        if event_id > MAX_EVENT_ID:  # beyond PostgreSQL's bigint: no event has it
            raise EventNotFound(event_id)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(
                    progress_events.c.tutorial_id,
                    progress_events.c.user_id,
                    progress_events.c.before,
                ).where(progress_events.c.id == event_id)
            ).one_or_none()
        if row is None:
            raise EventNotFound(event_id)
        target = None if row.before is None else ProgressSnapshot.model_validate(row.before)

        def restore(state: ProgressState) -> ProgressState:
            if target is None:
                return ProgressState(
                    state.tutorial_id,
                    state.user_id,
                    catalog_total_chapters=state.catalog_total_chapters,
                )
            return state_from_snapshot(target, catalog_total_chapters=state.catalog_total_chapters)

        return self._change(
            row.tutorial_id,
            row.user_id,
            kind="restore",
            actor=actor,
            source=source,
            reason=reason,
            change=restore,
            restored_event_id=event_id,
        )

    def import_progress(self, items: Sequence[ImportedProgress], *, actor: str, reason: str) -> int:
        """Bulk-load learners' states (new pairs only) with COPY, each with a `system` event.

        For demo and benchmark data: thousands of pairs per second instead of one write each.
        The states come from `progress.rules`, so their aggregates are the service's own.
        """
        actor = check_id("actor", actor)
        checked_reason = check_text("reason", reason, required=True) or ""
        if not isinstance(items, list | tuple) or not all(
            isinstance(item, ImportedProgress) for item in items
        ):
            raise InvalidInput("items", "Give the states to import as a list of ImportedProgress.")
        for item in items:
            check_id("tutorial_id", item.state.tutorial_id)
            check_id("user_id", item.state.user_id)
        try:
            with self.engine.begin() as connection:
                return copy_progress(
                    connection, items, actor=actor, source="system", reason=checked_reason
                )
        except (IntegrityError, psycopg.IntegrityError) as error:
            raise InvalidInput(
                "items",
                "The import was refused and nothing was loaded: a learner in it already has "
                "progress in that tutorial, or a value is out of range "
                f"({str(error).splitlines()[0]}).",
            ) from None

    def merge_progress(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        client: Progress,
        actor: str,
        source: Source = "migration",
        on_recorded: Callable[[], None] | None = None,
    ) -> Progress:
        """Merge a client's offline copy (the brief's progress shape) into the stored progress.

        Neither side loses anything (`progress.rules.merge_states`); uploading the same copy
        again changes nothing and writes no event. Only `chapterProgress`, `quizScores`,
        `certificateEarned`, `totalChapters` and `lastWatchedAt` are read from the copy: the
        aggregates are recomputed. `on_recorded` is called once the merge has committed, and only
        when it changed something (and so was recorded as a succeeded migration).
        """
        tutorial_id = check_id("tutorial_id", tutorial_id)
        user_id = check_id("user_id", user_id)
        upload = check_upload(tutorial_id, user_id, client)
        if on_recorded is not None and not callable(on_recorded):
            raise InvalidInput("on_recorded", "on_recorded must be a function or None.")
        records = len(upload.chapter_progress) + len(upload.quiz_scores)

        recorded = False

        def merge(state: ProgressState) -> ProgressState:
            nonlocal recorded
            recorded = False  # per attempt: a retried unit of work may find nothing to change
            return merge_states(state, upload, awarded_by=actor, at=self._clock())

        def succeeded(connection: Connection, at: datetime) -> None:
            nonlocal recorded
            recorded = True
            store.record_migration_succeeded(
                connection, tutorial_id=tutorial_id, user_id=user_id, record_count=records, at=at
            )

        merged = self._change(
            tutorial_id,
            user_id,
            kind="migration",
            actor=actor,
            source=source,
            reason=None,
            change=merge,
            on_change=succeeded,
        )
        if recorded and on_recorded is not None:
            on_recorded()
        return merged

    # -- the unit of work ----------------------------------------------------------------------

    def _change(
        self,
        tutorial_id: str,
        user_id: str,
        *,
        kind: EventKind,
        actor: str,
        source: Source,
        reason: str | None,
        change: Change,
        restored_event_id: int | None = None,
        on_change: Callable[[Connection, datetime], None] | None = None,
    ) -> Progress:
        """Validate the common arguments, then run `change` on the locked state and persist it.

        `change` returns the new state, or None when there is nothing to do. A new state equal to
        the old one is nothing to do as well: no row, no event, no `on_change` — an operation
        that changes nothing writes nothing, whatever the path. `on_change` runs in the same
        transaction after the event is written.
        """
        tutorial_id = check_id("tutorial_id", tutorial_id)
        user_id = check_id("user_id", user_id)
        actor = check_id("actor", actor)
        source = check_source(source)
        reason = check_text("reason", reason, required=False)

        def unit_of_work() -> Progress:
            with self.engine.begin() as connection:
                return self._apply(
                    connection,
                    tutorial_id,
                    user_id,
                    kind=kind,
                    actor=actor,
                    source=source,
                    reason=reason,
                    change=change,
                    restored_event_id=restored_event_id,
                    on_change=on_change,
                )

        return run_with_retry(unit_of_work, engine=self.engine)

    def _apply(
        self,
        connection: Connection,
        tutorial_id: str,
        user_id: str,
        *,
        kind: EventKind,
        actor: str,
        source: Source,
        reason: str | None,
        change: Change,
        restored_event_id: int | None,
        on_change: Callable[[Connection, datetime], None] | None,
    ) -> Progress:
        at = self._clock()
        progress_id, old = store.lock_state(connection, tutorial_id, user_id, at=at)
        changed = change(old)
        if changed is None or changed == old:
            if not old.exists:
                store.delete_progress(connection, progress_id)
            return old.to_progress()
        new = stamp_moments(old, changed, at=at)
        store.count_cohorts(connection, cohort_moves(old, new))
        if new.exists:
            store.write_state(connection, progress_id, old, new, at=at)
        else:
            store.delete_progress(connection, progress_id)
        after = new.to_snapshot() if new.exists else None
        store.record_event(
            connection,
            tutorial_id=tutorial_id,
            user_id=user_id,
            kind=kind,
            source=source,
            actor=actor,
            reason=reason,
            before=old.to_snapshot() if old.exists else None,
            after=after,
            at=at,
            restored_event_id=restored_event_id,
        )
        if on_change is not None:
            on_change(connection, at)
        return after.to_progress() if after is not None else new.to_progress()


MAX_UPLOAD_QUIZZES = 1_000
MAX_QUIZ_ATTEMPTS = 1_000_000


def _user_id_starts_with(prefix: str) -> ColumnElement[bool]:
    return tutorial_progress.c.user_id.startswith(prefix, autoescape=True)


def check_upload(tutorial_id: str, user_id: str, client: Progress) -> Progress:
    """Check a client's copy the way single updates are checked; fields name their place in it
    (`chapter_progress[2].watch_time`). Returns the copy with its total chapters checked."""
    if not isinstance(client, Progress):
        raise InvalidInput("client", "The upload must be progress in the brief's shape.")
    if client.tutorial_id != tutorial_id:
        raise InvalidInput(
            "tutorial_id",
            f"The upload is progress in tutorial {shown(client.tutorial_id)}, not {tutorial_id!r}.",
        )
    if client.user_id is not None and client.user_id != user_id:
        raise InvalidInput(
            "user_id", f"The upload is the progress of {shown(client.user_id)}, not {user_id!r}."
        )
    if len(client.chapter_progress) > MAX_TOTAL_CHAPTERS:
        raise InvalidInput(
            "chapter_progress", f"An upload holds at most {MAX_TOTAL_CHAPTERS} chapters."
        )
    if len(client.quiz_scores) > MAX_UPLOAD_QUIZZES:
        raise InvalidInput("quiz_scores", f"An upload holds at most {MAX_UPLOAD_QUIZZES} quizzes.")
    check_flag("certificate_earned", client.certificate_earned)
    check_time("last_watched_at", client.last_watched_at)
    seen: set[str] = set()
    for index, chapter in enumerate(client.chapter_progress):
        with located(f"chapter_progress[{index}]"):
            check_id("chapter_id", chapter.chapter_id)
            check_seconds("watch_time", chapter.watch_time)
            check_flag("completed", chapter.completed)
            check_seconds("last_position", chapter.last_position)
            _check_once("chapter_id", "Chapter", chapter.chapter_id, seen)
    seen.clear()
    for index, quiz in enumerate(client.quiz_scores):
        with located(f"quiz_scores[{index}]"):
            check_id("quiz_id", quiz.quiz_id)
            check_score(quiz.score, quiz.max_score)
            check_flag("passed", quiz.passed)
            check_time("completed_at", quiz.completed_at)
            if isinstance(quiz.attempts, bool) or not 1 <= quiz.attempts <= MAX_QUIZ_ATTEMPTS:
                raise InvalidInput(
                    "attempts",
                    f"Attempts must be between 1 and {MAX_QUIZ_ATTEMPTS:,}, "
                    f"not {shown(quiz.attempts)}.",
                )
            _check_once("quiz_id", "Quiz", quiz.quiz_id, seen)
    total = client.total_chapters or None  # 0: the client did not know
    check_total_chapters(total)
    return client


def _check_once(field: str, noun: str, value: str, seen: set[str]) -> None:
    if value in seen:
        raise InvalidInput(field, f"{noun} {value!r} appears more than once in the upload.")
    seen.add(value)


@contextmanager
def located(prefix: str) -> Iterator[None]:
    """Re-raise an `InvalidInput` with its field placed inside the upload."""
    try:
        yield
    except InvalidInput as error:
        raise InvalidInput(f"{prefix}.{error.field}", error.message) from None
