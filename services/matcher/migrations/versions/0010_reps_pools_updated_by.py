"""Who last changed a rep or a pool (the caller: a key's name, or a person through the console).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("reps", "pools"):
        op.add_column(table, sa.Column("updated_by", sa.Text, nullable=True))


def downgrade() -> None:
    for table in ("reps", "pools"):
        op.drop_column(table, "updated_by")
