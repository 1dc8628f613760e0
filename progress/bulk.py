"""Bulk loading with COPY, for demo and benchmark data.

Row-at-a-time writes run at a few thousand rows per second; COPY runs at hundreds of thousands.
`copy_progress` loads whole learner states (computed by `progress.rules`, so the aggregates are
the service's own) together with one audit event each; `copy_api_logs` streams request rows in
PostgreSQL's binary COPY format, built column-wise with numpy instead of row by row in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy import Connection

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
    raw = raw_connection(connection)
    with raw.cursor() as cursor:
        cursor.execute("LOCK TABLE tutorial_progress IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tutorial_progress', 'id'),"
            " nextval(pg_get_serial_sequence('tutorial_progress', 'id')) + %s) - %s",
            [len(items), len(items)],
        )
        row = cursor.fetchone()
        assert row is not None
        first_id = int(str(row[0]))
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


_STAGING_DTYPE = np.dtype(
    [
        ("fields", ">i2"),
        ("ts_len", ">i4"),
        ("ts", ">i8"),
        ("route_len", ">i4"),
        ("route", ">i2"),
        ("status_len", ">i4"),
        ("status", ">i2"),
        ("latency_len", ">i4"),
        ("latency", ">f8"),
        ("user_len", ">i4"),
        ("user", ">i4"),
    ]
)


def copy_api_logs(
    connection: Connection, columns: ApiLogColumns, *, chunk_rows: int = 1_000_000
) -> int:
    """Append request rows to `api_logs` (in the order given); returns the number of rows.

    The rows go through a temporary staging table in binary COPY format — fixed-width numbers, so
    a chunk is one numpy buffer — and one `INSERT … SELECT` maps route numbers to text.
    """
    raw = raw_connection(connection)
    total = len(columns.timestamps)
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE api_logs_staging (ts timestamptz, route smallint,"
            " status smallint, latency float8, user_number integer) ON COMMIT DROP"
        )
        with cursor.copy("COPY api_logs_staging FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(_BINARY_HEADER)
            for start in range(0, total, chunk_rows):
                stop = min(start + chunk_rows, total)
                copy.write(_binary_chunk(columns, start, stop))
            copy.write(_BINARY_TRAILER)
        methods = [method for method, _ in columns.routes]
        endpoints = [endpoint for _, endpoint in columns.routes]
        cursor.execute(
            "INSERT INTO api_logs (timestamp, method, endpoint, status_code, response_time_ms,"
            " user_id)"
            " SELECT s.ts, (%(methods)s::text[])[s.route + 1],"
            " (%(endpoints)s::text[])[s.route + 1],"
            " s.status, s.latency,"
            " CASE WHEN s.user_number >= 0"
            " THEN 'learner-' || lpad(s.user_number::text, 6, '0') END"
            " FROM api_logs_staging s",
            {"methods": methods, "endpoints": endpoints},
        )
        cursor.execute("DROP TABLE api_logs_staging")
        # Summarize the new BRIN ranges now: unsummarized ones match every time-window scan.
        cursor.execute("SELECT brin_summarize_new_values('ix_api_logs_timestamp')")
    return total


def _binary_chunk(columns: ApiLogColumns, start: int, stop: int) -> bytes:
    chunk = np.empty(stop - start, dtype=_STAGING_DTYPE)
    chunk["fields"] = 5
    chunk["ts_len"] = 8
    chunk["ts"] = (columns.timestamps[start:stop].astype("datetime64[us]") - POSTGRES_EPOCH).astype(
        np.int64
    )
    chunk["route_len"] = 2
    chunk["route"] = columns.route_index[start:stop]
    chunk["status_len"] = 2
    chunk["status"] = columns.status_code[start:stop]
    chunk["latency_len"] = 8
    chunk["latency"] = columns.response_time_ms[start:stop]
    chunk["user_len"] = 4
    chunk["user"] = columns.user_number[start:stop]
    return chunk.tobytes()


def copy_client_events(connection: Connection, rows: Iterable[Sequence[object]]) -> None:
    """Append rows of (occurred_at, kind, outcome, operation, reason, record_count, user_id,
    tutorial_id)."""
    with raw_connection(connection).cursor() as cursor:
        _copy(
            cursor,
            "client_events (occurred_at, kind, outcome, operation, reason, record_count, user_id,"
            " tutorial_id)",
            rows,
        )
