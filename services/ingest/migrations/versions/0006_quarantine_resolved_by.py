"""Who resubmitted or discarded a quarantined item (the caller: a key's name, or a person through
the console).

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
    op.add_column("quarantine", sa.Column("resolved_by", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("quarantine", "resolved_by")
