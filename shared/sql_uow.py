"""The unit of work on PostgreSQL: one session, one transaction; outbox, inbox and dead letters.

A service subclasses it and builds its repositories on the session in `_bind`: the session
never leaves the adapters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import delete, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db import delete_batch, raw_connection
from shared.errors import Contended, Unavailable
from shared.tables import DeadLetterRow, InboxRow, OutboxRow
from shared.uow import DataRejected, DeadLetter, OutboxRecord, UnitOfWork

# Plain SQL on purpose: SQLAlchemy never caches the PostgreSQL `insert ... on conflict`
# construct, and this runs for every consumed event.
CLAIM = text(
    "INSERT INTO inbox (consumer, event_id) VALUES (:consumer, :event_id)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)
CLAIM_MANY = text(
    "INSERT INTO inbox (consumer, event_id) SELECT :consumer, unnest(CAST(:event_ids AS text[]))"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)
BACKLOG = text("SELECT count(*) FROM (SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT :cap) waiting")
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
DEAD_LETTERS = DeadLetterRow.__table__  # type: ignore[attr-defined]
OUTBOX_COLUMNS = ("event_id", "topic", "key", "headers", "payload", "value")
# Above this many events a commit COPYs them in (a bulk import emits one per account).
COPY_FROM = 2000
# The database or the network is away: whoever called can retry later. asyncpg raises no
# `OperationalError`: a server saying "not now" comes as a plain `DBAPIError` with its SQLSTATE.
AWAY = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, OSError, TimeoutError)
# Connection exceptions (08), insufficient resources (53: too many connections, disk full), and an
# operator's intervention: admin shutdown, crash shutdown, cannot connect now (a server starting).
AWAY_SQLSTATE_CLASSES = ("08", "53")
AWAY_SQLSTATES = {"57P01", "57P02", "57P03"}
# The platform tables the retention job prunes.
PRUNED: dict[str, tuple[Any, str]] = {
    "inbox": (InboxRow, "processed_at"),
    "dead_letters": (DeadLetterRow, "created_at"),
}
# Deadlock and serialization failure: PostgreSQL rolled the transaction back; a retry succeeds.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


class SqlUnitOfWork(UnitOfWork):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str,
        topic: Callable[[str], str],
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(source=source, topic=topic)
        self._sessions = sessions
        self._on_commit = on_commit

    def _bind(self, session: AsyncSession) -> None:
        """Create the service's repositories on `session`."""

    async def _open(self) -> None:
        self._session = self._sessions()
        self._wrote = False
        self._bind(self._session)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        except Exception:
            if exc is None:
                raise  # a rollback failing while another error propagates says nothing new
        if isinstance(exc, Exception) and (translated := translate(exc)) is not None:
            raise translated from exc

    async def _close(self) -> None:
        await self._session.rollback()
        await self._session.close()

    async def _commit(self, records: list[OutboxRecord]) -> None:
        await self._write(records)
        await self._session.commit()
        if self._wrote and self._on_commit is not None:
            self._on_commit()  # wakes this process's relay

    async def flush_events(self) -> None:
        records, self._outbox = self._outbox, []
        await self._write(records)

    async def _write(self, records: list[OutboxRecord]) -> None:
        self._wrote = self._wrote or bool(records)
        if len(records) >= COPY_FROM:
            connection = await raw_connection(self._session)
            rows = [_copy_row(record) for record in records]
            await connection.copy_records_to_table("outbox", records=rows, columns=OUTBOX_COLUMNS)
        elif records:
            # One cached, batched Core insert instead of an ORM flush per row; no deep copy
            # of the payloads (`asdict` would make one).
            values = [{name: getattr(record, name) for name in OUTBOX_COLUMNS} for record in records]
            await self._session.execute(insert(OUTBOX), values)

    async def backlog(self, cap: int) -> int:
        return int(await self._session.scalar(BACKLOG, {"cap": cap}) or 0)

    async def claim(self, consumer: str, event_id: str) -> bool:
        claimed = await self._session.execute(CLAIM, {"consumer": consumer, "event_id": event_id})
        return claimed.first() is not None

    async def claim_many(self, consumer: str, event_ids: list[str]) -> set[str]:
        claimed = await self._session.execute(CLAIM_MANY, {"consumer": consumer, "event_ids": event_ids})
        return set(claimed.scalars())

    async def dead_letter(self, letter: DeadLetter) -> None:
        self._session.add(DeadLetterRow(**asdict(letter)))

    async def prune(self, table: str, before: datetime, batch: int) -> int:
        row, dated = PRUNED[table]
        return await delete_batch(self._session, row, col(getattr(row, dated)) < before, batch)

    async def forget(self, keys: list[str]) -> None:
        if not keys:
            return
        await self._session.execute(
            delete(OUTBOX).where(OUTBOX.c.key.in_(keys), OUTBOX.c.published_at.is_not(None))
        )
        await self._session.execute(delete(DEAD_LETTERS).where(DEAD_LETTERS.c.key.in_(keys)))


def translate(exc: Exception) -> Unavailable | DataRejected | None:
    """A database failure as the domain's words for it: away (wait and retry), contended (a
    concurrent write won; retry now), or the data refused (no retry helps). Anything else is the
    caller's own failure."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if state.startswith("22") or _refused_by_driver(exc):
        return DataRejected(f"The database refused the data: {type(exc).__name__} (SQLSTATE {state or '-'})")
    if (
        isinstance(exc, AWAY)
        or state[:2] in AWAY_SQLSTATE_CLASSES
        or state in AWAY_SQLSTATES
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
    ):
        return Unavailable("Storage unavailable; retry.", retry_after=5)
    if isinstance(exc, IntegrityError) or state in RETRYABLE_SQLSTATES:
        return Contended("A conflicting write; retry.", retry_after=1)
    return None


def _refused_by_driver(exc: BaseException) -> bool:
    """asyncpg's client-side `DataError` (a value it cannot encode) is an `InterfaceError` and a
    `ValueError`: SQLAlchemy wraps it as an `InterfaceError`, which alone would read as "away"."""
    seen: BaseException | None = getattr(exc, "orig", None)
    while seen is not None:
        if isinstance(seen, ValueError):
            return True
        seen = seen.__cause__
    return False


def _copy_row(record: OutboxRecord) -> tuple[Any, ...]:
    return (
        record.event_id,
        record.topic,
        record.key,
        json.dumps(record.headers),
        json.dumps(record.payload),
        record.value,
    )
