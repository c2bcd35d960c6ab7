"""Per-field versions of a lead's person changes and the version of each tracked opp (a copy
applies only newer ones), and account import reports in the database (any replica answers for
an import another one runs).

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
    op.add_column("account_opps", sa.Column("version", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "lead_field_versions",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("versions", JSONB, nullable=False),
    )
    op.create_table(
        "account_imports",
        sa.Column("import_id", sa.Text, primary_key=True),
        sa.Column("report", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("account_imports")
    op.drop_table("lead_field_versions")
    op.drop_column("account_opps", "version")
