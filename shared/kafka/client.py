"""Kafka clients configured once from settings."""

from __future__ import annotations

import contextlib

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
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


async def ensure_topics(
    settings: Settings, topics: list[str] | str, *, partitions: int | None = None, compacted: bool = False
) -> None:
    """Create the topics that do not exist yet (brokers may forbid auto-creation)."""
    topics = [topics] if isinstance(topics, str) else topics
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        configs = {"cleanup.policy": "compact"} if compacted else {}
        count = partitions or settings.kafka_topic_partitions
        new = [NewTopic(t, count, settings.kafka_replication_factor, topic_configs=configs) for t in missing]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
    finally:
        await admin.close()
