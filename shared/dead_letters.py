"""Re-drive of dead letters (`cascade dead-letters list|retry|discard`, `/v1/dead-letters`).

A consumed event's dead letter is retried through the inbox, as the consumer would have
processed it: the handler's effects and the inbox row commit together, so a retry of an event
that was meanwhile processed is a harmless duplicate. A dead letter of the outbox relay (a row
the broker refused) is queued in the outbox again. A retried or discarded letter is deleted (its
copy on `<topic>.dlq` stays); one that fails again is kept with the new error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka import ConsumerRecord
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.errors import describe
from shared.kafka.records import RecordProcessor
from shared.tables import DeadLetterRow, OutboxRow

# The `consumer` of a dead letter the outbox relay wrote (a row it could not publish).
OUTBOX_RELAY = "outbox-relay"
# The outcomes of a retry that dealt with the letter; any other says why it failed again.
DONE = ("processed", "duplicate", "requeued")


@dataclass(frozen=True)
class Letter:
    id: int
    consumer: str
    topic: str
    partition: int
    offset: int
    event_type: str | None
    key: str | None
    attempts: int
    error: str
    created_at: datetime

    def line(self, service: str) -> str:
        when = self.created_at.isoformat(timespec="seconds")
        kind = self.event_type or "(undecodable)"
        return (
            f"{service} {self.id} {when} {self.consumer} {self.topic} {kind} key={self.key}"
            f" attempts={self.attempts} error={self.error[:200]}"
        )


class DeadLetters:
    """A service's dead letters; `processors` are its consumer groups' (live and bulk lanes), each
    retrying the letters its group wrote."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], processors: Sequence[RecordProcessor]
    ) -> None:
        self._sessions = sessions
        self._processors = {processor.group: processor for processor in processors}

    async def all(self) -> list[Letter]:
        async with self._sessions() as session:
            rows = await session.scalars(select(DeadLetterRow).order_by(col(DeadLetterRow.id)))
            return [_letter(row) for row in rows]

    async def page(self, *, limit: int, offset: int) -> list[Letter]:
        """Newest first."""
        async with self._sessions() as session:
            query = select(DeadLetterRow).order_by(col(DeadLetterRow.id).desc()).limit(limit).offset(offset)
            return [_letter(row) for row in await session.scalars(query)]

    async def discard(self, ids: list[int]) -> int:
        async with self._sessions() as session, session.begin():
            found = await session.scalars(
                delete(DeadLetterRow).where(col(DeadLetterRow.id).in_(ids)).returning(col(DeadLetterRow.id))
            )
            return len(found.all())

    async def retry(self, ids: list[int] | None) -> dict[int, str]:
        """Each letter's outcome: processed, duplicate (it had been meanwhile), requeued (an
        outbox row), or why it failed again."""
        async with self._sessions() as session:
            query = select(DeadLetterRow).order_by(col(DeadLetterRow.id))
            if ids is not None:
                query = query.where(col(DeadLetterRow.id).in_(ids))
            rows = list(await session.scalars(query))
        outcomes = {}
        for row in rows:
            assert row.id is not None
            try:
                outcomes[row.id] = await self._retry_one(row)
            except Exception as exc:
                outcomes[row.id] = f"failed again: {describe(exc)}"
                await self._failed_again(row.id, outcomes[row.id])
        return outcomes

    async def _retry_one(self, row: DeadLetterRow) -> str:
        if row.consumer == OUTBOX_RELAY:
            async with self._sessions() as session, session.begin():
                taken = delete(DeadLetterRow).where(col(DeadLetterRow.id) == row.id)
                if await session.scalar(taken.returning(col(DeadLetterRow.id))) is None:
                    return "duplicate"  # another retry of it went first
                await session.execute(
                    insert(OutboxRow),
                    {
                        "event_id": row.event_id,
                        "topic": row.topic,
                        "key": row.key or "",
                        "headers": row.headers,
                        "payload": {},
                        "value": row.value,
                    },
                )
            return "requeued"
        processor = self._processors.get(row.consumer)
        if processor is None:
            raise LookupError(f"no consumer {row.consumer} here")
        record = _record(row)
        read = processor.read(record)
        if read is None:
            raise LookupError(f"nothing here handles {row.topic}")
        outcome = await processor.handle(record, *read)
        await self.discard([row.id] if row.id is not None else [])
        return outcome

    async def _failed_again(self, letter_id: int, error: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(DeadLetterRow)
                .where(col(DeadLetterRow.id) == letter_id)
                .values(error=error[:2000], attempts=col(DeadLetterRow.attempts) + 1)
            )


def _letter(row: DeadLetterRow) -> Letter:
    assert row.id is not None
    return Letter(
        id=row.id,
        consumer=row.consumer,
        topic=row.topic,
        partition=row.partition,
        offset=row.offset,
        event_type=row.event_type,
        key=row.key,
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
    )


def _record(row: DeadLetterRow) -> ConsumerRecord[bytes, bytes]:
    """The dead letter as the record it was received as."""
    return ConsumerRecord(
        topic=row.topic,
        partition=row.partition,
        offset=row.offset,
        timestamp=0,
        timestamp_type=0,
        key=row.key.encode() if row.key is not None else None,
        value=row.value,
        checksum=None,
        serialized_key_size=len(row.key or ""),
        serialized_value_size=len(row.value),
        headers=[(name, value.encode()) for name, value in row.headers.items()],
    )
