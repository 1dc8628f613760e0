"""The API's request log: rows for `api_logs`, buffered in memory and written off the request path.

`RequestLog.record` only appends a tuple to a list under a lock (well under a microsecond); a
background thread writes the buffer with one COPY every `batch_rows` rows or `interval_ms`
milliseconds, whichever comes first. So a request never waits for the database because of its log
row, and a logging failure never fails a request:

- if a write fails (database down), the rows go back to the front of the buffer and are written
  with the next batch; past `max_pending` rows the oldest are dropped and counted in `dropped`, so
  an outage cannot exhaust memory;
- `close()` (the API calls it on a clean shutdown) stops the thread and writes what is left.

`after_write` runs after each successful write, on the writer thread: the API folds the new rows
into the dashboard's rollups there (`queries.rollups.refresh`; this module cannot import it).

Each API worker process has its own `RequestLog`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy import Engine

from progress.bulk import raw_connection
from progress.schema import api_logs

log = logging.getLogger(__name__)

# (timestamp, method, endpoint, status_code, response_time_ms, user_id): `api_logs`' columns.
Row = tuple[datetime, str, str, int, float, str | None]
_COLUMNS: Final = ("timestamp", "method", "endpoint", "status_code", "response_time_ms", "user_id")
_COPY: Final = (
    f"COPY {api_logs.name} ({', '.join(api_logs.c[c].name for c in _COLUMNS)}) FROM STDIN"
)


class RequestLog:
    """A buffered writer of `api_logs` rows; `record` is safe to call from any thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        batch_rows: int = 500,
        interval_ms: int = 250,
        max_pending: int = 100_000,
        after_write: Callable[[], object] | None = None,
    ) -> None:
        if batch_rows < 1 or interval_ms < 1 or max_pending < batch_rows:
            raise ValueError("need batch_rows >= 1, interval_ms >= 1, max_pending >= batch_rows")
        self._engine = engine
        self._batch_rows = batch_rows
        self._interval = interval_ms / 1000
        self._max_pending = max_pending
        self._after_write = after_write
        self._pending: list[Row] = []
        self._lock = threading.Lock()  # guards _pending and dropped
        self._write_lock = threading.Lock()  # one COPY at a time, in order
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.dropped = 0
        self.written = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

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
        """Buffer one request's row. Never raises, never touches the database."""
        row: Row = (at, method, endpoint, status_code, max(0.0, response_time_ms), user_id)
        with self._lock:
            self._pending.append(row)
            full = len(self._pending) >= self._batch_rows
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write every buffered row now; returns the number written (0 when the write failed —
        the rows then stay buffered for the next attempt). Never raises."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                self._write(rows)
            except Exception as error:  # a log write must never take the API down
                self._requeue(rows)
                if not self._failing:  # once per outage, not every interval
                    log.warning("cannot write the request log (rows kept for later): %s", error)
                self._failing = True
                return 0
            if self._failing:
                log.warning("request log writes resumed")
            self._failing = False
            self.written += len(rows)
            if self._after_write is not None:
                try:
                    self._after_write()
                except Exception as error:  # the rows are written; the follow-up may wait
                    log.warning("after writing the request log: %s", error)
            return len(rows)

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

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()

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
