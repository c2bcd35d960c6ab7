"""The configurable model's facts, decaying behaviour with its due time, identity aliases, daily
caps, lifecycle history and buying groups.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    default = None if nullable else sa.func.now()
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    for name in ("industry", "country", "email_domain"):
        op.add_column("people", sa.Column(name, sa.Text))
    op.add_column("people", sa.Column("answers", JSONB, nullable=False, server_default="{}"))
    for name in ("unsubscribed", "bounced"):
        op.add_column("people", sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("people", sa.Column("negative", sa.Float, nullable=False, server_default="0"))
    op.add_column("people", sa.Column("negative_reasons", JSONB, nullable=False, server_default="[]"))
    op.add_column("people", sa.Column("behaviour_ref", sa.Float, nullable=False, server_default="0"))
    op.add_column("people", sa.Column("emitted_score", sa.Float))
    for name in ("behaviour_ref_at", "due_at", "last_engaged_at", "recycled_at", "stage_changed_at"):
        op.add_column("people", _utc(name))
    op.execute(
        "UPDATE people SET behaviour_ref = behaviour, behaviour_ref_at = updated_at, emitted_score = score"
    )
    op.create_index("people_due", "people", ["due_at"], postgresql_where=sa.text("due_at IS NOT NULL"))
    op.create_index("people_account", "people", ["account_id"])
    op.create_table(
        "aliases",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, nullable=False, index=True),
    )
    op.create_table(
        "daily_points",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("points", sa.Float, nullable=False),
    )
    op.create_table(
        "lifecycle_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_id", sa.Text, nullable=False, index=True),
        sa.Column("from_stage", sa.Text, nullable=False),
        sa.Column("to_stage", sa.Text, nullable=False),
        _utc("at", nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "deals",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("stage", sa.Text),
        sa.Column("is_closed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_won", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "group_members",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, primary_key=True, index=True),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()),
        _utc("added_at", nullable=False),
    )


def downgrade() -> None:
    for table in ("group_members", "deals", "lifecycle_changes", "daily_points", "aliases"):
        op.drop_table(table)
    op.drop_index("people_account", "people")
    op.drop_index("people_due", "people")
    for name in (
        "industry", "country", "email_domain", "answers", "unsubscribed", "bounced", "negative",
        "negative_reasons", "behaviour_ref", "emitted_score", "behaviour_ref_at", "due_at",
        "last_engaged_at", "recycled_at", "stage_changed_at",
    ):  # fmt: skip
        op.drop_column("people", name)
