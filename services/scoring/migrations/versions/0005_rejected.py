"""A lead rejected in the matcher's review queue: a negative rule, with who rejected it and why.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("rejected", sa.Text))


def downgrade() -> None:
    op.drop_column("people", "rejected")
