"""Hourly rollups of api_logs with latency histograms, and their watermark

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_log_hours",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors_4xx", sa.BigInteger(), nullable=False),
        sa.Column("errors_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum_ms", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "method", "endpoint", name=op.f("pk_api_log_hours")),
    )
    op.create_table(
        "api_log_latency_bins",
        sa.Column("span_hours", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "span_hours IN (1, 6, 24)", name=op.f("ck_api_log_latency_bins_span_hours_known")
        ),
        sa.PrimaryKeyConstraint(
            "span_hours",
            "period",
            "method",
            "endpoint",
            "bin",
            name=op.f("pk_api_log_latency_bins"),
        ),
    )
    op.create_table(
        "rollup_watermarks",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("rollup_watermarks")
    op.drop_table("api_log_latency_bins")
    op.drop_table("api_log_hours")
