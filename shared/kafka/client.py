"""Kafka clients configured once from settings."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

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
    """A group-less consumer used only to read metadata and end offsets."""
    return AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)


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


async def end_offsets(
    probe: AIOKafkaConsumer, topics: set[str]
) -> tuple[dict[TopicPartition, int], set[str]]:
    """End offsets of every partition of `topics`, and which topics the broker lacks."""
    present = await probe.topics()
    missing = {t for t in topics if t not in present}
    partitions = [
        TopicPartition(t, p) for t in topics - missing for p in sorted(probe.partitions_for_topic(t) or ())
    ]
    offsets = await probe.end_offsets(partitions) if partitions else {}
    return offsets, missing


async def broker_reachable(settings: Settings, wait_seconds: float = 3.0) -> bool:
    probe = create_probe(settings)
    try:
        await asyncio.wait_for(probe.start(), wait_seconds)
        await asyncio.wait_for(probe.topics(), wait_seconds)
        return True
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        with contextlib.suppress(Exception):
            await probe.stop()
