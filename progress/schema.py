"""SQLAlchemy Core tables, named as the brief names them.

`tutorial_progress`, `api_logs` and their columns keep the brief's names so its monitoring SQL runs
on this schema verbatim. The tables are changed only through Alembic migrations (`migrations/`);
this module is what the code and the migrations agree on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SOURCES = ("api", "console", "migration", "system")
EVENT_KINDS = ("chapter", "quiz", "complete", "reset", "restore", "migration")
CLIENT_EVENT_KINDS = ("migration", "fallback")
MIGRATION_OUTCOMES = ("attempted", "succeeded", "failed")
ANNOTATION_KINDS = ("deploy", "note", "alert", "migration", "support", "incident")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


tutorials = Table(
    "tutorials",
    metadata,
    Column("tutorial_id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("total_chapters", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("total_chapters > 0", name="total_chapters_positive"),
)

tutorial_progress = Table(
    "tutorial_progress",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("tutorial_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("completion_percentage", Numeric(5, 2), nullable=False, server_default="0"),
    Column("chapters_completed", Integer, nullable=False, server_default="0"),
    Column("total_chapters", Integer, nullable=False, server_default="0"),
    Column("declared_total_chapters", Integer),
    Column("total_watch_time", Double, nullable=False, server_default="0"),
    Column("certificate_eligible", Boolean, nullable=False, server_default="false"),
    Column("certificate_earned", Boolean, nullable=False, server_default="false"),
    Column("last_watched_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The pair's first progress (a restore keeps it) and the moment every chapter was complete
    # (NULL while not): the moments completion trends count from (progress.rules.stamp_moments).
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    # When the certificate was issued (NULL without one): tutorial_certificates.awarded_at, kept
    # on the row so "certified within N days" reads one row (ProgressState.certified_at).
    Column("certified_at", DateTime(timezone=True)),
    UniqueConstraint("tutorial_id", "user_id"),
    CheckConstraint("completion_percentage BETWEEN 0 AND 100", name="completion_percentage_range"),
    CheckConstraint("chapters_completed >= 0", name="chapters_completed_non_negative"),
    CheckConstraint("total_chapters >= 0", name="total_chapters_non_negative"),
    CheckConstraint(
        "declared_total_chapters IS NULL OR declared_total_chapters > 0",
        name="declared_total_chapters_positive",
    ),
    CheckConstraint("total_watch_time >= 0", name="total_watch_time_non_negative"),
    # Console prefix search on user ids; text_pattern_ops serves LIKE 'abc%' in any collation.
    Index(
        "ix_tutorial_progress_user_id_pattern",
        "user_id",
        postgresql_ops={"user_id": "text_pattern_ops"},
    ),
    # The learners behind a cohort cell: who started when (in one tutorial or all).
    Index("ix_tutorial_progress_started_at_tutorial_id", "started_at", "tutorial_id"),
    # …and who of them completed / had the certificate within N days: only the learners who did,
    # by start and the time it took, so a cohort where few did is not read row by row.
    *(
        Index(
            f"ix_tutorial_progress_started_at_{moment}",
            "started_at",
            text(f"({moment}_at - started_at)"),
            "tutorial_id",
            postgresql_where=text(f"{moment}_at IS NOT NULL"),
        )
        for moment in ("completed", "certified")
    ),
)

chapter_progress = Table(
    "chapter_progress",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "progress_id",
        BigInteger,
        ForeignKey("tutorial_progress.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("chapter_id", Text, nullable=False),
    Column("watch_time", Double, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("last_position", Double, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("progress_id", "chapter_id"),
    CheckConstraint("watch_time >= 0", name="watch_time_non_negative"),
    CheckConstraint("last_position >= 0", name="last_position_non_negative"),
)

quiz_scores = Table(
    "quiz_scores",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "progress_id",
        BigInteger,
        ForeignKey("tutorial_progress.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("quiz_id", Text, nullable=False),
    Column("score", Double, nullable=False),
    Column("max_score", Double, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("progress_id", "quiz_id"),
    CheckConstraint("max_score > 0", name="max_score_positive"),
    CheckConstraint("score >= 0 AND score <= max_score", name="score_range"),
    CheckConstraint("attempts >= 1", name="attempts_positive"),
)

tutorial_certificates = Table(
    "tutorial_certificates",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "progress_id",
        BigInteger,
        ForeignKey("tutorial_progress.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("awarded_at", DateTime(timezone=True), nullable=False),
    Column("awarded_by", Text, nullable=False),
    Column("override_reason", Text),
    Index("ix_tutorial_certificates_awarded_at", "awarded_at"),
)

progress_events = Table(
    "progress_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("tutorial_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text),
    # "No state" (before a pair's first event, after a reset) is SQL NULL, never JSON `null`.
    Column("before", JSONB(none_as_null=True)),
    Column("after", JSONB(none_as_null=True)),
    Column("restored_event_id", BigInteger),
    CheckConstraint(_one_of("kind", EVENT_KINDS), name="kind_known"),
    CheckConstraint(_one_of("source", SOURCES), name="source_known"),
    Index("ix_progress_events_tutorial_id_user_id_id", "tutorial_id", "user_id", text("id DESC")),
    Index(
        "ix_progress_events_occurred_at",
        "occurred_at",
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    ),
)

api_logs = Table(
    "api_logs",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("timestamp", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("method", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response_time_ms", Double, nullable=False),
    Column("user_id", Text),
    CheckConstraint("status_code BETWEEN 100 AND 599", name="status_code_range"),
    CheckConstraint("response_time_ms >= 0", name="response_time_non_negative"),
    # Append-only and written in time order: a BRIN index is tiny and serves time windows. Pages
    # added after it was built are unsummarized — matched by every scan — until summarized:
    # autosummarize does it in the background, bulk loads and rollup refreshes do it at once.
    Index(
        "ix_api_logs_timestamp",
        "timestamp",
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    ),
)

# One row per API request logger (one per API worker process), upserted by the logger itself
# (`progress.request_log`), so a dashboard or `progress-ops check` in another process can see
# whether request rows are being dropped or the logger has stopped writing.
request_log_health = Table(
    "request_log_health",
    metadata,
    Column("instance_id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("last_flush_at", DateTime(timezone=True)),
    Column("stopped_at", DateTime(timezone=True)),
    Column("rows_pending", Integer, nullable=False),
    Column("rows_written", BigInteger, nullable=False),
    Column("rows_dropped", BigInteger, nullable=False),
    Column("last_error", Text),
    Column("last_error_at", DateTime(timezone=True)),
)

client_events = Table(
    "client_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", Text, nullable=False),
    Column("outcome", Text),
    Column("operation", Text),
    Column("reason", Text),
    Column("record_count", Integer),
    Column("user_id", Text),
    Column("tutorial_id", Text),
    CheckConstraint(_one_of("kind", CLIENT_EVENT_KINDS), name="kind_known"),
    CheckConstraint(
        "(kind = 'migration' AND " + _one_of("outcome", MIGRATION_OUTCOMES) + ")"
        " OR (kind = 'fallback' AND outcome IS NULL AND operation IS NOT NULL)",
        name="outcome_matches_kind",
    ),
    CheckConstraint("record_count IS NULL OR record_count >= 0", name="record_count_non_negative"),
    Index("ix_client_events_occurred_at", "occurred_at"),
)

# -- read-side rollups of api_logs (kept current by queries.rollups.refresh) ---------------------


def _request_counts(period: str) -> list[Column[Any]]:
    """The key and counts of a rollup of api_logs per `period` ("hour", "minute") and endpoint."""
    return [
        Column(period, DateTime(timezone=True), primary_key=True),
        Column("method", Text, primary_key=True),
        Column("endpoint", Text, primary_key=True),
        Column("requests", BigInteger, nullable=False),
        Column("errors_4xx", BigInteger, nullable=False),
        Column("errors_5xx", BigInteger, nullable=False),
        Column("latency_sum_ms", Double, nullable=False),
    ]


api_log_hours = Table(
    "api_log_hours",
    metadata,
    *_request_counts("hour"),
)

# Latency histograms at three resolutions (periods of 1, 6 and 24 hours, aligned to UTC
# midnight), so a 30-day percentile reads days, not 720 hours of bins.
api_log_latency_bins = Table(
    "api_log_latency_bins",
    metadata,
    Column("span_hours", SmallInteger, primary_key=True),
    Column("period", DateTime(timezone=True), primary_key=True),
    Column("method", Text, primary_key=True),
    Column("endpoint", Text, primary_key=True),
    Column("bin", SmallInteger, primary_key=True),
    Column("requests", BigInteger, nullable=False),
    CheckConstraint("span_hours IN (1, 6, 24)", name="span_hours_known"),
)

rollup_watermarks = Table(
    "rollup_watermarks",
    metadata,
    Column("name", Text, primary_key=True),
    Column("last_id", BigInteger, nullable=False),
)

# Client telemetry per hour (kept current by queries.rollups.refresh), so a 30-day rate reads
# hours, not every event. Outcome, operation and reason may be NULL: they are compared as values.
client_event_hours = Table(
    "client_event_hours",
    metadata,
    Column("hour", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("outcome", Text),
    Column("operation", Text),
    Column("reason", Text),
    Column("events", BigInteger, nullable=False),
    Column("records", BigInteger, nullable=False),
    UniqueConstraint(
        "hour", "kind", "outcome", "operation", "reason", postgresql_nulls_not_distinct=True
    ),
)

# Who was active on which UTC day (midnight UTC), in total and per tutorial: a history the
# in-place `chapter_progress` rows cannot keep (each holds only its latest update). Kept current
# by queries.rollups.refresh from `progress_events`.
learner_days = Table(
    "learner_days",
    metadata,
    Column("day", DateTime(timezone=True), primary_key=True),
    Column("user_id", Text, primary_key=True),
)

learner_tutorial_days = Table(
    "learner_tutorial_days",
    metadata,
    Column("tutorial_id", Text, primary_key=True),
    Column("day", DateTime(timezone=True), primary_key=True),
    Column("user_id", Text, primary_key=True),
)

# Marks on the dashboard's time charts: deploys, notes, alerts, schema migrations… A point in
# time (`ends_at` NULL) or a range [at, ends_at). Written only through `progress.annotations`.
annotations_table = Table(
    "annotations",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True)),
    Column("kind", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("kind", ANNOTATION_KINDS), name="kind_known"),
    CheckConstraint("ends_at IS NULL OR ends_at > at", name="ends_after_start"),
    CheckConstraint("length(text) BETWEEN 1 AND 500", name="text_length"),
    Index("ix_annotations_at", "at"),
)

# -- per-minute rollups, for the short windows of burn-rate alerts (queries.slo) -----------------

# The latencies "faster than" is counted at per minute: the latency SLO's threshold must be one of
# them (queries.slo). Counted at histogram resolution: faster than the lower edge of the
# `queries.histogram` bin holding the threshold, so minutes and hourly histograms agree.
FAST_THRESHOLDS_MS = (100, 200, 300, 500, 1000, 2000)

api_log_minutes = Table(
    "api_log_minutes",
    metadata,
    *_request_counts("minute"),
    *[Column(f"faster_than_{ms}ms", BigInteger, nullable=False) for ms in FAST_THRESHOLDS_MS],
)

client_event_minutes = Table(
    "client_event_minutes",
    metadata,
    Column("minute", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("outcome", Text),
    Column("events", BigInteger, nullable=False),
    UniqueConstraint("minute", "kind", "outcome", postgresql_nulls_not_distinct=True),
)

# -- alert state and history (alerting.store): one row per alert from firing to resolution ------

ALERT_SEVERITIES = ("page", "ticket")

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("alert_key", Text, nullable=False),  # an SLO's key, or "no_data:<source>"
    Column("severity", Text, nullable=False),
    Column("tier", Text, nullable=False),  # e.g. "1h/5m > 14.4×", or "no data for 15 min"
    Column("fired_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("burn_rate", Double),  # at the last evaluation while firing
    Column("peak_burn_rate", Double),
    Column("peak_severity", Text, nullable=False),
    CheckConstraint(_one_of("severity", ALERT_SEVERITIES), name="severity_known"),
    CheckConstraint(_one_of("peak_severity", ALERT_SEVERITIES), name="peak_severity_known"),
    # At most one open (firing) alert per key: a second evaluator cannot open another.
    Index(
        "ix_alerts_alert_key_open",
        "alert_key",
        unique=True,
        postgresql_where=text("resolved_at IS NULL"),
    ),
    Index("ix_alerts_fired_at", "fired_at"),
)

# Completion trends, per tutorial and UTC day of the learners' start (`started_at`), so their
# queries never read progress rows: kept current in the write path (a change moves the pair's
# counts in the same transaction: progress.rules.cohort_moves, progress.store.count_cohorts), by
# bulk loads and, for rows already there, by migration 0005. Counts that fall to 0 stay as rows.
WITHIN_DAYS = (1, 7, 14, 30, 60)  # the "within N days" counted (the page's choices of N)
CERTIFICATE_DAYS = 60  # whole days to the certificate kept one by one (for medians), 0–59
WITHIN_COLUMNS = [
    Column(f"{kind}_{n}d", BigInteger, nullable=False, server_default="0")
    for kind in ("completed", "certified")
    for n in WITHIN_DAYS
]

# One row per tutorial and start day: starters; completed every chapter / had the certificate
# within 1, 7, 14, 30 and 60 whole days; with a quiz score, with every quiz passed.
tutorial_cohort_days = Table(
    "tutorial_cohort_days",
    metadata,
    Column("tutorial_id", Text, primary_key=True),
    Column("day", DateTime(timezone=True), primary_key=True),
    Column("starters", BigInteger, nullable=False, server_default="0"),
    *WITHIN_COLUMNS,
    Column("quiz_takers", BigInteger, nullable=False, server_default="0"),
    Column("quizzes_passed", BigInteger, nullable=False, server_default="0"),
)

# The starters by how many chapters they have completed (where learners stop).
tutorial_chapter_days = Table(
    "tutorial_chapter_days",
    metadata,
    Column("tutorial_id", Text, primary_key=True),
    Column("day", DateTime(timezone=True), primary_key=True),
    Column("chapters_completed", Integer, primary_key=True),
    Column("learners", BigInteger, nullable=False),
)

# The certified starters by whole days from start to certificate, under 60 (for medians).
tutorial_certificate_days = Table(
    "tutorial_certificate_days",
    metadata,
    Column("tutorial_id", Text, primary_key=True),
    Column("day", DateTime(timezone=True), primary_key=True),
    Column("days_to_certificate", Integer, primary_key=True),
    Column("learners", BigInteger, nullable=False),
)
