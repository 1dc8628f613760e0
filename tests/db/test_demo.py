"""Demo data: deterministic, realistic, consistent with the service's own rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from commands import main
from progress.demo import DemoSpec, load_demo_data
from progress.errors import InvalidInput
from progress.service import ProgressService

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SMALL = DemoSpec(learners=60, days=14, seed=3, now=NOW, api_logs=20_000)


def fingerprint(engine: Engine) -> dict[str, Any]:
    """Every table's content without the generated ids."""
    queries = {
        "tutorials": "SELECT tutorial_id, title, total_chapters FROM tutorials ORDER BY 1",
        "progress": "SELECT tutorial_id, user_id, completion_percentage, chapters_completed,"
        " total_chapters, total_watch_time, certificate_earned, last_watched_at, created_at"
        " FROM tutorial_progress ORDER BY 1, 2",
        "chapters": "SELECT p.user_id, p.tutorial_id, c.chapter_id, c.watch_time, c.completed,"
        " c.last_position FROM chapter_progress c JOIN tutorial_progress p ON p.id = c.progress_id"
        " ORDER BY 1, 2, 3",
        "quizzes": "SELECT p.user_id, q.quiz_id, q.score, q.attempts, q.passed FROM quiz_scores q"
        " JOIN tutorial_progress p ON p.id = q.progress_id ORDER BY 1, p.tutorial_id, 2",
        "api_logs": "SELECT md5(string_agg(concat_ws(',', timestamp, method, endpoint,"
        " status_code, response_time_ms, user_id), ';' ORDER BY id)) FROM api_logs",
        "client_events": "SELECT md5(string_agg(concat_ws(',', occurred_at, kind, outcome,"
        " operation, reason, record_count, user_id), ';' ORDER BY id)) FROM client_events",
    }
    with engine.connect() as connection:
        return {name: connection.execute(text(sql)).all() for name, sql in queries.items()}


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_the_same_seed_gives_the_same_data(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    first = fingerprint(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE tutorials, tutorial_progress, api_logs, client_events, progress_events"
                " RESTART IDENTITY CASCADE"
            )
        )
    load_demo_data(engine, SMALL)
    assert fingerprint(engine) == first


def test_another_seed_gives_other_data(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    first = fingerprint(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "TRUNCATE tutorials, tutorial_progress, api_logs, client_events, progress_events"
                " RESTART IDENTITY CASCADE"
            )
        )
    load_demo_data(engine, DemoSpec(learners=60, days=14, seed=4, now=NOW, api_logs=20_000))
    assert fingerprint(engine)["chapters"] != first["chapters"]
    assert fingerprint(engine)["api_logs"] != first["api_logs"]


