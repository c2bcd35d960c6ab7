"""Async engines on asyncpg: one PostgreSQL schema per service, chosen by `search_path`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Table,
    TextClause,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from shared.settings import Settings

# Platform tables (outbox, inbox, dead letters) exist once per service schema; they live in
# their own registry so that services' tables of the same name never collide in one process.
platform_registry = registry()


class PlatformTable(SQLModel, registry=platform_registry):
    pass


def async_url(url: str) -> str:
    """`postgresql://...` as SQLAlchemy's asyncpg URL (unix-socket `?host=` kept)."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        scheme = "postgresql+asyncpg"
    return f"{scheme}://{rest}"


def libpq_url(url: str) -> str:
    """The plain `postgresql://` URL asyncpg accepts directly."""
    return "postgresql://" + url.split("://", 1)[1]


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def create_engine(settings: Settings, schema: str) -> AsyncEngine:
    return create_async_engine(
        async_url(settings.database_url_for(schema)),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_recycle=1800,
        hide_parameters=True,  # a statement's values are people's data: never in logs or errors
        connect_args={
            "server_settings": {
                "search_path": f"{schema},public",
                "application_name": f"cascade-{schema}",
            }
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def raw_connection(session: AsyncSession) -> asyncpg.Connection:
    """asyncpg's connection behind the session's, in the session's transaction (COPY, prepared
    statements kept per connection)."""
    connection = (await (await session.connection()).get_raw_connection()).driver_connection
    assert connection is not None, "asyncpg's connection behind SQLAlchemy's"
    if not connection.is_in_transaction():
        # SQLAlchemy sends BEGIN with its first statement: without one yet, what runs here
        # would commit on its own.
        await session.execute(text("SELECT 1"))
    return connection


LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")


async def lock(session: AsyncSession, *keys: str) -> None:
    """Transaction-scoped advisory locks on `keys`, taken in a stable order (no deadlock between
    two transactions locking the same keys)."""
    for key in sorted(set(keys)):
        await session.execute(LOCK, {"key": key})


async def ensure_database(url: str) -> None:
    """Create the database named in `url` if it does not exist yet."""
    name = database_name(url)
    conn = await asyncpg.connect(libpq_url(with_database(url, "postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    name = database_name(url)
    conn = await asyncpg.connect(libpq_url(with_database(url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@lru_cache(maxsize=256)
def insert_or_skip(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: str
) -> TextClause:
    """`INSERT ... ON CONFLICT (...) DO NOTHING RETURNING ...`, compiled once.

    SQLAlchemy does not cache PostgreSQL's ON CONFLICT constructs, so building them per call
    costs a full compile each time; on a hot path this text form is one cached statement.
    """
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {returning}"
    )
    return text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


def email_hash_of(column: Any) -> ColumnElement[str]:
    """SHA-256 of an email column, hex: finds an erased person by the hash `person.erased` carries."""
    return func.encode(func.sha256(func.convert_to(column, "UTF8")), "hex")


async def delete_batch(session: AsyncSession, table: Any, where: ColumnElement[bool], batch: int) -> int:
    """Delete up to `batch` rows matching `where`: a short statement (call again for more), the
    rows found by their physical address, never a lock on the whole table."""
    ctid: ColumnElement[Any] = literal_column("ctid")
    chosen = select(ctid).select_from(table).where(where).limit(batch)
    result = await session.execute(delete(table).where(ctid.in_(chosen)))
    return int(getattr(result, "rowcount", 0) or 0)
