"""The API's request log: rows for `api_logs`, buffered in memory and written off the request path.

`RequestLog.record` only cleans the row's text (`clean_text`: a bounded string without control
characters, lone surrogates or NUL — never raw input) and appends a tuple to a list under a lock
(about a microsecond); a background thread writes the buffer with one COPY every `batch_rows` rows
or `interval_ms` milliseconds, whichever comes first. So a request never waits for the database
because of its log row, and a logging failure never fails a request:

- if a write fails because the database is unreachable, the rows go back to the front of the
  buffer and are written with the next batch; past `max_pending` rows the oldest are dropped and
  counted in `dropped`, so an outage cannot exhaust memory;
- if a write fails for any other reason, one of its rows cannot be stored: the batch is split in
  halves and each half written on its own, down to single rows, so every storable row is written
  and only the row that cannot be stored is dropped (counted in `dropped`, its error in
  `last_error`) — one bad row never holds back the rows after it;
- `close()` (the API calls it on a clean shutdown) stops the thread and writes what is left.

`health()` says how the logger is doing (rows pending, written and dropped, the last write and the
last error); the API shows it on `/health`. The same counters are upserted into
`request_log_health` (one row per logger) after every write and at least every `report_seconds`,
so another process — the dashboard, `progress-ops check` — can see a logger that drops rows or has
stopped writing (`queries.logger_health.request_logger_health`).

`after_write` runs after each successful write, on the writer thread: the API folds the new rows
into the dashboard's rollups there (`queries.rollups.refresh`; this module cannot import it).

Each API worker process has its own `RequestLog`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import psycopg
from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import TimeoutError as PoolTimeout

from progress.bulk import raw_connection
from progress.db import first_line, is_transient
from progress.schema import api_logs, request_log_health

log = logging.getLogger(__name__)

# (timestamp, method, endpoint, status_code, response_time_ms, user_id): `api_logs`' columns.
Row = tuple[datetime, str, str, int, float, str | None]
_COLUMNS: Final = ("timestamp", "method", "endpoint", "status_code", "response_time_ms", "user_id")
_COPY: Final = (
    f"COPY {api_logs.name} ({', '.join(api_logs.c[c].name for c in _COLUMNS)}) FROM STDIN"
)
MAX_LOGGED_ID: Final = 200  # the longest id the API accepts
_MAX_ERROR_LENGTH: Final = 500
_FORGET_AFTER: Final = timedelta(days=7)  # health rows of loggers gone this long are removed


def clean_text(value: object, *, limit: int = MAX_LOGGED_ID) -> str | None:
    """`value` as it may be logged: printable text of at most `limit` characters, else None.

    Control characters (NUL among them), lone surrogates and other unprintable characters are
    removed, so a row can always be stored whatever a caller sent.
    """
    if not isinstance(value, str):
        return None
    if len(value) <= limit and value.isprintable():  # the usual case: one C-speed check
        return value or None
    printable = "".join(ch for ch in value[: limit * 4] if ch.isprintable())
    return printable[:limit] or None


def _now() -> datetime:
    return datetime.now(UTC)


def _first_line(error: BaseException) -> str:
    return clean_text(first_line(error), limit=_MAX_ERROR_LENGTH) or type(error).__name__


def _is_outage(error: BaseException) -> bool:
    """The database could not be reached (retry the rows later), as opposed to a row it refused."""
    return is_transient(error) or isinstance(
        error, psycopg.OperationalError | psycopg.InterfaceError | PoolTimeout
    )


@dataclass(frozen=True)
class RequestLogHealth:
    """How one request logger is doing; what `/health` shows and `request_log_health` holds."""

    instance_id: str
    started_at: datetime
    pending: int
    written: int
    dropped: int
    last_flush_at: datetime | None  # the last write that stored rows
    last_error: str | None
    last_error_at: datetime | None


class RequestLog:
    """A buffered writer of `api_logs` rows; `record` is safe to call from any thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        batch_rows: int = 500,
        interval_ms: int = 250,
        max_pending: int = 100_000,
        report_seconds: float = 30.0,
        after_write: Callable[[], object] | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if batch_rows < 1 or interval_ms < 1 or max_pending < batch_rows:
            raise ValueError("need batch_rows >= 1, interval_ms >= 1, max_pending >= batch_rows")
        self._engine = engine
        self._batch_rows = batch_rows
        self._interval = interval_ms / 1000
        self._max_pending = max_pending
        self._report_every = timedelta(seconds=report_seconds)
        self._after_write = after_write
        self._clock = clock
        self._pending: list[Row] = []
        self._lock = threading.Lock()  # guards _pending and dropped
        self._write_lock = threading.Lock()  # one COPY at a time, in order
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.instance_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.started_at = clock()
        self.dropped = 0
        self.written = 0
        self.last_flush_at: datetime | None = None
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self._reported: tuple[int, int, str | None] | None = None  # written, dropped, error
        self._reported_at: datetime | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def health(self) -> RequestLogHealth:
        return RequestLogHealth(
            instance_id=self.instance_id,
            started_at=self.started_at,
            pending=self.pending,
            written=self.written,
            dropped=self.dropped,
            last_flush_at=self.last_flush_at,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
        )

    def start(self) -> None:
        """Start the background writer (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def record(
        self,
        *,
        at: datetime,
        method: str,
        endpoint: str,
        status_code: int,
        response_time_ms: float,
        user_id: str | None,
    ) -> None:
        """Buffer one request's row, its text cleaned. Never raises, never touches the database."""
        row: Row = (
            at,
            clean_text(method) or "?",
            clean_text(endpoint) or "?",
            status_code,
            max(0.0, response_time_ms),
            clean_text(user_id),
        )
        with self._lock:
            self._pending.append(row)
            full = len(self._pending) >= self._batch_rows
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write every buffered row now; returns the number written. Rows the database could not
        be reached for stay buffered for the next attempt; a row it refused is dropped and
        counted. Never raises."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            written = self._store(rows) if rows else 0
            self._report()
            if written and self._after_write is not None:
                try:
                    self._after_write()
                except Exception as error:  # the rows are written; the follow-up may wait
                    log.warning("after writing the request log: %s", error)
            return written

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop the background writer and write what is left (the clean-shutdown path)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()
        if self._pending:
            log.warning("%d request log rows could not be written at shutdown", self.pending)
        with self._write_lock:
            self._report(stopped=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()

    def _store(self, rows: list[Row]) -> int:
        """Write `rows`, halving a batch the database refuses until the refused rows are alone
        (and dropped); on an outage, put what is not yet written back in the buffer."""
        written = 0
        chunks = [rows]  # a stack: the next chunk to write is the last one
        while chunks:
            chunk = chunks.pop()
            try:
                self._write(chunk)
            except Exception as error:  # a log write must never take the API down
                if _is_outage(error):
                    self._requeue([row for part in (chunk, *reversed(chunks)) for row in part])
                    self._note_error(error)
                    if not self._failing:  # once per outage, not every interval
                        log.warning("cannot write the request log (rows kept for later): %s", error)
                    self._failing = True
                    return written
                if len(chunk) == 1:
                    self._note_error(error)
                    with self._lock:
                        self.dropped += 1
                    log.warning("dropped a request log row the database refused: %s", error)
                else:
                    middle = len(chunk) // 2
                    chunks += [chunk[middle:], chunk[:middle]]
                continue
            written += len(chunk)
        if self._failing:
            log.warning("request log writes resumed")
        self._failing = False
        self.written += written
        if written:
            self.last_flush_at = self._clock()
        return written

    def _note_error(self, error: BaseException) -> None:
        self.last_error = _first_line(error)
        self.last_error_at = self._clock()

    def _write(self, rows: list[Row]) -> None:
        with (
            self._engine.begin() as connection,
            raw_connection(connection).cursor() as cursor,
            cursor.copy(_COPY) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _requeue(self, rows: list[Row]) -> None:
        with self._lock:
            self._pending[:0] = rows
            excess = len(self._pending) - self._max_pending
            if excess > 0:
                del self._pending[:excess]
                self.dropped += excess
        if excess > 0:
            log.warning("request log buffer full: dropped the %d oldest rows", excess)

    def _report(self, *, stopped: bool = False) -> None:
        """Upsert this logger's row of `request_log_health` when its counters changed, when it
        stops, and at least every `report_seconds`. A failure is only logged (the database may be
        the very thing that is down); the next flush reports again."""
        now = self._clock()
        counters = (self.written, self.dropped, self.last_error)
        due = self._reported_at is None or now - self._reported_at >= self._report_every
        if not stopped and not due and counters == self._reported:
            return
        health = self.health()
        values = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": health.started_at,
            "reported_at": now,
            "last_flush_at": health.last_flush_at,
            "stopped_at": now if stopped else None,
            "rows_pending": health.pending,
            "rows_written": health.written,
            "rows_dropped": health.dropped,
            "last_error": health.last_error,
            "last_error_at": health.last_error_at,
        }
        upsert = insert(request_log_health).values(instance_id=self.instance_id, **values)
        try:
            with self._engine.begin() as connection:
                if self._reported_at is None:  # first report: forget loggers long gone
                    connection.execute(
                        delete(request_log_health).where(
                            request_log_health.c.reported_at < now - _FORGET_AFTER
                        )
                    )
                connection.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[request_log_health.c.instance_id], set_=values
                    )
                )
        except Exception as error:
            log.debug("cannot report the request log's health: %s", error)
            return
        self._reported, self._reported_at = counters, now
