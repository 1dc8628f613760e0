"""Rollups of client_events (per hour) and of learner activity (per UTC day); latency histograms
of all progress endpoints together

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The progress endpoints as of this revision (progress.routes.PROGRESS_ENDPOINTS).
PROGRESS_ENDPOINTS = (
    ("GET", "/v1/tutorials/progress/{tutorial_id}"),
    ("DELETE", "/v1/tutorials/progress/{tutorial_id}"),
    ("POST", "/v1/tutorials/progress/{tutorial_id}/chapter"),
    ("POST", "/v1/tutorials/progress/{tutorial_id}/quiz"),
    ("POST", "/v1/tutorials/progress/{tutorial_id}/complete"),
    ("POST", "/v1/tutorials/progress/{tutorial_id}/migrate"),
    ("POST", "/v1/tutorials/progress/events"),
)


def upgrade() -> None:
    op.create_table(
        "client_event_hours",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(
            "hour",
            "kind",
            "outcome",
            "operation",
            "reason",
            name=op.f("uq_client_event_hours_hour_kind_outcome_operation_reason"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "learner_days",
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", "user_id", name=op.f("pk_learner_days")),
    )
    op.create_table(
        "learner_tutorial_days",
        sa.Column("tutorial_id", sa.Text(), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tutorial_id", "day", "user_id", name=op.f("pk_learner_tutorial_days")
        ),
    )

    # Histograms already folded per endpoint get their all-progress-endpoints sum ('*', '*');
    # client events and learner activity fold from their first rows at the next refresh.
    bins = sa.table(
        "api_log_latency_bins",
        sa.column("span_hours", sa.SmallInteger()),
        sa.column("period", sa.DateTime(timezone=True)),
        sa.column("method", sa.Text()),
        sa.column("endpoint", sa.Text()),
        sa.column("bin", sa.SmallInteger()),
        sa.column("requests", sa.BigInteger()),
    )
    op.execute(
        bins.insert().from_select(
            ["span_hours", "period", "method", "endpoint", "bin", "requests"],
            sa.select(
                bins.c.span_hours,
                bins.c.period,
                sa.literal("*"),
                sa.literal("*"),
                bins.c.bin,
                sa.func.sum(bins.c.requests),
            )
            .where(sa.tuple_(bins.c.method, bins.c.endpoint).in_(list(PROGRESS_ENDPOINTS)))
            .group_by(bins.c.span_hours, bins.c.period, bins.c.bin),
        )
    )


def downgrade() -> None:
    op.execute("DELETE FROM api_log_latency_bins WHERE method = '*' AND endpoint = '*'")
    op.drop_table("learner_tutorial_days")
    op.drop_table("learner_days")
    op.drop_table("client_event_hours")
