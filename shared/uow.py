"""The unit of work: one transaction for a change, the events it causes and the event it handles.

`async with uow:` opens it and whatever is not committed is rolled back on the way out;
`await uow.commit()` once. A service's own unit of work adds its repositories; the adapters'
subclass (`shared.sql_uow.SqlUnitOfWork`) is the one that writes, and unit tests use fakes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from opentelemetry import propagate

from shared.errors import TooLarge
from shared.events import Envelope, Event, encode_headers
from shared.messaging import Lane, lane_topic

# Below Kafka's default record limit (1 MiB) with room for the headers.
MAX_EVENT_BYTES = 512 * 1024


class DataRejected(Exception):
    """The database refused the data itself (a value out of range, one the driver cannot encode):
    the same input fails the same way on every attempt."""


@dataclass(frozen=True)
class OutboxRecord:
    """A Kafka record waiting in the outbox: JSON `payload`, or `value` sent byte for byte."""

    event_id: str
    topic: str
    key: str
    headers: dict[str, str]
    payload: dict[str, Any] = field(default_factory=dict)
    value: bytes | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A consumed record that failed for good, kept as received with the error."""

    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: str
    event_type: str | None
    key: str | None
    headers: dict[str, str]
    value: bytes
    error: str
    attempts: int


class UnitOfWork:
    def __init__(self, *, source: str, topic: Callable[[str], str]) -> None:
        self._source = source
        self._topic = topic
        self._outbox: list[OutboxRecord] = []

    async def __aenter__(self) -> Self:
        self._outbox = []
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._outbox = []
        await self._close()

    async def commit(self) -> None:
        records, self._outbox = self._outbox, []
        await self._commit(records)

    def emit(self, event: Event, *, aggregate_version: int | None = None, lane: Lane = "live") -> Envelope:
        """Queue `event` for the outbox, with the current trace context; a backfill's events
        go on the bulk lane, behind live traffic."""
        data = event.model_dump(mode="json")
        size = len(json.dumps(data, separators=(",", ":")))
        if size > MAX_EVENT_BYTES:  # the broker would refuse it, and the outbox stall behind it
            raise TooLarge(f"{event.TYPE} would be {size} bytes; events are at most {MAX_EVENT_BYTES}")
        trace: dict[str, str] = {}
        propagate.inject(trace)
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source=f"cascade/{self._source}",
            type=event.TYPE,
            subject=event.key(),
            time=datetime.now(UTC),
            data=data,
            dataschema=event.dataschema(),
            aggregate_version=aggregate_version,
            trace=trace,
        )
        self.add_raw(
            OutboxRecord(
                event_id=envelope.id,
                topic=lane_topic(self._topic(event.TYPE), lane),
                key=envelope.subject,
                headers={k: v.decode() for k, v in encode_headers(envelope)},
                payload=envelope.data,
            )
        )
        return envelope

    def add_raw(self, record: OutboxRecord) -> None:
        self._outbox.append(record)

    @property
    def queued(self) -> list[OutboxRecord]:
        """What `commit` will write to the outbox."""
        return list(self._outbox)

    async def flush_events(self) -> None:
        """Write the queued events now, still inside the transaction (a long bulk path keeps
        memory flat by flushing as it goes); they are published only if it commits."""
        raise NotImplementedError

    async def backlog(self, cap: int) -> int:
        """How many committed events wait for the relay, counted up to `cap` (a bulk path
        paces itself on it, so live events never queue behind a whole file)."""
        raise NotImplementedError

    async def claim(self, consumer: str, event_id: str) -> bool:
        """Record `event_id` as processed by `consumer`; False when it already was."""
        raise NotImplementedError

    async def claim_many(self, consumer: str, event_ids: list[str]) -> set[str]:
        """`claim` for a batch, in one statement: the ids not processed before."""
        raise NotImplementedError

    async def dead_letter(self, letter: DeadLetter) -> None:
        raise NotImplementedError

    async def prune(self, table: str, before: datetime, batch: int) -> int:
        """Delete up to `batch` rows of a platform table (`inbox`, `dead_letters`) older than
        `before`; how many."""
        raise NotImplementedError

    async def forget(self, keys: list[str]) -> None:
        """Drop the published events and the dead letters under these keys (a person erased):
        what is still to publish goes out, and the services downstream erase it in turn."""
        raise NotImplementedError

    async def _open(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    async def _commit(self, records: list[OutboxRecord]) -> None:
        raise NotImplementedError
