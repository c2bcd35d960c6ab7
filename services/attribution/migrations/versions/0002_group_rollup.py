"""The influence report by channel, program, opp type and period pre-aggregated: per dimension
(channel, program, total), group, opp type and month of the opp's creation, an opp counted once
per group; filled from the stored rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay")
COUNTS = ("opps_sourced", "opps_influenced", "pipeline_sourced", "pipeline_influenced", "won_influenced")
ROLLUP = (*COUNTS, "revenue_sourced", *(f"{kind}_{m}" for m in MODELS for kind in ("pipeline", "revenue")))
AGGREGATES = (
    "count(*) FILTER (WHERE sourced)",
    "count(*) FILTER (WHERE influenced)",
    "coalesce(sum(amount) FILTER (WHERE sourced), 0)",
    "coalesce(sum(amount) FILTER (WHERE influenced), 0)",
    "count(*) FILTER (WHERE won AND influenced)",
    "coalesce(sum(amount) FILTER (WHERE won AND sourced), 0)",
    *(f for m in MODELS for f in (f"sum({m})", f"coalesce(sum({m}) FILTER (WHERE won), 0)")),
)
PER_OPP = (
    "SELECT r.opp_id, r.opp_type, CAST(date_trunc('month', r.opp_created_at AT TIME ZONE 'UTC') AS date)"
    " AS month, g.dimension, g.key, bool_or(r.sourced) AS sourced, bool_or(r.touches > 0) AS influenced,"
    " bool_or(r.is_won) AS won, max(r.amount_cents) AS amount,"
    f" {', '.join(f'sum(r.{m}) AS {m}' for m in MODELS)}"
    " FROM credits r LEFT JOIN campaigns c ON c.campaign_id = r.campaign_id"
    " CROSS JOIN LATERAL (VALUES ('total', ''), ('channel', coalesce(c.channel, '')),"
    " ('program', coalesce(c.program, ''))) AS g(dimension, key)"
    " WHERE g.dimension = 'total' OR c.campaign_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
)


def upgrade() -> None:
    op.create_table(
        "group_rollup",
        sa.Column("dimension", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("opp_type", sa.Text, primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in ROLLUP],
    )
    op.execute(
        f"INSERT INTO group_rollup (dimension, key, opp_type, month, {', '.join(ROLLUP)})"
        f" SELECT dimension, key, opp_type, month, {', '.join(AGGREGATES)}"
        f" FROM ({PER_OPP}) AS per_opp GROUP BY 1, 2, 3, 4"
    )


def downgrade() -> None:
    op.drop_table("group_rollup")
