"""The consumer runner: one consumer group per service, each partition processed on its own.

What `getmany` returns for a partition goes to a task of that partition's own, and the partition
is paused until the task is done: it processes the records in order (`RecordProcessor`), commits
the partition's offset after their transactions, and resumes it. A partition that waits out an
outage or retries a failing handler holds up no other. A record that could not even be
dead-lettered is fetched again: the partition is rewound to it, never skipped.

A partition with lag and no progress (a commit, or no lag) for `consumer_stall_seconds` is
stalled, and `/readyz` fails. Topics the broker forgot (an in-memory broker restarted empty)
are created again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from functools import partial

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError, UnknownTopicOrPartitionError
from opentelemetry.metrics import Observation

from shared.kafka.client import dlq_topic, ensure_topics
from shared.kafka.records import Record, RecordProcessor, Undone, UowFactory
from shared.kafka.throttle import Throttle
from shared.messaging import Handlers, Lane
from shared.settings import Settings
from shared.telemetry import attributes as attr
from shared.telemetry import instruments

log = structlog.get_logger(__name__)

# How long a revoked partition's task may finish its records before it is cancelled.
REVOKE_GRACE_SECONDS = 10.0
METADATA_MAX_AGE_MS = 5000
TOPIC_CHECK_SECONDS = 5.0
LIVE_POLL_RECORDS = 200
BULK_POLL_RECORDS = 50
# A live runner that fetched records this recently is about to fetch more: the bulk lane waits.
LIVE_QUIET_SECONDS = 0.2
DEFERRAL_POLL_SECONDS = 0.02
# Then it goes ahead anyway: under endless live traffic a backfill still moves, and its consumer
# polls well within the group's max.poll.interval.
MAX_DEFERRAL_SECONDS = 10.0


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        handlers: Handlers,
        uow: UowFactory,
        settings: Settings,
        lane: Lane = "live",
        defer_to: ConsumerRunner | None = None,
    ) -> None:
        """A bulk lane's runner `defer_to`s the live one: it fetches only while the live runner
        is idle, and in small batches, so a backfill never holds a live event up for long."""
        self.group = group
        self.records = RecordProcessor(group=group, handlers=handlers, uow=uow, settings=settings, lane=lane)
        self._defer_to = defer_to
        self._max_records = BULK_POLL_RECORDS if lane == "bulk" else LIVE_POLL_RECORDS
        self._last_fetch = 0.0
        self._settings = settings
        self.topics = sorted(self.records.handlers)
        self._consumer: AIOKafkaConsumer | None = None
        self.lag: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._progress: dict[TopicPartition, float] = {}
        self._work: dict[TopicPartition, asyncio.Task[None]] = {}
        self._rebalances = _Rebalances(self)
        self._say = Throttle()
        self.last_commit = time.monotonic()
        instruments.observe(
            "cascade.consumer.lag", "Records behind the end of each partition.", self._observe_lag
        )
        instruments.observe(
            "cascade.consumer.stalled_partitions",
            "Partitions with lag and no commit for the stall window (/readyz fails meanwhile).",
            self._observe_stalled,
        )
        instruments.observe(
            "cascade.consumer.seconds_since_commit",
            "Seconds since this consumer group last committed an offset.",
            self._observe_commit_age,
            unit="s",
        )

    async def start(self) -> None:
        if not self.topics:
            return
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._max_records,
            fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
            # A topic re-created after a broker restart is seen within seconds, not 5 minutes.
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        self._consumer.subscribe(self.topics, listener=self._rebalances)
        await self._consumer.start()
        self.last_commit = time.monotonic()

    async def stop(self) -> None:
        instruments.forget("cascade.consumer.lag", self._observe_lag)
        instruments.forget("cascade.consumer.seconds_since_commit", self._observe_commit_age)
        instruments.forget("cascade.consumer.stalled_partitions", self._observe_stalled)
        await self._finish(list(self._work), grace=0)
        if self._consumer is not None:
            await self._consumer.stop()

    async def process(self, record: Record) -> str:
        return await self.records.process(record)

    async def run(self) -> None:
        if self._consumer is None:
            return
        consumer = self._consumer
        watch = asyncio.create_task(self._watch(consumer))
        try:
            while True:
                await self._after_live_work()
                batch = await consumer.getmany(timeout_ms=500)
                if batch:
                    self._last_fetch = time.monotonic()
                for tp, records in batch.items():
                    consumer.pause(tp)
                    generation = self._rebalances.generation
                    task = asyncio.create_task(self._partition(consumer, tp, records, generation))
                    self._work[tp] = task
                    task.add_done_callback(partial(self._done, tp))
        finally:
            watch.cancel()
            await self._finish(list(self._work), grace=0)

    def busy(self) -> bool:
        """Processing records, or fetched some a moment ago (more are likely on their way)."""
        return bool(self._work) or time.monotonic() - self._last_fetch < LIVE_QUIET_SECONDS

    async def _after_live_work(self) -> None:
        waited = 0.0
        while self._defer_to is not None and self._defer_to.busy() and waited < MAX_DEFERRAL_SECONDS:
            await asyncio.sleep(DEFERRAL_POLL_SECONDS)
            waited += DEFERRAL_POLL_SECONDS
        if waited:  # deferring is not stalling
            now = time.monotonic()
            self._progress = dict.fromkeys(self._progress, now)

    async def _partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[Record], generation: int
    ) -> None:
        try:
            last = await self._process_partition(consumer, tp, records, generation)
            if last is not None:
                await self._commit(consumer, tp, last + 1, generation)
        finally:
            if tp in consumer.assignment():
                consumer.resume(tp)

    async def _process_partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[Record], generation: int
    ) -> int | None:
        """Process in order, as one batch; returns the last offset done."""
        try:
            await self.records.process_batch(records)
        except Undone as undone:
            self._say(
                log.error,
                "consumer.record_failed",
                key=str(tp),
                group=self.group,
                topic=tp.topic,
                partition=tp.partition,
                offset=undone.offset,
                error=repr(undone.__cause__),
            )
            # Only within the assignment it was fetched in: after a rebalance the offset may be of
            # another log (a broker that restarted empty), and the new owner starts where it should.
            if tp in consumer.assignment() and generation == self._rebalances.generation:
                consumer.seek(tp, undone.offset)
            await asyncio.sleep(1.0)
            return undone.offset - 1 if undone.offset > records[0].offset else None
        return int(records[-1].offset)

    async def _commit(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int, generation: int
    ) -> None:
        if generation != self._rebalances.generation:
            # Fetched before a rebalance: the offset may belong to another log (a broker that
            # restarted empty counts again from 0). The records come again; the inbox absorbs them.
            self._say(log.warning, "consumer.stale_batch_not_committed", key=str(tp), group=self.group)
            return
        try:
            await consumer.commit({tp: offset})
        except (CommitFailedError, KafkaError) as exc:
            # The group moved on, or the broker forgot the topic: these records come again to
            # whoever owns them then.
            self._say(log.warning, "consumer.commit_failed", key=str(tp), group=self.group, error=repr(exc))
            if isinstance(exc, UnknownTopicOrPartitionError):
                await self._recreate_topics()
            return
        self._committed[tp] = offset
        self.last_commit = self._progress[tp] = time.monotonic()

    def _done(self, tp: TopicPartition, task: asyncio.Task[None]) -> None:
        if self._work.get(tp) is task:
            del self._work[tp]
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("consumer.partition_task_failed", group=self.group, partition=str(tp), error=repr(exc))

    async def _finish(self, partitions: list[TopicPartition], grace: float) -> None:
        """Let the partitions' tasks end within `grace` seconds, then cancel what still runs."""
        tasks = [self._work[tp] for tp in partitions if tp in self._work]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace) if grace > 0 else (set(), set(tasks))
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _recreate_topics(self) -> None:
        topics = self.topics + [dlq_topic(t) for t in self.topics]
        try:
            await ensure_topics(self._settings, topics)
        except Exception as exc:
            self._say(log.warning, "consumer.topics_not_created", group=self.group, error=repr(exc))

    async def _watch(self, consumer: AIOKafkaConsumer) -> None:
        """Every 2 s: lag per assigned partition (end offset - committed offset); every few
        seconds, the topics that should exist."""
        checked = 0.0
        while True:
            try:
                if time.monotonic() - checked > TOPIC_CHECK_SECONDS:
                    checked = time.monotonic()
                    if set(self.topics) - await consumer.topics():
                        log.warning("consumer.topics_missing", group=self.group)
                        await self._recreate_topics()
                await self._measure_lag(consumer)
            except Exception as exc:
                self._say(log.warning, "consumer.lag_unavailable", group=self.group, error=repr(exc))
            await asyncio.sleep(2.0)

    async def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        assigned = list(consumer.assignment())
        if not assigned:
            self.lag = {}
            return
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            if tp not in self._committed:  # asked of the group once per partition
                self._committed[tp] = await consumer.committed(tp) or 0
        now = time.monotonic()
        # A rebalance may clear `_committed` meanwhile: unknown counts as nothing done.
        self.lag = {tp: max(0, end - self._committed.get(tp, 0)) for tp, end in ends.items()}
        for tp, lag in self.lag.items():
            if not lag:
                self._progress[tp] = now
            self._progress.setdefault(tp, now)

    def assigned(self) -> bool:
        """True once the group has given this consumer its partitions."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def stalled(self) -> list[TopicPartition]:
        """Partitions with lag and no progress (a commit, or no lag) for the stall window."""
        now = time.monotonic()
        window = self._settings.consumer_stall_seconds
        return [tp for tp, lag in self.lag.items() if lag > 0 and now - self._progress.get(tp, now) > window]

    def _observe_lag(self) -> list[Observation]:
        return [
            Observation(
                lag,
                {attr.GROUP: self.group, attr.TOPIC: tp.topic, attr.PARTITION: str(tp.partition)},
            )
            for tp, lag in self.lag.items()
        ]

    def _observe_stalled(self) -> list[Observation]:
        return [Observation(len(self.stalled()), {attr.GROUP: self.group})]

    def _observe_commit_age(self) -> list[Observation]:
        return [Observation(time.monotonic() - self.last_commit, {attr.GROUP: self.group})]

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._finish(list(revoked), grace=REVOKE_GRACE_SECONDS)

    def on_assigned(self, assigned: set[TopicPartition]) -> None:
        self._committed.clear()
        now = time.monotonic()
        self._progress = {tp: now for tp in assigned}


class _Rebalances(ConsumerRebalanceListener):  # type: ignore[misc]
    """Counts assignment changes, so that records fetched before one are never committed, and
    lets a revoked partition's task finish (or cancels it) before another consumer takes it."""

    def __init__(self, runner: ConsumerRunner) -> None:
        self.generation = 0
        self._runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.generation += 1
        await self._runner.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.generation += 1
        self._runner.on_assigned(assigned)
