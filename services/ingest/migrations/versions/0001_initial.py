"""Leads, engagements and the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("email_domain", sa.Text, nullable=False),
        sa.Column("is_free_mail", sa.Boolean, nullable=False, server_default=sa.false()),
        *[
            sa.Column(name, sa.Text)
            for name in (
                "first_name",
                "last_name",
                "title",
                "phone",
                "company",
                "website",
                "website_domain",
                "country",
                "industry",
            )
        ],
        sa.Column("employees", sa.Integer),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text),
        sa.Column("campaign", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="new"),
        sa.Column("account_id", sa.Text),
        sa.Column("contact_id", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("leads_source_id", "leads", ["source", "source_id"])
    op.create_table(
        "engagements",
        sa.Column("engagement_id", sa.Text, primary_key=True),
        sa.Column("lead_id", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("campaign", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("properties", JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("engagements", "leads", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
