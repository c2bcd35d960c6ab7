"""Reps and pools as data (they were an environment variable): territories by country, region
and segment, capacity, working hours, out of office; routing counts per pool turn.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _territory() -> list[sa.Column[Any]]:
    return [
        sa.Column(name, ARRAY(sa.Text), nullable=False, server_default="{}")
        for name in ("countries", "regions", "segments")
    ]


def _stamp() -> list[sa.Column[Any]]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def upgrade() -> None:
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("email", sa.Text),
        *_territory(),
        sa.Column("capacity", sa.Integer),
        sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),
        sa.Column("work_start", sa.Text, nullable=False, server_default="00:00"),
        sa.Column("work_end", sa.Text, nullable=False, server_default="24:00"),
        sa.Column("work_days", ARRAY(sa.Integer), nullable=False, server_default="{1,2,3,4,5,6,7}"),
        sa.Column("out_of_office_from", sa.DateTime(timezone=True)),
        sa.Column("out_of_office_until", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_stamp(),
    )
    op.create_table(
        "pools",
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("team", sa.Text, nullable=False, index=True),
        *_territory(),
        sa.Column("members", JSONB, nullable=False, server_default="[]"),
        sa.Column("sticky", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("turn", sa.Integer, nullable=False, server_default="1"),
        *_stamp(),
    )
    # Counts of the environment's pools meant nothing once pools are data: a fresh start per turn.
    op.drop_table("routing_counts")
    op.create_table(
        "routing_counts",
        sa.Column("pool", sa.Text, primary_key=True),
        sa.Column("turn", sa.Integer, primary_key=True),
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("assigned", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("routing_counts")
    op.create_table(
        "routing_counts",
        sa.Column("pool", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("assigned", sa.Integer, nullable=False, server_default="0"),
    )
    op.drop_table("pools")
    op.drop_table("reps")
