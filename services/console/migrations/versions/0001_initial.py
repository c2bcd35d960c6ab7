"""The console's users, sessions, sign-in failures, OIDC sign-ins, and the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _at(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "users",
        sa.Column("username", sa.Text, primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        _at("created_at"),
    )
    op.create_table(
        "sessions",
        sa.Column("digest", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False, index=True),
        sa.Column("csrf_token", sa.Text, nullable=False),
        _at("created_at"),
        _at("expires_at"),
        sa.Column("flash", sa.Text),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        _at("at"),
    )
    op.create_index("sign_in_failures_at", "sign_in_failures", ["at"])
    op.create_table(
        "oidc_logins",
        sa.Column("state", sa.Text, primary_key=True),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("next_url", sa.Text, nullable=False),
        _at("created_at"),
    )


def downgrade() -> None:
    for table in ("oidc_logins", "sign_in_failures", "sessions", "users"):
        op.drop_table(table)
