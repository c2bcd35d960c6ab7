"""A scored engagement keeps its campaign (as sent, and the platform's id).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("engagements", sa.Column("campaign", sa.Text))
    op.add_column("engagements", sa.Column("campaign_external_id", sa.Text))


def downgrade() -> None:
    op.drop_column("engagements", "campaign_external_id")
    op.drop_column("engagements", "campaign")
