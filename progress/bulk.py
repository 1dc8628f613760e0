"""Bulk loading with COPY, for demo and benchmark data.

Row-at-a-time writes run at a few thousand rows per second; COPY runs at hundreds of thousands.
- `copy_progress` (the service's `import_progress`) loads whole learner states computed by
  `progress.rules` with one audit event each.
- `copy_columns` streams numpy columns into a temporary staging table in PostgreSQL's binary COPY
  format — a chunk of rows is one numpy buffer, not a Python tuple per row — and an `INSERT …
  SELECT` moves them on, making the text (ids, names) from numbers: `copy_api_logs`,
  `copy_client_events` and `copy_learners` (the demo's learners: progress, chapters, quizzes,
  certificates, audit events, active days).
- `indexes_dropped` builds a table's indexes and foreign keys once after a load into empty tables
  instead of row by row during it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import Connection, Engine, text

from progress.rules import ProgressState, RollupCounts, add_counts, cohort_counts, stamp_moments
from progress.store import count_cohorts

POSTGRES_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_BINARY_TRAILER = b"\xff\xff"


@dataclass(frozen=True)
class ImportedProgress:
    """A learner's state in one tutorial plus the times the state alone does not carry."""

    state: ProgressState
    started_at: datetime
    chapter_times: dict[str, datetime]
    updated_at: datetime

    def stamped(self) -> ProgressState:
        """The state with its moments: started at `started_at` unless it says otherwise, and
        completed (when every chapter is) at its own moment, else at `updated_at`."""
        state = self.state
        if state.started_at is None:
            state = replace(state, started_at=self.started_at)
        empty = ProgressState(state.tutorial_id, state.user_id)
        return stamp_moments(empty, replace(state, exists=True), at=self.updated_at)


def raw_connection(connection: Connection) -> psycopg.Connection[tuple[object, ...]]:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def copy_progress(
    connection: Connection,
    items: Sequence[ImportedProgress],
    *,
    actor: str,
    source: str,
    reason: str,
) -> int:
    """Insert every item (progress row, chapters, quizzes, certificate, one event); returns count.

    Ids are reserved from the identity sequence under a table lock, so concurrent service writes
    stay safe and the children can reference their parent without a round trip per row. The
    pairs are counted into the `tutorial_cohort_days` rollup in the same transaction.
    """
    states = [item.stamped() for item in items]
    first_id = reserve_progress_ids(connection, len(items))
    raw = raw_connection(connection)
    with raw.cursor() as cursor:
        ids = range(first_id, first_id + len(items))
        _copy(
            cursor,
            "tutorial_progress (id, tutorial_id, user_id, completion_percentage,"
            " chapters_completed, total_chapters, declared_total_chapters, total_watch_time,"
            " certificate_eligible, certificate_earned, last_watched_at, created_at, updated_at,"
            " started_at, completed_at, certified_at)",
            (
                (
                    progress_id,
                    state.tutorial_id,
                    state.user_id,
                    state.completion_percentage,
                    state.chapters_completed,
                    state.total_chapters,
                    state.declared_total_chapters,
                    state.total_watch_time,
                    state.certificate_eligible,
                    state.certificate is not None,
                    state.last_watched_at,
                    item.started_at,
                    item.updated_at,
                    state.started_at,
                    state.completed_at,
                    state.certified_at,
                )
                for progress_id, item, state in zip(ids, items, states, strict=True)
            ),
        )
        _copy(
            cursor,
            "chapter_progress (progress_id, chapter_id, watch_time, completed, last_position,"
            " updated_at)",
            (
                (
                    progress_id,
                    chapter.chapter_id,
                    chapter.watch_time,
                    chapter.completed,
                    chapter.last_position,
                    item.chapter_times[chapter.chapter_id],
                )
                for progress_id, item in zip(ids, items, strict=True)
                for chapter in item.state.chapters.values()
            ),
        )
        _copy(
            cursor,
            "quiz_scores (progress_id, quiz_id, score, max_score, passed, attempts, completed_at)",
            (
                (progress_id, q.quiz_id, q.score, q.max_score, q.passed, q.attempts, q.completed_at)
                for progress_id, item in zip(ids, items, strict=True)
                for q in item.state.quizzes.values()
            ),
        )
        _copy(
            cursor,
            "tutorial_certificates (progress_id, awarded_at, awarded_by, override_reason)",
            (
                (
                    progress_id,
                    item.state.certificate.awarded_at,
                    item.state.certificate.awarded_by,
                    item.state.certificate.override_reason,
                )
                for progress_id, item in zip(ids, items, strict=True)
                if item.state.certificate is not None
            ),
        )
        _copy(
            cursor,
            "progress_events (occurred_at, tutorial_id, user_id, kind, source, actor, reason,"
            " before, after)",
            (
                (
                    item.updated_at,
                    item.state.tutorial_id,
                    item.state.user_id,
                    "migration",
                    source,
                    actor,
                    reason,
                    None,
                    state.to_snapshot().model_dump_json(by_alias=True),
                )
                for item, state in zip(items, states, strict=True)
            ),
        )
    counts: RollupCounts = {}
    for state in states:
        add_counts(counts, cohort_counts(state))
    count_cohorts(connection, counts)
    return len(items)


