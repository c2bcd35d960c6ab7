"""Handshakes: the stage owner of every opp, handoffs (stage and lead routes) with their accept-by
time, escalation and closing, copies of the matcher's reps and pools, and the account's territory.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _copy(name: str, key: str) -> None:
    op.create_table(
        name,
        sa.Column(key, sa.Text, primary_key=True),
        sa.Column("team", sa.Text, nullable=False, index=True),
        sa.Column("fields", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )


def upgrade() -> None:
    op.add_column("opportunities", sa.Column("stage_owner", sa.Text))
    op.create_index("opportunities_stage_owner", "opportunities", ["stage_owner"])
    op.add_column("accounts", sa.Column("country", sa.Text))
    op.add_column("accounts", sa.Column("employees", sa.Integer))
    _copy("reps", "rep_id")
    _copy("pools", "pool_id")
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("opp_id", sa.Text, index=True),
        sa.Column("contact_id", sa.Text, index=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("pool_id", sa.Text),
        sa.Column("turn", sa.Integer),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        _at("assigned_at", nullable=False),
        _at("due_at"),
        _at("accepted_at"),
        sa.Column("accepted_by", sa.Text),
        _at("escalated_at"),
        _at("closed_at"),
        sa.Column("closed_reason", sa.Text),
    )
    op.create_index("handoffs_open_due", "handoffs", ["due_at"], postgresql_where=sa.text("status = 'open'"))
    op.create_index("handoffs_pool_turn", "handoffs", ["pool_id", "turn"])


def downgrade() -> None:
    op.drop_table("handoffs")
    op.drop_table("pools")
    op.drop_table("reps")
    op.drop_column("accounts", "employees")
    op.drop_column("accounts", "country")
    op.drop_index("opportunities_stage_owner", "opportunities")
    op.drop_column("opportunities", "stage_owner")
