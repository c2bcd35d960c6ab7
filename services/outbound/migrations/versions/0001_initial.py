"""Subscriptions and their delivery queue and log, alerts, the MAP sync queue and log.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    default = None if nullable else sa.func.now()
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.Text, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", JSONB, nullable=False),
        sa.Column("filter", JSONB, nullable=False, server_default="{}"),
        sa.Column("description", sa.Text),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        _utc("previous_secret_until", nullable=True),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("disabled_reason", sa.Text),
        _utc("failing_since", nullable=True),
        sa.Column("created_by", sa.Text, nullable=False),
        _utc("created_at"),
        _utc("updated_at"),
    )
    op.create_index("subscriptions_events", "subscriptions", ["events"], postgresql_using="gin")
    op.create_table(
        "deliveries",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("delivery_id", sa.Text, nullable=False, unique=True),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        _utc("event_at"),
        _utc("window_from"),
        _utc("next_attempt_at"),
        _utc("delivered_at", nullable=True),
        _utc("created_at"),
        sa.UniqueConstraint("subscription_id", "event_id"),
    )
    op.create_index(
        "deliveries_due", "deliveries", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index(
        "deliveries_in_order",
        "deliveries",
        ["subscription_id", "key", "seq"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("deliveries_log", "deliveries", ["subscription_id", "seq"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("delivery_id", sa.Text, nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        _utc("at"),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("alert_id", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        _utc("next_attempt_at"),
        _utc("sent_at", nullable=True),
        _utc("created_at"),
    )
    op.create_index(
        "alerts_due", "alerts", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_table(
        "watch_state",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", JSONB, nullable=False),
        _utc("updated_at"),
    )
    op.create_table(
        "sync_ops",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("op", sa.Text, nullable=False),
        sa.Column("list_id", sa.Text, nullable=False),
        sa.Column("person_id", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("facts", JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        _utc("next_attempt_at"),
        _utc("done_at", nullable=True),
        _utc("created_at"),
    )
    op.create_index(
        "sync_ops_due",
        "sync_ops",
        ["system", "next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "external_ids",
        sa.Column("system", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("external_id", sa.Text, nullable=False),
    )
    op.create_table(
        "sync_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("system", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
        _utc("at"),
    )


def downgrade() -> None:
    for table in (
        "sync_log",
        "external_ids",
        "sync_ops",
        "watch_state",
        "alerts",
        "attempts",
        "deliveries",
        "subscriptions",
        "dead_letters",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