def _copy(
    cursor: psycopg.Cursor[tuple[object, ...]], target: str, rows: Iterable[Sequence[object]]
) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class ApiLogColumns:
    """`api_logs` rows as parallel numpy arrays; `endpoint_index` points into `routes`."""

    timestamps: npt.NDArray[np.datetime64]
    route_index: npt.NDArray[np.int16]
    status_code: npt.NDArray[np.int16]
    response_time_ms: npt.NDArray[np.float64]
    user_number: npt.NDArray[np.int32]  # -1 for requests without a learner
    routes: Sequence[tuple[str, str]]  # (method, route template)


# numpy dtype → (PostgreSQL type, big-endian binary COPY layout)
_BINARY_TYPES: dict[np.dtype[Any], tuple[str, str]] = {
    np.dtype(np.bool_): ("boolean", "?"),
    np.dtype(np.int16): ("smallint", ">i2"),
    np.dtype(np.int32): ("integer", ">i4"),
    np.dtype(np.int64): ("bigint", ">i8"),
    np.dtype(np.float64): ("float8", ">f8"),
    np.dtype("datetime64[us]"): ("timestamptz", ">i8"),
}
Columns = Mapping[str, npt.NDArray[Any]]


def learner_id_sql(number: str) -> str:
    """SQL for `progress.demo.learner_id` of the integer expression `number`: `learner-000042`,
    at least six digits (lpad alone would cut a seventh)."""
    return f"'learner-' || lpad({number}::text, greatest(6, length({number}::text)), '0')"


def copy_columns(
    cursor: psycopg.Cursor[tuple[object, ...]],
    staging: str,
    columns: Columns,
    *,
    chunk_rows: int = 1_000_000,
) -> int:
    """Create the temporary table `staging` (dropped at commit), one column per array, and fill it
    in PostgreSQL's binary COPY format; returns the number of rows.

    Fixed-width numbers only (bool, int16/32/64, float64, datetime64[us] as timestamptz, NaT as
    -infinity), so `chunk_rows` rows are one numpy buffer instead of a Python tuple each; text is
    made by the `INSERT … SELECT` that moves the rows on (from indexes into arrays of names).
    """
    arrays = list(columns.values())
    total = len(arrays[0])
    if any(len(array) != total for array in arrays):
        raise ValueError(f"{staging}: every column needs {total} rows")
    definitions = ", ".join(
        f"{name} {_BINARY_TYPES[array.dtype][0]}" for name, array in columns.items()
    )
    cursor.execute(f"CREATE TEMP TABLE {staging} ({definitions}) ON COMMIT DROP")
    layout = np.dtype(
        [("fields", ">i2")]
        + [
            field
            for index, array in enumerate(arrays)
            for field in (
                (f"length{index}", ">i4"),
                (f"value{index}", _BINARY_TYPES[array.dtype][1]),
            )
        ]
    )
    with cursor.copy(f"COPY {staging} FROM STDIN WITH (FORMAT binary)") as copy:
        copy.write(_BINARY_HEADER)
        for start in range(0, total, chunk_rows):
            stop = min(start + chunk_rows, total)
            rows = np.empty(stop - start, dtype=layout)
            rows["fields"] = len(arrays)
            for index, array in enumerate(arrays):
                rows[f"length{index}"] = layout[f"value{index}"].itemsize
                rows[f"value{index}"] = _binary_values(array[start:stop])
            copy.write(rows.tobytes())
        copy.write(_BINARY_TRAILER)
    return total


