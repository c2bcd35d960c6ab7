"""Stamps as a column per stage; the current stay's start; renewal links; contact scores; SLA breaches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# services.opportunity.domain.pipelines.STAMPED_STAGES when this revision was written.
STAGES = (
    "target",
    "active",
    "engaged",
    "prioritized",
    "qualified",
    "pipeline",
    "upcoming",
    "negotiation",
    "identified",
    "proposal",
    "closed_won",
    "closed_lost",
)


def upgrade() -> None:
    for stage in STAGES:
        op.add_column("opportunities", sa.Column(f"entered_{stage}", sa.DateTime(timezone=True)))
        op.execute(
            f"UPDATE opportunities o SET entered_{stage} = s.entered_at FROM stage_stamps s"
            f" WHERE s.opp_id = o.opp_id AND s.stage = '{stage}'"
        )
    op.add_column(
        "opportunities",
        sa.Column(
            "stage_entered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.execute(
        "UPDATE opportunities o SET stage_entered_at = coalesce("
        " (SELECT max(h.at) FROM stage_history h WHERE h.opp_id = o.opp_id AND h.to_stage = o.stage),"
        " o.created_at)"
    )
    op.add_column("opportunities", sa.Column("source_opp_id", sa.Text))
    op.create_index(
        "one_opp_per_source_and_type",
        "opportunities",
        ["source_opp_id", "type"],
        unique=True,
        postgresql_where=sa.text("source_opp_id IS NOT NULL"),
    )
    op.create_index("opportunities_type_stage", "opportunities", ["type", "stage"])
    op.drop_table("stage_stamps")
    op.create_table(
        "contact_scores",
        sa.Column("contact_id", sa.Text, primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column(
        "contact_role_history", sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("opp_id", sa.Text, nullable=False, index=True),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_hours", sa.Float, nullable=False),
        sa.Column("overdue_by_seconds", sa.Float, nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("opp_id", "stage", "stage_entered_at", name="one_breach_per_stay"),
    )


def downgrade() -> None:
    op.drop_table("sla_breaches")
    op.drop_column("contact_role_history", "is_primary")
    op.drop_table("contact_scores")
    op.create_table(
        "stage_stamps",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("stage", sa.Text, primary_key=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
    )
    for stage in STAGES:
        op.execute(
            f"INSERT INTO stage_stamps SELECT opp_id, '{stage}', entered_{stage} FROM opportunities"
            f" WHERE entered_{stage} IS NOT NULL"
        )
        op.drop_column("opportunities", f"entered_{stage}")
    op.drop_index("opportunities_type_stage", "opportunities")
    op.drop_index("one_opp_per_source_and_type", "opportunities")
    for column in ("source_opp_id", "stage_entered_at"):
        op.drop_column("opportunities", column)
