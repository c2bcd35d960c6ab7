"""Buying groups that mean something: potential and confirmed members, several groups per account
(a buying-group key), field-change history, people identified onto opps, and the engagement and
lead -> contact copies the account-engagement automation reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CONVERSION = "automation:lead_converted"


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    default = None if nullable else sa.func.now()
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def upgrade() -> None:
    op.add_column("opportunities", sa.Column("buying_group_key", sa.Text))
    op.drop_index("one_open_acquisition", "opportunities")
    op.execute(
        "CREATE UNIQUE INDEX one_open_acquisition_per_group ON opportunities"
        " (account_id, coalesce(buying_group_key, '')) WHERE type = 'acquisition' AND closed_at IS NULL"
    )
    _members()
    op.create_table(
        "opp_field_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("opp_id", sa.Text, nullable=False, index=True),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("previous", JSONB),
        sa.Column("value", JSONB),
        sa.Column("actor", sa.Text, nullable=False),
        _at("at"),
    )
    op.create_table(
        "identified_people",
        sa.Column("opp_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("role", sa.Text),
        sa.Column("identified_by", sa.Text, nullable=False),
        _at("identified_at"),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("reason", sa.Text),
        sa.Column("contact_id", sa.Text),
    )
    op.create_index("identified_people_email", "identified_people", ["email"])
    op.create_table(
        "lead_contacts",
        sa.Column("lead_id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False, index=True),
    )
    op.create_table(
        "engagements",
        sa.Column("engagement_id", sa.Text, primary_key=True),
        sa.Column("lead_id", sa.Text, nullable=False, index=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )


def _members() -> None:
    """Conversion-added members held a committee role no person gave: they become potential."""
    op.alter_column("contact_roles", "role", nullable=True)
    op.add_column("contact_roles", sa.Column("status", sa.Text, nullable=False, server_default="confirmed"))
    for column in ("suggested_role", "suggested_reason", "added_by", "confirmed_by"):
        op.add_column("contact_roles", sa.Column(column, sa.Text))
    op.add_column("contact_roles", _at("confirmed_at", nullable=True))
    op.alter_column("contact_role_history", "role", nullable=True)
    op.add_column(
        "contact_role_history", sa.Column("status", sa.Text, nullable=False, server_default="confirmed")
    )
    op.add_column("contact_role_history", sa.Column("suggested_role", sa.Text))
    op.execute(
        "UPDATE contact_roles r SET added_by = h.actor FROM ("
        " SELECT DISTINCT ON (opp_id, contact_id) opp_id, contact_id, actor FROM contact_role_history"
        " WHERE change = 'added' ORDER BY opp_id, contact_id, id) h"
        " WHERE h.opp_id = r.opp_id AND h.contact_id = r.contact_id"
    )
    op.execute(
        "UPDATE contact_roles SET status = 'potential', suggested_role = role, role = NULL,"
        " suggested_reason = 'given by conversion before members were confirmed'"
        f" WHERE added_by = '{CONVERSION}'"
    )
    op.execute(
        "UPDATE contact_roles SET confirmed_by = coalesce(added_by, 'unknown'), confirmed_at = added_at"
        " WHERE status = 'confirmed'"
    )


def downgrade() -> None:
    for table in ("engagements", "lead_contacts", "identified_people", "opp_field_changes"):
        op.drop_table(table)
    op.execute("UPDATE contact_roles SET role = coalesce(role, suggested_role, 'influencer')")
    op.execute("UPDATE contact_role_history SET role = coalesce(role, suggested_role, 'influencer')")
    for column in (
        "status",
        "suggested_role",
        "suggested_reason",
        "added_by",
        "confirmed_by",
        "confirmed_at",
    ):
        op.drop_column("contact_roles", column)
    for column in ("status", "suggested_role"):
        op.drop_column("contact_role_history", column)
    op.alter_column("contact_roles", "role", nullable=False)
    op.alter_column("contact_role_history", "role", nullable=False)
    op.execute("DROP INDEX one_open_acquisition_per_group")
    op.create_index(
        "one_open_acquisition",
        "opportunities",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text("type = 'acquisition' AND closed_at IS NULL"),
    )
    op.drop_column("opportunities", "buying_group_key")
