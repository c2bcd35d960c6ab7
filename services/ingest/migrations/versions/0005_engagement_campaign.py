"""An engagement keeps its campaign as the source sent it: the platform's campaign id beside the
name, and which source it came from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("engagements", sa.Column("campaign_external_id", sa.Text))
    op.add_column("engagements", sa.Column("source", sa.Text))


def downgrade() -> None:
    op.drop_column("engagements", "source")
    op.drop_column("engagements", "campaign_external_id")
