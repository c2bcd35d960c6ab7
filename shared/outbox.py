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
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata
from opentelemetry import propagate, trace
from opentelemetry.metrics import Observation
from opentelemetry.trace import SpanKind
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.kafka.client import Landmark, ensure_topics, lost_topics
from shared.settings import Settings
from shared.tables import OutboxRow
from shared.telemetry import attributes as attr
from shared.telemetry import instruments

log = structlog.get_logger(__name__)
tracer = trace.get_tracer(__name__)


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
        """Publish as rows come; beside it, and never delaying it, check the broker and prune."""
        async with asyncio.TaskGroup() as loops:  # one failing cancels the other
            loops.create_task(self._publish_forever())
            loops.create_task(self._check_forever())

    async def _publish_forever(self) -> None:
        while True:
            try:
                published = await self.publish_batch()
                self.last_success = time.monotonic()
                self.last_error = None
            except (KafkaError, OSError, SQLAlchemyError) as exc:
                self.last_error = repr(exc)
                log.warning("outbox.publish_failed", schema=self.schema, error=repr(exc))
                published = 0
                await asyncio.sleep(1.0)
            if not published:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self._settings.outbox_poll_seconds)
                self.wake.clear()

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self._settings.outbox_check_seconds)
            try:
                await self.replay_lost()
                await self.prune()
                await self._measure()
            except (KafkaError, OSError, SQLAlchemyError) as exc:
                log.warning("outbox.check_failed", schema=self.schema, error=repr(exc))

    async def publish_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            leader = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id)))
            if not leader:
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
            results = await asyncio.gather(*[await self._send(row) for row in rows])
            now = datetime.now(UTC)
            for row, metadata in zip(rows, results, strict=True):
                row.published_at, row.partition, row.offset = (
                    now,
                    metadata.partition,
                    metadata.offset,
                )
                instruments.events_published().add(1, {attr.TOPIC: row.topic})
        return len(rows)

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
        """Queue again the retained rows of every topic where the broker lost what it acked.

        The oldest retained published row of each partition is the landmark: if the broker
        no longer holds that very record at its offset, everything after it is suspect too.
        """
        since = datetime.now(UTC) - timedelta(hours=self._settings.outbox_retention_hours)
        async with self._sessions() as session:
            oldest = (
                await session.execute(
                    select(
                        col(OutboxRow.topic),
                        col(OutboxRow.partition),
                        col(OutboxRow.offset),
                        col(OutboxRow.headers)["ce_id"].astext,
                    )
                    .where(col(OutboxRow.published_at).is_not(None), col(OutboxRow.created_at) > since)
                    .order_by(col(OutboxRow.topic), col(OutboxRow.partition), col(OutboxRow.seq))
                    .distinct(col(OutboxRow.topic), col(OutboxRow.partition))
                )
            ).all()
        landmarks = [Landmark(t, p, o, ce_id) for t, p, o, ce_id in oldest if ce_id and o is not None]
        if not landmarks:
            return 0
        lost = await lost_topics(self._probe, landmarks)
        if not lost:
            return 0
        await ensure_topics(self._settings, sorted(lost))
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.topic).in_(lost), col(OutboxRow.created_at) > since)
                .values(published_at=None, partition=None, offset=None)
            )
        count = int(getattr(result, "rowcount", 0) or 0)
        log.warning("outbox.broker_lost_events", schema=self.schema, topics=sorted(lost), requeued=count)
        instruments.outbox_replays().add(count, {attr.SERVICE: self.schema})
        return count

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
