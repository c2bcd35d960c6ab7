"""Kafka clients configured once from settings."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import Settings


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def create_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=2,
        request_timeout_ms=15000,
    )


def create_probe(settings: Settings) -> AIOKafkaConsumer:
    """A group-less consumer for metadata, offsets and the outbox relay's landmark records."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


async def ensure_topics(settings: Settings, topics: list[str]) -> None:
    """Create the topics that do not exist yet (brokers may forbid auto-creation)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        new = [
            NewTopic(t, settings.kafka_topic_partitions, settings.kafka_replication_factor) for t in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
    finally:
        await admin.close()


@dataclass(frozen=True)
class Landmark:
    """A record the broker acknowledged: `event_id` (its `ce_id`) stored at `offset`."""

    topic: str
    partition: int
    offset: int
    event_id: str


async def lost_topics(probe: AIOKafkaConsumer, landmarks: list[Landmark]) -> set[str]:
    """Topics whose broker no longer holds a record it acknowledged: the topic or partition
    is gone, the offset lies past the end, or another record sits there (an in-memory broker
    restarted and counting again). A record the broker's own retention deleted is no loss."""
    present = await probe.topics()
    lost = {
        mark.topic
        for mark in landmarks
        if mark.partition not in (probe.partitions_for_topic(mark.topic) or ())
    }
    marks = {
        TopicPartition(m.topic, m.partition): m
        for m in landmarks
        if m.topic not in lost and m.topic in present
    }
    if not marks:
        return lost
    starts = await probe.beginning_offsets(list(marks))
    ends = await probe.end_offsets(list(marks))
    probe.assign(list(marks))
    for tp, mark in marks.items():
        if mark.offset < starts[tp]:
            continue
        if mark.offset >= ends[tp]:
            lost.add(tp.topic)
            continue
        probe.seek(tp, mark.offset)
        fetched = (await probe.getmany(tp, timeout_ms=2000, max_records=1)).get(tp, [])
        if fetched and dict(fetched[0].headers).get("ce_id", b"").decode() != mark.event_id:
            lost.add(tp.topic)
    return lost
