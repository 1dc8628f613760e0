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

# A snapshot with its lists sorted by id in code point order (the order the service writes), and
# JSON `null` (no state) as SQL NULL. A session-local function, gone when the migration ends.
_CANONICAL_SNAPSHOT = """
CREATE FUNCTION pg_temp.canonical_snapshot(snapshot jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(snapshot) = 'object' THEN
        jsonb_set(
            jsonb_set(
                snapshot,
                '{chapterProgress}',
                COALESCE(
                    (SELECT jsonb_agg(item ORDER BY item ->> 'chapterId' COLLATE "C")
                     FROM jsonb_array_elements(snapshot -> 'chapterProgress') AS item),
                    '[]'::jsonb
                )
            ),
            '{quizScores}',
            COALESCE(
                (SELECT jsonb_agg(item ORDER BY item ->> 'quizId' COLLATE "C")
                 FROM jsonb_array_elements(snapshot -> 'quizScores') AS item),
                '[]'::jsonb
            )
        )
    END
$$
"""
_CONVERT_EVENTS = """
UPDATE progress_events
SET before = pg_temp.canonical_snapshot(before), after = pg_temp.canonical_snapshot(after)
WHERE before IS DISTINCT FROM pg_temp.canonical_snapshot(before)
   OR after IS DISTINCT FROM pg_temp.canonical_snapshot(after)
"""


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
    op.execute(_CANONICAL_SNAPSHOT)
    op.execute(_CONVERT_EVENTS)


def downgrade() -> None:
    # The snapshots stay as converted: SQL NULL and id order read back the same in every version.
    op.drop_table("request_log_health")
