"""The certificate's moment on tutorial_progress, and indexes for the learners behind a figure

Revision ID: 0008
Revises: 0007

`certified_at` is the moment the certificate was issued (`tutorial_certificates.awarded_at`;
NULL without one), kept by the service beside `started_at` and `completed_at`, so the learners
who completed or had the certificate within N days of starting are read from one row, without a
join. Two partial indexes pair `started_at` with the time each moment took, holding only the
learners who reached it: "completed (certified) within N days" of a cohort is a range of the
first column and a bound on the second, read in start order, however few of the cohort did.

Backfill: each row's certificate, if any.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = ("completed", "certified")


def upgrade() -> None:
    op.add_column(
        "tutorial_progress",
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(
        """
        UPDATE tutorial_progress AS p
        SET certified_at = c.awarded_at
        FROM tutorial_certificates AS c
        WHERE c.progress_id = p.id
        """
    )
    for moment in MOMENTS:
        op.create_index(
            f"ix_tutorial_progress_started_at_{moment}",
            "tutorial_progress",
            ["started_at", sa.text(f"({moment}_at - started_at)"), "tutorial_id"],
            postgresql_where=sa.text(f"{moment}_at IS NOT NULL"),
        )


def downgrade() -> None:
    for moment in MOMENTS:
        op.drop_index(f"ix_tutorial_progress_started_at_{moment}", table_name="tutorial_progress")
    op.drop_column("tutorial_progress", "certified_at")
