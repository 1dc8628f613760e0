"""The per-minute rollups answer what the raw rows answer, for every window the SLOs read, and
stay current through the same fold as the hourly ones."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select, text

from progress.schema import FAST_THRESHOLDS_MS, api_log_minutes, client_events
from queries.histogram import fast_edge_ms
from queries.rollups import refresh
from queries.slo import WINDOWS, Counts, window_counts
from tests.db.test_rollups import START, client_event, insert_rows, log_rows

END = START + timedelta(hours=49, minutes=3)
LENGTHS = [*WINDOWS, timedelta(hours=3, minutes=17), timedelta(days=30)]


def raw_counts(engine: Engine, start: datetime, end: datetime, fast_ms: float) -> Counts:
    """The same counts straight from api_logs and client_events."""
    api = """
        SELECT count(*), count(*) FILTER (WHERE status_code >= 500),
               count(*) FILTER (WHERE response_time_ms < :edge)
        FROM api_logs WHERE timestamp >= :start AND timestamp < :end AND endpoint <> '/health'
    """
    client = """
        SELECT count(*) FILTER (WHERE kind = 'migration' AND outcome = 'succeeded'),
               count(*) FILTER (WHERE kind = 'migration' AND outcome = 'failed'),
               count(*) FILTER (WHERE kind = 'fallback')
        FROM client_events WHERE occurred_at >= :start AND occurred_at < :end
    """
    bounds = {"start": start, "end": end, "edge": fast_edge_ms(fast_ms)}
    with engine.connect() as connection:
        requests, errors, fast = connection.execute(text(api), bounds).one()
        succeeded, failed, fallbacks = connection.execute(text(client), bounds).one()
    return Counts(requests, errors, fast, succeeded, failed, fallbacks)


def insert_client_events(engine: Engine, count: int, *, seed: int) -> None:
    rng = np.random.default_rng(seed)
    events = []
    for offset in rng.uniform(0, 50 * 3600, count):
        at = START + timedelta(seconds=float(offset))
        if rng.random() < 0.4:
            events.append(client_event(at, "fallback", None, operation="getProgress"))
        else:
            outcome = ["attempted", "succeeded", "failed"][int(rng.integers(3))]
            events.append(client_event(at, "migration", outcome))
    with engine.begin() as connection:
        connection.execute(insert(client_events), events)


@pytest.mark.parametrize("fast_ms", [FAST_THRESHOLDS_MS[0], 500])
def test_every_slo_window_reads_what_the_raw_rows_say(engine: Engine, fast_ms: int) -> None:
    insert_rows(engine, log_rows(4000, seed=11))
    insert_client_events(engine, 800, seed=12)
    refresh(engine)
    with engine.connect() as connection:
        ours = window_counts(connection, END, LENGTHS, fast_ms=fast_ms)
    for length in LENGTHS:
        assert ours[length] == raw_counts(engine, END - length, END, fast_ms), length


def test_minutes_folded_in_several_refreshes_and_late_rows_count_once(engine: Engine) -> None:
    insert_rows(engine, log_rows(1500, seed=13))
    insert_client_events(engine, 300, seed=14)
    refresh(engine)
    insert_rows(engine, log_rows(700, seed=15))  # lands in minutes already folded
    insert_client_events(engine, 200, seed=16)
    refresh(engine)
    assert refresh(engine) == 0
    with engine.connect() as connection:
        folded = connection.execute(select(func.sum(api_log_minutes.c.requests))).scalar_one()
        ours = window_counts(connection, END, LENGTHS, fast_ms=500)
    assert folded == 2202  # both batches and their /health rows
    for length in LENGTHS:
        assert ours[length] == raw_counts(engine, END - length, END, 500), length


def test_a_window_of_minutes_only_and_one_across_midnight(engine: Engine) -> None:
    insert_rows(engine, log_rows(3000, seed=17))
    refresh(engine)
    for end in (START + timedelta(hours=24, minutes=7), START + timedelta(hours=30)):
        with engine.connect() as connection:
            ours = window_counts(
                connection, end, [timedelta(minutes=5), timedelta(hours=1)], fast_ms=200
            )
        for length, counts in ours.items():
            assert counts == raw_counts(engine, end - length, end, 200)
