"""One consumed record through its handler, effectively once: decode the CloudEvent, claim it in
the inbox, run the handler, commit; or dead-letter it.

Three kinds of failure, three answers. What no retry can fix (an undecodable record, a payload
that fails validation, data the database refuses) is dead-lettered at once. An outage (the
database or a service this depends on is away: `Unavailable`) is waited out, however long, and
dead-letters nothing. Anything else is the handler's own failure: retried with backoff, then
dead-lettered after `consumer_max_attempts`. A dead letter is a `dead_letters` row plus the
record on `<topic>.dlq`, both through the outbox in one transaction; it leaves the event's inbox
key free, so that `cascade dead-letters retry` can process it later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeAlias

import structlog
from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared.errors import Contended, Unavailable, describe
from shared.events import Envelope, Event, decode
from shared.events.envelope import MalformedEvent
from shared.kafka.client import dlq_topic
from shared.kafka.throttle import Throttle
from shared.messaging import Handler, Handlers, Lane, check_handlers, lane_topic
from shared.settings import Settings
from shared.telemetry import attributes as attr
from shared.telemetry import instruments
from shared.uow import DataRejected, DeadLetter, OutboxRecord, UnitOfWork

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)

UowFactory = Callable[[], UnitOfWork]
Record: TypeAlias = ConsumerRecord[bytes, bytes]
# Errors no retry can fix: dead-letter at once.
PERMANENT_ERRORS = (MalformedEvent, ValidationError, DataRejected)
# The database or network is away: wait for it, however long, and dead-letter nothing.
TRANSIENT_ERRORS = (ConnectionError, OSError, TimeoutError)
MAX_TRANSIENT_BACKOFF = 10.0


def transient(exc: BaseException) -> bool:
    """Away, not wrong: the unit of work says so (`Unavailable`), a contended write aside (a
    unique key or a deadlock that keeps recurring is the handler's own failure)."""
    if isinstance(exc, Unavailable):
        return not isinstance(exc, Contended)
    return isinstance(exc, TRANSIENT_ERRORS)


def consumer_group(settings: Settings, service: str) -> str:
    return settings.topic(f"cascade-{service}")


def bulk_group(settings: Settings, service: str) -> str:
    """The group that reads the service's bulk lanes (a backfill)."""
    return settings.topic(f"cascade-{service}-bulk")


def dead_letter_key(event_id: str) -> str:
    """The inbox key that keeps one dead letter per event, apart from the event's own key."""
    return f"dead-letter:{event_id}"


class Undone(Exception):
    """A record that could not be handled nor dead-lettered: fetch it again later."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


class RecordProcessor:
    def __init__(
        self, *, group: str, handlers: Handlers, uow: UowFactory, settings: Settings, lane: Lane = "live"
    ) -> None:
        check_handlers(handlers)
        self.group = group
        self.handlers = {
            lane_topic(settings.topic(cls.TYPE), lane): (cls, handler) for cls, handler in handlers.items()
        }
        self._uow = uow
        self._settings = settings
        self._say = Throttle()

    def read(self, record: Record) -> tuple[Envelope, Event, Handler] | None:
        """The record as its handler takes it; None for a topic nobody here handles. Whatever
        `decode` or validation raises (a bad `ce_time`, JSON nested past recursion) is malformed."""
        registered = self.handlers.get(record.topic)
        if registered is None:
            return None
        event_class, handler = registered
        try:
            envelope = decode(record.headers, record.value or b"")
            if envelope.type != event_class.TYPE:
                raise MalformedEvent(f"topic {record.topic} carries {event_class.TYPE}, not {envelope.type}")
            return envelope, event_class.model_validate(envelope.data), handler
        except (MalformedEvent, ValidationError):
            raise
        except Exception as exc:
            raise MalformedEvent(f"undecodable record: {describe(exc)}"[:500]) from exc

    async def process_batch(self, records: list[Record]) -> None:
        """A partition's records in one transaction (one inbox claim statement, the handlers'
        effects and events committed together). A batch that fails is rolled back and split in
        halves until the failing record is alone, which then takes the one-record path; an
        outage is waited out with the batch whole. Raises `Undone` for a record that could not
        even be dead-lettered (the offsets before it are done)."""
        if len(records) == 1:
            try:
                await self.process(records[0])
            except Exception as exc:
                raise Undone(records[0].offset) from exc
            return
        waits = 0
        while True:
            started = time.perf_counter()
            try:
                items = [(record, self.read(record)) for record in records]
                outcomes = await self._handle_together([(r, read) for r, read in items if read is not None])
            except Exception as exc:
                if not transient(exc):
                    middle = len(records) // 2
                    await self.process_batch(records[:middle])
                    await self.process_batch(records[middle:])
                    return
                waits += 1
                self._say(
                    log.warning, "consumer.waiting_for_infrastructure", group=self.group, error=repr(exc)
                )
                await asyncio.sleep(
                    min(self._settings.consumer_backoff_seconds * 2**waits, MAX_TRANSIENT_BACKOFF)
                )
                continue
            each = (time.perf_counter() - started) / len(records)
            for record, _ in items:
                self._count(record, outcomes.get(record.offset, "ignored"), each)
            return

    async def _handle_together(
        self, items: list[tuple[Record, tuple[Envelope, Event, Handler]]]
    ) -> dict[int, str]:
        outcomes: dict[int, str] = {}
        async with self._uow() as uow:
            claimed = await uow.claim_many(self.group, [envelope.id for _, (envelope, _, _) in items])
            for record, (envelope, event, handler) in items:
                if envelope.id not in claimed:
                    outcomes[record.offset] = "duplicate"
                    continue
                claimed.discard(envelope.id)  # the same event twice in one batch applies once
                with self._span(record, envelope):
                    await handler(event, envelope, uow, self._settings)
                outcomes[record.offset] = "processed"
            await uow.commit()
        return outcomes

    def _count(self, record: Record, outcome: str, seconds: float) -> None:
        attributes = {attr.TOPIC: record.topic, attr.OUTCOME: outcome, attr.GROUP: self.group}
        instruments.events_consumed().add(1, attributes)
        instruments.handler_duration().record(seconds, attributes)

    async def process(self, record: Record) -> str:
        """Handle one record; returns its outcome."""
        started = time.perf_counter()
        outcome = "ignored"
        envelope: Envelope | None = None
        try:
            read = self.read(record)
            if read is not None:
                envelope, event, handler = read
                outcome = await self._with_retries(record, envelope, event, handler)
        except PERMANENT_ERRORS as exc:
            outcome = await self.dead_letter(record, envelope, describe(exc), 1)
        finally:
            self._count(record, outcome, time.perf_counter() - started)
        return outcome

    async def _with_retries(self, record: Record, envelope: Envelope, event: Event, handler: Handler) -> str:
        backoff = self._settings.consumer_backoff_seconds
        attempts = waits = 0
        while True:
            try:
                return await self.handle(record, envelope, event, handler)
            except PERMANENT_ERRORS:
                raise
            except Exception as exc:
                if transient(exc):
                    waits += 1
                    self._say(
                        log.warning, "consumer.waiting_for_infrastructure", group=self.group, error=repr(exc)
                    )
                    await asyncio.sleep(min(backoff * 2**waits, MAX_TRANSIENT_BACKOFF))
                    continue
                attempts += 1
                error = describe(exc)
                self._say(
                    log.warning,
                    "consumer.handler_failed",
                    key=record.topic,
                    group=self.group,
                    topic=record.topic,
                    event_id=envelope.id,
                    attempt=attempts,
                    error=error,
                )
                if attempts >= self._settings.consumer_max_attempts:
                    return await self.dead_letter(record, envelope, error, attempts)
                await asyncio.sleep(backoff * 2 ** (attempts - 1))

    async def handle(self, record: Record, envelope: Envelope, event: Event, handler: Handler) -> str:
        """The handler's effects and the inbox row in one transaction: "processed" or "duplicate"."""
        return (await self._handle_together([(record, (envelope, event, handler))]))[record.offset]

    def _span(self, record: Record, envelope: Envelope) -> Any:
        return tracer.start_as_current_span(
            f"{record.topic} process",
            context=propagate.extract(envelope.trace),
            kind=SpanKind.CONSUMER,
            attributes={
                attr.MESSAGING_SYSTEM: "kafka",
                attr.MESSAGING_DESTINATION: record.topic,
                attr.MESSAGING_OPERATION: "process",
                attr.MESSAGING_MESSAGE_ID: envelope.id,
                attr.MESSAGING_CONSUMER_GROUP: self.group,
                attr.MESSAGING_PARTITION: str(record.partition),
                attr.MESSAGING_OFFSET: record.offset,
            },
        )

    async def dead_letter(self, record: Record, envelope: Envelope | None, error: str, attempts: int) -> str:
        """Keep the record (a `dead_letters` row) and queue it, as received, on `<topic>.dlq`."""
        headers = {name: _text(raw) for name, raw in record.headers}
        key = _text(record.key) if record.key else None
        event_id = envelope.id if envelope else f"{record.topic}/{record.partition}/{record.offset}"
        error = _text(error.encode())[:2000]
        async with self._uow() as uow:
            if not await uow.claim(self.group, dead_letter_key(event_id)):
                return "duplicate"
            await uow.dead_letter(
                DeadLetter(
                    consumer=self.group,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    event_id=event_id,
                    event_type=envelope.type if envelope else None,
                    key=key,
                    headers=headers,
                    value=record.value or b"",
                    error=error,
                    attempts=attempts,
                )
            )
            uow.add_raw(
                OutboxRecord(
                    topic=dlq_topic(record.topic),
                    key=key or event_id,
                    event_id=f"{self.group}:{event_id}",
                    headers={
                        **headers,
                        "x-error": error,
                        "x-failed-by": self.group,
                        "x-attempts": str(attempts),
                        "x-original-topic": record.topic,
                        "x-original-partition": str(record.partition),
                        "x-original-offset": str(record.offset),
                    },
                    value=record.value or b"",
                )
            )
            await uow.commit()
        self._say(
            log.error,
            "consumer.dead_lettered",
            key=record.topic,
            group=self.group,
            topic=record.topic,
            event_id=event_id,
            error=error,
        )
        return "dead_lettered"


def _text(raw: bytes) -> str:
    """Bytes as text PostgreSQL can store (JSONB and TEXT refuse NUL)."""
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
