"""Reading and writing one `ProgressState` inside an open transaction.

The service decides *what* changes (with `progress.rules`); this module knows *how* a state maps
onto `tutorial_progress` and its child tables. `write_state` writes only what differs between the
state that was loaded and the new one, so a chapter update touches one chapter row.

The statements are built once, at import, with bound parameters: building a SQLAlchemy statement
costs more Python time than PostgreSQL needs to run these, and every write holds a row lock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    ScalarSelect,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert

from progress.models import ProgressSnapshot, snapshot_json
from progress.rules import (
    CertificateState,
    ChapterState,
    ProgressState,
    QuizState,
    RollupCounts,
)
from progress.schema import (
    chapter_progress,
    client_events,
    progress_events,
    quiz_scores,
    tutorial_certificate_days,
    tutorial_certificates,
    tutorial_chapter_days,
    tutorial_cohort_days,
    tutorial_progress,
    tutorials,
)

_THE_PAIR = (
    tutorial_progress.c.tutorial_id == bindparam("tutorial_id"),
    tutorial_progress.c.user_id == bindparam("user_id"),
)


def _json_rows(
    table: Table, key: ColumnElement[Any], *columns: ColumnElement[Any]
) -> ScalarSelect[Any]:
    """The child rows of the outer `tutorial_progress` row as a JSON array of arrays (`[]` when
    there are none), ordered by their `key` (chapter or quiz id): not by row id, which a reset and
    its undo renumber, so a restored state reads back exactly as it was. The order is by code
    point (`COLLATE "C"`), the order `ProgressState.to_snapshot` sorts in, whatever the
    database's collation: a write's answer, its stored snapshots and a read list alike."""
    return (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(func.json_build_array(key, *columns), key.collate("C"))
                ),
                text("'[]'::json"),
            )
        )
        .where(table.c.progress_id == tutorial_progress.c.id)
        .scalar_subquery()
    )


_CATALOG_TOTAL = select(tutorials.c.total_chapters).where(
    tutorials.c.tutorial_id == bindparam("tutorial_id")
)
_LOCK = select(tutorial_progress.c.id).where(*_THE_PAIR).with_for_update()
_CREATE = (
    pg_insert(tutorial_progress)
    .values(
        tutorial_id=bindparam("tutorial_id"),
        user_id=bindparam("user_id"),
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
        started_at=bindparam("at"),
    )
    .on_conflict_do_nothing()
    .returning(tutorial_progress.c.id)
)
# One round trip: the parent row, its certificate, the catalog's chapter count, and the chapters
# and quizzes as JSON arrays.
_LOAD = (
    select(
        tutorial_progress.c.id,
        tutorial_progress.c.declared_total_chapters,
        tutorial_progress.c.last_watched_at,
        tutorial_progress.c.started_at,
        tutorial_progress.c.completed_at,
        select(tutorials.c.total_chapters)
        .where(tutorials.c.tutorial_id == tutorial_progress.c.tutorial_id)
        .scalar_subquery()
        .label("catalog_total_chapters"),
        tutorial_certificates.c.awarded_at,
        tutorial_certificates.c.awarded_by,
        tutorial_certificates.c.override_reason,
        _json_rows(
            chapter_progress,
            chapter_progress.c.chapter_id,
            chapter_progress.c.watch_time,
            chapter_progress.c.completed,
            chapter_progress.c.last_position,
        ).label("chapters"),
        _json_rows(
            quiz_scores,
            quiz_scores.c.quiz_id,
            quiz_scores.c.score,
            quiz_scores.c.max_score,
            quiz_scores.c.passed,
            quiz_scores.c.attempts,
            quiz_scores.c.completed_at,
        ).label("quizzes"),
    )
    .select_from(
        tutorial_progress.outerjoin(
            tutorial_certificates, tutorial_certificates.c.progress_id == tutorial_progress.c.id
        )
    )
    .where(*_THE_PAIR)
)
_chapter_upsert = pg_insert(chapter_progress)
_UPSERT_CHAPTERS = _chapter_upsert.on_conflict_do_update(
    index_elements=[chapter_progress.c.progress_id, chapter_progress.c.chapter_id],
    set_={
        column: _chapter_upsert.excluded[column]
        for column in ("watch_time", "completed", "last_position", "updated_at")
    },
)
_DELETE_CHAPTERS = delete(chapter_progress).where(
    chapter_progress.c.progress_id == bindparam("progress"),
    chapter_progress.c.chapter_id.in_(bindparam("ids", expanding=True)),
)
_quiz_upsert = pg_insert(quiz_scores)
_UPSERT_QUIZZES = _quiz_upsert.on_conflict_do_update(
    index_elements=[quiz_scores.c.progress_id, quiz_scores.c.quiz_id],
    set_={
        column: _quiz_upsert.excluded[column]
        for column in ("score", "max_score", "passed", "attempts", "completed_at")
    },
)
_DELETE_QUIZZES = delete(quiz_scores).where(
    quiz_scores.c.progress_id == bindparam("progress"),
    quiz_scores.c.quiz_id.in_(bindparam("ids", expanding=True)),
)
_DELETE_CERTIFICATE = delete(tutorial_certificates).where(
    tutorial_certificates.c.progress_id == bindparam("progress")
)
_INSERT_CERTIFICATE = insert(tutorial_certificates)
_UPDATE_AGGREGATES = update(tutorial_progress).where(
    tutorial_progress.c.id == bindparam("progress")
)


def _adding_upsert(
    table: Table, keys: tuple[str, ...]
) -> tuple[Any, tuple[str, ...], tuple[str, ...]]:
    """An upsert that adds a row's counts to the stored ones, its key and count columns."""
    counts = tuple(c.name for c in table.columns if c.name not in keys)
    upsert = pg_insert(table)
    statement = upsert.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: table.c[c] + upsert.excluded[c] for c in counts},
    )
    return statement, keys, counts


