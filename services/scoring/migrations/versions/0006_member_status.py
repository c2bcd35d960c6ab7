"""Buying-group members are potential (mapped by automation, no role yet) or confirmed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("group_members", "role", nullable=True)
    op.add_column("group_members", sa.Column("status", sa.Text, nullable=False, server_default="confirmed"))


def downgrade() -> None:
    op.execute("UPDATE group_members SET role = coalesce(role, 'other')")
    op.drop_column("group_members", "status")
    op.alter_column("group_members", "role", nullable=False)
