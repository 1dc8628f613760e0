"""Annotations: deploys, notes, alerts and schema migrations marked on the dashboard's charts

Revision ID: 0007
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds as of this revision (progress.schema.ANNOTATION_KINDS).
KINDS = ("deploy", "note", "alert", "migration", "support", "incident")


def upgrade() -> None:
    op.create_table(
        "annotations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(repr(kind) for kind in KINDS) + ")",
            name=op.f("ck_annotations_kind_known"),
        ),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > at", name=op.f("ck_annotations_ends_after_start")
        ),
        sa.CheckConstraint(
            "length(text) BETWEEN 1 AND 500", name=op.f("ck_annotations_text_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    op.create_index("ix_annotations_at", "annotations", ["at"])


def downgrade() -> None:
    op.drop_index("ix_annotations_at", table_name="annotations")
    op.drop_table("annotations")
