"""Reading and writing one `ProgressState` inside an open transaction.

The service decides *what* changes (with `progress.rules`); this module knows *how* a state maps
onto `tutorial_progress` and its child tables. `write_state` writes only what differs between the
state that was loaded and the new one, so a chapter update touches one chapter row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from progress.models import ProgressSnapshot, snapshot_json
from progress.rules import CertificateState, ChapterState, ProgressState, QuizState
from progress.schema import (
    chapter_progress,
    progress_events,
    quiz_scores,
    tutorial_certificates,
    tutorial_progress,
    tutorials,
)


def catalog_total_chapters(connection: Connection, tutorial_id: str) -> int | None:
    return connection.execute(
        select(tutorials.c.total_chapters).where(tutorials.c.tutorial_id == tutorial_id)
    ).scalar_one_or_none()


def lock_state(connection: Connection, tutorial_id: str, user_id: str) -> tuple[int, ProgressState]:
    """Load the pair's state with its row locked until the transaction ends, creating the row if
    the pair is new.

    Concurrent writers to one learner's tutorial queue up on that row lock and each one loads the
    previous one's result: no lost updates. A new pair's state has `exists=False`; if the change
    turns out to be a no-op, the caller deletes the row again (all in one transaction).
    """
    loaded = _load(connection, tutorial_id, user_id, for_update=True)
    if loaded is not None:
        return loaded
    inserted = connection.execute(
        pg_insert(tutorial_progress)
        .values(tutorial_id=tutorial_id, user_id=user_id)
        .on_conflict_do_nothing()
        .returning(tutorial_progress.c.id)
    ).scalar_one_or_none()
    if inserted is None:  # another transaction created it first; its lock is ours to wait on now
        loaded = _load(connection, tutorial_id, user_id, for_update=True)
        assert loaded is not None
        return loaded
    catalog_total = catalog_total_chapters(connection, tutorial_id)
    return inserted, ProgressState(tutorial_id, user_id, catalog_total_chapters=catalog_total)


def read_state(connection: Connection, tutorial_id: str, user_id: str) -> ProgressState:
    """The pair's state as stored; an empty state (`exists=False`) when there is none."""
    loaded = _load(connection, tutorial_id, user_id, for_update=False)
    if loaded is not None:
        return loaded[1]
    catalog_total = catalog_total_chapters(connection, tutorial_id)
    return ProgressState(tutorial_id, user_id, catalog_total_chapters=catalog_total)


def _load(
    connection: Connection, tutorial_id: str, user_id: str, *, for_update: bool
) -> tuple[int, ProgressState] | None:
    catalog_total = (
        select(tutorials.c.total_chapters)
        .where(tutorials.c.tutorial_id == tutorial_progress.c.tutorial_id)
        .scalar_subquery()
    )
    query = (
        select(
            tutorial_progress.c.id,
            tutorial_progress.c.declared_total_chapters,
            tutorial_progress.c.last_watched_at,
            catalog_total.label("catalog_total_chapters"),
            tutorial_certificates.c.awarded_at,
            tutorial_certificates.c.awarded_by,
            tutorial_certificates.c.override_reason,
        )
        .select_from(
            tutorial_progress.outerjoin(
                tutorial_certificates,
                tutorial_certificates.c.progress_id == tutorial_progress.c.id,
            )
        )
        .where(
            tutorial_progress.c.tutorial_id == tutorial_id,
            tutorial_progress.c.user_id == user_id,
        )
    )
    if for_update:
        query = query.with_for_update(of=tutorial_progress)
    parent = connection.execute(query).one_or_none()
    if parent is None:
        return None
    progress_id: int = parent.id
    chapters = connection.execute(
        select(
            chapter_progress.c.chapter_id,
            chapter_progress.c.watch_time,
            chapter_progress.c.completed,
            chapter_progress.c.last_position,
        )
        .where(chapter_progress.c.progress_id == progress_id)
        .order_by(chapter_progress.c.id)
    ).all()
    quizzes = connection.execute(
        select(
            quiz_scores.c.quiz_id,
            quiz_scores.c.score,
            quiz_scores.c.max_score,
            quiz_scores.c.passed,
            quiz_scores.c.attempts,
            quiz_scores.c.completed_at,
        )
        .where(quiz_scores.c.progress_id == progress_id)
        .order_by(quiz_scores.c.id)
    ).all()
    certificate = (
        None
        if parent.awarded_at is None
        else CertificateState(parent.awarded_at, parent.awarded_by, parent.override_reason)
    )
    return progress_id, ProgressState(
        tutorial_id,
        user_id,
        chapters={row.chapter_id: ChapterState(*row) for row in chapters},
        quizzes={row.quiz_id: QuizState(*row) for row in quizzes},
        certificate=certificate,
        declared_total_chapters=parent.declared_total_chapters,
        catalog_total_chapters=parent.catalog_total_chapters,
        last_watched_at=parent.last_watched_at,
        exists=True,
    )


