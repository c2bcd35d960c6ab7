"""Alembic per service: each service's migrations run in its own schema.

A service's `migrations/env.py` is two lines that call `run_env`; its first revision calls
`create_platform_tables` for the outbox, inbox and dead letters.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from sqlalchemy.dialects.postgresql import JSONB

from shared.db import create_engine
from shared.settings import Settings


def alembic_config(service: str, migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["schema"] = service
    return config


async def migrate(settings: Settings, service: str, migrations: Path, revision: str = "head") -> None:
    engine = create_engine(settings, service)
    try:
        async with engine.begin() as conn:
            lock = zlib.crc32(f"cascade-migrate-{service}".encode())
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
            await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
            config = alembic_config(service, migrations)

            def upgrade(sync_conn: sa.Connection) -> None:
                config.attributes["connection"] = sync_conn
                command.upgrade(config, revision)

            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


def run_env(context: Any) -> None:
    """The body of every service's `env.py` (online mode only: we always have a database)."""
    connection = context.config.attributes["connection"]
    schema = context.config.attributes["schema"]
    context.configure(connection=connection, version_table_schema=schema, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


def _utc(name: str, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, **kw)


def create_platform_tables() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("value", sa.LargeBinary),
        _utc("created_at", server_default=sa.func.now()),
        _utc("published_at", nullable=True),
        sa.Column("partition", sa.Integer),
        sa.Column("offset", sa.BigInteger),
    )
    op.create_index("outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_index("outbox_created_at", "outbox", ["created_at"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        _utc("processed_at", server_default=sa.func.now()),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("event_type", sa.Text),
        sa.Column("key", sa.Text),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _utc("created_at", server_default=sa.func.now()),
    )