def test_stored_aggregates_equal_what_the_child_rows_say(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    mismatches = scalar(
        engine,
        """
        SELECT count(*) FROM tutorial_progress p
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE completed) AS done,
                   coalesce(sum(watch_time), 0) AS watched
            FROM chapter_progress c WHERE c.progress_id = p.id
        ) c ON true
        WHERE p.chapters_completed <> c.done
           OR abs(p.total_watch_time - c.watched) > 1e-6
           OR p.completion_percentage <> least(100, round(100.0 * c.done / p.total_chapters, 2))
           OR p.certificate_earned <> EXISTS (
                SELECT 1 FROM tutorial_certificates t WHERE t.progress_id = p.id)
           OR p.certified_at IS DISTINCT FROM (
                SELECT t.awarded_at FROM tutorial_certificates t WHERE t.progress_id = p.id)
        """,
    )
    assert mismatches == 0


def test_demo_data_has_what_the_dashboard_shows(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    assert scalar(engine, "SELECT count(*) FROM tutorial_certificates") > 0
    at_risk = scalar(
        engine,
        "SELECT count(*) FROM tutorial_progress WHERE NOT certificate_earned"
        " AND last_watched_at < TIMESTAMPTZ '2026-11-17 12:00Z'",
    )
    assert at_risk > 0
    worst_day_error_rate = scalar(
        engine,
        "SELECT max(rate) FROM (SELECT 100.0 * avg((status_code >= 400)::int) AS rate"
        " FROM api_logs GROUP BY date_trunc('day', timestamp, 'UTC')) days",
    )
    assert worst_day_error_rate > 1  # an incident day misses the < 1 % target
    assert scalar(engine, "SELECT count(*) FROM client_events WHERE outcome = 'failed'") > 0
    assert scalar(engine, "SELECT count(*) FROM client_events WHERE kind = 'fallback'") > 0
    assert scalar(engine, "SELECT min(timestamp) >= '2026-11-10 12:00Z' FROM api_logs")
    assert scalar(engine, "SELECT max(timestamp) < '2026-11-24 12:00Z' FROM api_logs")


def test_a_few_certificates_are_support_overrides(engine: Engine) -> None:
    load_demo_data(engine, DemoSpec(learners=1000, days=14, seed=3, now=NOW, api_logs=0))
    overrides = scalar(
        engine, "SELECT count(*) FROM tutorial_certificates WHERE override_reason IS NOT NULL"
    )
    assert 0 < overrides < scalar(engine, "SELECT count(*) FROM tutorial_certificates") / 10


def test_each_learner_has_a_history_that_can_be_undone(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    with engine.connect() as connection:
        user, tutorial = connection.execute(
            text("SELECT user_id, tutorial_id FROM tutorial_progress LIMIT 1")
        ).one()
    service = ProgressService(engine)
    [event] = service.history(tutorial, user)
    assert (event.source, event.actor) == ("system", "demo-data")
    assert event.after is not None
    assert event.after.to_progress() == service.get_progress(tutorial, user)
    service.restore_progress(event.id, actor="sam@support")
    assert service.get_progress(tutorial, user).chapter_progress == []


def test_imported_states_read_back_identically(engine: Engine) -> None:
    load_demo_data(engine, SMALL)
    service = ProgressService(engine)
    with engine.connect() as connection:
        pairs = connection.execute(
            text("SELECT tutorial_id, user_id FROM tutorial_progress ORDER BY id LIMIT 20")
        ).all()
    for tutorial, user in pairs:
        [event] = service.history(tutorial, user)
        assert event.after == service.get_snapshot(tutorial, user)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"learners": 0}, "Learners must be between 1"),
        ({"days": 0}, "Days must be between 1 and 365"),
        ({"days": 400}, "Days must be between 1 and 365"),
        ({"api_logs": -1}, "API log rows must be between 0"),
    ],
)
def test_bad_demo_sizes_are_refused(arguments: dict[str, int], message: str) -> None:
    values: dict[str, Any] = {"learners": 10, "days": 3, "seed": 1, "now": NOW, **arguments}
    with pytest.raises(InvalidInput, match=message):
        DemoSpec(**values)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learners", "-5"], "Learners must be between 1"),
        (["--now", "yesterday"], "is not an ISO 8601 time"),
        (["--now", "2026-11-24T12:00:00"], "needs a time zone"),
    ],
)
def test_the_command_refuses_bad_arguments_and_writes_nothing(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["demo-data", *argv]) == 2
    assert message in capsys.readouterr().err
    assert scalar(engine, "SELECT count(*) FROM tutorials") == 0


def test_the_command_loads_once_and_if_empty_leaves_data_alone(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    arguments = ["demo-data", "--learners", "20", "--days", "3", "--now", "2026-11-24T12:00Z"]
    assert main(arguments) == 0
    assert "Loaded demo data" in capsys.readouterr().out
    pairs = scalar(engine, "SELECT count(*) FROM tutorial_progress")
    assert main([*arguments, "--if-empty"]) == 0
    assert "no demo data loaded" in capsys.readouterr().out
    assert main(arguments) == 2
    assert "already has progress" in capsys.readouterr().err
    assert scalar(engine, "SELECT count(*) FROM tutorial_progress") == pairs
