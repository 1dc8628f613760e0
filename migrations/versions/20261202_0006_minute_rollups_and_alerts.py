"""Per-minute rollups of api_logs and client_events (for burn-rate alerts' short windows), and
the alerts table (alert state and history)

Revision ID: 0006
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# progress.schema.FAST_THRESHOLDS_MS as of this revision, with the lower edge of the latency
# histogram's bin holding each (queries.histogram: 0.01 ms × 1.02^bin).
FAST_THRESHOLDS_MS = (100, 200, 300, 500, 1000, 2000)


def _fast_edge(ms: int) -> float:
    import math

    return float(0.01 * 1.02 ** math.floor(math.log(ms / 0.01) / math.log(1.02)))


def upgrade() -> None:
    op.create_table(
        "api_log_minutes",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors_4xx", sa.BigInteger(), nullable=False),
        sa.Column("errors_5xx", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum_ms", sa.Double(), nullable=False),
        *[
            sa.Column(f"faster_than_{ms}ms", sa.BigInteger(), nullable=False)
            for ms in FAST_THRESHOLDS_MS
        ],
        sa.PrimaryKeyConstraint("minute", "method", "endpoint", name=op.f("pk_api_log_minutes")),
    )
    op.create_table(
        "client_event_minutes",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(
            "minute",
            "kind",
            "outcome",
            name=op.f("uq_client_event_minutes_minute_kind_outcome"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("alert_key", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("tier", sa.Text(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("burn_rate", sa.Double(), nullable=True),
        sa.Column("peak_burn_rate", sa.Double(), nullable=True),
        sa.Column("peak_severity", sa.Text(), nullable=False),
        sa.CheckConstraint("severity IN ('page', 'ticket')", name=op.f("ck_alerts_severity_known")),
        sa.CheckConstraint(
            "peak_severity IN ('page', 'ticket')", name=op.f("ck_alerts_peak_severity_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        "ix_alerts_alert_key_open",
        "alerts",
        ["alert_key"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(op.f("ix_alerts_fired_at"), "alerts", ["fired_at"])

    # Rows already folded into the hourly rollups get their minutes now; newer rows fold at the
    # next refresh (the watermarks are shared).
    fast = ", ".join(
        f"count(*) FILTER (WHERE response_time_ms < {_fast_edge(ms)!r})"
        for ms in FAST_THRESHOLDS_MS
    )
    columns = ", ".join(f"faster_than_{ms}ms" for ms in FAST_THRESHOLDS_MS)
    op.execute(
        "INSERT INTO api_log_minutes "  # noqa: S608 - only the constants above are written in
        f"(minute, method, endpoint, requests, errors_4xx, errors_5xx, latency_sum_ms, {columns}) "
        "SELECT date_trunc('minute', timestamp, 'UTC'), method, endpoint, count(*), "
        "count(*) FILTER (WHERE status_code BETWEEN 400 AND 499), "
        f"count(*) FILTER (WHERE status_code >= 500), sum(response_time_ms), {fast} "
        "FROM api_logs WHERE id <= coalesce("
        "(SELECT last_id FROM rollup_watermarks WHERE name = 'api_logs'), 0) "
        "GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO client_event_minutes (minute, kind, outcome, events) "
        "SELECT date_trunc('minute', occurred_at, 'UTC'), kind, outcome, count(*) "
        "FROM client_events WHERE id <= coalesce("
        "(SELECT last_id FROM rollup_watermarks WHERE name = 'client_events'), 0) "
        "GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_fired_at", table_name="alerts")
    op.drop_index("ix_alerts_alert_key_open", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("client_event_minutes")
    op.drop_table("api_log_minutes")