def _binary_values(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Timestamps as PostgreSQL counts them (µs since 2000-01-01; NaT stays the smallest int64,
    which is PostgreSQL's -infinity); anything else as it is."""
    if array.dtype.kind == "M":
        return (array - POSTGRES_EPOCH).view(np.int64)
    return array


def copy_api_logs(
    connection: Connection, columns: ApiLogColumns, *, chunk_rows: int = 1_000_000
) -> int:
    """Append request rows to `api_logs` (in the order given); returns the number of rows.

    The rows go through a temporary staging table in binary COPY format (`copy_columns`) and one
    `INSERT … SELECT` maps route numbers to text.
    """
    raw = raw_connection(connection)
    with raw.cursor() as cursor:
        total = copy_columns(
            cursor,
            "api_logs_staging",
            {
                "ts": columns.timestamps.astype("datetime64[us]"),
                "route": columns.route_index.astype(np.int16),
                "status": columns.status_code.astype(np.int16),
                "latency": columns.response_time_ms.astype(np.float64),
                "user_number": columns.user_number.astype(np.int32),
            },
            chunk_rows=chunk_rows,
        )
        methods = [method for method, _ in columns.routes]
        endpoints = [endpoint for _, endpoint in columns.routes]
        cursor.execute(
            "INSERT INTO api_logs (timestamp, method, endpoint, status_code, response_time_ms,"  # noqa: S608 (from constants and bound values)
            " user_id)"
            " SELECT s.ts, (%(methods)s::text[])[s.route + 1],"
            " (%(endpoints)s::text[])[s.route + 1],"
            " s.status, s.latency,"
            f" CASE WHEN s.user_number >= 0 THEN {learner_id_sql('s.user_number')} END"
            " FROM api_logs_staging s",
            {"methods": methods, "endpoints": endpoints},
        )
        cursor.execute("DROP TABLE api_logs_staging")
        # Summarize the new BRIN ranges now: unsummarized ones match every time-window scan.
        cursor.execute("SELECT brin_summarize_new_values('ix_api_logs_timestamp')")
    return total


def copy_client_events(
    connection: Connection, columns: Columns, names: Mapping[str, Sequence[str]]
) -> int:
    """Append client telemetry rows; returns their number. `columns`: `occurred_at`,
    `record_count` (-1: none), `user_number` (a learner, `learner_id_sql`), and `kind`, `outcome`,
    `operation`, `reason`, `tutorial`: indexes into the lists of `names` (-1: none)."""
    named = {column: f"(%({column})s::text[])[s.{column} + 1]" for column in names}
    with raw_connection(connection).cursor() as cursor:
        total = copy_columns(cursor, "client_events_staging", columns)
        cursor.execute(
            "INSERT INTO client_events (occurred_at, kind, outcome, operation, reason,"  # noqa: S608 (from constants and bound values)
            " record_count, user_id, tutorial_id)"
            f" SELECT s.occurred_at, {named['kind']}, {named['outcome']}, {named['operation']},"
            f" {named['reason']}, nullif(s.record_count, -1), {learner_id_sql('s.user_number')},"
            f" {named['tutorial']}"
            " FROM client_events_staging s",
            {column: list(values) for column, values in names.items()},
        )
        cursor.execute("DROP TABLE client_events_staging")
    return total


@dataclass(frozen=True)
class LearnerRows:
    """Learners' progress as columns (`copy_learners`), aggregates computed by the caller.

    - `pairs`: `id` (reserved, `reserve_progress_ids`), `tutorial` (index into the tutorial ids),
      `learner` (number, `learner_id_sql`), `total`, `declared` (the total was declared),
      `done` (chapters completed), `percent` (completion × 100, a whole number), `watch`,
      `eligible`, `last_watched`, `started`, `completed` (NaT: not yet), `updated`, `certified`
      (NaT: no certificate), `awarded_by` (0: the learner, k: the k-th support agent),
      `override` (the certificate is a support override);
    - `chapters`: `progress_id`, `chapter` (1-based index into the chapter ids), `watch`,
      `completed`, `position`, `at`;
    - `quizzes`: `progress_id`, `quiz` (1-based index into the quiz ids), `score`, `max_score`,
      `passed`, `attempts`, `at`;
    - `events`: each pair's audit event — its time, tutorial, learner and state after
      (`ProgressSnapshot` JSON) — made by the caller, where the rows' values are at hand;
    - `tutorial_days` (`tutorial`, `day`, `learner`) and `days` (`day`, `learner`): the days the
      learners were active (`learner_tutorial_days`, `learner_days`; rows already there stay).
    """

    pairs: Columns
    chapters: Columns
    quizzes: Columns
    events: Iterable[tuple[str, str, str, str]]  # a pair's audit event: (at, tutorial, user, after)
    tutorial_days: Columns
    days: Columns


@dataclass(frozen=True)
class LearnerNames:
    """What the indexes of `LearnerRows` stand for, and the audit event's words."""

    tutorial_ids: Sequence[str]
    chapter_ids: Sequence[str]
    quiz_ids: Sequence[str]
    support_agents: Sequence[str]
    override_reason: str
    actor: str
    source: str
    reason: str


_PAIRS = f"""
pairs AS (
    SELECT s.id, (%(tutorial_ids)s::text[])[s.tutorial + 1] AS tutorial_id,
           {learner_id_sql("s.learner")} AS user_id,
           (s.percent / 100.0)::numeric(5, 2) AS percent, s.done, s.total,
           CASE WHEN s.declared THEN s.total END AS declared_total, s.watch, s.eligible,
           s.last_watched, s.started, nullif(s.completed, '-infinity') AS completed, s.updated,
           nullif(s.certified, '-infinity') AS certified, s.awarded_by, s.override
    FROM demo_pairs s
)"""  # noqa: S608 (built from constants only)
_COPY_LEARNERS = (
    f"""
    WITH {_PAIRS}
    INSERT INTO tutorial_progress (id, tutorial_id, user_id, completion_percentage,
        chapters_completed, total_chapters, declared_total_chapters, total_watch_time,
        certificate_eligible, certificate_earned, last_watched_at, created_at, updated_at,
        started_at, completed_at, certified_at)
    SELECT id, tutorial_id, user_id, percent, done, total, declared_total, watch, eligible,
           certified IS NOT NULL, last_watched, started, updated, started, completed, certified
    FROM pairs
    """,  # noqa: S608 (built from constants only)
    f"""
    WITH {_PAIRS}
    INSERT INTO tutorial_certificates (progress_id, awarded_at, awarded_by, override_reason)
    SELECT id, certified,
           CASE WHEN awarded_by = 0 THEN user_id ELSE (%(support_agents)s::text[])[awarded_by] END,
           CASE WHEN override THEN %(override_reason)s END
    FROM pairs WHERE certified IS NOT NULL
    """,  # noqa: S608 (built from constants only)
    """
    INSERT INTO chapter_progress (progress_id, chapter_id, watch_time, completed, last_position,
        updated_at)
    SELECT progress_id, (%(chapter_ids)s::text[])[chapter], watch, completed, position, at
    FROM demo_chapters
    """,
    """
    INSERT INTO quiz_scores (progress_id, quiz_id, score, max_score, passed, attempts,
        completed_at)
    SELECT progress_id, (%(quiz_ids)s::text[])[quiz], score, max_score, passed, attempts, at
    FROM demo_quizzes
    """,
    f"""
    INSERT INTO learner_tutorial_days (tutorial_id, day, user_id)
    SELECT (%(tutorial_ids)s::text[])[tutorial + 1], day, {learner_id_sql("learner")}
    FROM demo_tutorial_days
    ON CONFLICT DO NOTHING
    """,  # noqa: S608 (built from constants only)
    f"""
    INSERT INTO learner_days (day, user_id)
    SELECT day, {learner_id_sql("learner")} FROM demo_days
    ON CONFLICT DO NOTHING
    """,  # noqa: S608 (built from constants only)
)


def reserve_progress_ids(connection: Connection, count: int) -> int:
    """Reserve `count` consecutive ids of `tutorial_progress`'s identity; returns the first.

    Under a table lock until the transaction ends, so no concurrent service write is handed one
    of them: commit soon."""
    with raw_connection(connection).cursor() as cursor:
        cursor.execute("LOCK TABLE tutorial_progress IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tutorial_progress', 'id'),"
            " nextval(pg_get_serial_sequence('tutorial_progress', 'id')) + %s) - %s",
            [count, count],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(str(row[0]))


def copy_learners(connection: Connection, rows: LearnerRows, names: LearnerNames) -> int:
    """Insert the learners' progress rows, chapters, quizzes and certificates — through binary
    COPY into staging tables and one `INSERT … SELECT` a table — and one audit event a pair;
    returns the number of pairs. The rollups are the caller's to count."""
    parameters = {
        "tutorial_ids": list(names.tutorial_ids),
        "chapter_ids": list(names.chapter_ids),
        "quiz_ids": list(names.quiz_ids),
        "support_agents": list(names.support_agents),
        "override_reason": names.override_reason,
        "actor": names.actor,
        "source": names.source,
        "reason": names.reason,
    }
    with raw_connection(connection).cursor() as cursor:
        total = copy_columns(cursor, "demo_pairs", rows.pairs)
        copy_columns(cursor, "demo_chapters", rows.chapters)
        copy_columns(cursor, "demo_quizzes", rows.quizzes)
        copy_columns(cursor, "demo_tutorial_days", rows.tutorial_days)
        copy_columns(cursor, "demo_days", rows.days)
        for statement in _COPY_LEARNERS:
            used = {name: value for name, value in parameters.items() if f"%({name})s" in statement}
            cursor.execute(statement, used)
        cursor.execute(
            "DROP TABLE demo_pairs, demo_chapters, demo_quizzes, demo_tutorial_days, demo_days"
        )
        _copy(
            cursor,
            "progress_events (occurred_at, tutorial_id, user_id, kind, source, actor, reason,"
            " after)",
            (
                (at, tutorial, user, "migration", names.source, names.actor, names.reason, after)
                for at, tutorial, user, after in rows.events
            ),
        )
    return total


@contextmanager
def indexes_dropped(
    engine: Engine, tables: Sequence[str], *, primary_keys: Sequence[str] = ()
) -> Iterator[None]:
    """Drop the foreign keys, unique constraints and indexes of `tables` (all but their primary
    keys, but for the tables in `primary_keys`) for a bulk load into *empty* tables, and build
    them again afterwards, whatever happens (exactly as they were: from PostgreSQL's own
    definitions).

    Building an index once over all rows is several times cheaper than updating it row by row,
    and a foreign key is checked by one join instead of a trigger per row. A process killed
    during the load leaves the tables without them: load into a new database again.
    """
    with engine.begin() as connection:
        found = connection.execute(
            _INDEXES, {"tables": [*tables, *primary_keys], "primary_keys": list(primary_keys)}
        ).all()
        for _, drop, _ in found:
            connection.execute(text(drop))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for _, _, create in sorted(found, key=lambda row: int(row[0])):
                connection.execute(text(create))


# (order to build in, DROP, CREATE) for every index and constraint but the primary keys not
# asked for; the drops are run in the order listed (foreign keys first), the builds by the first
# column.
_INDEXES = text("""
    SELECT 2, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    WHERE c.conrelid = ANY (CAST(:tables AS regclass[])) AND c.contype = 'f'
    UNION ALL
    SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    WHERE c.conrelid = ANY (CAST(:tables AS regclass[]))
      AND (c.contype = 'u'
           OR c.contype = 'p' AND c.conrelid = ANY (CAST(:primary_keys AS regclass[])))
    UNION ALL
    SELECT 0, format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY (CAST(:tables AS regclass[])) AND NOT i.indisprimary
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid
                      AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
    ORDER BY 1 DESC
""")