_ROLLUPS = {
    "cohort": _adding_upsert(tutorial_cohort_days, ("tutorial_id", "day")),
    "chapters": _adding_upsert(tutorial_chapter_days, ("tutorial_id", "day", "chapters_completed")),
    "certificate": _adding_upsert(
        tutorial_certificate_days, ("tutorial_id", "day", "days_to_certificate")
    ),
}
_DELETE_PROGRESS = delete(tutorial_progress).where(tutorial_progress.c.id == bindparam("progress"))
_INSERT_EVENT = insert(progress_events).returning(progress_events.c.id)
_INSERT_CLIENT_EVENT = insert(client_events)


def catalog_total_chapters(connection: Connection, tutorial_id: str) -> int | None:
    return connection.execute(_CATALOG_TOTAL, {"tutorial_id": tutorial_id}).scalar_one_or_none()


def lock_state(
    connection: Connection, tutorial_id: str, user_id: str, *, at: datetime
) -> tuple[int, ProgressState]:
    """Lock the pair's row until the transaction ends (creating it if the pair is new), then load
    its state.

    Concurrent writers to one learner's tutorial queue up on that row lock. The state is read by a
    *second* statement on purpose: under READ COMMITTED each statement takes a fresh snapshot, so
    it sees what the writer before us committed. (One `SELECT … FOR UPDATE` with the children in
    subqueries would re-check the locked row but read the children from its older snapshot — a
    lost update, caught by the 16-thread test.) A new pair's state has `exists=False`; if the
    change turns out to be a no-op, the caller deletes the row again, in the same transaction.
    """
    pair = {"tutorial_id": tutorial_id, "user_id": user_id}
    locked = connection.execute(_LOCK, pair).scalar_one_or_none()
    if locked is None:
        created = connection.execute(_CREATE, {**pair, "at": at}).scalar_one_or_none()
        if created is not None:
            catalog_total = catalog_total_chapters(connection, tutorial_id)
            return created, ProgressState(
                tutorial_id, user_id, catalog_total_chapters=catalog_total
            )
        # Another transaction created the row first: wait for its lock like everyone else.
        return lock_state(connection, tutorial_id, user_id, at=at)
    loaded = _load(connection, tutorial_id, user_id)
    assert loaded is not None  # the row is locked, so it cannot have gone
    return loaded


def read_state(connection: Connection, tutorial_id: str, user_id: str) -> ProgressState:
    """The pair's state as stored; an empty state (`exists=False`) when there is none."""
    loaded = _load(connection, tutorial_id, user_id)
    if loaded is not None:
        return loaded[1]
    catalog_total = catalog_total_chapters(connection, tutorial_id)
    return ProgressState(tutorial_id, user_id, catalog_total_chapters=catalog_total)


