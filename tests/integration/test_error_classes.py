"""What the unit of work makes of real PostgreSQL failures: away (wait), or the data refused
(dead-letter at once). asyncpg raises no `OperationalError`, so each is provoked for real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from shared.db import async_url, libpq_url, session_factory
from shared.errors import Contended, Unavailable
from shared.sql_uow import SqlUnitOfWork
from shared.uow import DataRejected


class ProbeUow(SqlUnitOfWork):
    async def run(self, sql: str, **params: object) -> None:
        await self._session.execute(text(sql), params)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(async_url(database_url), pool_size=1, max_overflow=0, pool_timeout=0.5)
    yield session_factory(engine)
    await engine.dispose()


def uow(sessions: async_sessionmaker[AsyncSession]) -> ProbeUow:
    return ProbeUow(sessions, source="probe", topic=str)


async def failure(sessions: async_sessionmaker[AsyncSession], sql: str, **params: object) -> Exception:
    try:
        async with uow(sessions) as work:
            await work.run(sql, **params)
    except Exception as exc:
        return exc
    raise AssertionError(f"{sql} did not fail")


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT 1 / 0", {}),  # 22012
        ("SELECT 'x'::int", {}),  # 22P02
        ("SELECT CAST(:n AS int)", {"n": "not a number"}),  # asyncpg's client-side DataError
        ("SELECT CAST(:n AS smallint)", {"n": 10**6}),  # out of range for the driver
    ],
)
async def test_data_the_database_refuses_is_rejected_not_waited_for(
    sessions: async_sessionmaker[AsyncSession], sql: str, params: dict[str, object]
) -> None:
    exc = await failure(sessions, sql, **params)
    assert isinstance(exc, DataRejected), repr(exc)


async def test_a_terminated_connection_admin_shutdown_is_unavailable(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with uow(sessions) as work:
        await work.run("SELECT 1")
    admin = await asyncpg.connect(libpq_url(database_url))
    try:
        # 57P01 on the pooled connection's next statement, as a PostgreSQL shutting down sends.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ''"
        )
    finally:
        await admin.close()
    exc = await failure(sessions, "SELECT 1")
    assert isinstance(exc, Unavailable) and not isinstance(exc, Contended), repr(exc.__cause__)


async def test_an_exhausted_pool_is_unavailable(sessions: async_sessionmaker[AsyncSession]) -> None:
    held = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with uow(sessions) as work:
            await work.run("SELECT 1")
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        exc = await failure(sessions, "SELECT 1")
    finally:
        release.set()
        await holder
    assert isinstance(exc, Unavailable), repr(exc.__cause__)


@pytest.mark.parametrize("state", ["57P01", "57P03", "53300", "08006"])
async def test_a_server_saying_not_now_is_unavailable(
    sessions: async_sessionmaker[AsyncSession], state: str
) -> None:
    # RAISE with a SQLSTATE makes the server send exactly that error, as it would itself.
    exc = await failure(sessions, f"DO $$ BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '{state}'; END $$")
    assert isinstance(exc, Unavailable) and not isinstance(exc, Contended), repr(exc.__cause__)
