"""Campaigns; copies of people, touches and opps (with amount, stage and membership history);
the stored attribution rows; the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path", "time_decay")
COUNTS = ("opps_sourced", "opps_influenced", "pipeline_sourced", "pipeline_influenced", "won_influenced")
ROLLUP = (*COUNTS, "revenue_sourced", *(f"{kind}_{m}" for m in MODELS for kind in ("pipeline", "revenue")))


def _utc(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False, unique=True),
        *[sa.Column(name, sa.Text) for name in ("channel", "program")],
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("cost", sa.Float),
        sa.Column("external_id", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _utc("created_at"),
        _utc("updated_at"),
    )
    op.execute(
        "CREATE UNIQUE INDEX campaigns_external_id ON campaigns (coalesce(source, ''), external_id)"
        " WHERE external_id IS NOT NULL"
    )
    op.create_index("campaigns_by_external_id", "campaigns", ["external_id"])
    op.create_table(
        "people",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, index=True),
        sa.Column("account_id", sa.Text, index=True),
        _utc("lead_created_at", nullable=True),
        sa.Column("original_campaign_id", sa.Text),
        sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "touches",
        sa.Column("touch_id", sa.Text, primary_key=True),
        sa.Column("lead_id", sa.Text, nullable=False),
        sa.Column("campaign_id", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        _utc("occurred_at"),
    )
    op.create_index("touches_by_lead", "touches", ["lead_id", "occurred_at"])
    op.create_table(
        "opps",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("type", sa.Text, nullable=False),
        _utc("created_at", nullable=True),
    )
    for table, column in (
        ("opp_amounts", sa.Column("amount_cents", sa.BigInteger)),
        ("opp_stages", sa.Column("stage", sa.Text, nullable=False)),
    ):
        op.create_table(
            table,
            sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
            sa.Column("opp_id", sa.Text, nullable=False),
            _utc("at"),
            column,
        )
        op.create_index(f"{table}_by_opp", table, ["opp_id", "at"])
    op.create_table(
        "memberships",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("opp_id", sa.Text, nullable=False, index=True),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("role", sa.Text),
        _utc("valid_from"),
        _utc("valid_to", nullable=True),
    )
    op.create_index(
        "memberships_current", "memberships", ["contact_id"], postgresql_where=sa.text("valid_to IS NULL")
    )
    op.create_table(
        "credits",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("campaign_id", sa.Text, primary_key=True),
        sa.Column("opp_type", sa.Text, nullable=False),
        _utc("opp_created_at"),
        sa.Column("is_won", sa.Boolean, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("touches", sa.Integer, nullable=False),
        sa.Column("sourced", sa.Boolean, nullable=False),
        *[sa.Column(model, sa.BigInteger, nullable=False) for model in MODELS],
    )
    op.create_index("credits_by_campaign", "credits", ["campaign_id"])
    op.create_table(
        "credit_rollup",
        sa.Column("campaign_id", sa.Text, primary_key=True),
        sa.Column("opp_type", sa.Text, primary_key=True),
        sa.Column("month", sa.Date, primary_key=True),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in ROLLUP],
    )


def downgrade() -> None:
    tables = (
        "credit_rollup",
        "credits",
        "memberships",
        "opp_stages",
        "opp_amounts",
        "opps",
        "touches",
        "people",
        "campaigns",
    )
    for table in (*tables, "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
