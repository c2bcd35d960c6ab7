"""Events put on the broker as another service's outbox relay would."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from shared.events import Envelope, Event, encode_headers
from tests.support.infra import Broker


def envelope(event: Event, version: int) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="test",
        type=event.TYPE,
        subject=event.key(),
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        aggregate_version=version,
    )


async def produce(producer: AIOKafkaProducer, prefix: str, events: list[Event]) -> None:
    """Each event at aggregate version 1, sent without waiting for each acknowledgement (bulk loads)."""
    sent = []
    for event in events:
        record = envelope(event, 1)
        value = json.dumps(record.data).encode()
        key, headers = event.key().encode(), encode_headers(record)
        sent.append(await producer.send(prefix + event.TYPE, value, key=key, headers=headers))
    await asyncio.gather(*sent)


async def send(producer: AIOKafkaProducer, prefix: str, event: Event, version: int = 1) -> None:
    record = envelope(event, version)
    await producer.send_and_wait(
        prefix + event.TYPE,
        json.dumps(record.data).encode(),
        key=event.key().encode(),
        headers=encode_headers(record),
    )


async def publish(broker: Broker, prefix: str, *events: tuple[Event, int]) -> None:
    """Each (event, aggregate version), in order, from a producer of its own."""
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        for event, version in events:
            await send(producer, prefix, event, version)
    finally:
        await producer.stop()
