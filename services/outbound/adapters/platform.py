"""The platform as outbound watches it: the dead-letter topics on the broker (read by offset, no
consumer group: the offsets live in outbound's database with the alerts), and /readyz."""

from __future__ import annotations

from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.outbound.app.watch import Health
from services.outbound.settings import OutboundSettings

BATCH = 500


def _letter(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    headers = {name: raw.decode("utf-8", "replace") for name, raw in record.headers}
    return {
        "consumer": headers.get("x-failed-by", "?"),
        "event_type": headers.get("ce_type", "?"),
        "topic": headers.get("x-original-topic", record.topic.removesuffix(".dlq")),
        "event_id": headers.get("ce_id"),
        "attempts": headers.get("x-attempts"),
        "error": headers.get("x-error", "")[:300],
    }


class KafkaDeadLetters:
    def __init__(self, settings: OutboundSettings) -> None:
        self._settings = settings

    async def read(self, offsets: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            enable_auto_commit=False,
            fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            return await self._read(consumer, dict(offsets))
        finally:
            await consumer.stop()

    async def _read(
        self, consumer: AIOKafkaConsumer, offsets: dict[str, int]
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        prefix = self._settings.kafka_topic_prefix
        topics = [t for t in await consumer.topics() if t.startswith(prefix) and t.endswith(".dlq")]
        partitions = [
            TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        if not partitions:
            return [], offsets
        consumer.assign(partitions)
        ends, begins = await consumer.end_offsets(partitions), await consumer.beginning_offsets(partitions)
        todo: dict[TopicPartition, int] = {}
        for tp in partitions:
            start = offsets.get(f"{tp.topic}:{tp.partition}", 0)
            if start > ends[tp]:  # the broker lost its log (Tansu keeps it in memory): read it anew
                start = 0
            start = max(start, begins[tp])
            offsets[f"{tp.topic}:{tp.partition}"] = start
            if start < ends[tp]:
                consumer.seek(tp, start)
                todo[tp] = ends[tp]
        letters: list[dict[str, Any]] = []
        while todo and len(letters) < BATCH:
            fetched = await consumer.getmany(*todo, timeout_ms=2000, max_records=BATCH)
            if not fetched:
                break
            for tp, records in fetched.items():
                for record in records:
                    letters.append(_letter(record))
                    offsets[f"{tp.topic}:{tp.partition}"] = record.offset + 1
                if offsets[f"{tp.topic}:{tp.partition}"] >= todo[tp]:
                    del todo[tp]
        return letters, offsets


class HttpReadiness:
    async def health(self, base_url: str) -> Health:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(f"{base_url.rstrip('/')}/readyz")
        except httpx.HTTPError as exc:
            return Health("unreachable", f"{type(exc).__name__} at {base_url}")
        try:
            consumer = response.json()["checks"].get("consumer") or {}
            stalled = consumer.get("ok") is False and consumer.get("error")
        except (ValueError, KeyError, TypeError, AttributeError):
            return Health("ok")  # an answer not of the platform's shape says nothing of a stall
        return Health("stalled", str(stalled)) if stalled else Health("ok")
