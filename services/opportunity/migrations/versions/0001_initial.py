"""Opportunities, stamps, history, buying groups, local copies and the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False, default: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.func.now() if default and not nullable else None,
    )


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("csm", sa.Text),
        sa.Column("is_customer", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("email", sa.Text, nullable=False),
        *[sa.Column(name, sa.Text) for name in ("first_name", "last_name", "title")],
    )
    op.create_table(
        "opportunities",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("close_date", sa.Date),
        sa.Column("term_months", sa.Integer),
        *[sa.Column(name, sa.Text) for name in ("owner", "next_step", "next_step_owner")],
        sa.Column("next_step_due", sa.Date),
        sa.Column("created_by", sa.Text, nullable=False),
        _at("closed_at", nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        _at("created_at"),
        _at("updated_at"),
    )
    # At most one open Acquisition opp per account: conversions join it instead.
    op.create_index(
        "one_open_acquisition",
        "opportunities",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text("type = 'acquisition' AND closed_at IS NULL"),
    )
    op.create_table(
        "stage_stamps",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("stage", sa.Text, primary_key=True),
        _at("entered_at", default=False),
    )
    op.create_table(
        "stage_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("opp_id", sa.Text, nullable=False, index=True),
        sa.Column("from_stage", sa.Text),
        sa.Column("to_stage", sa.Text, nullable=False),
        _at("at", default=False),
        sa.Column("actor", sa.Text, nullable=False),
    )
    op.create_table(
        "contact_roles",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, primary_key=True, index=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()),
        _at("added_at"),
    )
    op.create_table(
        "contact_role_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("opp_id", sa.Text, nullable=False, index=True),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        _at("at", default=False),
    )


def downgrade() -> None:
    for table in (
        "contact_role_history",
        "contact_roles",
        "stage_history",
        "stage_stamps",
        "opportunities",
        "contacts",
        "accounts",
        "dead_letters",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
