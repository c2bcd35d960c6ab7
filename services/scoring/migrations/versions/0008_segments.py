"""Segments: who is in which (with why), when time alone may change a person's segments, and the
suggested role (persona) of a potential buying-group member.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("group_members", sa.Column("suggested_role", sa.Text))
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, primary_key=True, index=True),
        sa.Column("detail", JSONB, nullable=False, server_default="{}"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "segment_due",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("segment_due")
    op.drop_table("segment_members")
    op.drop_column("group_members", "suggested_role")
