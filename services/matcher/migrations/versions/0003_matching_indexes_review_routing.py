"""Match keys and their indexes (exact name key, acronym, domain label, trigram name), review
queue, routing counts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from services.matcher.domain.names import company_name, domain_label

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.add_column("accounts", sa.Column("name_key", sa.Text, nullable=False, server_default=""))
    op.add_column("accounts", sa.Column("name_text", sa.Text, nullable=False, server_default=""))
    op.add_column("accounts", sa.Column("acronym", sa.Text))
    op.add_column("accounts", sa.Column("open_opps", sa.Integer, nullable=False, server_default="0"))
    op.add_column("accounts", sa.Column("last_activity_at", sa.DateTime(timezone=True)))
    op.add_column("account_domains", sa.Column("label", sa.Text, nullable=False, server_default=""))
    op.add_column("matches", sa.Column("owner_reason", sa.Text))
    _backfill_keys()
    op.create_index("accounts_name_key", "accounts", ["name_key"])
    op.create_index(
        "accounts_acronym", "accounts", ["acronym"], postgresql_where=sa.text("acronym IS NOT NULL")
    )
    op.create_index("accounts_parent_id", "accounts", ["parent_id"])
    op.create_index(
        "accounts_name_trgm",
        "accounts",
        ["name_text"],
        postgresql_using="gist",
        postgresql_ops={"name_text": "gist_trgm_ops"},
    )
    op.create_index("account_domains_label", "account_domains", ["label"])
    op.create_table(
        "review_items",
        sa.Column("item_id", sa.Text, primary_key=True),
        sa.Column("lead_id", sa.Text, nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("country", sa.Text),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("candidates", JSONB, nullable=False),
        sa.Column("lead", JSONB, nullable=False),
        sa.Column("resolution", sa.Text),
        sa.Column("account_id", sa.Text),
        sa.Column("resolved_by", sa.Text),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("review_items_open", "review_items", ["status", "created_at"])
    op.create_table(
        "routing_counts",
        sa.Column("pool", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, primary_key=True),
        sa.Column("assigned", sa.Integer, nullable=False, server_default="0"),
    )


def _backfill_keys() -> None:
    conn = op.get_bind()
    for account_id, name in conn.execute(sa.text("SELECT account_id, name FROM accounts")).all():
        key = company_name(name)
        conn.execute(
            sa.text("UPDATE accounts SET name_key = :k, name_text = :t, acronym = :a WHERE account_id = :id"),
            {"k": key.key, "t": key.text, "a": key.acronym, "id": account_id},
        )
    for (domain,) in conn.execute(sa.text("SELECT domain FROM account_domains")).all():
        conn.execute(
            sa.text("UPDATE account_domains SET label = :l WHERE domain = :d"),
            {"l": domain_label(domain), "d": domain},
        )


def downgrade() -> None:
    op.drop_table("routing_counts")
    op.drop_table("review_items")
    for index in ("accounts_name_key", "accounts_acronym", "accounts_parent_id", "accounts_name_trgm"):
        op.drop_index(index, table_name="accounts")
    op.drop_index("account_domains_label", table_name="account_domains")
    op.drop_column("matches", "owner_reason")
    op.drop_column("account_domains", "label")
    for column in ("name_key", "name_text", "acronym", "open_opps", "last_activity_at"):
        op.drop_column("accounts", column)
