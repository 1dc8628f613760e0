"""Start and completion moments on tutorial_progress; the tutorial_cohort_days rollup

Revision ID: 0005
Revises: 0003

Backfill: `started_at` is the row's `created_at` (when its first progress was written; a pair
restored before this revision started again at its restore). `completed_at`, for a pair whose
every chapter is complete, is the latest update of a completed chapter — the moment the last one
was completed unless it was watched again later. The rollup is then counted from those rows, the
way `progress.rules.cohort_key` counts one pair.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tutorial_progress",
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "tutorial_progress",
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(
        """
        UPDATE tutorial_progress AS p
        SET started_at = p.created_at,
            completed_at = CASE
                WHEN p.total_chapters > 0 AND p.chapters_completed >= p.total_chapters THEN
                    coalesce(
                        (SELECT max(c.updated_at) FROM chapter_progress AS c
                         WHERE c.progress_id = p.id AND c.completed),
                        p.updated_at
                    )
            END
        """
    )
    op.alter_column(
        "tutorial_progress", "started_at", nullable=False, server_default=sa.text("now()")
    )
    op.create_index(
        op.f("ix_tutorial_progress_started_at_tutorial_id"),
        "tutorial_progress",
        ["started_at", "tutorial_id"],
    )
    op.create_table(
        "tutorial_cohort_days",
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chapters_completed", sa.Integer(), nullable=False),
        sa.Column("days_to_complete", sa.Integer(), nullable=True),
        sa.Column("days_to_certificate", sa.Integer(), nullable=True),
        sa.Column("quizzes", sa.SmallInteger(), nullable=False),
        sa.Column("learners", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "quizzes IN (0, 1, 2)", name=op.f("ck_tutorial_cohort_days_quizzes_known")
        ),
        sa.UniqueConstraint(
            "tutorial_id",
            "day",
            "chapters_completed",
            "days_to_complete",
            "days_to_certificate",
            "quizzes",
            name="uq_tutorial_cohort_days_key",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.execute(
        """
        INSERT INTO tutorial_cohort_days (tutorial_id, day, chapters_completed, days_to_complete,
                                          days_to_certificate, quizzes, learners)
        SELECT p.tutorial_id,
               date_trunc('day', p.started_at, 'UTC'),
               p.chapters_completed,
               CASE WHEN p.completed_at IS NOT NULL THEN
                   greatest(0, floor(extract(epoch FROM p.completed_at - p.started_at) / 86400))
               END::int,
               CASE WHEN c.awarded_at IS NOT NULL THEN
                   greatest(0, floor(extract(epoch FROM c.awarded_at - p.started_at) / 86400))
               END::int,
               CASE
                   WHEN NOT EXISTS (SELECT FROM quiz_scores q WHERE q.progress_id = p.id) THEN 0
                   WHEN EXISTS (SELECT FROM quiz_scores q
                                WHERE q.progress_id = p.id AND NOT q.passed) THEN 1
                   ELSE 2
               END,
               count(*)
        FROM tutorial_progress AS p
        LEFT JOIN tutorial_certificates AS c ON c.progress_id = p.id
        GROUP BY 1, 2, 3, 4, 5, 6
        """
    )


def downgrade() -> None:
    op.drop_table("tutorial_cohort_days")
    op.drop_index(
        op.f("ix_tutorial_progress_started_at_tutorial_id"), table_name="tutorial_progress"
    )
    op.drop_column("tutorial_progress", "completed_at")
    op.drop_column("tutorial_progress", "started_at")
