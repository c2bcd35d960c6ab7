"""Webhooks: raw deliveries, per-item receipts, quarantine, source ids; richer lead fields.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _now() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    for name in ("seniority", "department", "company_legal_suffix"):
        op.add_column("leads", sa.Column(name, sa.Text))
    op.add_column("leads", sa.Column("unsubscribed", sa.Boolean))
    op.add_column("leads", sa.Column("marketing_consent", sa.Boolean))
    op.create_table(
        "lead_source_ids",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("source_id", sa.Text, primary_key=True),
        sa.Column("lead_id", sa.Text, nullable=False, index=True),
        _now(),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("delivery_id", sa.Text, primary_key=True),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("response", JSONB),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_webhook_deliveries_received_at", "webhook_deliveries", ["received_at"])
    op.create_table(
        "webhook_receipts",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("item_key", sa.Text, primary_key=True),
        sa.Column("delivery_id", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("lead_id", sa.Text),
        sa.Column("reason", sa.Text),
        _now(),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("delivery_id", sa.Text),
        sa.Column("item_key", sa.Text),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("resubmitted_payload", JSONB),
        sa.Column("lead_id", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        _now(),
    )
    op.create_index(
        "ix_quarantine_open", "quarantine", ["source", "created_at"], postgresql_where="status = 'open'"
    )


def downgrade() -> None:
    op.drop_table("quarantine")
    op.drop_table("webhook_receipts")
    op.drop_table("webhook_deliveries")
    op.drop_table("lead_source_ids")
    for name in ("marketing_consent", "unsubscribed", "company_legal_suffix", "department", "seniority"):
        op.drop_column("leads", name)
