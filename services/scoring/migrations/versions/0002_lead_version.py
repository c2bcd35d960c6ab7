"""The lead version a person's facts come from, so that late or early lead events apply in order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("lead_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("people", "lead_version")
