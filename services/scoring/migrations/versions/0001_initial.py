"""People with their scores, scored engagements and the platform tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migrate import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()
    op.create_table(
        "people",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("contact_id", sa.Text, unique=True),
        sa.Column("account_id", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("employees", sa.Integer),
        sa.Column("is_free_mail", sa.Boolean, nullable=False, server_default=sa.false()),
        *[
            sa.Column(name, sa.Float, nullable=False, server_default="0")
            for name in ("fit", "behaviour", "score")
        ],
        sa.Column("lifecycle_stage", sa.Text, nullable=False, server_default="suspect"),
        sa.Column("fit_reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("behaviour_reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "engagements",
        sa.Column("engagement_id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("engagements", "people", "dead_letters", "inbox", "outbox"):
        op.drop_table(table)
