"""Report reads: each opp's ended time per stage kept as it moves (`stage_times`), the history
read in each opp's order, the board's open cards of a stage in their order, and open opps by the
time they entered their stage (aging's oldest).

`stage_times` holds, per opp and stage, how many stays in it have ended and their seconds (a stay
runs from a move into the stage to the opp's next move), with the opp's type and creation time
(neither changes) to pick a cohort without a join: velocity's time in stage without a pass over
every opp's history. Filled here from the history so far.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO stage_times (opp_id, stage, type, created_at, exits, seconds)
SELECT opp_id, stays.stage, o.type, o.created_at, count(*), sum(extract(epoch FROM exited_at - entered_at))
FROM (SELECT opp_id, to_stage AS stage, at AS entered_at,
             lead(at) OVER (PARTITION BY opp_id ORDER BY id) AS exited_at
      FROM stage_history) stays
JOIN opportunities o USING (opp_id)
WHERE exited_at IS NOT NULL
GROUP BY opp_id, stays.stage, o.type, o.created_at
"""


def upgrade() -> None:
    op.create_table(
        "stage_times",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("stage", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exits", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Numeric, nullable=False),
        # What the report orders by, as a sum over the history divided by a day would give it.
        sa.Column(
            "days", sa.Float, sa.Computed("CAST(seconds / 86400.0 AS float8)", persisted=True), nullable=False
        ),
    )
    op.execute(BACKFILL)
    op.create_index("stage_history_opp_order", "stage_history", ["opp_id", "id"])
    op.drop_index("ix_stage_history_opp_id", "stage_history")
    op.create_index(
        "opportunities_open_cards",
        "opportunities",
        ["type", "stage", "created_at", "opp_id"],
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "opportunities_open_since",
        "opportunities",
        ["type", "stage_entered_at", "opp_id"],
        postgresql_where=sa.text("closed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("opportunities_open_since", "opportunities")
    op.drop_index("opportunities_open_cards", "opportunities")
    op.create_index("ix_stage_history_opp_id", "stage_history", ["opp_id"])
    op.drop_index("stage_history_opp_order", "stage_history")
    op.drop_table("stage_times")