def _load(
    connection: Connection, tutorial_id: str, user_id: str
) -> tuple[int, ProgressState] | None:
    parent = connection.execute(
        _LOAD, {"tutorial_id": tutorial_id, "user_id": user_id}
    ).one_or_none()
    if parent is None:
        return None
    certificate = (
        None
        if parent.awarded_at is None
        else CertificateState(parent.awarded_at, parent.awarded_by, parent.override_reason)
    )
    return parent.id, ProgressState(
        tutorial_id,
        user_id,
        chapters={
            chapter_id: ChapterState(chapter_id, float(watch), completed, float(position))
            for chapter_id, watch, completed, position in parent.chapters
        },
        quizzes={
            quiz_id: QuizState(
                quiz_id,
                float(score),
                float(max_score),
                passed,
                attempts,
                datetime.fromisoformat(completed_at).astimezone(UTC),
            )
            for quiz_id, score, max_score, passed, attempts, completed_at in parent.quizzes
        },
        certificate=certificate,
        declared_total_chapters=parent.declared_total_chapters,
        catalog_total_chapters=parent.catalog_total_chapters,
        last_watched_at=parent.last_watched_at,
        exists=True,
        started_at=parent.started_at,
        completed_at=parent.completed_at,
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
    _sync_children(
        connection,
        progress_id,
        removed=[key for key in old.chapters if key not in new.chapters],
        changed=[
            {
                "progress_id": progress_id,
                "chapter_id": c.chapter_id,
                "watch_time": c.watch_time,
                "completed": c.completed,
                "last_position": c.last_position,
                "updated_at": at,
            }
            for key, c in new.chapters.items()
            if old.chapters.get(key) != c
        ],
        delete_statement=_DELETE_CHAPTERS,
        upsert_statement=_UPSERT_CHAPTERS,
    )
    _sync_children(
        connection,
        progress_id,
        removed=[key for key in old.quizzes if key not in new.quizzes],
        changed=[
            {
                "progress_id": progress_id,
                "quiz_id": q.quiz_id,
                "score": q.score,
                "max_score": q.max_score,
                "passed": q.passed,
                "attempts": q.attempts,
                "completed_at": q.completed_at,
            }
            for key, q in new.quizzes.items()
            if old.quizzes.get(key) != q
        ],
        delete_statement=_DELETE_QUIZZES,
        upsert_statement=_UPSERT_QUIZZES,
    )
    if old.certificate != new.certificate:
        connection.execute(_DELETE_CERTIFICATE, {"progress": progress_id})
        if new.certificate is not None:
            connection.execute(
                _INSERT_CERTIFICATE,
                {
                    "progress_id": progress_id,
                    "awarded_at": new.certificate.awarded_at,
                    "awarded_by": new.certificate.awarded_by,
                    "override_reason": new.certificate.override_reason,
                },
            )
    connection.execute(
        _UPDATE_AGGREGATES,
        {
            "progress": progress_id,
            "completion_percentage": new.completion_percentage,
            "chapters_completed": new.chapters_completed,
            "total_chapters": new.total_chapters,
            "declared_total_chapters": new.declared_total_chapters,
            "total_watch_time": new.total_watch_time,
            "certificate_eligible": new.certificate_eligible,
            "certificate_earned": new.certificate is not None,
            "last_watched_at": new.last_watched_at,
            "updated_at": at,
            "started_at": new.started_at,
            "completed_at": new.completed_at,
            "certified_at": new.certified_at,
        },
    )


def count_cohorts(connection: Connection, counts: RollupCounts) -> None:
    """Add `counts` (`progress.rules.cohort_counts`/`cohort_moves`; negative to take away) to
    the completion-trend rollups, row by row in key order: concurrent writers lock the rollups'
    rows in the same order, so they never deadlock."""
    for kind, (statement, keys, columns) in _ROLLUPS.items():
        rows = [
            {**dict(zip(keys, key, strict=True)), **{c: values.get(c, 0) for c in columns}}
            for (row_kind, key), values in sorted(counts.items(), key=_in_order)
            if row_kind == kind
        ]
        if rows:
            connection.execute(statement, rows)


def _in_order(item: tuple[tuple[str, tuple[object, ...]], dict[str, int]]) -> tuple[str, ...]:
    (kind, key), _ = item
    return (kind, *(repr(part) for part in key))


def _sync_children(
    connection: Connection,
    progress_id: int,
    *,
    removed: list[str],
    changed: list[dict[str, Any]],
    delete_statement: Any,
    upsert_statement: Any,
) -> None:
    if removed:
        connection.execute(delete_statement, {"progress": progress_id, "ids": removed})
    if changed:
        connection.execute(upsert_statement, changed)


def delete_progress(connection: Connection, progress_id: int) -> None:
    """Remove the pair's row; chapters, quizzes and certificate go with it (ON DELETE CASCADE)."""
    connection.execute(_DELETE_PROGRESS, {"progress": progress_id})


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
    event_id: int = connection.execute(
        _INSERT_EVENT,
        {
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
        },
    ).scalar_one()
    return event_id


def record_migration_succeeded(
    connection: Connection, *, tutorial_id: str, user_id: str, record_count: int, at: datetime
) -> None:
    """The `client_events` row of a migration the server merged (outcome `succeeded`)."""
    connection.execute(
        _INSERT_CLIENT_EVENT,
        {
            "occurred_at": at,
            "received_at": at,
            "kind": "migration",
            "outcome": "succeeded",
            "record_count": record_count,
            "user_id": user_id,
            "tutorial_id": tutorial_id,
        },
    )
