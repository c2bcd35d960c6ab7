"""Erasure (GDPR art. 17): an audit row per request that keeps no personal data, and when a raw
webhook body was redacted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("erasure_id", sa.Text, primary_key=True),
        sa.Column("email_hash", sa.Text, nullable=False, index=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("leads", sa.Integer, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column("webhook_deliveries", sa.Column("redacted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "redacted_at")
    op.drop_table("erasures")
