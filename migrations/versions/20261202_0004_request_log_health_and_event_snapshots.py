"""request_log_health (each API request logger's counters); progress_events snapshots in one
representation: "no state" as SQL NULL, chapters and quizzes in id order

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A snapshot's list sorted by its id in code point order (the order the service writes).
_SORTED = (
    "COALESCE((SELECT jsonb_agg(item ORDER BY item ->> '{key}' COLLATE \"C\")"
    " FROM jsonb_array_elements({column} -> '{field}') AS item), '[]'::jsonb)"
)


def _sorted_snapshot(column: str) -> str:
    chapters = _SORTED.format(key="chapterId", column=column, field="chapterProgress")
    quizzes = _SORTED.format(key="quizId", column=column, field="quizScores")
    return (
        f"jsonb_set(jsonb_set({column}, '{{chapterProgress}}', {chapters}),"
        f" '{{quizScores}}', {quizzes})"
    )


def upgrade() -> None:
    op.create_table(
        "request_log_health",
        sa.Column("instance_id", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_flush_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_pending", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("rows_dropped", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_request_log_health")),
    )
    for column in ("before", "after"):
        op.execute(f"UPDATE progress_events SET {column} = NULL WHERE {column} = 'null'::jsonb")
        op.execute(
            f"UPDATE progress_events SET {column} = {_sorted_snapshot(column)}"
            f" WHERE jsonb_typeof({column}) = 'object'"
            f" AND {column} IS DISTINCT FROM {_sorted_snapshot(column)}"
        )


def downgrade() -> None:
    # The snapshots stay as converted: SQL NULL and id order read back the same in every version.
    op.drop_table("request_log_health")
