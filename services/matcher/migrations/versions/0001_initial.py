"""Accounts, their domains, contacts, match decisions and the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("external_id", sa.Text, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("domains", ARRAY(sa.Text), nullable=False, server_default="{}"),
        *[
            sa.Column(name, sa.Text)
            for name in ("website", "country", "industry", "parent_id", "owner", "csm")
        ],
        sa.Column("employees", sa.Integer),
        sa.Column("is_customer", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_timestamps(),
    )
    op.create_table(
        "account_domains",
        sa.Column("domain", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        *[sa.Column(name, sa.Text) for name in ("first_name", "last_name", "title")],
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "matches",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text),
        sa.Column("contact_id", sa.Text),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in (
        "matches",
        "contacts",
        "account_domains",
        "accounts",
        "dead_letters",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