def write_state(
    connection: Connection,
    progress_id: int,
    old: ProgressState,
    new: ProgressState,
    *,
    at: datetime,
) -> None:
    """Bring the stored rows of `progress_id` from `old` to `new`, then its aggregates."""
    _sync_chapters(connection, progress_id, old.chapters, new.chapters, at)
    _sync_quizzes(connection, progress_id, old.quizzes, new.quizzes)
    if old.certificate != new.certificate:
        connection.execute(
            delete(tutorial_certificates).where(tutorial_certificates.c.progress_id == progress_id)
        )
        if new.certificate is not None:
            connection.execute(
                insert(tutorial_certificates).values(
                    progress_id=progress_id,
                    awarded_at=new.certificate.awarded_at,
                    awarded_by=new.certificate.awarded_by,
                    override_reason=new.certificate.override_reason,
                )
            )
    connection.execute(
        update(tutorial_progress)
        .where(tutorial_progress.c.id == progress_id)
        .values(
            completion_percentage=new.completion_percentage,
            chapters_completed=new.chapters_completed,
            total_chapters=new.total_chapters,
            declared_total_chapters=new.declared_total_chapters,
            total_watch_time=new.total_watch_time,
            certificate_eligible=new.certificate_eligible,
            certificate_earned=new.certificate is not None,
            last_watched_at=new.last_watched_at,
            updated_at=at,
        )
    )


def _sync_chapters(
    connection: Connection,
    progress_id: int,
    old: dict[str, ChapterState],
    new: dict[str, ChapterState],
    at: datetime,
) -> None:
    removed = [chapter_id for chapter_id in old if chapter_id not in new]
    if removed:
        connection.execute(
            delete(chapter_progress).where(
                chapter_progress.c.progress_id == progress_id,
                chapter_progress.c.chapter_id.in_(removed),
            )
        )
    changed = [chapter for key, chapter in new.items() if old.get(key) != chapter]
    if changed:
        statement = pg_insert(chapter_progress)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[chapter_progress.c.progress_id, chapter_progress.c.chapter_id],
                set_={
                    "watch_time": statement.excluded.watch_time,
                    "completed": statement.excluded.completed,
                    "last_position": statement.excluded.last_position,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            [
                {
                    "progress_id": progress_id,
                    "chapter_id": c.chapter_id,
                    "watch_time": c.watch_time,
                    "completed": c.completed,
                    "last_position": c.last_position,
                    "updated_at": at,
                }
                for c in changed
            ],
        )


def _sync_quizzes(
    connection: Connection,
    progress_id: int,
    old: dict[str, QuizState],
    new: dict[str, QuizState],
) -> None:
    removed = [quiz_id for quiz_id in old if quiz_id not in new]
    if removed:
        connection.execute(
            delete(quiz_scores).where(
                quiz_scores.c.progress_id == progress_id, quiz_scores.c.quiz_id.in_(removed)
            )
        )
    changed = [quiz for key, quiz in new.items() if old.get(key) != quiz]
    if changed:
        statement = pg_insert(quiz_scores)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[quiz_scores.c.progress_id, quiz_scores.c.quiz_id],
                set_={
                    column: statement.excluded[column]
                    for column in ("score", "max_score", "passed", "attempts", "completed_at")
                },
            ),
            [
                {
                    "progress_id": progress_id,
                    "quiz_id": q.quiz_id,
                    "score": q.score,
                    "max_score": q.max_score,
                    "passed": q.passed,
                    "attempts": q.attempts,
                    "completed_at": q.completed_at,
                }
                for q in changed
            ],
        )


def delete_progress(connection: Connection, progress_id: int) -> None:
    """Remove the pair's row; chapters, quizzes and certificate go with it (ON DELETE CASCADE)."""
    connection.execute(delete(tutorial_progress).where(tutorial_progress.c.id == progress_id))


def record_event(
    connection: Connection,
    *,
    tutorial_id: str,
    user_id: str,
    kind: str,
    source: str,
    actor: str,
    reason: str | None,
    before: ProgressSnapshot | None,
    after: ProgressSnapshot | None,
    at: datetime,
    restored_event_id: int | None = None,
) -> int:
    values: dict[str, Any] = {
        "occurred_at": at,
        "tutorial_id": tutorial_id,
        "user_id": user_id,
        "kind": kind,
        "source": source,
        "actor": actor,
        "reason": reason,
        "before": snapshot_json(before),
        "after": snapshot_json(after),
        "restored_event_id": restored_event_id,
    }
    event_id: int = connection.execute(
        insert(progress_events).values(values).returning(progress_events.c.id)
    ).scalar_one()
    return event_id
