"""Start and completion moments on tutorial_progress; the tutorial_cohort_days rollup

Revision ID: 0005
Revises: 0003

Three rollups, per tutorial and UTC start day: `tutorial_cohort_days` (starters, completed and
certified within 1–60 days, quiz takers and passers), `tutorial_chapter_days` (starters by chapters
completed) and `tutorial_certificate_days` (certified starters by whole days to the certificate).

Backfill: `started_at` is the row's `created_at` (when its first progress was written; a pair
restored before this revision started again at its restore). `completed_at`, for a pair whose
every chapter is complete, is the latest update of a completed chapter — the moment the last one
was completed unless it was watched again later. The rollups are then counted from those rows,
the way `progress.rules.cohort_counts` counts one pair.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As of this revision (progress.rules.WITHIN_DAYS, CERTIFICATE_DAYS).
WITHIN_DAYS = (1, 7, 14, 30, 60)
CERTIFICATE_DAYS = 60
# Each progress row as the rollups count it (progress.rules.cohort_counts): whole days, floored,
# from the start to completing every chapter and to the certificate (NULL: not yet).
PAIRS = """
pairs AS (
    SELECT p.tutorial_id,
           date_trunc('day', p.started_at, 'UTC') AS day,
           p.chapters_completed,
           CASE WHEN p.completed_at IS NOT NULL THEN
               greatest(0, floor(extract(epoch FROM p.completed_at - p.started_at) / 86400))
           END::int AS completed,
           CASE WHEN c.awarded_at IS NOT NULL THEN
               greatest(0, floor(extract(epoch FROM c.awarded_at - p.started_at) / 86400))
           END::int AS certified,
           EXISTS (SELECT FROM quiz_scores q WHERE q.progress_id = p.id) AS quiz_taker,
           NOT EXISTS (SELECT FROM quiz_scores q WHERE q.progress_id = p.id AND NOT q.passed)
               AS passed
    FROM tutorial_progress AS p
    LEFT JOIN tutorial_certificates AS c ON c.progress_id = p.id
)
"""


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
    within = [
        sa.Column(f"{kind}_{n}d", sa.BigInteger(), server_default="0", nullable=False)
        for kind in ("completed", "certified")
        for n in WITHIN_DAYS
    ]
    op.create_table(
        "tutorial_cohort_days",
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starters", sa.BigInteger(), server_default="0", nullable=False),
        *within,
        sa.Column("quiz_takers", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("quizzes_passed", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("tutorial_id", "day", name=op.f("pk_tutorial_cohort_days")),
    )
    for table, column in (
        ("tutorial_chapter_days", "chapters_completed"),
        ("tutorial_certificate_days", "days_to_certificate"),
    ):
        op.create_table(
            table,
            sa.Column("tutorial_id", sa.Text(), nullable=False),
            sa.Column("day", sa.DateTime(timezone=True), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.Column("learners", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("tutorial_id", "day", column, name=op.f(f"pk_{table}")),
        )
    within_counts = ", ".join(
        f"count(*) FILTER (WHERE {kind} < {n})"
        for kind in ("completed", "certified")
        for n in WITHIN_DAYS
    )
    within_names = ", ".join(c.name for c in within)
    op.execute(  # built from this module's constants only, no input
        f"""
        WITH {PAIRS}
        INSERT INTO tutorial_cohort_days
            (tutorial_id, day, starters, {within_names}, quiz_takers, quizzes_passed)
        SELECT tutorial_id, day, count(*), {within_counts},
               count(*) FILTER (WHERE quiz_taker), count(*) FILTER (WHERE quiz_taker AND passed)
        FROM pairs GROUP BY tutorial_id, day
        """  # noqa: S608
    )
    op.execute(  # built from this module's constants only, no input
        f"""
        WITH {PAIRS}
        INSERT INTO tutorial_chapter_days (tutorial_id, day, chapters_completed, learners)
        SELECT tutorial_id, day, chapters_completed, count(*)
        FROM pairs GROUP BY tutorial_id, day, chapters_completed
        """  # noqa: S608
    )
    op.execute(  # built from this module's constants only, no input
        f"""
        WITH {PAIRS}
        INSERT INTO tutorial_certificate_days (tutorial_id, day, days_to_certificate, learners)
        SELECT tutorial_id, day, certified, count(*)
        FROM pairs WHERE certified < {CERTIFICATE_DAYS}
        GROUP BY tutorial_id, day, certified
        """  # noqa: S608
    )


def downgrade() -> None:
    op.drop_table("tutorial_certificate_days")
    op.drop_table("tutorial_chapter_days")
    op.drop_table("tutorial_cohort_days")
    op.drop_index(
        op.f("ix_tutorial_progress_started_at_tutorial_id"), table_name="tutorial_progress"
    )
    op.drop_column("tutorial_progress", "completed_at")
    op.drop_column("tutorial_progress", "started_at")
