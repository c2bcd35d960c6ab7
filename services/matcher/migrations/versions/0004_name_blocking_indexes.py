"""Fuzzy names by blocking instead of trigrams: measured at 200,000 accounts, a pg_trgm GiST
k-NN took p50 116 ms and GIN `%` (0.45) p50 10 ms / p99 45 ms per lead, while exact b-tree
look-ups on a core key, a sorted-words key and the key's prefix and suffix (for one typo,
which leaves one of them whole) by key length take well under a millisecond.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from services.matcher.domain.names import company_name

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public")
    op.drop_index("accounts_name_trgm", table_name="accounts")
    op.add_column("accounts", sa.Column("core_key", sa.Text, nullable=False, server_default=""))
    op.add_column("accounts", sa.Column("sorted_key", sa.Text, nullable=False, server_default=""))
    conn = op.get_bind()
    for account_id, name in conn.execute(sa.text("SELECT account_id, name FROM accounts")).all():
        key = company_name(name)
        conn.execute(
            sa.text("UPDATE accounts SET core_key = :c, sorted_key = :s WHERE account_id = :id"),
            {"c": key.core, "s": key.sorted_key, "id": account_id},
        )
    op.create_index("accounts_core_key", "accounts", ["core_key"])
    op.create_index("accounts_sorted_key", "accounts", ["sorted_key"])
    # INCLUDE what the look-up reads, so that it never visits the table (index-only scans).
    op.execute(
        "CREATE INDEX accounts_key_prefix ON accounts (length(name_key), name_key text_pattern_ops)"
        " INCLUDE (account_id)"
    )
    op.execute(
        "CREATE INDEX accounts_key_suffix ON accounts (length(name_key), reverse(name_key) text_pattern_ops)"
        " INCLUDE (name_key, account_id)"
    )


def downgrade() -> None:
    for index in ("accounts_key_suffix", "accounts_key_prefix", "accounts_sorted_key", "accounts_core_key"):
        op.drop_index(index, table_name="accounts")
    op.drop_column("accounts", "sorted_key")
    op.drop_column("accounts", "core_key")
    op.create_index(
        "accounts_name_trgm",
        "accounts",
        ["name_text"],
        postgresql_using="gist",
        postgresql_ops={"name_text": "gist_trgm_ops"},
    )
