"""progress store schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:04:36.161666
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_logs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response_time_ms", sa.Double(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "response_time_ms >= 0", name=op.f("ck_api_logs_response_time_non_negative")
        ),
        sa.CheckConstraint(
            "status_code BETWEEN 100 AND 599", name=op.f("ck_api_logs_status_code_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_logs")),
    )
    op.create_index(
        "ix_api_logs_timestamp",
        "api_logs",
        ["timestamp"],
        unique=False,
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )
    op.create_table(
        "client_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("tutorial_id", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'migration' AND outcome IN ('attempted', 'succeeded', 'failed'))"
            " OR (kind = 'fallback' AND outcome IS NULL AND operation IS NOT NULL)",
            name=op.f("ck_client_events_outcome_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('migration', 'fallback')", name=op.f("ck_client_events_kind_known")
        ),
        sa.CheckConstraint(
            "record_count IS NULL OR record_count >= 0",
            name=op.f("ck_client_events_record_count_non_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_events")),
    )
    op.create_index("ix_client_events_occurred_at", "client_events", ["occurred_at"], unique=False)
    op.create_table(
        "progress_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("restored_event_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('chapter', 'quiz', 'complete', 'reset', 'restore', 'migration')",
            name=op.f("ck_progress_events_kind_known"),
        ),
        sa.CheckConstraint(
            "source IN ('api', 'console', 'migration', 'system')",
            name=op.f("ck_progress_events_source_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_events")),
    )
    op.create_index(
        "ix_progress_events_occurred_at",
        "progress_events",
        ["occurred_at"],
        unique=False,
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )
    op.create_index(
        "ix_progress_events_tutorial_id_user_id_id",
        "progress_events",
        ["tutorial_id", "user_id", sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_table(
        "tutorial_progress",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column(
            "completion_percentage",
            sa.Numeric(precision=5, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("chapters_completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_chapters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("declared_total_chapters", sa.Integer(), nullable=True),
        sa.Column("total_watch_time", sa.Double(), server_default="0", nullable=False),
        sa.Column("certificate_eligible", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("certificate_earned", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("last_watched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "chapters_completed >= 0",
            name=op.f("ck_tutorial_progress_chapters_completed_non_negative"),
        ),
        sa.CheckConstraint(
            "completion_percentage BETWEEN 0 AND 100",
            name=op.f("ck_tutorial_progress_completion_percentage_range"),
        ),
        sa.CheckConstraint(
            "declared_total_chapters IS NULL OR declared_total_chapters > 0",
            name=op.f("ck_tutorial_progress_declared_total_chapters_positive"),
        ),
        sa.CheckConstraint(
            "total_chapters >= 0", name=op.f("ck_tutorial_progress_total_chapters_non_negative")
        ),
        sa.CheckConstraint(
            "total_watch_time >= 0", name=op.f("ck_tutorial_progress_total_watch_time_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutorial_progress")),
        sa.UniqueConstraint(
            "tutorial_id", "user_id", name=op.f("uq_tutorial_progress_tutorial_id_user_id")
        ),
    )
    op.create_index(
        "ix_tutorial_progress_user_id_pattern",
        "tutorial_progress",
        ["user_id"],
        unique=False,
        postgresql_ops={"user_id": "text_pattern_ops"},
    )
    op.create_table(
        "tutorials",
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("total_chapters", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("total_chapters > 0", name=op.f("ck_tutorials_total_chapters_positive")),
        sa.PrimaryKeyConstraint("tutorial_id", name=op.f("pk_tutorials")),
    )
    op.create_table(
        "chapter_progress",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("progress_id", sa.BigInteger(), nullable=False),
        sa.Column("chapter_id", sa.Text(), nullable=False),
        sa.Column("watch_time", sa.Double(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("last_position", sa.Double(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "last_position >= 0", name=op.f("ck_chapter_progress_last_position_non_negative")
        ),
        sa.CheckConstraint(
            "watch_time >= 0", name=op.f("ck_chapter_progress_watch_time_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["tutorial_progress.id"],
            name=op.f("fk_chapter_progress_progress_id_tutorial_progress"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chapter_progress")),
        sa.UniqueConstraint(
            "progress_id", "chapter_id", name=op.f("uq_chapter_progress_progress_id_chapter_id")
        ),
    )
    op.create_table(
        "quiz_scores",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("progress_id", sa.BigInteger(), nullable=False),
        sa.Column("quiz_id", sa.Text(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("max_score", sa.Double(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("attempts >= 1", name=op.f("ck_quiz_scores_attempts_positive")),
        sa.CheckConstraint("max_score > 0", name=op.f("ck_quiz_scores_max_score_positive")),
        sa.CheckConstraint(
            "score >= 0 AND score <= max_score", name=op.f("ck_quiz_scores_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["tutorial_progress.id"],
            name=op.f("fk_quiz_scores_progress_id_tutorial_progress"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_scores")),
        sa.UniqueConstraint(
            "progress_id", "quiz_id", name=op.f("uq_quiz_scores_progress_id_quiz_id")
        ),
    )
    op.create_table(
        "tutorial_certificates",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("progress_id", sa.BigInteger(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("awarded_by", sa.Text(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["tutorial_progress.id"],
            name=op.f("fk_tutorial_certificates_progress_id_tutorial_progress"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutorial_certificates")),
        sa.UniqueConstraint("progress_id", name=op.f("uq_tutorial_certificates_progress_id")),
    )
    op.create_index(
        "ix_tutorial_certificates_awarded_at", "tutorial_certificates", ["awarded_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tutorial_certificates_awarded_at", table_name="tutorial_certificates")
    op.drop_table("tutorial_certificates")
    op.drop_table("quiz_scores")
    op.drop_table("chapter_progress")
    op.drop_table("tutorials")
    op.drop_index(
        "ix_tutorial_progress_user_id_pattern",
        table_name="tutorial_progress",
        postgresql_ops={"user_id": "text_pattern_ops"},
    )
    op.drop_table("tutorial_progress")
    op.drop_index("ix_progress_events_tutorial_id_user_id_id", table_name="progress_events")
    op.drop_index(
        "ix_progress_events_occurred_at", table_name="progress_events", postgresql_using="brin"
    )
    op.drop_table("progress_events")
    op.drop_index("ix_client_events_occurred_at", table_name="client_events")
    op.drop_table("client_events")
    op.drop_index("ix_api_logs_timestamp", table_name="api_logs", postgresql_using="brin")
    op.drop_table("api_logs")
