"""The unit of work: one transaction for a change, its outbox events and its inbox row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from opentelemetry import propagate
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import Envelope, Event, encode_headers
from shared.tables import OutboxRow

# Plain SQL on purpose: SQLAlchemy never caches the PostgreSQL `insert ... on conflict`
# construct, and this runs for every consumed event.
CLAIM = text(
    "INSERT INTO inbox (consumer, event_id) VALUES (:consumer, :event_id)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]


class UnitOfWork:
    """`async with uow:` opens the transaction; it rolls back unless `commit()` was called."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str,
        topic: Callable[[str], str],
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._source = source
        self._topic = topic

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._outbox: list[dict[str, object]] = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        queued = bool(self._outbox)
        if queued:
            # One cached, batched Core insert instead of an ORM flush per row.
            await self.session.execute(insert(OUTBOX), self._outbox)
            self._outbox = []
        await self.session.commit()
        if queued and self._on_commit is not None:
            self._on_commit()

    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record `event_id` as processed by `consumer`; False when it already was."""
        claimed = await self.session.execute(CLAIM, {"consumer": consumer, "event_id": event_id})
        return claimed.first() is not None

    def emit(self, event: Event, *, aggregate_version: int | None = None) -> Envelope:
        """Queue `event` in the outbox with the current trace context."""
        trace: dict[str, str] = {}
        propagate.inject(trace)
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source=f"cascade/{self._source}",
            type=event.TYPE,
            subject=event.key(),
            time=datetime.now(UTC),
            data=event.model_dump(mode="json"),
            dataschema=event.dataschema(),
            aggregate_version=aggregate_version,
            trace=trace,
        )
        self.add_raw(
            topic=self._topic(event.TYPE),
            key=envelope.subject,
            event_id=envelope.id,
            headers={k: v.decode() for k, v in encode_headers(envelope)},
            payload=envelope.data,
        )
        return envelope

    def add_raw(
        self,
        *,
        topic: str,
        key: str,
        event_id: str,
        headers: dict[str, str],
        payload: dict[str, object] | None = None,
        value: bytes | None = None,
    ) -> None:
        """Queue a record: JSON `payload`, or `value` sent byte for byte."""
        self._outbox.append(
            {
                "event_id": event_id,
                "topic": topic,
                "key": key,
                "headers": headers,
                "payload": payload or {},
                "value": value,
            }
        )
