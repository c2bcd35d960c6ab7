"""Person changes that overtook their lead's creation (topics keep no order between them).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "early_lead_changes",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("changes", JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("early_lead_changes")
