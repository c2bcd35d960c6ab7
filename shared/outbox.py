"""The outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

One relay per service schema publishes at a time (a transaction-scoped advisory lock makes
the others standbys, which keeps each aggregate's events in order across replicas); rows are
claimed with SKIP LOCKED. Published rows are kept for `outbox_retention_hours`: when the
broker turns out to have lost what it acknowledged (an in-memory broker restarted empty),
they are queued again, and consumers' inboxes make the replay harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import InvalidTopicError, KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from aiokafka.structs import RecordMetadata
from opentelemetry import propagate, trace
from opentelemetry.metrics import Observation
from opentelemetry.trace import SpanKind
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.dead_letters import OUTBOX_RELAY
from shared.errors import describe
from shared.kafka.client import ensure_topics
from shared.kafka.losses import Landmark, Loss, LossDetector
from shared.kafka.throttle import Throttle
from shared.settings import Settings
from shared.tables import DeadLetterRow, OutboxRow
from shared.telemetry import attributes as attr
from shared.telemetry import instruments

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)
# A row the broker will never take (over its record size limit, a topic name it refuses): it goes
# to `dead_letters`, and the relay moves on to the next.
UNPUBLISHABLE = (MessageSizeTooLargeError, RecordTooLargeError, InvalidTopicError)


class OutboxRelay:
    def __init__(
        self,
        *,
        schema: str,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        probe: AIOKafkaConsumer,
        settings: Settings,
        wake: asyncio.Event | None = None,
    ) -> None:
        self.schema = schema
        self._sessions = sessions
        self._producer = producer
        self._probe = probe
        self._settings = settings
        # Set by this process's commits that queued events; other writers are polled for.
        self.wake = wake or asyncio.Event()
        self._lock_id = zlib.crc32(f"cascade-outbox-{schema}".encode())
        self._losses = LossDetector(
            probe,
            self._landmarks,
            producer=producer,
            marker=settings.topic(f"cascade-outbox-{schema}.marker"),
            retained=self._published_topics,
            create_marker_topic=partial(ensure_topics, settings, partitions=1, compacted=True),
        )
        self._leader = False  # a relay that becomes the leader checks the broker thoroughly first
        self._say = Throttle()
        self.last_success = time.monotonic()
        self.last_error: str | None = None
        self._pending = 0
        self._oldest_pending_age = 0.0
        instruments.observe("cascade.outbox.pending", "Outbox rows not yet published.", self._observe_pending)
        instruments.observe(
            "cascade.outbox.oldest_pending",
            "Age of the oldest unpublished outbox row (outbox lag).",
            self._observe_age,
            unit="s",
        )

    def _observe_pending(self) -> list[Observation]:
        return [Observation(self._pending, {attr.SERVICE: self.schema})]

    def _observe_age(self) -> list[Observation]:
        return [Observation(self._oldest_pending_age, {attr.SERVICE: self.schema})]

    def close(self) -> None:
        instruments.forget("cascade.outbox.pending", self._observe_pending)
        instruments.forget("cascade.outbox.oldest_pending", self._observe_age)

    async def run(self) -> None:
        """Publish as rows come, checking the broker between batches on its clock; beside it,
        never delaying it, prune and measure."""
        async with asyncio.TaskGroup() as loops:  # one failing cancels the other
            loops.create_task(self._publish_forever())
            loops.create_task(self._tidy_forever())

    async def _publish_forever(self) -> None:
        checked = time.monotonic()
        while True:
            try:
                if time.monotonic() - checked > self._settings.outbox_check_seconds:
                    checked = time.monotonic()
                    await self.replay_lost()
                published = await self.publish_batch()
                self.last_success = time.monotonic()
                self.last_error = None
            except (KafkaError, OSError, SQLAlchemyError) as exc:
                self.last_error = repr(exc)
                self._say(log.warning, "outbox.publish_failed", schema=self.schema, error=repr(exc))
                published = 0
                await asyncio.sleep(1.0)
            if not published:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self._settings.outbox_poll_seconds)
                self.wake.clear()

    async def _tidy_forever(self) -> None:
        while True:
            await asyncio.sleep(self._settings.outbox_check_seconds)
            try:
                await self.prune()
                await self._measure()
            except (OSError, SQLAlchemyError) as exc:
                self._say(log.warning, "outbox.tidy_failed", schema=self.schema, error=repr(exc))

    async def publish_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            leader = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id)))
            if not leader:
                self._leader = False
                return 0
            rows = (
                await session.scalars(
                    select(OutboxRow)
                    .where(col(OutboxRow.published_at).is_(None))
                    .order_by(col(OutboxRow.seq))
                    .limit(self._settings.outbox_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            # Before anything newer goes out, what the broker lost is queued again (in `seq`
            # order, it goes first): a key's events keep their order across a broker restart.
            losses = await self._losses.lost({row.topic for row in rows}, thorough=not self._leader)
            self._leader = True
            if losses:
                await self._requeue(session, losses)
            else:
                await self._mark_published(session, rows, await self._send_all(rows))
        if losses:
            await self._losses.settle()  # the rows queued again are committed
            return 0
        return len(rows)

    async def _mark_published(
        self, session: AsyncSession, rows: Sequence[OutboxRow], results: list[RecordMetadata | BaseException]
    ) -> None:
        now = datetime.now(UTC)
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                await self._dead_letter(session, row, result)
                continue
            row.published_at, row.partition, row.offset = now, result.partition, result.offset
            instruments.events_published().add(1, {attr.TOPIC: row.topic})

    async def _send_all(self, rows: Sequence[OutboxRow]) -> list[RecordMetadata | BaseException]:
        """Each row's record metadata, or the error that makes it unpublishable (over the broker's
        size limit...). Any other error fails the batch: nothing is marked, all of it goes again."""
        sent: list[asyncio.Future[RecordMetadata]] = []
        for row in rows:
            future: asyncio.Future[RecordMetadata]
            try:
                future = await self._send(row)
            except UNPUBLISHABLE as exc:
                future = asyncio.get_running_loop().create_future()
                future.set_exception(exc)
            sent.append(future)
        results = await asyncio.gather(*sent, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, UNPUBLISHABLE):
                raise result
        return results

    async def _dead_letter(self, session: AsyncSession, row: OutboxRow, error: BaseException) -> None:
        """The row leaves the outbox for `dead_letters`, so that every later event still goes out."""
        value = (
            row.value if row.value is not None else json.dumps(row.payload, separators=(",", ":")).encode()
        )
        session.add(
            DeadLetterRow(
                consumer=OUTBOX_RELAY,
                topic=row.topic,
                partition=-1,
                offset=row.seq or 0,
                event_id=row.event_id,
                event_type=row.headers.get("ce_type"),
                key=row.key,
                headers=row.headers,
                value=value,
                error=describe(error)[:2000],
                attempts=1,
            )
        )
        await session.delete(row)
        instruments.outbox_dead_letters().add(1, {attr.SERVICE: self.schema, attr.TOPIC: row.topic})
        log.error(
            "outbox.unpublishable",
            schema=self.schema,
            topic=row.topic,
            event_id=row.event_id,
            error=repr(error),
        )

    async def _send(self, row: OutboxRow) -> asyncio.Future[RecordMetadata]:
        parent = propagate.extract(row.headers)
        with tracer.start_as_current_span(
            f"{row.topic} publish",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                attr.MESSAGING_SYSTEM: "kafka",
                attr.MESSAGING_DESTINATION: row.topic,
                attr.MESSAGING_OPERATION: "publish",
                attr.MESSAGING_MESSAGE_ID: row.event_id,
                attr.MESSAGING_KEY: row.key,
            },
        ):
            headers = dict(row.headers)
            propagate.inject(headers)
            sent: asyncio.Future[RecordMetadata] = await self._producer.send(
                row.topic,
                key=row.key.encode(),
                value=row.value
                if row.value is not None
                else json.dumps(row.payload, separators=(",", ":")).encode(),
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
            return sent

    async def replay_lost(self) -> int:
        """Queue again the retained rows the broker lost, of every topic this outbox published to."""
        async with self._sessions() as session, session.begin():
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id))):
                return 0  # the leader checks before each of its batches
            topics = await self._published_topics()
            if not topics:
                return 0
            losses = await self._losses.lost(topics, thorough=True)
            requeued = await self._requeue(session, losses) if losses else 0
        await self._losses.settle()
        return requeued

    async def _published_topics(self) -> set[str]:
        async with self._sessions() as session:
            published = col(OutboxRow.published_at).is_not(None), col(OutboxRow.created_at) > self._since()
            return set(await session.scalars(select(col(OutboxRow.topic)).where(*published).distinct()))

    async def _requeue(self, session: AsyncSession, losses: list[Loss]) -> int:
        await ensure_topics(self._settings, sorted({loss.topic for loss in losses}))
        count = 0
        for loss in losses:
            where = [
                col(OutboxRow.topic) == loss.topic,
                col(OutboxRow.published_at).is_not(None),
                col(OutboxRow.created_at) > self._since(),
            ]
            if loss.partition is not None:
                where += [col(OutboxRow.partition) == loss.partition, col(OutboxRow.offset) >= loss.offset]
            result = await session.execute(
                update(OutboxRow).where(*where).values(published_at=None, partition=None, offset=None)
            )
            count += int(getattr(result, "rowcount", 0) or 0)
        log.warning(
            "outbox.broker_lost_events",
            schema=self.schema,
            lost=[
                f"{loss.topic}/{'*' if loss.partition is None else loss.partition}@{loss.offset}"
                for loss in losses
            ],
            requeued=count,
        )
        instruments.outbox_replays().add(count, {attr.SERVICE: self.schema})
        return count

    async def _landmarks(self, topics: set[str]) -> list[Landmark]:
        """The oldest and the newest retained published row of each partition of `topics`."""
        marks: list[Landmark] = []
        async with self._sessions() as session:
            for newest in (False, True):
                offset = col(OutboxRow.offset).desc() if newest else col(OutboxRow.offset)
                found = await session.execute(
                    select(
                        col(OutboxRow.topic),
                        col(OutboxRow.partition),
                        col(OutboxRow.offset),
                        col(OutboxRow.headers)["ce_id"].astext,
                    )
                    .where(
                        col(OutboxRow.topic).in_(topics),
                        col(OutboxRow.published_at).is_not(None),
                        col(OutboxRow.offset).is_not(None),
                        col(OutboxRow.created_at) > self._since(),
                    )
                    .order_by(col(OutboxRow.topic), col(OutboxRow.partition), offset)
                    .ext(distinct_on(col(OutboxRow.topic), col(OutboxRow.partition)))
                )
                marks += [Landmark(t, p, o, ce_id) for t, p, o, ce_id in found if ce_id]
        return marks

    def _since(self) -> datetime:
        return datetime.now(UTC) - timedelta(hours=self._settings.outbox_retention_hours)

    async def prune(self) -> None:
        until = datetime.now(UTC) - timedelta(hours=self._settings.outbox_retention_hours)
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(OutboxRow).where(
                    col(OutboxRow.published_at).is_not(None),
                    col(OutboxRow.created_at) < until,
                )
            )

    async def _measure(self) -> None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                        " FROM outbox WHERE published_at IS NULL"
                    )
                )
            ).one()
        self._pending, self._oldest_pending_age = int(row[0]), float(row[1])
