"""The consumer runner: one consumer group per service, effectively-once handlers.

For each record: decode the CloudEvent, open a unit of work, claim the event in the inbox
(a duplicate is skipped), run the handler, commit. A failing handler is retried with
exponential backoff; after `consumer_max_attempts` the record is dead-lettered (a row in
`dead_letters` plus the record on `<topic>.dlq`, both through the outbox in one transaction)
and the partition moves on. Offsets are committed only after that transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from opentelemetry import propagate, trace
from opentelemetry.metrics import Observation
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared.errors import Contended, Unavailable, describe
from shared.events import Envelope, Event, decode
from shared.events.envelope import MalformedEvent
from shared.kafka.client import dlq_topic
from shared.messaging import Handler, Handlers, check_handlers
from shared.settings import Settings
from shared.telemetry import attributes as attr
from shared.telemetry import instruments
from shared.uow import DeadLetter, OutboxRecord, UnitOfWork

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)

UowFactory = Callable[[], UnitOfWork]
# Errors no retry can fix: dead-letter at once.
PERMANENT_ERRORS = (MalformedEvent, ValidationError)
# The database or network is away: wait for it, however long, and dead-letter nothing.
TRANSIENT_ERRORS = (ConnectionError, OSError, TimeoutError)


def transient(exc: BaseException) -> bool:
    """Away, not wrong: the unit of work says so (`Unavailable`), a contended write aside (a
    unique key or a deadlock that keeps recurring is the handler's own failure)."""
    if isinstance(exc, Unavailable):
        return not isinstance(exc, Contended)
    return isinstance(exc, TRANSIENT_ERRORS)


MAX_TRANSIENT_BACKOFF = 10.0


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        handlers: Handlers,
        uow: UowFactory,
        settings: Settings,
    ) -> None:
        check_handlers(handlers)
        self.group = group
        self._handlers = {settings.topic(cls.TYPE): (cls, handler) for cls, handler in handlers.items()}
        self._uow = uow
        self._settings = settings
        self.topics = sorted(self._handlers)
        self._consumer: AIOKafkaConsumer | None = None
        self.lag: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._rebalances = _Rebalances(self._committed)
        self.last_commit = self.last_progress = time.monotonic()
        instruments.observe(
            "cascade.consumer.lag", "Records behind the end of each partition.", self._observe_lag
        )
        instruments.observe(
            "cascade.consumer.seconds_since_commit",
            "Seconds since this consumer group last committed an offset.",
            self._observe_commit_age,
            unit="s",
        )

    async def start(self) -> None:
        if not self._handlers:
            return
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
        )
        self._consumer.subscribe(self.topics, listener=self._rebalances)
        await self._consumer.start()
        self.last_commit = self.last_progress = time.monotonic()

    async def stop(self) -> None:
        instruments.forget("cascade.consumer.lag", self._observe_lag)
        instruments.forget("cascade.consumer.seconds_since_commit", self._observe_commit_age)
        if self._consumer is not None:
            await self._consumer.stop()

    async def run(self) -> None:
        if self._consumer is None:
            return
        consumer = self._consumer
        lag_task = asyncio.create_task(self._track_lag(consumer))
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                if not batch:
                    continue
                generation = self._rebalances.generation
                done = await asyncio.gather(*[self._process_partition(tp, rs) for tp, rs in batch.items()])
                offsets = {tp: last + 1 for tp, last in zip(batch, done, strict=True) if last is not None}
                if offsets and generation != self._rebalances.generation:
                    # Fetched before a rebalance: the offsets may belong to another log (a broker
                    # that restarted empty counts again from 0). The records come again.
                    log.warning("consumer.stale_batch_not_committed", group=self.group)
                    continue
                if offsets:
                    try:
                        await consumer.commit(offsets)
                    except CommitFailedError as exc:
                        # The group moved on (a rebalance, or a broker that forgot it): these
                        # records come again to whoever owns them now; the inbox absorbs them.
                        log.warning("consumer.commit_failed", group=self.group, error=repr(exc))
                        continue
                    self._committed.update(offsets)
                    self.last_commit = self.last_progress = time.monotonic()
        finally:
            lag_task.cancel()

    async def _process_partition(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> int | None:
        """Process in order; returns the last offset done. A record that could not even be
        dead-lettered is fetched again later: the partition is rewound to it, never skipped."""
        last = None
        for record in records:
            try:
                await self.process(record)
            except Exception:
                log.exception(
                    "consumer.record_failed", group=self.group, topic=tp.topic, offset=record.offset
                )
                assert self._consumer is not None
                self._consumer.seek(tp, record.offset)
                await asyncio.sleep(1.0)
                break
            last = int(record.offset)
        return last

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Handle one record; returns its outcome."""
        started = time.perf_counter()
        outcome = "ignored"
        envelope: Envelope | None = None
        try:
            envelope = decode(record.headers, record.value or b"")
            registered = self._handlers.get(record.topic)
            if registered is None:
                return outcome
            event_class, handler = registered
            if envelope.type != event_class.TYPE:
                raise MalformedEvent(f"topic {record.topic} carries {event_class.TYPE}, not {envelope.type}")
            event = event_class.model_validate(envelope.data)
            outcome = await self._with_retries(record, envelope, event, handler)
        except PERMANENT_ERRORS as exc:
            outcome = await self._dead_letter(record, envelope, describe(exc), 1)
        finally:
            attributes = {attr.TOPIC: record.topic, attr.OUTCOME: outcome, attr.GROUP: self.group}
            instruments.events_consumed().add(1, attributes)
            instruments.handler_duration().record(time.perf_counter() - started, attributes)
        return outcome

    async def _with_retries(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope, event: Event, handler: Handler
    ) -> str:
        """A failing handler is retried with backoff, then dead-lettered; an outage is waited out."""
        backoff = self._settings.consumer_backoff_seconds
        attempts = waits = 0
        while True:
            try:
                return await self._handle(record, envelope, event, handler)
            except PERMANENT_ERRORS:
                raise
            except Exception as exc:
                if transient(exc):
                    waits += 1
                    log.warning("consumer.waiting_for_infrastructure", group=self.group, error=repr(exc))
                    await asyncio.sleep(min(backoff * 2**waits, MAX_TRANSIENT_BACKOFF))
                    continue
                attempts += 1
                error = describe(exc)
                log.warning(
                    "consumer.handler_failed",
                    group=self.group,
                    topic=record.topic,
                    event_id=envelope.id,
                    attempt=attempts,
                    error=error,
                )
                if attempts >= self._settings.consumer_max_attempts:
                    return await self._dead_letter(record, envelope, error, attempts)
                await asyncio.sleep(backoff * 2 ** (attempts - 1))

    async def _handle(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope, event: Event, handler: Handler
    ) -> str:
        with tracer.start_as_current_span(
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
        ):
            async with self._uow() as uow:
                if not await uow.claim(self.group, envelope.id):
                    return "duplicate"
                await handler(event, envelope, uow, self._settings)
                await uow.commit()
            return "processed"

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope | None,
        error: str,
        attempts: int,
    ) -> str:
        """Keep the record (a `dead_letters` row) and queue it, as received, on `<topic>.dlq`."""
        headers = {name: _text(raw) for name, raw in record.headers}
        key = _text(record.key) if record.key else None
        event_id = envelope.id if envelope else f"{record.topic}/{record.partition}/{record.offset}"
        error = _text(error.encode())[:2000]
        async with self._uow() as uow:
            if not await uow.claim(self.group, event_id):
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
        log.error(
            "consumer.dead_lettered", group=self.group, topic=record.topic, event_id=event_id, error=error
        )
        return "dead_lettered"

    async def _track_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag = end offset - committed offset, per assigned partition, every 2 s."""
        while True:
            try:
                assigned = list(consumer.assignment())
                if assigned:
                    ends = await consumer.end_offsets(assigned)
                    for tp in assigned:
                        if tp not in self._committed:  # asked of the group once per partition
                            self._committed[tp] = await consumer.committed(tp) or 0
                    # A rebalance may clear `_committed` meanwhile: unknown counts as nothing done.
                    self.lag = {tp: max(0, end - self._committed.get(tp, 0)) for tp, end in ends.items()}
                    if not any(self.lag.values()):
                        self.last_progress = time.monotonic()
            except Exception as exc:
                log.warning("consumer.lag_unavailable", group=self.group, error=repr(exc))
            await asyncio.sleep(2.0)

    def assigned(self) -> bool:
        """True once the group has given this consumer its partitions."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def stalled(self) -> bool:
        """True when there is lag but no progress (a commit, or no lag) for the stall window."""
        waited = time.monotonic() - self.last_progress
        return sum(self.lag.values()) > 0 and waited > self._settings.consumer_stall_seconds

    def _observe_lag(self) -> list[Observation]:
        return [
            Observation(
                lag,
                {attr.GROUP: self.group, attr.TOPIC: tp.topic, attr.PARTITION: str(tp.partition)},
            )
            for tp, lag in self.lag.items()
        ]

    def _observe_commit_age(self) -> list[Observation]:
        return [Observation(time.monotonic() - self.last_commit, {attr.GROUP: self.group})]


class _Rebalances(ConsumerRebalanceListener):  # type: ignore[misc]
    """Counts assignment changes, so that a batch fetched before one is never committed."""

    def __init__(self, committed: dict[TopicPartition, int]) -> None:
        self.generation = 0
        self._committed = committed

    async def on_partitions_revoked(self, revoked: object) -> None:
        self.generation += 1

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.generation += 1
        self._committed.clear()


def _text(raw: bytes) -> str:
    """Bytes as text PostgreSQL can store (JSONB and TEXT refuse NUL)."""
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
